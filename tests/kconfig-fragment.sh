#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `tiervm kconfig` carries its dependencies: from tinyconfig (where NET,
# BLOCK, EFI and THP are off) plus the fragment for every example and test
# spec, `make olddefconfig` of Debian's linux-source-6.1 keeps every line
# (options this release does not define aside: olddefconfig drops those).
#
# usage: kconfig-fragment.sh TIERVM SRCROOT KERNELS
set -u
tiervm=$1 src=$2 kernels=$3
. "$(dirname "$0")/common.sh"
trap 'rm -rf "$work"' EXIT

sh "$(dirname "$0")/kernel-build.sh" "$tiervm" "$src" "$kernels" source ||
	fail "no kernel source"
frag=$kernels/fragment.config
[ "$(wc -l < "$frag")" -gt 50 ] || fail "the fragment has $(wc -l < "$frag") lines"
make -s -C "$kernels/src" O="$work/o" tinyconfig > /dev/null 2>&1 || fail "tinyconfig"
# what tinyconfig alone lacks: the fragment must bring it
lacking=0
while IFS= read -r l; do
	grep -qx "$l" "$work/o/.config" || lacking=$((lacking + 1))
done < "$frag"
[ "$lacking" -gt 20 ] || fail "tinyconfig already has all but $lacking lines: no test"
cat "$frag" >> "$work/o/.config"
make -s -C "$work/o" olddefconfig > /dev/null 2>&1 || fail "olddefconfig"
lost=0
while IFS= read -r l; do
	o=${l%%=*}
	grep -rqE "^(menu)?config ${o#CONFIG_}\$" --include='Kconfig*' "$kernels/src" || {
		echo "skipped: $o is not in this release"
		continue
	}
	grep -qx "$l" "$work/o/.config" || { echo "LOST: $l"; lost=$((lost + 1)); }
done < "$frag"
[ "$lost" -eq 0 ] || fail "olddefconfig dropped $lost of the fragment's lines"
echo "ok: all $(wc -l < "$frag") lines kept from tinyconfig ($lacking of them not in it)"
