#!/bin/sh
# Tiering seen through the counts: on Linux 6.12 (demotion on, NUMA
# balancing 2) and QEMU 10, a working set re-read from DRAM is served by
# the fast tier; once it went cold and another program filled DRAM, the
# kernel demoted it to the CXL node and the fast-tier share of its
# re-reads falls; read hot again, it is promoted and the share rises.
# Each share is a counting window (exec --access-counts) around a sleep
# while the working set is re-read beside it, user space only.
# usage: counting-tiering.sh TIERVM SPEC REREAD_C HOT_C FETCH
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2 reread=$3 hot=$4 fetch=$5
. "$(dirname "$0")/common.sh"
name=ctier-$$
fail() {
	echo "FAILED: $*"
	[ -f "$work/rr.out" ] && cat "$work/rr.out"
	"$tiervm" down "$name" > /dev/null 2>&1
	cd / && rm -rf "$work"
	exit 1
}
cp "$spec" "$work/spec.yaml"
cd "$work" || exit 1
cc -O2 -o reread "$reread" && cc -O2 -o hot "$hot" || fail "cannot build the workloads"
use_fetched_qemu "$fetch" || fail "bookworm-backports' QEMU could not be fetched"

# window FILE: a 3 s window; prints the user-space fast-tier share (0-1)
window() {
	"$tiervm" exec "$name" --access-counts "$1" -- sleep 3 > /dev/null 2>&1 ||
		fail "window $1"
	python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["user_fast_tier_share"])' "$1"
}
# above A B: A > B + 0.15
above() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]) + 0.15)' "$1" "$2"; }
total() { "$tiervm" status "$name" --json | sed -n "s/^  \"$1\": *\([0-9-]*\).*/\1/p"; }
wait_for() { # WORD: the working set said it
	i=0
	while ! grep -q "$1" rr.out; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "the working set never said $1"
		sleep 0.1
	done
}

"$tiervm" up spec.yaml --counting --name "$name" > up.out 2>&1 || { cat up.out; fail "up"; }
grep -q "node 1 memory tier .* ok" up.out || { cat up.out; fail "the CXL node is not in its tier"; }
"$tiervm" exec "$name" -- ./reread 400 > rr.out 2>&1 &
wait_for ready
a=$(window a.json)
echo "in DRAM: fast-tier share $a"
above "$a" 0.8 || fail "a working set in DRAM has a fast-tier share of $a"

# cold, then DRAM filled by another program: the kernel demotes it
dem0=$(total pgdemote)
touch pause
wait_for paused
"$tiervm" exec "$name" -- ./hot 900 2 > /dev/null || fail "the program filling DRAM failed"
rm pause
wait_for resumed
b=$(window b.json)
dem1=$(total pgdemote) pro1=$(total pgpromote)
echo "demoted: fast-tier share $b ($dem0 -> $dem1 pages demoted)"
[ "$dem1" -gt "$dem0" ] || fail "no page was demoted"
above "$a" "$b" || fail "the share did not fall after demotion ($a -> $b)"

# read hot again: promoted back, the share rises
i=0 c=$b
while ! above "$c" "$b"; do
	i=$((i + 1))
	[ $i -le 20 ] || fail "the share did not rise again after 20 windows ($b -> $c)"
	c=$(window "c$i.json")
	echo "re-read, window $i: fast-tier share $c"
done
pro2=$(total pgpromote)
echo "promoted: fast-tier share $c ($pro1 -> $pro2 pages promoted)"
[ "$pro2" -gt "$pro1" ] || fail "the share rose but no page was promoted"
touch stop
wait
"$tiervm" down "$name" || fail "down"
cd / && rm -rf "$work"
echo ok
