#!/bin/sh
# Soft-reserved memory through efi_fake_mem=: tiervm reads a user kernel's
# config, and only a kernel with CONFIG_EFI_FAKE_MEMMAP boots through UEFI
# (OVMF) with the node's range marked EFI_MEMORY_SP; every other kernel gets
# the same range made soft-reserved in its e820 map (memmap=%, 5.5+) or,
# older, the legacy memmap=!, with the reason in the plan.
# No Debian kernel has the option, so the boot part gives Debian's kernel a
# config that claims it: the guest boots through OVMF, ignores the argument,
# and the verification must say the range is not soft-reserved.
# usage: efi-fake-mem.sh TIERVM SPEC
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2
. "$(dirname "$0")/common.sh"
fail() {
	echo "FAILED: $*"
	"$tiervm" down sr-efi > /dev/null 2>&1
	rm -rf "$work"
	exit 1
}
ovmf=
for f in /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd /usr/share/edk2/x64/OVMF.fd; do
	[ -r "$f" ] && ovmf=$f && break
done
[ -n "$ovmf" ] || { echo "SKIP: no OVMF firmware (Debian: ovmf)"; exit 77; }

# the spec, with guest.kernel pointing at KERNEL (and its MODULES)
with_kernel() {
	sed "s|^name: .*|name: sr-efi|" "$spec" > "$work/spec.yaml"
	printf 'guest: {kernel: %s%s}\n' "$1" "${2:+, modules: $2}" >> "$work/spec.yaml"
}
# memmap's SIZE%ADDR for Debian's kernel: the range both ways must agree
range=$("$tiervm" plan "$spec" --format json | sed -n 's/.*memmap=\([0-9]*\)%\(0x[0-9a-f]*\)-1+0xefffffff.*/\1@\2/p')
[ -n "$range" ] || fail "no memmap= range in the plan for Debian's kernel"

# a whole bzImage, as far as tiervm reads one: a setup header naming
# release 6.9.0-efi, its length, and the build's CRC-32 at the end
k=$work/vmlinuz-6.9.0-efi
python3 - "$k" << 'PY' || fail "cannot make a kernel image"
import sys, zlib
img = bytearray(1024 + 16 * 4)
img[0x1f1] = 1                      # one setup sector after the boot sector
img[0x1f4] = 4                      # four 16-byte paragraphs of payload
img[0x202:0x208] = b"HdrS\x0f\x02"
img[0x20e:0x210] = b"\x00\x01"      # the release string at 0x300
rel = b"6.9.0-efi (test) #1 SMP"
img[0x300:0x300 + len(rel)] = rel
crc = zlib.crc32(bytes(img[:-4])) ^ 0xffffffff
img[-4:] = crc.to_bytes(4, "little")
open(sys.argv[1], "wb").write(img)
PY
with_kernel "$k"
# a config that has what the spec needs, the option aside
"$tiervm" kconfig "$spec" > "$work/needs.config" || fail "kconfig"

"$tiervm" plan "$work/spec.yaml" > "$work/out" 2>&1 || { cat "$work/out"; fail "plan, no config"; }
grep -q "cannot tell whether .*CONFIG_EFI_FAKE_MEMMAP" "$work/out" || fail "no 'cannot tell' note"
grep -q "memmap=" "$work/out" || fail "no memmap= without a config"

{ cat "$work/needs.config"; echo "# CONFIG_EFI_FAKE_MEMMAP is not set"; } > "$work/config-6.9.0-efi"
"$tiervm" plan "$work/spec.yaml" > "$work/out" 2>&1 || fail "plan, option off"
grep -q "lacks CONFIG_EFI_FAKE_MEMMAP ($work/config-6.9.0-efi)" "$work/out" || fail "no 'lacks' note"

{ cat "$work/needs.config"; echo "CONFIG_EFI_FAKE_MEMMAP=y"; } > "$work/config-6.9.0-efi"
"$tiervm" plan "$work/spec.yaml" --format argv > "$work/argv" 2>&1 || fail "plan, option on"
cat "$work/argv"
grep -qx -- "-bios" "$work/argv" && grep -qx "$ovmf" "$work/argv" || fail "no -bios $ovmf"
"$tiervm" plan "$work/spec.yaml" > "$work/out" 2>&1
cat "$work/out"
grep -q "efi_fake_mem=${range}:0x40000" "$work/out" || fail "efi_fake_mem= is not at memmap's range $range"
grep -q "memmap=" "$work/out" && fail "memmap= as well as efi_fake_mem="

# boot: Debian's kernel, said to have the option
image=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/tiervm/images/debian-stable-* 2> /dev/null | grep -v lock | head -n 1)
if [ -z "$image" ]; then
	"$tiervm" up "$spec" --check --accel tcg > /dev/null 2>&1
	image=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/tiervm/images/debian-stable-* | grep -v lock | head -n 1)
fi
release=$(cat "$image/kernel-release")
# its package as the image builder unpacked it: its config and modules
pkg=$(dirname "$image")/kernels/linux-image-$release
[ -d "$pkg/lib/modules/$release" ] || fail "no unpacked package at $pkg"
cp "$image/vmlinuz" "$work/vmlinuz-$release"
{ cat "$pkg/boot/config-$release"; echo "CONFIG_EFI_FAKE_MEMMAP=y"; } > "$work/config-$release"
with_kernel "$work/vmlinuz-$release" "$pkg"
"$tiervm" up "$work/spec.yaml" --accel tcg > "$work/up" 2>&1
rc=$?
cat "$work/up"
console=$XDG_RUNTIME_DIR/tiervm/sr-efi/console.log
grep -aq "efi: EFI v" "$console" || fail "the guest did not boot through UEFI"
grep -aq "Unknown kernel command line parameters \".*efi_fake_mem=" "$console" ||
	fail "the kernel did not say it ignored efi_fake_mem="
[ "$rc" -eq 1 ] || fail "exit $rc: a range that is not soft-reserved must fail the check"
grep -q "reserved range .*Soft Reserved .*absent *FAIL" "$work/up" || fail "no failing reserved-range row"
grep -q "node 0 cpus .* ok" "$work/up" || fail "node 0 did not verify"
"$tiervm" down sr-efi > /dev/null || fail "down"
rm -rf "$work"
echo ok
