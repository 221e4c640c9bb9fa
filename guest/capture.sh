#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs in the guest: copies the /sys and /proc files tiervm host reads into
# a tree (symlinks kept, as hwloc-gather-topology does) and writes it as a
# gzip tarball to stdout.  usage: tiervm-capture LSTOPO_XML_FILE
set -u
out=/tmp/capture
rm -rf "$out"
mkdir -p "$out/proc" "$out/sys"

copy_file() {
	mkdir -p "$out$(dirname "$1")"
	cat "$1" > "$out$1" 2>/dev/null || rm -f "$out$1"
}

# a directory's plain files, no deeper than $2 levels, symlinks recreated
copy_tree() {
	[ -e "$1" ] || return 0
	find "$1" -maxdepth "$2" \( -type f -o -type l \) 2>/dev/null | while read -r f; do
		case "$f" in
		*/memory[0-9]*|*/hugepages/*|*/power/*|*/uevent|*/numastat|*/vmstat|*/compact|*/modalias) continue ;;
		esac
		if [ -L "$f" ]; then
			mkdir -p "$out$(dirname "$f")"
			ln -sf "$(readlink "$f")" "$out$f"
		else
			copy_file "$f"
		fi
	done
}

for f in /proc/iomem /proc/meminfo /proc/cmdline; do copy_file "$f"; done
copy_tree /sys/devices/system/node 4
copy_tree /sys/devices/virtual/memory_tiering 2
# which socket each cpu is in, for `tiervm spec --from` a capture
for f in /sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id; do
	[ -f "$f" ] && copy_file "$f"
done
for bus in dax nd cxl; do
	copy_tree "/sys/bus/$bus/devices" 1
	# the devices the bus links point at, with their attributes
	for l in /sys/bus/$bus/devices/*; do
		[ -L "$l" ] || continue
		t=$(cd "$l" && pwd -P)
		copy_tree "$t" 2
	done
done
[ -n "${1:-}" ] && [ -f "$1" ] && cp "$1" "$out/lstopo.xml"
[ -n "${1:-}" ] && [ -f "$1.report" ] && cp "$1.report" "$out/tiervm-report.json"
cd "$out" && tar -czf - .
