#!/bin/sh
# machine.nvdimm-persistence on a real guest: QEMU's NFIT says the domain
# and the guest's NVDIMM region shows it (cpu on tiervm's engine, mem-ctrl
# through libvirt); a guest told nothing shows none.
# usage: nvdimm-persistence.sh TIERVM SPEC
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
cp "$spec" cpu.yaml

# row SPEC_VALUE GUEST_VALUE VERDICT: the verification's row says so
row() {
	grep -q "^NVDIMM persistence domain  *$1  *$2  *$3\$" out ||
		{ cat out; fail "no row '$1 / $2 / $3'"; }
}

"$tiervm" plan cpu.yaml | grep -q -- "-machine q35,.*nvdimm-persistence=cpu" ||
	fail "the plan does not give QEMU nvdimm-persistence=cpu"
"$tiervm" up cpu.yaml --check > out 2>&1 || { cat out; fail "up (cpu)"; }
row cpu_cache cpu_cache ok

sed 's/nvdimm-persistence: cpu/nvdimm-persistence: mem-ctrl/' cpu.yaml > mc.yaml
if [ -z "${QEMU_MODULE_DIR:-}" ]; then
	"$tiervm" up mc.yaml --check --engine libvirt > out 2>&1 || { cat out; fail "up (mem-ctrl, libvirt)"; }
	row memory_controller memory_controller ok
else
	# a QEMU of its own prefix (.ci/run's second pass) runs only on
	# tiervm's engine: libvirt refuses it in one line
	"$tiervm" up mc.yaml --check --engine libvirt > out 2>&1
	[ $? -eq 2 ] && [ "$(wc -l < out)" -eq 1 ] && grep -q "QEMU_MODULE_DIR" out ||
		{ cat out; fail "libvirt with a QEMU of its own prefix: not one refusing line"; }
	"$tiervm" up mc.yaml --check > out 2>&1 || { cat out; fail "up (mem-ctrl)"; }
	row memory_controller memory_controller ok
fi

# the same NVDIMM with nothing said: QEMU's NFIT says nothing, and the
# guest's region shows no domain (so the rows above saw what QEMU was told)
sed 's/, nvdimm-persistence: cpu//' cpu.yaml > none.yaml
"$tiervm" up none.yaml --name nv-none > out 2>&1 || { cat out; fail "up nv-none"; }
# (the kernel hides the attribute of a region whose NFIT says nothing)
pd=$("$tiervm" exec nv-none -- sh -c 'for r in /sys/bus/nd/devices/region*; do
	echo "${r##*/}: $(cat "$r/persistence_domain" 2> /dev/null || echo none)"; done')
"$tiervm" down nv-none > /dev/null
[ "$pd" = "region0: none" ] || fail "a guest told nothing shows '$pd', not 'region0: none'"
grep -q "persistence" out && { cat out; fail "a row for a domain the spec did not ask for"; }
echo "persistence domains: cpu_cache and memory_controller shown, none where none was said"
rm -rf "$work"
