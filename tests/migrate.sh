#!/bin/sh
# `tiervm migrate`: a running guest of the libvirt engine moved live to
# scripts/libvirtd-remote.sh's second libvirtd and back.  Its memory
# (a pattern written to the node bound by kind) arrives intact, the
# binding is re-resolved on the destination and printed, the guest's view
# is verified on arrival; a resize during the move is refused, one after
# it works; guests that cannot move (9p share, CXL, an NVDIMM volume
# tiervm did not make there) are refused before anything moves; the
# destination's daemon killed in the middle leaves the guest running
# where it was, verified; a destination without the memory kind a node is
# bound to (a third libvirtd whose /sys/devices/system/node shows one
# cpu-less node) is refused before anything moves.
# usage: migrate.sh TIERVM MOVING_SPEC SHARED_SPEC CXL_SPEC NVDIMM_SPEC REMOTE_SCRIPT
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
moving=$2 shared=$3 cxl=$4 nvspec=$5 remote=$6
. "$(dirname "$0")/common.sh"
uri=$(sh "$remote" start) || { echo "FAILED: the second libvirtd: $uri"; exit 1; }
trap 'for g in mv ms mc mn; do "$tiervm" down $g > /dev/null 2>&1; done
	for v in nvdimm-mn-nv0.img nvdimm-mn-nv0.img.owner; do
		virsh -q -c "$uri" vol-delete --pool tiervm $v > /dev/null 2>&1
	done
	sh "$remote" stop 16511 > /dev/null 2>&1
	cd /; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
there() { virsh -q -c "$uri" list --name | grep -c "^tiervm-$1$"; }
here() { virsh -q list --name | grep -c "^tiervm-$1$"; }
# waits until libvirt at $1 runs a migration job of tiervm-$2
migrating() {
	for _ in $(seq 300); do
		virsh -q -c "$1" domjobinfo "tiervm-$2" 2> /dev/null | grep -q Unbounded && return 0
		sleep 0.1
	done
	return 1
}
sum() { "$tiervm" exec mv -- sha256sum /root/pattern | cut -d' ' -f1; }
cd "$work" || exit 1

"$tiervm" up "$moving" --name mv --engine libvirt > out 2>&1 || { cat out; fail "up mv here"; }
"$tiervm" exec mv -- numactl --membind=2 dd if=/dev/urandom of=/root/pattern bs=1M count=64 2> /dev/null ||
	fail "the pattern on node 2"
