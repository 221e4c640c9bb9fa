#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's own-kernel example, run verbatim: the indented commands of
# its "Your own kernel" section, in a directory laid out as the
# repository's top, with ~/linux the test kernels' built-in tree.
# usage: readme-kernel.sh TIERVM SOURCE_ROOT BUILD_ROOT KERNELS
set -u
tiervm=$1 src=$2 build=$3 kernels=$4
. "$(dirname "$0")/common.sh"
trap 'rm -rf "$work"' EXIT
sh "$(dirname "$0")/kernel-build.sh" "$tiervm" "$src" "$kernels" || fail "the test kernels did not build"
sed -n '/^## Your own kernel/,/^## /p' "$src/README.md" |
	sed -n '/^    /{s/^    //;p}' > "$work/cmds"
[ "$(wc -l < "$work/cmds")" -eq 2 ] || fail "not two commands in the README's section"
ln -s "$build" "$work/build" && ln -s "$src/examples" "$work/examples" &&
	ln -s "$kernels/builtin" "$work/linux" || fail "cannot lay out $work"
while IFS= read -r cmd; do
	echo "README: $cmd"
	(cd "$work" && HOME=$work sh -c "$cmd") < /dev/null > "$work/out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$work/out"; fail "exit $rc"; }
done < "$work/cmds"
grep -q '^MATCH: 0 mismatches' "$work/out" || { cat "$work/out"; fail "the kernel tree did not boot to MATCH"; }
grep -qx 'CONFIG_VIRTIO_MEM=y' "$work/tiervm.config" || fail "tiervm.config lacks CONFIG_VIRTIO_MEM=y"
grep -qx 'CONFIG_ACPI_HMAT=y' "$work/tiervm.config" || fail "tiervm.config lacks CONFIG_ACPI_HMAT=y"
echo ok
