#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The test kernels, built from Debian's linux-source-6.1 the way docs/
# kernels.md tells a developer to: tinyconfig plus the fragment `tiervm
# kconfig` prints for every example and test spec.
#   OUT/builtin  every driver built in
#   OUT/modular  the memory, virtio and 9p drivers as modules, read from
#                the tree (modules.order), nothing installed
# Built once per fragment (OUT/TREE/.tiervm-fragment records it); other
# tests wait on OUT/.lock while one builds.  About 9 minutes per tree with
# make -j2 on a 2-core machine.
#
# usage: kernel-build.sh TIERVM SRCROOT OUT [source]
#   source: only unpack the source and write OUT/fragment.config
set -eu

tiervm=$1 src=$2 out=$3 only=${4:-}
tarball=/usr/src/linux-source-6.1.tar.xz
mkdir -p "$out"
exec 9> "$out/.lock"
flock 9

[ -f "$tarball" ] || { echo "no $tarball: scripts/setup.sh installs linux-source-6.1"; exit 1; }
if [ ! -f "$out/src/.done" ]; then
	rm -rf "$out/src"
	mkdir -p "$out/src"
	tar -xJf "$tarball" -C "$out/src" --strip-components=1
	touch "$out/src/.done"
fi

# every feature a spec can ask for, once
for spec in "$src"/examples/*.yaml "$src"/tests/specs/softreserved/*.yaml \
	"$src"/tests/specs/tiering/*.yaml "$src"/tests/specs/libvirt/nv-kmem.yaml; do
	"$tiervm" kconfig "$spec"
done | grep '^CONFIG_' | sort -u > "$out/fragment.config"
[ "$only" != source ] || exit 0

# the drivers tiervm loads from modules in the modular tree
modular="VIRTIO_PCI VIRTIO_MEM VIRTIO_CONSOLE HW_RANDOM_VIRTIO NET_9P
	NET_9P_VIRTIO 9P_FS LIBNVDIMM ACPI_NFIT BLK_DEV_PMEM DAX DEV_DAX
	DEV_DAX_PMEM DEV_DAX_KMEM DEV_DAX_HMEM CXL_BUS CXL_ACPI CXL_PCI
	CXL_MEM CXL_PORT CXL_PMEM"

build() { # TREE
	tree=$out/$1
	want=$(cat "$out/fragment.config"; echo "$1")
	if [ -f "$tree/.tiervm-fragment" ] &&
		[ "$(cat "$tree/.tiervm-fragment")" = "$want" ] &&
		[ -f "$tree/arch/x86/boot/bzImage" ]; then
		return 0
	fi
	rm -rf "$tree"
	mkdir -p "$tree"
	make -s -C "$out/src" O="$tree" tinyconfig > /dev/null
	cat "$out/fragment.config" >> "$tree/.config"
	if [ "$1" = modular ]; then
		for o in $modular; do
			sed -i "s/^CONFIG_$o=y\$/CONFIG_$o=m/" "$tree/.config"
		done
	fi
	make -s -C "$tree" olddefconfig > /dev/null 2>&1
	start=$(date +%s)
	make -s -C "$tree" -j"$(nproc)" bzImage vmlinux modules > "$tree/build.log" 2>&1 ||
		{ tail -n 20 "$tree/build.log"; exit 1; }
	echo "kernel-build: $1 built in $(($(date +%s) - start)) s with make -j$(nproc)"
	echo "$want" > "$tree/.tiervm-fragment"
}
build builtin
build modular
