#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds tiervm's guest image: a Debian kernel (fetched as a package and
# unpacked, never installed on the host) and an initramfs holding busybox,
# the memory drivers in dependency order, tiervm's probe, and the real
# numactl, lstopo-no-graphics, ndctl, daxctl and cxl with their libraries.
#
# usage: build-image.sh KERNEL PROBE OUTDIR [RELEASE MODULES VMLINUX]
#   KERNEL   debian-stable | debian-backports | a bzImage ("" for a build
#            tree with only its vmlinux)
#   PROBE    the static tiervm-probe binary
#   OUTDIR   receives vmlinuz, initrd.img and kernel-release
#   RELEASE  a bzImage's release, as tiervm read it
#   MODULES  its modules: a build tree (modules.order, nothing installed)
#            or an installed lib/modules/RELEASE; "" for none
#   VMLINUX  a build tree's vmlinux, booted at its PVH entry as it is
# The kernel packages are cached in OUTDIR/../kernels.  Nothing given is
# written to: modules are staged (links) where depmod may write.
set -eu

kernel=$1 probe=$2 out=$3 release=${4:-} moddir=${5:-} given_vmlinux=${6:-}
cache=$(dirname "$out")/kernels
mkdir -p "$out" "$cache"

say() { echo "tiervm image: $*" >&2; }

# Debian's backports suite, reached through the mirror this host already
# uses, with a private apt state: the system's sources stay untouched.
backports_apt() {
	state=$cache/apt-backports
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
	uri=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
		grep -v security | head -n 1)
	[ -n "$uri" ] || { say "no Debian mirror found in the apt configuration"; exit 1; }
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	echo "deb $uri $codename-backports main" > "$state/sources.list"
	echo "-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$state/lists -o Dir::Cache=$state/cache"
}

fetch_debian_kernel() {
	aptopts=$1
	# shellcheck disable=SC2086
	pkg=$(apt-cache $aptopts depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || { say "apt does not know linux-image-amd64 (run apt-get update)"; exit 1; }
	root=$cache/$pkg
	if [ ! -e "$root/.done" ]; then
		say "fetching $pkg"
		tmp=$(mktemp -d)
		# shellcheck disable=SC2086
		(cd "$tmp" && apt-get $aptopts download "$pkg" >&2)
		rm -rf "$root"
		dpkg-deb -x "$tmp"/"$pkg"_*.deb "$root"
		rm -rf "$tmp"
		touch "$root/.done"
	fi
	kver=${pkg#linux-image-}
	cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
	modroot=$root
}

# MODULES as lib/modules/$kver under a staging root of links, for depmod
# and modprobe: a build tree's modules.order names the .ko files (6.3 and
# later name the .o beside each), an installed directory has them all.
stage_modules() {
	src=$(cd "$1" && pwd)
	staged=$(dirname "$out")/stage-$(basename "$out")
	modroot=$staged
	dst=$modroot/lib/modules/$kver
	rm -rf "$staged"
	mkdir -p "$dst"
	if [ -f "$src/modules.order" ] && [ ! -f "$src/modules.dep" ]; then
		sed 's/\.o$/.ko/' "$src/modules.order" | while read -r ko; do
			[ -f "$src/$ko" ] || continue
			mkdir -p "$dst/$(dirname "$ko")"
			ln -s "$src/$ko" "$dst/$ko"
			echo "$ko"
		done > "$dst/modules.order"
		for f in modules.builtin modules.builtin.modinfo; do
			[ -f "$src/$f" ] && cp "$src/$f" "$dst/"
		done
	else
		cp -rs "$src/." "$dst/"
		# depmod's own output is made afresh here
		rm -f "$dst"/modules.*.bin "$dst"/modules.dep "$dst"/modules.alias \
			"$dst"/modules.symbols "$dst"/modules.softdep "$dst"/modules.devname
	fi
}

modroot= staged=
case "$kernel" in
debian-stable|auto) fetch_debian_kernel "" ;;
debian-backports)
	opts=$(backports_apt)
	# shellcheck disable=SC2086
	apt-get $opts update >&2
	fetch_debian_kernel "$opts" ;;
*)
	kver=$release
	if [ -n "$given_vmlinux" ]; then
		# what QEMU's ELF loader does not load (debug info) stays behind
		objcopy --strip-debug "$given_vmlinux" "$out/vmlinux"
		say "the tree's vmlinux boots at its PVH entry"
	fi
	if [ -n "$kernel" ]; then
		cp "$kernel" "$out/vmlinuz"
	else
		ln -sf vmlinux "$out/vmlinuz"
	fi
	[ -n "$moddir" ] && stage_modules "$moddir" ;;
esac
echo "${kver:-unknown}" > "$out/kernel-release"

