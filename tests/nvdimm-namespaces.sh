#!/bin/sh
# An NVDIMM of several namespaces on a real guest: made on a new backing
# file (labels initialised, then each namespace in order) and verified one
# row each; the second boot finds them, changes nothing of them (the label
# area and the fsdax and devdax namespaces' data as they were; the kmem one
# is the kernel's memory while it runs); a spec that wants other
# namespaces on that file is told so and the file's labels stay.
# usage: nvdimm-namespaces.sh TIERVM SPEC [ENGINE]
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2 engine=${3:-qemu}
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
cp "$spec" ns.yaml
MiB=1048576

row() { # NAME VERDICT: the verification's row NAME ends in VERDICT
	grep -q "^$1 .* $2\$" out || { cat out; fail "no row '$1 ... $2'"; }
}
"$tiervm" up ns.yaml --check --engine "$engine" > out 2>&1 || { cat out; fail "first up"; }
row "nvdimm nv0 namespace\[0\]  *512M fsdax  *512M fsdax (namespace0.0)" ok
row "nvdimm nv0 namespace\[1\]  *256M devdax  *256M devdax (namespace0.1)" ok
row "nvdimm nv0 namespace\[2\]  *256M kmem  *256M kmem (namespace0.2)" ok
cp nv0.img first.img

"$tiervm" up ns.yaml --check --engine "$engine" > out 2>&1 || { cat out; fail "second up"; }
row "nvdimm nv0 namespace\[2\]  *256M kmem  *256M kmem (namespace0.2)" ok
# the data of each (past the metadata the kernel rewrites at every enable:
# struct pages kept on the device, 10M of the fsdax one, 6M of the devdax)
cmp -i $((10 * MiB)):$((10 * MiB)) -n $((502 * MiB)) nv0.img first.img ||
	fail "the fsdax namespace's data changed"
cmp -i $((518 * MiB)):$((518 * MiB)) -n $((250 * MiB)) nv0.img first.img ||
	fail "the devdax namespace's data changed"
cmp -i $((1024 * MiB)):$((1024 * MiB)) nv0.img first.img || fail "the label area changed"

# another division asked of the same file: reported, not made
sed 's/{size: 512M, mode: fsdax}/{size: 256M, mode: fsdax}/' ns.yaml > other.yaml
"$tiervm" up other.yaml --check --engine "$engine" > out 2>&1 && { cat out; fail "a file divided otherwise passed"; }
row "nvdimm nv0 namespace\[0\]  *256M fsdax  *512M fsdax (namespace0.0)" FAIL
cmp -i $((1024 * MiB)):$((1024 * MiB)) nv0.img first.img || fail "the label area changed"
echo "namespaces: fsdax, devdax and kmem made once, found again, not remade"
rm -rf "$work"
