#!/bin/sh
# `tiervm test`: bad matrices refused before anything boots; a 2x2 matrix
# (two specs, Debian's stable and backports kernels) whose command fails
# on purpose in one cell, said alike by the table, the exit status, the
# JUnit file (read by python3-junitparser) and the JSON; a cell the
# installed QEMU cannot run skipped with the plan's reason, and run on
# the second QEMU the matrix names (bookworm-backports' 10.x); ^C stopping
# every running cell and its QEMU; --fail-fast starting nothing after a
# failure.
# usage: matrix.sh TIERVM MATRIX_DIR QEMU_BACKPORTS_SH
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$2" && pwd) fetch=$3
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
py=/usr/bin/python3 # Debian's, with python3-junitparser

# Refused: exit 2, the one line the file expects, no record, no guest
for bad in "$dir"/bad/*.yaml; do
	want=$(sed -n '1s/^# expect: //p' "$bad")
	"$tiervm" test "$bad" > out 2>&1
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l < out)" -eq 1 ] &&
		grep -qF "$(basename "$bad"):$want" out ||
		{ cat out; fail "$(basename "$bad"): exit $rc, not the one line '$want'"; }
	ls -d tiervm-test-* > /dev/null 2>&1 && fail "$(basename "$bad") made a record"
done
pgrep -f "qemu-system.*-m[0-9]+-" > /dev/null && fail "a refused matrix started a QEMU"

# The 2x2 matrix, two cells at once
"$tiervm" test "$dir/ci.yaml" --jobs 2 --junit r.xml --json r.json --keep rec > table 2> progress
rc=$?
cat table progress
if grep -q "building the guest image failed" rec/*/tiervm.log; then
	echo "SKIP: Debian's backports kernel cannot be fetched on this machine"
	exit 77
fi
[ "$rc" -eq 1 ] || fail "a matrix with a failed cell gave exit $rc, not 1"
[ "$(tail -n 1 table)" = "3 passed, 1 failed, 0 skipped" ] || fail "the last line"
grep -Eq '^4 +two-node.yaml +debian-backports +qemu-system-x86_64 +qemu +FAILED +MATCH +exit 1 ' table ||
	fail "the table's row of the failed cell"
[ "$(grep -Ec ' passed +MATCH +0 ' table)" -eq 3 ] || fail "not three passed rows"
grep -q '^4: failed two-node.yaml: the command exited 1$' table || fail "the failure's line"
grep -q '^probe=42$' rec/01-demo-debian-stable-*/output || fail "env: did not reach the command"
[ -s rec/04-two-node-debian-backports-*/console.log ] || fail "no console log kept"
$py - << 'EOF' || fail "the JUnit file"
from junitparser import JUnitXml, Failure
suites = list(JUnitXml.fromfile("r.xml"))
assert len(suites) == 1 and suites[0].tests == 4 and suites[0].failures == 1, suites
cases = {(c.classname, c.name): c for c in suites[0]}
assert len(cases) == 4, cases.keys()
bad = cases[("two-node", "debian-backports/qemu-system-x86_64/qemu")]
assert [(type(r), r.message) for r in bad.result] == [(Failure, "the command exited 1")], bad.result
assert "failing on purpose" in bad.system_out, bad.system_out
for key, c in cases.items():
    if c is not bad:
        assert not c.result and "probe=42" in c.system_out, key
EOF
$py - << 'EOF' || fail "the JSON file"
import json
d = json.load(open("r.json"))
assert (d["passed"], d["failed"], d["skipped"], d["jobs"]) == (3, 1, 0, 2), d
failed = [c for c in d["cells"] if c["result"] == "failed"]
assert len(failed) == 1 and failed[0]["spec_name"] == "two-node", failed
assert failed[0]["kernel"] == "debian-backports" and failed[0]["command_status"] == 1
# two at once: some cell started before another had ended
spans = [(c["started"], c["started"] + c["seconds"]) for c in d["cells"]]
assert any(a[0] < b[0] < a[1] for a in spans for b in spans if a != b), spans
EOF

# A cell the installed QEMU cannot run: skipped, saying why
"$tiervm" test "$dir/skip.yaml" --keep rec2 > table 2>&1
rc=$?
cat table
if "${TIERVM_QEMU:-qemu-system-x86_64}" -version | grep -q 'version [0-7]\.'; then
	[ "$rc" -eq 0 ] || fail "a skipped cell made exit $rc"
	grep -q '^1 passed, 0 failed, 1 skipped$' table || fail "the skip's count"
	grep -q '^1: skipped .*volatile.yaml:9: cxl\[0\].type: volatile CXL memory needs QEMU 8.0' table ||
		fail "the skip's reason"
fi

# The QEMU dimension: the same spec on Debian's QEMU and on backports'
if qemu10=$(sh "$fetch"); then
	printf 'specs: [%s]\nqemu: [qemu-system-x86_64, %s]\n' "$dir/../specs/cxl/volatile.yaml" "$qemu10" > q.yaml
	"$tiervm" test q.yaml --keep rec4 > table 2>&1
	rc=$?
	cat table
	[ "$rc" -eq 0 ] && grep -Eq '^2 .*/qemu-backports/.* passed +MATCH ' table ||
		fail "volatile CXL on QEMU 10 in the matrix: exit $rc"
else
	echo "bookworm-backports' QEMU cannot be fetched here: its cell not run"
fi

# --fail-fast: the first failure, and nothing started after it
"$tiervm" test "$dir/fail-fast.yaml" --jobs 1 --fail-fast --keep rec5 > table 2>&1
rc=$?
cat table
[ "$rc" -eq 1 ] && grep -q '^1: failed two-node.yaml: the command exited 3$' table &&
	grep -q '^2: skipped ../../examples/demo.yaml: not run: a cell failed (--fail-fast)$' table &&
	[ ! -s rec5/02-demo-*/tiervm.log ] || fail "--fail-fast: exit $rc"

# ^C: every running cell stops, with its QEMU
"$tiervm" test "$dir/interrupt.yaml" --jobs 2 --keep rec3 > table 2>&1 &
pid=$!
for _ in $(seq 120); do
	[ "$(grep -l "running sleep" rec3/*/tiervm.log 2> /dev/null | wc -l)" -eq 2 ] && break
	sleep 1
done
# this run's guests: their sockets are in this test's runtime dir
guests="qemu-system.*$XDG_RUNTIME_DIR/tiervm/[^/]*-m[12]-[0-9]*/"
[ "$(pgrep -fc "$guests")" -eq 2 ] || {
	cat table rec3/*/tiervm.log
	kill -INT "$pid"
	wait "$pid"
	fail "not two guests running"
}
kill -INT "$pid"
wait "$pid"
rc=$?
cat table
[ "$rc" -eq 130 ] || fail "an interrupted matrix gave exit $rc, not 130"
sleep 1
pgrep -f "$guests" && fail "a QEMU was left behind"
[ "$(grep -c ': failed .*: interrupted$' table)" -eq 2 ] || fail "the cells do not say they were interrupted"
echo "matrix: refused, 3 passed + 1 failed on purpose, skipped with a reason, interrupted cleanly"
rm -rf "$work"
