#!/bin/sh
# Binding guest memory to host memory, planned against a captured host.
# usage: bind.sh TIERVM SPECDIR TARBALL
set -u
tiervm=$1 dir=$2 tarball=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xjf "$tarball" -C "$work"
root=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
fail() { echo "FAILED: $*"; exit 1; }

out=$("$tiervm" plan "$dir/by-kind.yaml" --host-root "$root" --format argv) || fail "by-kind refused"
echo "$out" | grep -qx "memory-backend-ram,id=tiervm-node0,size=1G,host-nodes=0,policy=bind" ||
	fail "explicit host node 0 not bound"
echo "$out" | grep -qx "memory-backend-ram,id=tiervm-node1,size=512M,host-nodes=2,host-nodes=4,policy=bind" ||
	fail "hbm not bound to host nodes 2 and 4"
echo "$out" | grep -qx "memory-backend-ram,id=tiervm-node2,size=512M,host-nodes=6,host-nodes=8-9,policy=interleave" ||
	fail "pmem not interleaved over host nodes 6, 8, 9"
# no HMAT in the spec for the bound hbm node: the host's 10000 MB/s is used
echo "$out" | grep -qx "hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=10000M" ||
	fail "the host's HMAT bandwidth was not given to the guest"

err=$("$tiervm" plan "$dir/missing-kind.yaml" --host-root "$root" 2>&1)
[ $? -eq 2 ] || fail "missing kind not refused with exit 2"
echo "$err"
echo "$err" | grep -q "missing-kind.yaml:6: nodes\[1\].host.kind: the host has no cxl node; it has node0 dram, node1 dram, node2 hbm" ||
	fail "missing kind message"

err=$("$tiervm" plan "$dir/missing-node.yaml" --host-root "$root" 2>&1)
[ $? -eq 2 ] || fail "missing host node not refused with exit 2"
echo "$err"
echo "$err" | grep -q "nodes\[[0-9]\].host.nodes: the host has no node 3" || fail "missing node message"
echo ok
