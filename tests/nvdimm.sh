#!/bin/sh
# NVDIMM data safety on a real guest.  The guest writes a pattern to its
# pmem device and powers off; a second boot reads it back.  Then every
# refusal (another label-size, another size, a file in use by a running
# guest) leaves the backing file's bytes exactly as they were; QEMU maps
# the file checked, not whatever its path names later.
# usage: nvdimm.sh TIERVM SPECDIR
set -u
tiervm=$1 src=$2
. "$(dirname "$0")/common.sh"
cp "$src/persist.yaml" "$src/kmem.yaml" "$work/"
spec=$work/persist.yaml img=$work/nv0.img
fail() {
	echo "FAILED: $*"
	"$tiervm" down nv-persist > /dev/null 2>&1
	"$tiervm" down nv-persist2 > /dev/null 2>&1
	rm -rf "$work"
	exit 1
}
sum() { sha256sum "$img" | cut -d' ' -f1; }

# boot 1: tiervm creates the file (sparse, size + 128K label), guest writes
"$tiervm" up "$spec" --accel tcg > "$work/up1" 2>&1 || { cat "$work/up1"; fail "first up"; }
[ "$(stat -c %s "$img")" = $((256 * 1024 * 1024 + 128 * 1024)) ] || fail "backing file size"
grep -q "label-size=131072" "$img.tiervm" || fail "no record of the label size"
# QEMU maps the file tiervm checked and locked, through the fd it
# inherited, never by its path: the path can name another file by the time
# QEMU would open it, and QEMU's file stays the same
pid=$(cat "$XDG_RUNTIME_DIR/tiervm/nv-persist/qemu.pid")
tr '\0' '\n' < "/proc/$pid/cmdline" | grep -q "mem-path=/proc/self/fd/[0-9]*," ||
	fail "QEMU was given the NVDIMM's path, not the checked fd"
tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qF "$img" && fail "the path reached QEMU"
inode=$(stat -c %i "$img")
mv "$img" "$img.moved" && : > "$img"
grep -q " $inode " "/proc/$pid/maps" || fail "QEMU does not map the checked file (inode $inode)"
rm -f "$img" && mv "$img.moved" "$img"
w=$("$tiervm" probe nv-persist "pmem-write pmem0") || fail "pmem-write: $w"
echo "$w"
c1=$(echo "$w" | sed -n 's/.*"checksum": *"\([0-9a-f]*\)".*/\1/p')
[ -n "$c1" ] || fail "no checksum from the write"

# a second guest may not attach the file while the first runs
sed 's/^name: nv-persist$/name: nv-persist2/' "$spec" > "$work/persist2.yaml"
"$tiervm" up "$work/persist2.yaml" --accel tcg > "$work/up2" 2>&1
rc=$?
cat "$work/up2"
[ "$rc" -eq 2 ] || fail "a second guest on the same file gave exit $rc"
grep -q "is in use by a running guest" "$work/up2" || fail "no in-use message"
"$tiervm" down nv-persist || fail "down"
before=$(sum)

# boot 2: the same file, the data read back intact
"$tiervm" up "$spec" --accel tcg > "$work/up3" 2>&1 || { cat "$work/up3"; fail "second up"; }
r=$("$tiervm" probe nv-persist "pmem-read pmem0") || fail "pmem-read: $r"
echo "$r"
echo "$r" | grep -q "\"checksum\": *\"$c1\"" || fail "data did not survive a power-off"
"$tiervm" down nv-persist || fail "down 2"
before=$(sum)

# refusals: each leaves the file byte for byte as it was
sed 's/size: 256M, path/size: 256M, label-size: 256K, path/' "$spec" > "$work/label.yaml"
"$tiervm" up "$work/label.yaml" --accel tcg > "$work/out" 2>&1
rc=$?; cat "$work/out"
[ "$rc" -eq 2 ] || fail "another label-size gave exit $rc"
grep -q "size + label-size is .*tiervm never resizes a backing file" "$work/out" ||
	fail "no message naming the label-size conflict"
[ "$(sum)" = "$before" ] || fail "the file changed after the label-size refusal"

sed 's/size: 256M, path/size: 128M, path/' "$spec" > "$work/size.yaml"
"$tiervm" up "$work/size.yaml" --accel tcg > "$work/out" 2>&1
rc=$?; cat "$work/out"
[ "$rc" -eq 2 ] || fail "another size gave exit $rc"
grep -q "tiervm never resizes a backing file" "$work/out" || fail "no size message"
[ "$(sum)" = "$before" ] || fail "the file changed after the size refusal"
[ "$(stat -c %s "$img")" = $((256 * 1024 * 1024 + 128 * 1024)) ] || fail "file resized"

# a record from another label-size, same file size: refused by the record
printf 'size=%s\nlabel-size=0\n' $((256 * 1024 * 1024 + 128 * 1024)) > "$img.tiervm"
"$tiervm" up "$spec" --accel tcg > "$work/out" 2>&1
rc=$?; cat "$work/out"
[ "$rc" -eq 2 ] || fail "a record of another label-size gave exit $rc"
grep -q "was made with size .* and label-size 0" "$work/out" || fail "no record message"
[ "$(sum)" = "$before" ] || fail "the file changed after the record refusal"

# kmem: the NVDIMM becomes system RAM on node 1, below DRAM's tier
"$tiervm" up "$work/kmem.yaml" --check --accel tcg > "$work/out" 2>&1
rc=$?; cat "$work/out"
[ "$rc" -eq 0 ] || fail "kmem guest did not verify"
grep -q "node 1 memory tier .*below DRAM's (dax kmem) .* ok" "$work/out" || fail "kmem tier"
rm -rf "$work"
echo ok
