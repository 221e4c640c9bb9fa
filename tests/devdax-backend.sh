#!/bin/sh
# A node backed by a host device-dax device, planned against a real
# machine's captured /sys (fakeheteromemtiers: dax0.0 is device_dax, 512M,
# align 2M; dax1.0 is onlined as kmem), and an NVDIMM on it: QEMU gets the
# device's align; a
# device too small, of the kernel (kmem), absent, or a size off its align
# is refused in one line naming the key, before QEMU runs.
# usage: devdax-backend.sh TIERVM SPEC TARBALL
set -u
tiervm=$1 spec=$2 tarball=$3
. "$(dirname "$0")/common.sh"
tar -xjf "$tarball" -C "$work" || fail "cannot unpack $tarball"
root=$work/$(tar -tjf "$tarball" | head -1 | cut -d/ -f1)

"$tiervm" plan "$spec" --host-root "$root" > "$work/plan" 2>&1 || { cat "$work/plan"; fail "plan"; }
grep -q "memory-backend-file,id=tiervm-node1,size=512M,mem-path=/dev/dax0.0,share=on,align=2M" "$work/plan" ||
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
# an NVDIMM on it: size + label-size must fit; the NVDIMM rules otherwise
cat > "$work/nv.yaml" << 'YAML'
name: nvdax
machine: {cpus: 1}
nodes:
  - {id: 0, cpus: 0, memory: 512M}
nvdimms:
  - {id: nv0, size: 510M, label-size: 2M, path: /dev/dax0.0, mode: raw}
YAML
"$tiervm" plan "$work/nv.yaml" --host-root "$root" > "$work/plan" 2>&1 || { cat "$work/plan"; fail "plan (nvdimm)"; }
grep -q "memory-backend-file,id=tiervm-nv-nv0,mem-path=/dev/dax0.0,size=512M,share=on,.*align=2M" "$work/plan" ||
	{ cat "$work/plan"; fail "the NVDIMM's backend lacks the device and its align"; }
sed 's/size: 510M/size: 511M/' "$work/nv.yaml" > "$work/nv2.yaml"
"$tiervm" plan "$work/nv2.yaml" --host-root "$root" > "$work/out" 2>&1
[ $? -eq 2 ] && grep -q "nvdimms\[0\].path: /dev/dax0.0 holds 512M, less than the 513M" "$work/out" ||
	{ cat "$work/out"; fail "an NVDIMM bigger than the device was not refused"; }
echo "device-dax backend: nodes and NVDIMMs planned with align=2M; too small, kmem, absent and misaligned refused"
rm -rf "$work"
