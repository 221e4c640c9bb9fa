#!/bin/sh
# NVDIMM hot-plug into a running guest: `tiervm attach` checks the new
# device like a spec entry and against the room left (slots, maxmem) before
# touching QEMU or any file; a good one appears in the guest and, in kmem
# mode, onlines as system RAM on its node below DRAM's tier.  Backing files
# are never resized and stay locked while the guest runs.
# usage: attach.sh TIERVM SPECDIR
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$2
. "$(dirname "$0")/common.sh"
cp "$src/hot.yaml" "$work/"
cd "$work" || exit 1
fail() {
	echo "FAILED: $*"
	"$tiervm" down nv-hot > /dev/null 2>&1
	cd / && rm -rf "$work"
	exit 1
}
# attach EXPECTED-RC ARGS...: run, show, check the exit status
attach() {
	want=$1
	shift
	"$tiervm" attach nv-hot nvdimm "$@" > out 2>&1
	rc=$?
	cat out
	[ "$rc" -eq "$want" ] || fail "attach $* gave exit $rc, not $want"
}
devices() { "$tiervm" status nv-hot --json | grep -c '"type": *"nvdimm"'; }

"$tiervm" up hot.yaml --accel tcg > up.out 2>&1 || { cat up.out; fail "up"; }
grep -q "node 1 .*empty until memory is plugged .*note" up.out || fail "node 1 should be empty at boot"

# refused before QMP or any file: the spec's own rules
attach 2 id=nv1 node=1 size=1G path=nv1.img mode=kmem sise=1G
grep -q "nvdimms\[0\].sise: unknown key; did you mean 'size'" out || fail "unknown key message"
attach 2 id=nv1 node=1 size=1000 path=nv1.img
grep -q "size: must be a non-zero multiple of 4K" out || fail "size message"
attach 2 id=nv1 node=5 size=1G path=nv1.img
grep -q "node 5" out || fail "unknown node message"
attach 2 id=nv1 node=1 size=1G path=nv1.img pmem=on
grep -q "pmem: on needs the backing file on DAX storage" out || fail "pmem=on on a plain file"
[ ! -e nv1.img ] || fail "a refused attach created the backing file"
[ "$(devices)" -eq 0 ] || fail "a refused attach reached QEMU"

# an existing file of another size is refused and left as it was
head -c 3000000 /dev/urandom > small.img
before=$(sha256sum small.img)
attach 2 id=nv1 node=1 size=1G path=small.img
grep -q "tiervm never resizes a backing file" out || fail "no resize message"
[ "$(sha256sum small.img)" = "$before" ] || fail "small.img changed"

# kmem: a new 1G NVDIMM becomes system RAM on node 1, below DRAM
attach 0 id=nv1 node=1 size=1G path=nv1.img mode=kmem
grep -q "namespace .* mode devdax, dax.*: ok" out || fail "no devdax namespace"
mib=$(sed -n 's/^node 1: \([0-9]*\) MiB online.*/\1/p' out)
[ -n "$mib" ] && [ "$mib" -ge 800 ] && [ "$mib" -le 1024 ] || fail "node 1 has ${mib:-no} MiB, not about 1G"
grep -q "below DRAM" out || fail "node 1 is not below DRAM's tier"
[ "$(stat -c %s nv1.img)" = $((1024 * 1024 * 1024 + 128 * 1024)) ] || fail "nv1.img size"
flock -n nv1.img true && fail "nv1.img is not locked while the guest runs"

# the same file twice, the same id twice: refused
attach 2 id=nv2 node=1 size=1G path=nv1.img
grep -q "in use by a running guest" out || fail "no in-use message"
attach 2 id=nv1 node=1 size=256M path=nv2.img
grep -q "'nv1' is already a device" out || fail "no duplicate id message"

# raw: a 256M NVDIMM; then the memory room is too small for another
attach 0 id=nv2 node=1 size=256M path=nv2.img
attach 2 id=nv3 node=1 size=1G path=nv3.img
grep -q "machine.hotplug.memory" out || fail "no memory-room message"
[ ! -e nv3.img ] || fail "a refused attach created nv3.img"
attach 0 id=nv3 node=1 size=4M path=nv3.img
attach 2 id=nv4 node=1 size=4M path=nv4.img
grep -q "no free DIMM slot (3 of 3 used)" out || fail "no slot message"
[ "$(devices)" -eq 3 ] || fail "QEMU does not list 3 NVDIMMs"

"$tiervm" down nv-hot || fail "down"
flock -n nv1.img true || fail "nv1.img still locked after down"
[ "$(stat -c %s nv2.img)" = $((256 * 1024 * 1024 + 128 * 1024)) ] || fail "nv2.img size after down"
cd / && rm -rf "$work"
echo ok
