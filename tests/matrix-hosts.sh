#!/bin/sh
# `tiervm test --connect URI`: the libvirt engine's cells spread over this
# host and a second libvirtd (scripts/libvirtd-remote.sh) standing in for
# another; each runs where the table and the JSON say, and passes.
# usage: matrix-hosts.sh TIERVM MATRIX_DIR REMOTE_SCRIPT
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$2" && pwd)
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
uri=$(sh "$3" start) || fail "the second libvirtd: $uri"
virsh -q -c qemu:///system version > /dev/null 2>&1 ||
	fail "libvirtd is not running (scripts/libvirtd.sh start)"

"$tiervm" test "$dir/hosts.yaml" --jobs 1 --connect "$uri" --json r.json --keep rec > table 2>&1
rc=$?
cat table
[ "$rc" -eq 0 ] || fail "exit $rc"
grep -Eq "^1 +two-node.yaml .* libvirt +local +passed +MATCH +0 " table || fail "the first cell did not run here"
grep -Eq "^2 +../../examples/demo.yaml .* libvirt +qemu\+tcp://127.0.0.1:16510/system +passed +MATCH +0 " table ||
	fail "the second cell did not run on $uri"
grep -q '^available: 4 nodes' rec/02-demo-*/output || fail "the remote cell's command did not see the demo's nodes"
/usr/bin/python3 - "$uri" << 'PY' || fail "the JSON's hosts"
import json, sys
cells = json.load(open("r.json"))["cells"]
assert [c["connect"] for c in cells] == [None, sys.argv[1]], cells
PY
echo "matrix: one cell here, one on $uri, both passed"
rm -rf "$work"
