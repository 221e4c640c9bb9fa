#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernels of one's own (docs/kernels.md), booted from their build trees
# (tests/kernel-build.sh makes them once, from Debian's linux-source-6.1).
#   builtin  the all-built-in tree boots the demo, an NVDIMM kmem machine
#            and a CXL machine to MATCH; a second `up` builds no image, a
#            rebuilt tree gets a new one
#   modular  the tree with its drivers as modules boots the demo and an
#            NVDIMM kmem machine, its modules read from the tree itself,
#            and its bzImage with --modules of an INSTALL_MOD_PATH tree
#   refuses  a config without CONFIG_VIRTIO_MEM, or =m without the .ko,
#            is refused before QEMU starts; a kernel with no config found
#            is warned about and boots, and the probe names the driver it
#            lacks at once
#   faults   no image, a truncated or damaged one, a config or modules of
#            another release: one line each, exit 2, nothing left behind
#
# usage: kernel-tree.sh TIERVM SRCROOT KERNELS MODE
set -u
tiervm=$1 src=$2 kernels=$3 mode=$4
. "$(dirname "$0")/common.sh"
# absolute: some steps run in other directories
tiervm=$(cd "$(dirname "$tiervm")" && pwd)/$(basename "$tiervm")
trap 'rm -rf "$work"' EXIT

sh "$(dirname "$0")/kernel-build.sh" "$tiervm" "$src" "$kernels" || fail "the test kernels did not build"
builtin=$kernels/builtin modular=$kernels/modular
release=$(cat "$builtin/include/config/kernel.release")

# nothing of a guest may be left: no QEMU, no runtime dir
left_behind() {
	pgrep -f "qemu-system.*$XDG_RUNTIME_DIR" > /dev/null && fail "$1: a QEMU is left"
	[ -z "$(ls "$XDG_RUNTIME_DIR/tiervm" 2> /dev/null | grep -v '^\.')" ] ||
		fail "$1: a runtime dir is left: $(ls "$XDG_RUNTIME_DIR/tiervm")"
}

# up_match WHAT SPEC KERNEL: boots SPEC to MATCH
up_match() {
	"$tiervm" up "$2" --check --accel tcg --kernel "$3" > "$work/out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$work/out"; fail "$1: exit $rc"; }
	grep -q '^MATCH: 0 mismatches' "$work/out" || { cat "$work/out"; fail "$1: no MATCH"; }
	echo "ok: $1 boots to MATCH"
}

# refused WHAT PATTERN COMMAND...: exit 2, one line matching PATTERN
refused() {
	what=$1 pattern=$2
	shift 2
	"$@" > "$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
	[ "$(wc -l < "$work/out")" -eq 1 ] || fail "$what: not one line"
	grep -Eq -- "$pattern" "$work/out" || fail "$what: not /$pattern/"
	left_behind "$what"
	echo "ok: $what refused"
}

# a tree like T whose .config runs through SED: links to T's files
fake_tree() { # T DIR SED
	mkdir -p "$2/arch/x86/boot" "$2/include/config"
	ln -s "$1/arch/x86/boot/bzImage" "$2/arch/x86/boot/bzImage"
	ln -s "$1/vmlinux" "$2/vmlinux"
	cp "$1/include/config/kernel.release" "$2/include/config/"
	sed "$3" "$1/.config" > "$2/.config"
}

case $mode in
builtin)
	cp "$src/tests/specs/libvirt/nv-kmem.yaml" "$work/nv-kmem.yaml"
	up_match "the demo" "$src/examples/demo.yaml" "$builtin"
	grep -q 'image cached' "$work/out" || grep -q 'image built' "$work/out" ||
		fail "up did not say how it got the image"
	up_match "the demo again" "$src/examples/demo.yaml" "$builtin"
	grep -q "image cached: Linux $release" "$work/out" || fail "the second up built the image again"
	up_match "an NVDIMM kmem machine" "$work/nv-kmem.yaml" "$builtin"
	up_match "a CXL machine" "$src/examples/cxl-type3.yaml" "$builtin"
	# a rebuilt tree (its image newer) gets an image of its own
	touch "$builtin/arch/x86/boot/bzImage" "$builtin/vmlinux"
	up_match "the rebuilt tree" "$src/examples/demo.yaml" "$builtin"
	grep -q 'image built' "$work/out" || fail "a rebuilt tree reused the old image"
	;;
modular)
	grep -q '^CONFIG_VIRTIO_MEM=m' "$modular/.config" || fail "the modular tree has virtio_mem built in"
	up_match "the modular tree" "$src/examples/demo.yaml" "$modular"
	# its modules came from the tree: loaded in the guest
	(cd "$work" && "$tiervm" up "$src/examples/demo.yaml" --kernel "$modular" --accel tcg \
		-- sh -c 'cut -d" " -f1 /proc/modules' > "$work/mods" 2>&1) || { cat "$work/mods"; fail "the command failed"; }
	for m in virtio_pci virtio_mem virtio_console 9pnet_virtio; do
		grep -qx "$m" "$work/mods" || { cat "$work/mods"; fail "module $m not loaded from the tree"; }
	done
	echo "ok: virtio_pci, virtio_mem, virtio_console and 9pnet_virtio loaded from the tree"
	# the NVDIMM drivers (nfit, nd_pmem, dax_pmem, kmem) from the tree too
	cp "$src/tests/specs/libvirt/nv-kmem.yaml" "$work/nv-kmem.yaml"
	up_match "an NVDIMM kmem machine from the modular tree" "$work/nv-kmem.yaml" "$modular"
	# the bzImage with its modules installed elsewhere (INSTALL_MOD_PATH)
	make -s -C "$modular" modules_install INSTALL_MOD_PATH="$work/inst" > /dev/null 2>&1 ||
		fail "modules_install"
	"$tiervm" up "$work/nv-kmem.yaml" --check --accel tcg --kernel "$modular/arch/x86/boot/bzImage" \
		--modules "$work/inst" > "$work/out" 2>&1 || { cat "$work/out"; fail "bzImage --modules: exit $?"; }
	grep -q '^MATCH: 0 mismatches' "$work/out" || { cat "$work/out"; fail "bzImage --modules: no MATCH"; }
	echo "ok: the bzImage with --modules INSTALL_MOD_PATH boots an NVDIMM kmem machine to MATCH"
	;;
