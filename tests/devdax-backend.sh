#!/bin/sh
# A node backed by a host device-dax device, planned against a real
# machine's captured /sys (fakeheteromemtiers: dax0.0 is device_dax, 512M,
# align 2M; dax1.0 is onlined as kmem): QEMU gets the device's align; a
# device too small, of the kernel (kmem), absent, or a size off its align
# is refused in one line naming the key, before QEMU runs.
# usage: devdax-backend.sh TIERVM SPEC TARBALL
set -u
tiervm=$1 spec=$2 tarball=$3
. "$(dirname "$0")/common.sh"
tar -xjf "$tarball" -C "$work" || fail "cannot unpack $tarball"
root=$work/$(tar -tjf "$tarball" | head -1 | cut -d/ -f1)

"$tiervm" plan "$spec" --host-root "$root" > "$work/plan" 2>&1 || { cat "$work/plan"; fail "plan"; }
grep -q "memory-backend-file,id=tiervm-node1,size=512M,mem-path=/dev/dax0.0,share=on,align=2097152" "$work/plan" ||
	{ cat "$work/plan"; fail "QEMU is not given the device and its align"; }
"$tiervm" host --root "$root" | grep -q "^dax dax0.0: .*align 2M.*path: /dev/dax0.0" ||
	fail "tiervm host does not show dax0.0's align and its use as a backend"

# refused SED PATTERN: the spec edited by SED is refused in one line
refused() {
	sed "$1" "$spec" > "$work/bad.yaml"
	"$tiervm" plan "$work/bad.yaml" --host-root "$root" > "$work/out" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l < "$work/out")" -eq 1 ] &&
		grep -q "bad.yaml:[0-9]*: nodes\[1\].path: $2" "$work/out" ||
		{ cat "$work/out"; fail "'$1' gave exit $rc, not one line saying '$2'"; }
}
refused 's|memory: 512M, kind|memory: 1G, kind|' "/dev/dax0.0 holds 512M, less than the 1G"
refused 's|dax0.0|dax1.0|' "/dev/dax1.0 is the host kernel's memory (kmem)"
refused 's|dax0.0|dax9.9|' "/dev/dax9.9 is no device-dax device on this host"
refused 's|memory: 512M, kind|memory: 511M, kind|' "/dev/dax0.0 maps in units of its align, 2M"
echo "device-dax backend: planned with align=2M; too small, kmem, absent and misaligned refused"
rm -rf "$work"
