#!/bin/sh
# `tiervm spec --from-host`: this host's own shape as a spec, which plans
# and which QEMU accepts; --kernel is written as given, quotes and all.
# usage: spec-from-host.sh TIERVM QEMU_ACCEPTS
set -u
tiervm=$1 accepts=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tiervm" spec --from-host > "$work/host.yaml" || { echo "spec --from-host failed"; exit 1; }
nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)
got=$(grep -c '^  - id:' "$work/host.yaml")
[ "$got" -eq "$nodes" ] || { cat "$work/host.yaml"; echo "$got nodes in the spec, $nodes on this host"; exit 1; }
sh "$accepts" "$tiervm" "$work/host.yaml" > "$work/qemu.out" 2>&1 ||
	{ cat "$work/host.yaml" "$work/qemu.out"; echo "QEMU refuses this host's spec"; exit 1; }
"$tiervm" spec --kernel "$work/it's mine" > "$work/k.yaml" || exit 1
# the kernel the spec names, refused before anything boots
XDG_RUNTIME_DIR=$work timeout 120 "$tiervm" up "$work/k.yaml" --check > "$work/up.out" 2>&1
grep -q "guest.kernel: $work/it's mine: no such file or directory" "$work/up.out" ||
	{ cat "$work/k.yaml" "$work/up.out"; echo "--kernel did not reach the spec"; exit 1; }
echo "this host: $nodes nodes; QEMU accepts its spec"
