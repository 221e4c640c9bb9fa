#!/bin/sh
# `tiervm host` on a real machine's /sys captured by hwloc: its JSON against
# the golden file, and its nodes, memory, caches, HMAT figures and kinds
# against hwloc's own reading of the same tree (lstopo with HWLOC_FSROOT).
# TIERVM_REGENERATE=1 rewrites the golden file.
# usage: host-fixture.sh TIERVM HOST_VS_HWLOC TARBALL GOLDEN
set -u
tiervm=$1 oracle=$2 tarball=$3 golden=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xjf "$tarball" -C "$work" || { echo "cannot extract $tarball"; exit 1; }
root=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)

"$tiervm" host --root "$root" --json > "$work/out.json" || { echo "tiervm host failed"; exit 1; }
sed -i "s|$root|ROOT|g" "$work/out.json"
[ -n "${TIERVM_REGENERATE:-}" ] && cp "$work/out.json" "$golden"
diff -u "$golden" "$work/out.json" || { echo "differs from $golden"; exit 1; }

HWLOC_FSROOT=$root HWLOC_THISSYSTEM=0 lstopo-no-graphics --of xml > "$work/lstopo.xml" 2>/dev/null ||
	{ echo "lstopo cannot read the tree"; exit 1; }
"$oracle" "$root" "$work/lstopo.xml"
