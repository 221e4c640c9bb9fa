#!/bin/sh
# A real machine's tree, as hwloc ships it, becomes a spec (`tiervm spec
# --from`), boots, and the guest is compared with the source through
# hwloc's reading of both; the guest's capture fed back to `tiervm spec`
# gives the same spec (memory and kinds the guest cannot show aside); and
# both pictures are drawn.
# usage: spec-boot.sh TIERVM MACHINE_VS_SOURCE TARBALL
set -u
tiervm=$1 compare=$2 tarball=$3
. "$(dirname "$0")/common.sh"
trap 'rm -rf "$work"' EXIT

mkdir "$work/tree"
tar -xjf "$tarball" -C "$work/tree" || { echo "cannot extract $tarball"; exit 1; }
root=$(dirname "$(find "$work/tree" -maxdepth 2 -type d -name sys | head -n 1)")
HWLOC_FSROOT=$root HWLOC_THISSYSTEM=0 lstopo-no-graphics --no-io --of xml \
	> "$work/source.xml" 2>/dev/null || { echo "lstopo cannot read the tree"; exit 1; }

"$tiervm" spec --from "$tarball" --memory 2G --cpus 4 --name machine \
	--picture "$work/source.svg" > "$work/spec.yaml" ||
	{ echo "tiervm spec failed"; exit 1; }
cat "$work/spec.yaml"
"$tiervm" up "$work/spec.yaml" --check --capture "$work/capture.tar.gz" \
	--picture "$work/guest.svg" || { echo "the guest does not verify"; exit 1; }

mkdir "$work/capture"
tar -xzf "$work/capture.tar.gz" -C "$work/capture" || { echo "bad capture"; exit 1; }
"$compare" "$work/source.xml" "$work/capture/lstopo.xml" "$work/spec.yaml" "$root" ||
	{ echo "the guest differs from the source"; exit 1; }

# The round trip: the guest's capture gives the spec it was booted from.
# Specs are compared by what they mean to QEMU (the machine's topology:
# -smp and every -numa), memory sizes aside: HMAT pairs the source left to
# tiervm's defaults are stated in the capture, and mean the same.
"$tiervm" spec --from "$work/capture.tar.gz" --memory 2G --cpus 4 --name machine \
	> "$work/again.yaml" 2>/dev/null || { echo "tiervm spec of the capture failed"; exit 1; }
topology() {
	"$tiervm" plan "$1" --format argv | sed -n '/^-smp$/{n;p};/^-numa$/{n;p}'
}
topology "$work/spec.yaml" > "$work/a" && topology "$work/again.yaml" > "$work/b" ||
	{ echo "cannot plan the specs"; exit 1; }
[ -s "$work/a" ] || { echo "no topology planned"; exit 1; }
diff -u "$work/a" "$work/b" || { cat "$work/again.yaml"; echo "the capture's spec differs from the spec booted"; exit 1; }

for p in source guest; do
	n=$(grep -o 'NUMANode' "$work/$p.svg" | wc -l)
	[ "$n" -gt 0 ] || { echo "the $p picture shows no NUMA node"; exit 1; }
done
echo "source and guest agree; the round trip gives the same spec; pictures drawn"
