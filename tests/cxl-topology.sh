#!/bin/sh
# A declared CXL topology boots and the guest shows it: `tiervm up --check`
# verifies, and each ROW (a pattern of the verdict table) is there and ok,
# so that a check cannot pass by being left out.  With QEMU_MIN (8.2) the
# system's QEMU, when older, must refuse the spec in the plan naming that
# version; the boot then runs on bookworm-backports' QEMU, unpacked by FETCH
# (skipped, saying why, only when that cannot be had).
# usage: cxl-topology.sh TIERVM SPEC [--qemu MIN FETCH] ROW...
set -u
tiervm=$1 spec=$2
shift 2
. "$(dirname "$0")/common.sh"
if [ "${1:-}" = --qemu ]; then
	min=$2 fetch=$3
	shift 3
	qemu=${TIERVM_QEMU:-qemu-system-x86_64}
	have=$("$qemu" -version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
	if [ "$(printf '%s\n%s\n' "$min" "$have" | sort -V | head -n 1)" != "$min" ]; then
		"$tiervm" plan "$spec" > "$work/out" 2>&1
		rc=$?
		cat "$work/out"
		[ "$rc" -eq 2 ] || fail "plan gave exit $rc on QEMU $have"
		grep -q "QEMU $min" "$work/out" || fail "no message naming QEMU $min"
		if ! use_fetched_qemu "$fetch"; then
			rm -rf "$work"
			echo "SKIP: QEMU $have is installed and bookworm-backports' QEMU could not be fetched (the plan's refusal was checked)"
			exit 77
		fi
	fi
fi
"$tiervm" up "$spec" --check --accel tcg > "$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail "the guest did not verify (exit $rc)"
for row in "$@"; do
	grep -q "^$row.* ok$" "$work/out" || fail "no row '$row' verified ok"
done
rm -rf "$work"
echo ok
