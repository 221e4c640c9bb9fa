#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's many-hosts example, run verbatim (the indented commands of
# "Many hosts"), in a directory laid out as the repository's top: the
# guest moves to the second libvirtd that scripts/setup.sh starts, and runs
# numactl there.
# usage: readme-fleet.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
. "$(dirname "$0")/common.sh"
sed -n '/^## Many hosts/,/^## /p' "$src/README.md" | sed -n '/^    /{s/^    //;p}' |
	sed ':a;/\\$/{N;s/\\\n//;ba}' > "$work/cmds"
[ "$(wc -l < "$work/cmds")" -eq 4 ] || fail "not four commands in the README's many-hosts section"
ln -s "$build" "$work/build" && ln -s "$src/examples" "$work/examples" && ln -s "$src/scripts" "$work/scripts" ||
	fail "cannot lay out $work"
sh "$src/scripts/libvirtd-remote.sh" start > /dev/null || fail "the second libvirtd"
trap '"$build/tiervm" down mv > /dev/null 2>&1; rm -rf "$work"' EXIT
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	echo "README: $cmd"
	(cd "$work" && sh -c "$cmd") < /dev/null > "$work/out$i" 2>&1
	rc=$?
	cat "$work/out$i"
	[ "$rc" -eq 0 ] || fail "exit $rc"
done < "$work/cmds"
grep -q "^mv: moved to qemu+tcp://127.0.0.1:16510/system" "$work/out2" || fail "the guest did not move"
grep -q "^verified on arrival" "$work/out2" || fail "the guest was not verified on arrival"
grep -q '^available: 3 nodes' "$work/out3" || fail "numactl there did not show the spec's 3 nodes"
echo ok
