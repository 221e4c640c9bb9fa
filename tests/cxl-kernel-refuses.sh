#!/bin/sh
# tiervm's CXL rules that are the guest kernel's (QEMU starts such machines):
# the plan refuses each region of SPEC naming it, and booted unchecked the
# guest kernel refuses to make every one of them, so the rules are real.
# usage: cxl-kernel-refuses.sh TIERVM SPEC REGION...
set -u
tiervm=$1 spec=$2
shift 2
. "$(dirname "$0")/common.sh"
"$tiervm" plan "$spec" > /dev/null 2> "$work/plan"
rc=$?
cat "$work/plan"
[ "$rc" -eq 2 ] || fail "the plan gave exit $rc"
i=0
for r in "$@"; do
	grep -q "cxl.regions\[$i\]" "$work/plan" || fail "no refusal of region $r (cxl.regions[$i])"
	i=$((i + 1))
done
[ "$(wc -l < "$work/plan")" -eq $# ] || fail "not one line per region"
# never a guest left running that validation did not vouch for
"$tiervm" up "$spec" --unchecked --accel tcg > "$work/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--unchecked boots only with --check" "$work/out" ||
	fail "up --unchecked without --check gave exit $rc"
"$tiervm" up "$spec" --check --unchecked --accel tcg > "$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 1 ] || fail "the unchecked guest gave exit $rc, not a mismatch"
for r in "$@"; do
	grep -q "^cxl region $r .*no region (cxl create-region failed) *FAIL$" "$work/out" ||
		fail "the guest kernel made region $r"
done
rm -rf "$work"
echo "ok: the guest kernel refuses what tiervm refuses"
