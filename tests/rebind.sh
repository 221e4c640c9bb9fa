#!/bin/sh
# `tiervm migrate NAME --rebind` on tiervm's own engine: a running guest's
# memory moved to the host nodes a new spec binds it to, through a second
# QEMU on this host.  This host has one node, so the move shows the
# mechanism (a new QEMU bound as the new plan says, the old one gone, the
# guest's memory and view unchanged, the guest answering, resizing, moving
# again); a captured host shows the binding the same spec plans there.
# What cannot re-bind is refused before anything starts.
# usage: rebind.sh TIERVM MOVING_SPEC SHARED_SPEC FIXTURE_TARBALL
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
moving=$2 shared=$3 tarball=$4
. "$(dirname "$0")/common.sh"
trap '"$tiervm" down rb > /dev/null 2>&1; "$tiervm" down rs > /dev/null 2>&1; cd /; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
cd "$work" || exit 1
dir=$XDG_RUNTIME_DIR/tiervm/rb
sum() { "$tiervm" exec rb -- sha256sum /root/pattern | cut -d' ' -f1; }
qemu_pid() { cat "$dir/qemu.pid"; }
bound() { tr '\0' '\n' < "/proc/$(qemu_pid)/cmdline" | grep -c "id=tiervm-node1,.*host-nodes=0,policy=bind"; }

# the new spec: guest node 1 bound to host node 0, nothing else changed
sed 's/^  - {id: 1, cpus: 1, memory: 512M}$/  - {id: 1, cpus: 1, memory: 512M, host: {nodes: 0}}/' "$moving" > rebound.yaml
grep -q "id: 1, .*host: {nodes: 0}" rebound.yaml || fail "cannot make the re-bound spec from $moving"
"$tiervm" up "$moving" --name rb > out 2>&1 || { cat out; fail "up rb"; }
"$tiervm" exec rb -- numactl --membind=2 dd if=/dev/urandom of=/root/pattern bs=1M count=64 2> /dev/null ||
	fail "the pattern on node 2"
want=$(sum)
[ ${#want} -eq 64 ] || fail "no checksum of the pattern: '$want'"
old=$(qemu_pid)
[ "$(bound)" -eq 0 ] || fail "guest node 1 is bound before the move"

"$tiervm" migrate rb --rebind --spec rebound.yaml > out 2>&1 || { cat out; fail "migrate --rebind"; }
cat out
grep -q "^rb: memory re-bound on this host in [0-9.]* s" out || fail "no line saying it moved"
grep -q "^binding: guest node 1: host nodes 0 (bind)" out || fail "no binding line for guest node 1"
grep -q "^verified on arrival:" out || fail "not verified after the move"
new=$(qemu_pid)
[ "$new" != "$old" ] || fail "the same QEMU runs the guest"
! kill -0 "$old" 2> /dev/null || ps -o stat= -p "$old" | grep -q Z || fail "the old QEMU still runs"
[ "$(bound)" -eq 1 ] || fail "the new QEMU does not bind guest node 1 to host node 0"
[ "$(sum)" = "$want" ] || fail "the pattern changed in the move"
"$tiervm" resize rb vm0 512M > out 2>&1 || { cat out; fail "resize after the move"; }
"$tiervm" status rb | grep -q "^vm0 .* 512M  *512M " || { "$tiervm" status rb; fail "status does not show 512M"; }
ls "$dir" | grep -q '^g[0-9]*-' && fail "a generation's file is left: $(ls "$dir")"

# back as first planned, the resized virtio-mem device kept as it is now
"$tiervm" migrate rb --rebind --spec "$moving" > out 2>&1 || { cat out; fail "the second --rebind"; }
grep -q "^binding: guest node 1:" out && fail "guest node 1 still bound"
[ "$(bound)" -eq 0 ] || fail "the third QEMU binds guest node 1"
[ "$(sum)" = "$want" ] || fail "the pattern changed in the second move"
"$tiervm" status rb | grep -q "^vm0 .* 512M  *512M " || { "$tiervm" status rb; fail "vm0 is not 512M after the second move"; }

# refused before anything starts: exit 2, one line, the same QEMU
refused() { # NAME KEY [ARGS]: --rebind refused naming KEY
	name=$1 key=$2
	shift 2
	pid=$(cat "$XDG_RUNTIME_DIR/tiervm/$name/qemu.pid")
	"$tiervm" migrate "$name" "$@" > out 2>&1
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(grep -c '^tiervm: [^[]' out)" -eq 1 ] && grep -q -- "$key" out ||
		{ cat out; fail "migrate $name $* gave exit $rc, not one line naming $key"; }
	[ "$(cat "$XDG_RUNTIME_DIR/tiervm/$name/qemu.pid")" = "$pid" ] || fail "$name moved though refused"
}
sed 's/^  - {id: 1, cpus: 1, memory: 512M}$/  - {id: 1, cpus: 1, memory: 768M}/' "$moving" > grown.yaml
refused rb "changes what the guest sees" --rebind --spec grown.yaml
refused rb "moves guests of the libvirt engine" qemu:///system
"$tiervm" up "$shared" --name rs > out 2>&1 || { cat out; fail "up rs"; }
refused rs "guest.share-host" --rebind
"$tiervm" down rs > /dev/null
"$tiervm" down rb > /dev/null
pgrep -f "tiervm/rb/" > /dev/null && fail "a QEMU of rb outlived down"

# on a captured host the same specs plan their bindings there
tar -xjf "$tarball" -C "$work" || fail "cannot extract $tarball"
root=$(find "$work" -mindepth 1 -maxdepth 1 -type d ! -name run | head -n 1)
sed 's/kind: cxl, host: {kind: dram}/kind: cxl, host: {kind: pmem}/' "$moving" > to-pmem.yaml
"$tiervm" plan to-pmem.yaml --host-root "$root" --format argv > out || fail "plan on the captured host"
grep -qx "memory-backend-ram,id=tiervm-node2,size=256M,host-nodes=6,host-nodes=8-9,policy=bind" out ||
	{ cat out; fail "guest node 2 not planned onto the captured host's pmem nodes"; }
grep -qx "memory-backend-ram,id=tiervm-node0,size=512M,host-nodes=0-1,policy=bind" out ||
	{ cat out; fail "guest node 0 not planned onto the captured host's dram nodes"; }
echo "rebind: moved twice on this host (pattern intact, resize kept), refusals, the binding planned on a captured host"
