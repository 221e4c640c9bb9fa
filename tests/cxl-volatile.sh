#!/bin/sh
# Volatile CXL: a QEMU older than 8.0 has no volatile-memdev, and the plan
# must refuse the spec naming the version it needs.  With QEMU 8.0 or later
# (bookworm-backports has 10; TIERVM_QEMU may name such a binary) the guest,
# on the backports kernel, builds a ram region through sysfs and onlines it
# as a node below DRAM.
# usage: cxl-volatile.sh TIERVM SPEC
set -u
tiervm=$1 spec=$2
. "$(dirname "$0")/common.sh"
fail() {
	echo "FAILED: $*"
	rm -rf "$work"
	exit 1
}
qemu=${TIERVM_QEMU:-qemu-system-x86_64}
version=$("$qemu" -version | sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
set -- $version
[ $# -eq 2 ] || fail "cannot read $qemu's version"
if [ "$1" -lt 8 ]; then
	"$tiervm" plan "$spec" > "$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq 2 ] || fail "plan gave exit $rc for volatile CXL on QEMU $1.$2"
	grep -q "cxl.*type: volatile CXL memory needs QEMU 8.0 or later .* the installed QEMU is $1\.$2" "$work/out" ||
		fail "no message naming the QEMU version needed"
	rm -rf "$work"
	echo "SKIP: QEMU $1.$2 is installed; the volatile CXL boot needs QEMU 8.0 or later (Debian: bookworm-backports' qemu-system-x86, or TIERVM_QEMU=PATH); the plan's refusal was checked"
	exit 77
fi
"$tiervm" up "$spec" --check > "$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail "the volatile CXL guest did not verify (exit $rc)"
grep -q "cxl cxl0 kmem .* ok *ok" "$work/out" || fail "the region was not onlined"
grep -q "cxl cxl0 node [0-9]* memory tier *below DRAM's.* ok" "$work/out" || fail "not below DRAM"
rm -rf "$work"
echo ok
