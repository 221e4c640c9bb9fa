#!/bin/sh
# Volatile CXL: a QEMU older than 8.0 has no volatile-memdev, and the plan
# must refuse the spec naming the version it needs.  The boot then runs on
# QEMU 8.0 or later: the system's, TIERVM_QEMU, or bookworm-backports' 10
# unpacked by FETCH beside the system's; the guest, on the backports
# kernel, builds a ram region through sysfs and onlines it as a node below
# DRAM.  Skipped, saying why, only when no such QEMU can be had.
# usage: cxl-volatile.sh TIERVM SPEC FETCH
set -u
tiervm=$1 spec=$2 fetch=$3
. "$(dirname "$0")/common.sh"
qemu_version() { # QEMU -> "MAJOR MINOR"
	"$1" -version | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p'
}
qemu=${TIERVM_QEMU:-qemu-system-x86_64}
set -- $(qemu_version "$qemu")
[ $# -eq 2 ] || fail "cannot read $qemu's version"
if [ "$1" -lt 8 ]; then
	"$tiervm" plan "$spec" > "$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq 2 ] || fail "plan gave exit $rc for volatile CXL on QEMU $1.$2"
	grep -q "cxl.*type: volatile CXL memory needs QEMU 8.0 or later .* the installed QEMU is $1\.$2" "$work/out" ||
		fail "no message naming the QEMU version needed"
	if ! use_fetched_qemu "$fetch"; then
		rm -rf "$work"
		echo "SKIP: QEMU $1.$2 is installed and bookworm-backports' QEMU could not be fetched; the volatile CXL boot needs QEMU 8.0 or later (the plan's refusal was checked)"
		exit 77
	fi
fi
echo "QEMU: $("${TIERVM_QEMU:-qemu-system-x86_64}" -version | head -n 1)"
"$tiervm" up "$spec" --check > "$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail "the volatile CXL guest did not verify (exit $rc)"
grep -q "cxl cxl0 kmem .* ok *ok" "$work/out" || fail "the region was not onlined"
grep -q "cxl cxl0 node [0-9]* memory tier *below DRAM's.* ok" "$work/out" || fail "not below DRAM"
rm -rf "$work"
echo ok
