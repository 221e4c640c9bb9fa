#!/bin/sh
# virtio-mem at run time on a real guest: grow, shrink, refuse bad sizes,
# survive QEMU being killed mid-resize, and leave nothing behind after down.
# usage: vmem.sh TIERVM SPEC
set -u
tiervm=$1 spec=$2
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR
name=vmem-hotplug
fail() {
	echo "FAILED: $*"
	"$tiervm" down "$name" > /dev/null 2>&1
	rm -rf "$XDG_RUNTIME_DIR"
	exit 1
}

"$tiervm" up "$spec" --accel tcg || fail "up"
node_mib() {
	"$tiervm" status "$name" | awk -v n="$1" '$1 == n && NF == 7 && $2 != "virtio-mem" { print $3 }'
}
[ "$(node_mib 1)" = 512 ] || fail "node 1 should start with 512 MiB, has $(node_mib 1)"

for size in 2G:2048 256M:256 0:0; do
	s=${size%:*} mib=${size#*:}
	out=$("$tiervm" resize "$name" vm0 "$s") || fail "resize to $s: $out"
	echo "$out"
	echo "$out" | grep -q "guest node 1 ($mib MiB)" || fail "resize $s did not reach $mib MiB"
	got=$(node_mib 1)
	# a node left without memory goes offline and leaves the list
	[ "$got" = "$mib" ] || { [ "$mib" = 0 ] && [ -z "$got" ]; } ||
		fail "status shows '$got' MiB on node 1 after resize to $s"
	"$tiervm" status "$name" | grep -Eq "^vm0 +virtio-mem +1 +$s +$s +2G " ||
		fail "status does not show vm0 at size and requested $s"
done

# refused before QMP: exit 2 and a message naming the rule
for bad in "3M:must be a multiple of block-size (2097152 bytes)" \
	"4G:4294967296 is above size (2147483648)" "1X:"; do
	size=${bad%%:*} want=${bad#*:}
	"$tiervm" resize "$name" vm0 "$size" 2> err.$$
	rc=$?
	cat err.$$
	[ "$rc" -eq 2 ] || fail "resize to $size gave exit $rc, expected 2"
	[ -z "$want" ] || grep -qF "vm0: requested size" err.$$ && grep -qF "$want" err.$$ ||
		fail "resize to $size: no message saying '$want'"
	[ "$(wc -l < err.$$)" -eq 1 ] || fail "resize to $size: not one line"
	rm -f err.$$
done
"$tiervm" resize "$name" nosuch 2M 2>&1 | grep -q "is not a virtio-mem device" ||
	fail "unknown device not refused"

# QEMU killed during a resize: a clear error, then down cleans up.  QEMU
# is stopped first so the resize cannot finish before the kill lands.
pid=$(cat "$XDG_RUNTIME_DIR/tiervm/$name/qemu.pid")
kill -STOP "$pid"
("$tiervm" resize "$name" vm0 2G --timeout 30 > out.$$ 2>&1; echo "rc=$?" >> out.$$) &
sleep 0.5
kill -9 "$pid"
wait
cat out.$$
grep -q "rc=1" out.$$ || fail "resize did not fail when QEMU died"
grep -Eq "QEMU (closed|exited)|guest named|probe channel" out.$$ ||
	fail "no clear message when QEMU died"
rm -f out.$$
"$tiervm" down "$name" || fail "down after QEMU died"
[ -d "$XDG_RUNTIME_DIR/tiervm/$name" ] && fail "stale runtime dir after down"
rm -rf "$XDG_RUNTIME_DIR"
echo "ok"
