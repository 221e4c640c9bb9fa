#!/bin/sh
# `tiervm plan --format libvirt` means what tiervm's own argv means: the
# domain XML validates (virt-xml-validate), and libvirt's own translation
# of it (virsh domxml-to-native, through a daemon-less embedded driver)
# gives the same nodes, memory, initiators, distances, HMAT figures,
# caches, topology and memory devices as `tiervm plan --format argv`.
# usage: libvirt-argv.sh TIERVM ARGV_FACTS SPEC
set -u
tiervm=$1 facts=$2 spec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v virsh > /dev/null || { echo "SKIP: libvirt-clients is not installed"; exit 77; }

"$tiervm" plan "$spec" --format libvirt > "$work/domain.xml" || { echo "no domain XML"; exit 1; }
virt-xml-validate "$work/domain.xml" domain || { echo "libvirt's schema refuses the domain"; exit 1; }
"$tiervm" plan "$spec" --format argv > "$work/tiervm.argv" || exit 1

# the embedded driver runs as this user, with qemu.conf of its own
mkdir -p "$work/root/etc"
printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n' > "$work/root/etc/qemu.conf"
timeout 120 virsh -q -c "qemu:///embed?root=$work/root" domxml-to-native qemu-argv \
	"$work/domain.xml" > "$work/libvirt.cmd" 2> "$work/virsh.err" ||
	{ cat "$work/virsh.err"; echo "libvirt cannot translate the domain"; exit 1; }
# one argument per line; the JSON and option values hold no spaces
tr ' ' '\n' < "$work/libvirt.cmd" | sed "s/^'//;s/'$//" > "$work/libvirt.argv"

"$facts" "$work/tiervm.argv" | sort -u > "$work/tiervm.facts"
"$facts" "$work/libvirt.argv" | sort -u > "$work/libvirt.facts"
[ -s "$work/tiervm.facts" ] || { echo "no facts in tiervm's argv"; exit 1; }
diff -u "$work/tiervm.facts" "$work/libvirt.facts" ||
	{ echo "libvirt's QEMU arguments differ from tiervm's"; exit 1; }
echo "$(wc -l < "$work/tiervm.facts") facts the same in tiervm's argv and libvirt's"