# The kernel uncompressed, for QEMU's PVH entry (CONFIG_PVH, an ELF with
# Xen's PHYS32_ENTRY note): under TCG the bzImage's own decompressor takes
# seconds of the boot.  Made once here; without CONFIG_PVH (or when the
# payload cannot be found) the bzImage boots as before.
pvh_vmlinux() {
	[ -z "$given_vmlinux" ] || return 0
	config=
	# where tiervm's plan looks too (lib/image_kconfig.c): beside it, in
	# /boot, the modules' build tree, or a build tree the image is in
	kdir=$(dirname "$kernel") tree=
	case "$kdir" in */arch/x86/boot) tree=$kdir/../../../.config ;; esac
	for c in "${modroot:+$modroot/boot/config-$kver}" "$kdir/config-$kver" \
		"/boot/config-$kver" "/lib/modules/$kver/build/.config" \
		"$tree" "$kdir/.config"; do
		[ -n "$c" ] && [ -f "$c" ] && { config=$c; break; }
	done
	[ -n "$config" ] && grep -q '^CONFIG_PVH=y' "$config" || {
		say "no CONFIG_PVH known for $kver: the bzImage boots"; return 0; }
	for fmt in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		off=$(LC_ALL=C grep -obUaP "${fmt#*:}" "$out/vmlinuz" 2> /dev/null |
			head -n 1 | cut -d: -f1)
		[ -n "$off" ] || continue
		case ${fmt%%:*} in
		xz) tail -c +$((off + 1)) "$out/vmlinuz" | xz -dc --single-stream ;;
		zstd) tail -c +$((off + 1)) "$out/vmlinuz" | zstd -dcq ;;
		gzip) tail -c +$((off + 1)) "$out/vmlinuz" | gzip -dc ;;
		esac > "$out/vmlinux.tmp" 2> /dev/null || true # trailing data is no error
		if [ "$(head -c 4 "$out/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$out/vmlinux.tmp" "$out/vmlinux"
			say "uncompressed the kernel (${fmt%%:*}) for the PVH entry"
			return 0
		fi
	done
	rm -f "$out/vmlinux.tmp"
	say "no kernel payload found in the bzImage: it boots as is"
}
pvh_vmlinux

stage=$(mktemp -d)
# the staged links go; a Debian package's unpacked tree stays cached
trap 'rm -rf "$stage" ${staged:+"$staged"}' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/proc" "$stage/sys" "$stage/dev" \
	"$stage/run" "$stage/tmp" "$stage/etc" "$stage/lib/modules"
cp /bin/busybox "$stage/bin/busybox"
cp "$(dirname "$0")/tiervm-capture" "$stage/bin/tiervm-capture"

# The real tools and every library they load.
for tool in numactl lstopo-no-graphics ndctl daxctl cxl; do
	path=$(command -v "$tool") || { say "$tool is not installed"; exit 1; }
	cp "$path" "$stage/bin/"
	ldd "$path" | awk '/=>/ { print $3 } /^\t\// { print $1 }' | while read -r lib; do
		[ -n "$lib" ] || continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
done
# lstopo reads its topology through sysfs only; keep hwloc quiet about the rest
mkdir -p "$stage/lib64"
[ -e /lib64/ld-linux-x86-64.so.2 ] && cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"

# Busybox's applets as links made here, not by /init at every boot.
for applet in $("$stage/bin/busybox" --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# Drivers per memory feature, each list in the order modprobe would load
# them; /init loads a list only where the machine has that hardware (each
# insmod costs time under TCG).
if [ -n "$modroot" ]; then
	depmod -b "$modroot" "$kver"
fi
modules_for() { # GROUP MODULE...
	group=$1
	shift
	: > "$stage/etc/modules.$group"
	[ -n "$modroot" ] || return 0
	for m in "$@"; do
		modprobe -C /dev/null -d "$modroot" -S "$kver" --show-depends "$m" 2>/dev/null |
			sed -n 's/^insmod \([^ ]*\).*/\1/p'
	done | awk '!seen[$0]++' | while read -r ko; do
		name=$(basename "$ko")
		name=${name%.xz}
		name=${name%.zst}
		if [ ! -e "$stage/lib/modules/$name" ]; then
			case "$ko" in
			*.ko.xz) xz -dc "$ko" > "$stage/lib/modules/$name" ;;
			*.ko.zst) zstd -qdc "$ko" > "$stage/lib/modules/$name" ;;
			*) cp "$ko" "$stage/lib/modules/$name" ;;
			esac
		fi
		echo "$name" >> "$stage/etc/modules.$group"
	done
}
# virtio_rng seeds the kernel's random pool at once: without it the first
# ndctl, daxctl or cxl waits about a second for it under TCG
modules_for virtio virtio_pci virtio_mem virtio_console virtio_rng
# (no nd_btt: tiervm makes no sector-mode namespaces; nd_e820 only for
# the legacy pmem memmap=! makes)
modules_for nvdimm nfit nd_pmem dax_pmem kmem
modules_for legacy nd_e820 nd_pmem dax_pmem kmem
modules_for cxl cxl_acpi cxl_pci cxl_port cxl_mem cxl_pmem dax_cxl nd_pmem \
	dax_pmem kmem
modules_for hmem dax_hmem kmem
# device_dax binds every new dax device and maps all its memory, which
# kmem then unmaps to map it again as RAM (0.2 s per GiB under TCG): the
# probe loads it after the kmem devices are onlined, or before a devdax
# namespace is made
modules_for dax device_dax
modules_for 9p 9p 9pnet_virtio
# the ACPI power button as an input device: `tiervm down` of a guest whose
# probe does not answer
modules_for power button evdev

# What is built in, for libkmod in the guest: daxctl, ndctl and cxl ask it
# to load kmem, cxl_mem and the like, and a driver built in has no
# /sys/module entry to show it is there (Debian builds them as modules)
if [ -n "$modroot" ]; then
	mkdir -p "$stage/lib/modules/$kver"
	for f in modules.builtin modules.builtin.bin modules.builtin.modinfo \
		modules.builtin.alias.bin; do
		[ -f "$modroot/lib/modules/$kver/$f" ] &&
			cp "$modroot/lib/modules/$kver/$f" "$stage/lib/modules/$kver/"
	done
fi

# The probe is init itself: it mounts and loads the groups above with
# system calls (boot.c); a shell init's fork per step cost 0.3 s under TCG
cp "$probe" "$stage/init"

# Uncompressed: under TCG the kernel's inflate of it took 0.2-0.35 s of
# every boot, for 9M of disk saved once
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
say "built $out (kernel $kver)"
