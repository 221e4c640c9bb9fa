#!/bin/sh
# Kernel tiering seen happening: a workload larger than the DRAM node runs
# through `tiervm exec`; the guest's own counters must show pages demoted
# to the lower tier (and the lower node's memory in use meanwhile), then
# promoted back while the workload keeps them hot.
# usage: tiering.sh TIERVM SPEC WORKLOAD_C
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2 src=$3
. "$(dirname "$0")/common.sh"
cp "$spec" "$work/spec.yaml"
cd "$work" || exit 1
name=tiering-$$
fail() {
	echo "FAILED: $*"
	"$tiervm" down "$name" > /dev/null 2>&1
	cd / && rm -rf "$work"
	exit 1
}
# a field of the status JSON: all-node totals, or a node's
total() { "$tiervm" status "$name" --json | sed -n "s/^  \"$1\": *\([0-9-]*\).*/\1/p"; }
node_free() {
	"$tiervm" status "$name" --json | tr -d ' \n' |
		sed -n "s/.*{\"id\":$1,\"cpus\":\"[^\"]*\",\"memory\":[0-9]*,\"memory_free\":\([0-9]*\).*/\1/p"
}

cc -O2 -o hot "$src" || fail "cannot compile the workload"
"$tiervm" up spec.yaml --name "$name" --accel tcg > up.out 2>&1 || { cat up.out; fail "up"; }
"$tiervm" status "$name"
grep -q '"demotion": true' up.out || "$tiervm" status "$name" | grep -q '"demotion": true' ||
	fail "the guest did not take the demotion knob"
dem0=$(total pgdemote) pro0=$(total pgpromote) free0=$(node_free 1)
echo "before: demoted $dem0, promoted $pro0, node 1 free $free0"
[ -n "$dem0" ] && [ "$dem0" -ge 0 ] || fail "the guest does not count demotions"

# 1100 MiB on a machine whose DRAM node has 1G: the kernel must demote
"$tiervm" exec "$name" -- ./hot 1100 25 > hot.out 2>&1 &
job=$!
while ! grep -q touched hot.out; do
	kill -0 $job 2> /dev/null || { cat hot.out; fail "the workload ended early"; }
	sleep 1
done
free1=$(node_free 1)
echo "while it runs: node 1 free $free1"
wait $job || { cat hot.out; fail "the workload failed"; }
dem1=$(total pgdemote) pro1=$(total pgpromote)
echo "after: demoted $dem1, promoted $pro1"
"$tiervm" status "$name"

[ "$dem1" -gt "$dem0" ] || fail "no page was demoted ($dem0 -> $dem1)"
[ "$free1" -lt $((free0 - 64 * 1024 * 1024)) ] ||
	fail "the lower node's memory in use did not grow ($free0 -> $free1 free)"
[ "$pro1" -gt "$pro0" ] || fail "no page was promoted back ($pro0 -> $pro1)"
"$tiervm" down "$name" || fail "down"
cd / && rm -rf "$work"
