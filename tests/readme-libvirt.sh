#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's libvirt examples, run verbatim (the indented commands of
# "Two engines"), in a directory laid out as the repository's top: the
# daemon's guest runs numactl, and the embedded driver's root, which a new
# user has not prepared, gets what it needs from tiervm.
# usage: readme-libvirt.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
. "$(dirname "$0")/common.sh"
sed -n '/^## Two engines/,/^## /p' "$src/README.md" | sed -n '/^    /{s/^    //;p}' |
	sed ':a;/\\$/{N;s/\\\n//;ba}' > "$work/cmds"
[ "$(wc -l < "$work/cmds")" -eq 2 ] || fail "not two commands in the README's libvirt section"
ln -s "$build" "$work/build" && ln -s "$src/examples" "$work/examples" || fail "cannot lay out $work"
lv=$(sed -n "s/.*root=\\([^'&]*\\).*/\\1/p" "$work/cmds")
[ -n "$lv" ] || fail "the embedded example names no root"
if [ -e "$lv" ]; then
	echo "SKIP: $lv exists already, and the README's example would use it"
	exit 77
fi
trap 'rm -rf "$work" "$lv"' EXIT
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	echo "README: $cmd"
	(cd "$work" && sh -c "$cmd") < /dev/null > "$work/out$i" 2>&1
	rc=$?
	cat "$work/out$i"
	[ "$rc" -eq 0 ] || fail "exit $rc"
done < "$work/cmds"
grep -q '^available: 4 nodes' "$work/out1" || fail "numactl did not show the demo's 4 nodes"
grep -q '^MATCH: 0 mismatches' "$work/out2" || fail "the embedded driver's guest did not MATCH"
grep -q '^stdio_handler = "file"' "$lv/etc/qemu.conf" || fail "tiervm did not prepare $lv/etc/qemu.conf"
echo ok