want=$(sum)
[ ${#want} -eq 64 ] || fail "no checksum of the pattern: '$want'"

# there: moved, bound there by kind, verified, the memory intact
"$tiervm" migrate mv "$uri" --migrate-uri tcp://127.0.0.1 > out 2>&1 || { cat out; fail "migrate there"; }
cat out
grep -q "^mv: moved to $uri in [0-9.]* s" out || fail "no line saying where and how long"
grep -q "^binding: guest node 0: host nodes [0-9]" out || fail "no binding line for node 0"
grep -q "^binding: guest node 2: host nodes [0-9]" out || fail "no binding line for node 2"
grep -q "^verified on arrival:" out || fail "not verified on arrival"
[ "$(there mv)" -eq 1 ] && [ "$(here mv)" -eq 0 ] || fail "the domain is not there alone"
[ "$(sum)" = "$want" ] || fail "the pattern changed on the way"
"$tiervm" status mv | grep -q "^vm0 " || fail "status there"

# back, with a resize tried in the middle: refused, the move goes on
"$tiervm" migrate mv qemu:///system --migrate-uri tcp://127.0.0.1 > back 2>&1 &
mig=$!
migrating "$uri" mv || { wait $mig; cat back; fail "no migration job seen"; }
"$tiervm" resize mv vm0 512M > out 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "migrating" out || { cat out; fail "a resize during the move gave exit $rc"; }
"$tiervm" attach mv nvdimm id=nv9 node=1 size=126M label-size=2M path=nv9.img > out 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "migrating" out || { cat out; fail "an attach during the move gave exit $rc"; }
wait $mig || { cat back; fail "migrate back"; }
grep -q "^verified on arrival:" back || { cat back; fail "not verified back here"; }
[ "$(there mv)" -eq 0 ] && [ "$(here mv)" -eq 1 ] || fail "the domain did not come back"
[ "$(sum)" = "$want" ] || fail "the pattern changed on the way back"
"$tiervm" resize mv vm0 512M > out 2>&1 || { cat out; fail "resize after the move"; }
"$tiervm" status mv | grep -q "^vm0 .* 512M  *512M " || { "$tiervm" status mv; fail "status does not show 512M"; }

# the destination's daemon killed in the middle: one line, exit 1, the
# guest runs where it was and says so
"$tiervm" migrate mv "$uri" --migrate-uri tcp://127.0.0.1 > out 2>&1 &
mig=$!
migrating qemu:///system mv || { wait $mig; cat out; fail "no migration job for the fault"; }
sh "$remote" kill > /dev/null || fail "killing the second libvirtd"
wait $mig
rc=$?
cat out
[ "$rc" -eq 1 ] || fail "a migration whose destination died gave exit $rc, not 1"
[ "$(grep -c '^tiervm: [^[]' out)" -eq 1 ] && grep -q "'mv' runs where it was, verified" out ||
	fail "the failed move is not one line saying the guest stayed, verified"
sh "$remote" start > /dev/null || fail "the second libvirtd did not come back"
[ "$(here mv)" -eq 1 ] && [ "$(there mv)" -eq 0 ] || fail "the guest is not here alone after the failed move"
[ "$(sum)" = "$want" ] || fail "the pattern changed in the failed move"

# a destination whose only node has no cpus and no HMAT figures: no DRAM
# there for the nodes bound to it, each refused in a line of its own
nodes=$work/nodes
mkdir -p "$nodes/node0"
for f in online possible has_memory has_normal_memory; do
	cat "/sys/devices/system/node/$f" > "$nodes/$f" 2> /dev/null
done
: > "$nodes/has_cpu"
for f in meminfo distance numastat vmstat; do
	cp "/sys/devices/system/node/node0/$f" "$nodes/node0/"
done
echo > "$nodes/node0/cpulist"
echo 0 > "$nodes/node0/cpumap"
cpuless=$(TIERVM_REMOTE_NODES=$nodes sh "$remote" start 16511) || fail "the third libvirtd: $cpuless"
"$tiervm" host --connect "$cpuless" | grep -q "^0  *unknown" || fail "the third libvirtd shows DRAM"
"$tiervm" migrate mv "$cpuless" > out 2>&1
rc=$?
cat out
[ "$rc" -eq 2 ] && [ "$(grep -c 'host.kind: the host has no dram node' out)" -eq 3 ] ||
	fail "a destination without DRAM: exit $rc, not three lines naming each binding"
[ "$(here mv)" -eq 1 ] || fail "the guest left though refused"
[ "$(virsh -q -c "$cpuless" list --all --name | grep -c .)" -eq 0 ] || fail "a domain on the refusing host"
sh "$remote" stop 16511 > /dev/null
"$tiervm" down mv > /dev/null

# refused before anything moves: exit 2, one line, the guest still here
refused() { # NAME KEY: migrate refused naming KEY
	"$tiervm" migrate "$1" "$uri" > out 2>&1
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(grep -c '^tiervm: [^[]' out)" -eq 1 ] && grep -q -- "$2" out ||
		{ cat out; fail "migrate $1 gave exit $rc, not one line naming $2"; }
	[ "$(here "$1")" -eq 1 ] && [ "$(there "$1")" -eq 0 ] || fail "$1 moved though refused"
}
"$tiervm" up "$shared" --name ms --engine libvirt > out 2>&1 || { cat out; fail "up ms"; }
refused ms "guest.share-host"
"$tiervm" down ms > /dev/null
(cat "$cxl"; echo 'guest: {share-host: false}') > cxl.yaml
"$tiervm" up cxl.yaml --name mc --engine libvirt > out 2>&1 || { cat out; fail "up mc"; }
refused mc "cxl.devices"
"$tiervm" down mc > /dev/null

# an NVDIMM: a volume of that name tiervm did not make there is refused;
# without it the NVDIMM moves into a volume of its own there, the file
# here is left as it was
(cat "$nvspec"; echo 'guest: {share-host: false}') > nv.yaml
"$tiervm" up nv.yaml --name mn --engine libvirt > out 2>&1 || { cat out; fail "up mn"; }
size=$(stat -c %s nv0.img)
virsh -q -c "$uri" vol-create-as tiervm nvdimm-mn-nv0.img 1M > /dev/null || fail "a volume of the user's there"
refused mn "nvdimm-mn-nv0.img"
virsh -q -c "$uri" vol-list tiervm | grep -q "nvdimm-mn-nv0.img " || fail "the user's volume is gone"
virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-mn-nv0.img > /dev/null
"$tiervm" migrate mn "$uri" --migrate-uri tcp://127.0.0.1 > out 2>&1 || { cat out; fail "migrate mn"; }
grep -q "^verified on arrival:" out || { cat out; fail "the NVDIMM guest not verified there"; }
"$tiervm" exec mn -- test -e /sys/bus/nd/devices/region0 || fail "no NVDIMM region there"
[ "$(stat -c %s nv0.img)" = "$size" ] || fail "the NVDIMM's file here changed size"
"$tiervm" down mn > /dev/null
virsh -q -c "$uri" vol-list tiervm | grep -q "nvdimm-mn-nv0.img " || fail "the NVDIMM's volume there is gone"
echo "migrate: there and back with memory intact, resize refused during and done after, lost destination, share/CXL/NVDIMM refusals, NVDIMM moved"