refuses)
	fake_tree "$builtin" "$work/novmem" 's/^CONFIG_VIRTIO_MEM=.*/# CONFIG_VIRTIO_MEM is not set/'
	refused "a tree without CONFIG_VIRTIO_MEM" \
		"virtio-mem\\.yaml:[0-9]+: virtio-mem\\[0\\]: kernel $release lacks CONFIG_VIRTIO_MEM, needed for virtio-mem" \
		"$tiervm" up "$src/examples/virtio-mem.yaml" --check --kernel "$work/novmem"
	# =m, and the tree's modules without virtio_mem.ko
	fake_tree "$modular" "$work/noko" 's/^$//'
	cp "$modular/modules.order" "$modular/modules.builtin" "$work/noko/"
	sed 's/\.ko$//;s/\.o$//' "$modular/modules.order" | while read -r m; do
		[ "$(basename "$m")" = virtio_mem ] && continue
		mkdir -p "$work/noko/$(dirname "$m")"
		ln -s "$modular/$m.ko" "$work/noko/$m.ko"
	done
	refused "a tree with CONFIG_VIRTIO_MEM=m and no virtio_mem.ko" \
		"virtio-mem\\.yaml:[0-9]+: virtio-mem\\[0\\]: kernel $release has CONFIG_VIRTIO_MEM=m but no virtio_mem\\.ko" \
		"$tiervm" up "$src/examples/virtio-mem.yaml" --check --kernel "$work/noko"
	# a bzImage alone: warned about, boots; the probe names what it lacks
	mkdir "$work/alone"
	cp "$modular/arch/x86/boot/bzImage" "$work/alone/"
	"$tiervm" plan "$src/examples/virtio-mem.yaml" --kernel "$work/alone/bzImage" > /dev/null 2> "$work/out" ||
		{ cat "$work/out"; fail "plan of a kernel without config failed"; }
	grep -q "warning: .*--kernel: no config found for kernel $release (looked at .*$work/alone/config-$release" "$work/out" ||
		{ cat "$work/out"; fail "no warning naming where tiervm looked"; }
	echo "ok: a kernel without config is warned about"
	"$tiervm" up "$src/examples/virtio-mem.yaml" --check --accel tcg --kernel "$work/alone/bzImage" > "$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq 1 ] || fail "a guest without virtio_mem: exit $rc, expected 1"
	grep -q 'the guest kernel has no driver for virtio_mem (virtio-mem)' "$work/out" ||
		fail "the probe did not name the missing driver"
	grep -q 'did not reach its requested size' "$work/out" && fail "up waited for virtio-mem"
	left_behind "a guest without virtio_mem"
	echo "ok: the missing virtio_mem driver named at once"
	;;
faults)
	bz=$builtin/arch/x86/boot/bzImage
	mkdir "$work/empty" "$work/trunc" "$work/bad" "$work/other" "$work/mods"
	refused "a tree without an image" "is a directory without arch/x86/boot/bzImage or vmlinux" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$work/empty"
	refused "no such kernel" "no-such-kernel: no such file or directory" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$work/no-such-kernel"
	head -c $(($(stat -c %s "$bz") / 2)) "$bz" > "$work/trunc/bzImage"
	refused "a truncated bzImage" "bzImage is truncated" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$work/trunc/bzImage"
	cp "$bz" "$work/bad/bzImage"
	printf '\377\377\377\377' | dd of="$work/bad/bzImage" bs=1 seek=$(($(stat -c %s "$bz") / 2)) conv=notrunc 2> /dev/null
	refused "a damaged bzImage" "bzImage is damaged: its CRC-32" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$work/bad/bzImage"
	refused "a file that is no kernel" "is not a bzImage" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$src/examples/demo.yaml"
	cp "$bz" "$work/other/bzImage"
	sed 's|^# Linux/x86 .* Kernel Configuration|# Linux/x86 5.10.0 Kernel Configuration|' \
		"$builtin/.config" > "$work/other/config-$release"
	refused "a config of another release" "config-$release is the configuration of Linux 5\\.10\\.0, and the image is Linux $release" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$work/other/bzImage"
	mkdir -p "$work/mods/lib/modules/5.10.0-other"
	refused "modules of another release" "--modules $work/mods: no lib/modules/$release in it" \
		"$tiervm" up "$src/examples/demo.yaml" --check --kernel "$bz" --modules "$work/mods"
	;;
*) fail "no mode $mode" ;;
esac
