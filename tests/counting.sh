#!/bin/sh
# Access counting with tiervm's TCG plugin, read back from real boots:
# - QEMU older than 8.2 (Debian 12's 7.2) is refused in one line naming
#   the version, before anything starts;
# - on QEMU 10 (bookworm-backports, unpacked by FETCH), a loop of a known
#   number of stores bound with --membind to each node of the demo puts at
#   least 99 % of the window's user-space stores on that node, within 1 %
#   of the loop's own count; --interleave over two nodes gives each
#   40-60 %; status --watch shows rates while a window is armed; the plot
#   is an SVG with a line per node; up --access-counts -- CMD keeps stdout
#   CMD's own;
# - bad input (a node the guest lacks, a window on a guest not started
#   with counting, a counts file that exists) is one line and exit 2.
# usage: counting.sh TIERVM SPEC STORES_C FETCH
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2 src=$3 fetch=$4
. "$(dirname "$0")/common.sh"
name=count-$$ plain=plain-$$
fail() {
	echo "FAILED: $*"
	"$tiervm" down "$name" > /dev/null 2>&1
	"$tiervm" down "$plain" > /dev/null 2>&1
	cd / && rm -rf "$work"
	exit 1
}
# one_line FILE: the refusal is a single line
one_line() { [ "$(wc -l < "$1")" -eq 1 ] || { cat "$1"; fail "not one line: $2"; }; }
cp "$spec" "$work/spec.yaml"
cd "$work" || exit 1
loop=16777216
cc -O2 -static -o stores "$src" || fail "cannot build the store loop"

# QEMU 7.2 gives plugins wrong physical addresses: refused, not miscounted
qemu=${TIERVM_QEMU:-qemu-system-x86_64}
if "$qemu" -version | grep -q 'version [0-7]\.\|version 8\.[01]\.'; then
	"$tiervm" up spec.yaml --counting --name "$name" > err 2>&1
	rc=$?
	cat err
	[ "$rc" -eq 2 ] || fail "--counting on $("$qemu" -version | head -n 1): exit $rc, not 2"
	one_line err "--counting on an old QEMU"
	grep -q "fixed in 8.2.*qemu-backports.sh" err || fail "the refusal does not say which QEMU counts"
	[ ! -d "$XDG_RUNTIME_DIR/tiervm/$name" ] || fail "a refused up left a runtime dir"
fi
use_fetched_qemu "$fetch" || fail "bookworm-backports' QEMU could not be fetched"
echo "QEMU: $("$TIERVM_QEMU" -version | head -n 1)"

"$tiervm" up spec.yaml --counting --name "$name" > up.out 2>&1 || { cat up.out; fail "up --counting"; }
grep -q "^MATCH" up.out || { cat up.out; fail "the counting guest did not verify"; }
grep "counting:" up.out && fail "the plugin's ranges differ from the guest's nodes"

# check_bound FILE NODE: NODE served >= 99 % of user stores, within 1 % of the loop
check_bound() {
	python3 - "$1" "$2" "$loop" << 'EOF' || fail "membind $2: counts wrong"
import json, sys
d = json.load(open(sys.argv[1]))
node, loop = int(sys.argv[2]), int(sys.argv[3])
user = {n["node"]: n["user_stores"] for n in d["nodes"]}
total = sum(user.values())
mine = user[node]
print(f"node {node}: {mine} of {total} user stores ({100 * mine / total:.2f} %), loop {loop}")
assert mine >= 0.99 * total, "under 99 % of the user stores"
assert abs(mine - loop) <= 0.01 * loop, "not within 1 % of the loop's count"
assert d["seconds"] > 0 and d["nodes"][node]["bytes"] >= 8 * mine
EOF
}
for node in 0 1 2 3; do
	"$tiervm" exec "$name" --membind "$node" --access-counts "bind$node.json" \
		-- ./stores "$loop" > out 2> err || { cat out err; fail "exec --membind $node"; }
	grep -q "^$loop stores$" out || fail "the loop's own output is not exec's stdout"
	grep -q "^  $node .*%" err || { cat err; fail "no per-node table on stderr"; }
	check_bound "bind$node.json" "$node"
done

# interleaving two nodes: each serves 40-60 % of the user stores
"$tiervm" exec "$name" --interleave 0,1 --access-counts inter.json \
	--access-plot inter.svg -- ./stores "$loop" > /dev/null 2> err || { cat err; fail "exec --interleave"; }
python3 - inter.json << 'EOF' || fail "interleave: counts wrong"
import json, sys
d = json.load(open(sys.argv[1]))
user = {n["node"]: n["user_stores"] for n in d["nodes"]}
total = sum(user.values())
for n in (0, 1):
    share = user[n] / total
    print(f"node {n}: {100 * share:.1f} % of the user stores")
    assert 0.4 <= share <= 0.6
EOF
python3 - inter.svg << 'EOF' || fail "the plot is not an SVG with a line per node"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
lines = [e for e in root.iter() if e.tag.endswith("polyline")]
assert len(lines) >= 4, f"{len(lines)} lines"
EOF

# status --watch shows per-node rates while a window is armed
"$tiervm" exec "$name" --membind 1 --access-counts long.json -- ./stores 400000000 > /dev/null 2>&1 &
job=$!
sleep 2
timeout 5 "$tiervm" status "$name" --watch > watch.out 2>&1
wait $job || fail "the long window's command failed"
grep -q "access counting: armed" watch.out || { cat watch.out; fail "status --watch did not show the armed window"; }
grep -A5 "access counting: armed" watch.out | grep -Eq '^1 +[1-9][0-9]{5,}$' ||
	{ cat watch.out; fail "status --watch showed no access rate for node 1"; }

# bad input: one line, exit 125 (exec's own, not the command's), nothing written
"$tiervm" exec "$name" --membind 9 --access-counts nine.json -- ./stores > err 2>&1
[ $? -eq 125 ] || fail "--membind 9: not exit 125"
one_line err "--membind 9"
grep -q "no node 9; its nodes are 0-3" err || { cat err; fail "--membind 9: the line does not name the guest's nodes"; }
[ ! -e nine.json ] || fail "a refused window wrote its file"
"$tiervm" exec "$name" --access-counts inter.json -- true > err 2>&1
[ $? -eq 125 ] || fail "an existing counts file: not exit 125"
one_line err "an existing counts file"
"$tiervm" up spec.yaml --name "$plain" > up2.out 2>&1 || { cat up2.out; fail "up without counting"; }
"$tiervm" exec "$plain" --access-counts plain.json -- true > err 2>&1
[ $? -eq 125 ] || fail "a window on a guest without counting: not exit 125"
one_line err "a window on a guest without counting"
grep -q "not started with counting" err || fail "the refusal does not say why"
"$tiervm" down "$plain" || fail "down $plain"
"$tiervm" down "$name" || fail "down $name"

# one-shot: stdout is CMD's alone, the counts in FILE, CMD's status back
"$tiervm" up spec.yaml --access-counts once.json -- ./stores 1000 > out 2> err
rc=$?
[ "$rc" -eq 0 ] || { cat out err; fail "up --access-counts: exit $rc"; }
[ "$(cat out)" = "1000 stores" ] || { cat out; fail "stdout is not the command's alone"; }
python3 -c 'import json,sys; d=json.load(open("once.json")); assert len(d["nodes"]) == 4 and all(k in d["nodes"][0] for k in ("node","kind","loads","stores","bytes"))' ||
	fail "once.json lacks the documented keys"
pgrep -f "qemu-system.*$work" > /dev/null && fail "a QEMU was left behind"
cd / && rm -rf "$work"
echo ok
