#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's test-matrix example, run verbatim (the indented command of
# "Test matrices for CI") in a directory laid out as the repository's top:
# four cells pass, and the JUnit and JSON files it writes say so.
# usage: readme-matrix.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
. "$(dirname "$0")/common.sh"
sed -n '/^## Test matrices for CI/,/^## /p' "$src/README.md" | sed -n '/^    /{s/^    //;p}' > "$work/cmds"
[ "$(wc -l < "$work/cmds")" -eq 1 ] || fail "not one command in the README's test-matrix section"
ln -s "$build" "$work/build" && ln -s "$src/examples" "$work/examples" || fail "cannot lay out $work"
cmd=$(cat "$work/cmds")
echo "README: $cmd"
(cd "$work" && sh -c "$cmd") < /dev/null > "$work/out" 2>&1
rc=$?
cat "$work/out"
if grep -q "building the guest image failed" "$work"/tiervm-test-*/*/tiervm.log; then
	echo "SKIP: Debian's backports kernel cannot be fetched on this machine"
	exit 77
fi
[ "$rc" -eq 0 ] || fail "exit $rc"
grep -q '^4 passed, 0 failed, 0 skipped$' "$work/out" || fail "not four cells passed"
grep -q '^available: 8 nodes' "$work"/tiervm-test-*/*-knl-snc4-debian-backports-*/output ||
	fail "numactl in the KNL guest on 6.12 did not show 8 nodes"
/usr/bin/python3 - "$work" << 'PY' || fail "matrix.xml or matrix.json"
import json, sys
from junitparser import JUnitXml
suite = list(JUnitXml.fromfile(sys.argv[1] + "/matrix.xml"))[0]
assert suite.tests == 4 and suite.failures == 0 and suite.skipped == 0, suite
assert {c.classname for c in suite} == {"demo", "knl-snc4"}
d = json.load(open(sys.argv[1] + "/matrix.json"))
assert d["passed"] == 4 and all(c["verdict"] == "MATCH" for c in d["cells"]), d
PY
echo ok
rm -rf "$work"
