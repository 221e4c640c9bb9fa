#!/bin/sh
# The README's counting example, run verbatim: the indented command of its
# "Which tier served each access" section, in a directory laid out as the
# repository's top (build/, scripts/, examples/).  The node it binds to
# must serve the most accesses, and counts.json must hold every node.
# usage: readme-counting.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
. "$(dirname "$0")/common.sh"
cmd=$(sed -n '/^## Which tier served each access/,/^## /p' "$src/README.md" |
	sed -n '/^    /{s/^    //;p}' | sed ':a;/\\$/{N;s/\\\n//;ba}' | head -n 1)
[ -n "$cmd" ] || fail "no command in the README's counting section"
echo "README: $cmd"
ln -s "$build" "$work/build" && ln -s "$src/scripts" "$work/scripts" &&
	ln -s "$src/examples" "$work/examples" || fail "cannot lay out $work"
node=$(echo "$cmd" | sed -n 's/.*--membind \([0-9]*\).*/\1/p')
[ -n "$node" ] || fail "the example binds to no node"
(cd "$work" && sh -c "$cmd") > "$work/out" 2> "$work/err"
rc=$?
cat "$work/out" "$work/err"
[ "$rc" -eq 0 ] || fail "exit $rc"
python3 - "$work/counts.json" "$node" << 'PY' || fail "counts.json does not show node $node serving most"
import json, sys
d = json.load(open(sys.argv[1]))
node = int(sys.argv[2])
acc = {n["node"]: n["accesses"] for n in d["nodes"]}
print(acc)
assert len(acc) == 4 and max(acc, key=acc.get) == node
PY
grep -q "^  $node .*%" "$work/err" || fail "no table on stderr"
rm -rf "$work"
echo ok
