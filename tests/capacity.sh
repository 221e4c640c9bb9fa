#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Memory the host cannot give is refused before QEMU runs, one line naming
# the key: on this host (sizes from its own /proc/meminfo, whatever its
# overcommit mode), and on a captured host tree given each mode in turn.
# usage: capacity.sh TIERVM FIXTURE.tar.bz2
set -u
tiervm=$1 fixture=$2
. "$(dirname "$0")/common.sh"
trap 'rm -rf "$work"' EXIT

spec() { # FILE NODE-LINES...
	f=$1
	shift
	printf 'name: cap\nmachine: {cpus: 2}\nnodes:\n' > "$f"
	for n in "$@"; do printf '  - %s\n' "$n" >> "$f"; done
}
# refused WHAT PATTERN CMD...: exit 2 and one line matching PATTERN
refused() {
	what=$1 pattern=$2
	shift 2
	"$@" > "$work/out" 2>&1
	rc=$?
	cat "$work/out"
	[ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
	[ "$(wc -l < "$work/out")" -eq 1 ] || fail "$what: not one line"
	grep -Eq -- "$pattern" "$work/out" || fail "$what: not /$pattern/"
	echo "ok: $what"
}
accepted() {
	what=$1
	shift
	"$@" > "$work/out" 2>&1 || { cat "$work/out"; fail "$what: refused"; }
	echo "ok: $what"
}
kb() { sed -n "s/^$1: *\\([0-9]*\\) kB/\\1/p" "$2"; }

# this host
ram=$(kb MemTotal /proc/meminfo) swap=$(kb SwapTotal /proc/meminfo)
mode=$(cat /proc/sys/vm/overcommit_memory)
big=$(((ram + swap) / 1048576 + 2))G
spec "$work/big.yaml" "{id: 0, cpus: 0-1, memory: $big}"
case $mode in
0) refused "one node larger than RAM plus swap ($big)" \
	"big\\.yaml:4: nodes\\[0\\]\\.memory: $big is more than this host can map at once: .* \\(vm\\.overcommit_memory=0" \
	"$tiervm" up "$work/big.yaml" --check ;;
1) accepted "overcommit always: $big is planned" "$tiervm" plan "$work/big.yaml" ;;
2) refused "$big against the commit limit" "commit limit leaves \\(vm\\.overcommit_memory=2" \
	"$tiervm" up "$work/big.yaml" --check ;;
esac
pgrep -f "qemu-system.*$XDG_RUNTIME_DIR" > /dev/null && fail "a QEMU was started"
node0=$(kb MemTotal /sys/devices/system/node/node0/meminfo)
if [ -n "$node0" ]; then
	bound=$((node0 / 1048576 + 1))G
	spec "$work/bound.yaml" "{id: 0, cpus: 0-1, memory: $bound, host: {nodes: 0}}"
	refused "$bound bound to host node 0" \
		"bound\\.yaml:4: nodes\\[0\\]\\.memory: $bound bound to host node 0 \\(policy bind\\), which holds" \
		"$tiervm" plan "$work/bound.yaml"
	spec "$work/pref.yaml" "{id: 0, cpus: 0-1, memory: 1G, host: {nodes: 0, policy: preferred}}"
	accepted "1G preferred on host node 0" "$tiervm" plan "$work/pref.yaml"
fi

# a captured host with 8G of RAM, 2G of swap, 6G commit limit, 1G committed
tar -xjf "$fixture" -C "$work"
root=$(find "$work" -mindepth 1 -maxdepth 1 -type d ! -name run | head -n 1)
printf 'MemTotal: 8388608 kB\nSwapTotal: 2097152 kB\nCommitLimit: 6291456 kB\nCommitted_AS: 1048576 kB\n' > "$root/proc/meminfo"
mkdir -p "$root/proc/sys/vm"
spec "$work/one11.yaml" "{id: 0, cpus: 0-1, memory: 11G}"
spec "$work/two6.yaml" "{id: 0, cpus: 0-1, memory: 6G}" "{id: 1, memory: 6G}"
spec "$work/two3.yaml" "{id: 0, cpus: 0-1, memory: 3G}" "{id: 1, memory: 3G}"
echo 0 > "$root/proc/sys/vm/overcommit_memory"
refused "heuristic: 11G in one mapping" "one11\\.yaml:4: nodes\\[0\\]\\.memory: 11G is more than this host can map at once: 8G of RAM and 2G swap" \
	"$tiervm" plan "$work/one11.yaml" --host-root "$root"
refused "heuristic: 12G in all" "two6\\.yaml:[0-9]+: nodes: the guest's memory, 12G in all, is more than this host's 8G of RAM and 2G swap \\(vm\\.overcommit_memory=0\\)" \
	"$tiervm" plan "$work/two6.yaml" --host-root "$root"
accepted "heuristic: 6G in all" "$tiervm" plan "$work/two3.yaml" --host-root "$root"
echo 1 > "$root/proc/sys/vm/overcommit_memory"
accepted "always: 12G in all" "$tiervm" plan "$work/two6.yaml" --host-root "$root"
accepted "always: 11G in one mapping" "$tiervm" plan "$work/one11.yaml" --host-root "$root"
echo 2 > "$root/proc/sys/vm/overcommit_memory"
refused "never: 6G against 5G the commit limit leaves" "two3\\.yaml:[0-9]+: nodes: the guest's 6G of anonymous memory is more than the commit limit leaves \\(vm\\.overcommit_memory=2: CommitLimit 6G, Committed_AS 1G\\)" \
	"$tiervm" plan "$work/two3.yaml" --host-root "$root"
echo ok
