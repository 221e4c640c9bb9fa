#!/bin/sh
# The libvirt engine, through a real libvirtd (scripts/libvirtd.sh): the
# demo and an NVDIMM kmem machine verify as they do on tiervm's own engine;
# a running guest is listed, resized (virtio-mem, libvirt's live update),
# given an NVDIMM (hot-plug), runs commands, and goes down with its
# domain; a libvirt that cannot be reached is one line and exit 1.
# usage: libvirt-engine.sh TIERVM DEMO_SPEC NVDIMM_SPEC
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
demo=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
nvspec=$3
. "$(dirname "$0")/common.sh"
trap '"$tiervm" down lvt > /dev/null 2>&1; cd /; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
virsh -q -c qemu:///system version > /dev/null 2>&1 ||
	fail "libvirtd is not running (scripts/libvirtd.sh start)"
domains() { virsh -q -c qemu:///system list --name | grep -c "^tiervm-$1\$"; }

# unreachable: one line, exit 1, no hang
timeout 60 "$tiervm" up "$demo" --check --engine libvirt \
	--connect 'qemu+unix:///system?socket=/nonexistent/libvirt-sock' > "$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 1 ] || fail "an unreachable libvirt gave exit $rc, not 1"
[ "$(grep -c '^tiervm: [^[]' "$work/out")" -eq 1 ] && grep -q "libvirt at qemu+unix" "$work/out" ||
	fail "an unreachable libvirt is not one line naming it"
"$tiervm" up "$demo" --check --connect qemu:///system > "$work/out" 2>&1
[ $? -eq 2 ] || fail "--connect without --engine libvirt is not refused"

# libvirt without a daemon: the embedded driver, in tiervm's own process
# (a root nobody prepared: tiervm writes its qemu.conf)
"$tiervm" up "$demo" --check --engine libvirt --connect "qemu:///embed?root=$work/embed" \
	> "$work/out" 2>&1 || { cat "$work/out"; fail "the demo on the embedded driver"; }
grep -q "^MATCH" "$work/out" || fail "the demo on the embedded driver does not match"
"$tiervm" up "$demo" --engine libvirt --connect "qemu:///embed?root=$work/embed" > "$work/out" 2>&1
[ $? -eq 2 ] || fail "a lasting guest on the embedded driver is not refused"

# the demo verifies, and its one-shot domain is gone afterwards
"$tiervm" up "$demo" --check --engine libvirt > "$work/out" 2>&1 || { cat "$work/out"; fail "demo"; }
grep -q "^MATCH" "$work/out" || fail "the demo does not match"
grep -q "through libvirt" "$work/out" || fail "the demo did not go through libvirt"
[ "$(virsh -q -c qemu:///system list --name | grep -c '^tiervm-demo')" -eq 0 ] ||
	fail "the demo's domain outlived --check"

# an NVDIMM onlined as system RAM; then one more hot-plugged
cp "$nvspec" "$work/nv.yaml"
cd "$work" || exit 1
"$tiervm" up nv.yaml --engine libvirt --name lvt > out 2>&1 || { cat out; fail "nvdimm kmem"; }
grep -q "^MATCH" out || { cat out; fail "the NVDIMM kmem machine does not match"; }
[ "$(domains lvt)" -eq 1 ] || fail "no domain tiervm-lvt"
"$tiervm" list | grep -q "^lvt " || fail "list does not show lvt"
"$tiervm" attach lvt nvdimm id=nv1 node=1 size=254M label-size=2M path=nv1.img mode=raw > out 2>&1 ||
	{ cat out; fail "attach"; }
[ "$("$tiervm" status lvt --json | grep -c '"type": *"nvdimm"')" -eq 2 ] || fail "status does not show two NVDIMMs"
[ "$(stat -c %s nv1.img)" -eq $((256 << 20)) ] || fail "nv1.img is not 256M"
"$tiervm" exec lvt -- sh -c 'test -e /sys/bus/nd/devices/region1' || fail "the guest has no second NVDIMM region"
"$tiervm" down lvt > out 2>&1 || { cat out; fail "down"; }
[ "$(domains lvt)" -eq 0 ] || fail "the domain outlived down"
"$tiervm" list | grep -q "^lvt " && fail "list still shows lvt"

# virtio-mem resized through libvirt, and commands in the guest
"$tiervm" up "$demo" --engine libvirt --name lvt > out 2>&1 || { cat out; fail "up demo"; }
"$tiervm" resize lvt vm0 1G > out 2>&1 || { cat out; fail "resize"; }
cat out
"$tiervm" status lvt | grep -q "^vm0 .* 1G  *1G " || { "$tiervm" status lvt; fail "status does not show 1G plugged"; }
out=$("$tiervm" exec lvt -- sh -c 'cat /sys/devices/system/node/online; exit 3')
[ $? -eq 3 ] || fail "exec's exit status"
[ "$out" = "0-3" ] || fail "exec saw nodes '$out'"
"$tiervm" down lvt > /dev/null 2>&1 || fail "down"
[ "$(domains lvt)" -eq 0 ] || fail "the domain outlived down"
echo "libvirt engine: demo (daemon and embedded) and NVDIMM kmem verified, attach, resize, exec, down"
