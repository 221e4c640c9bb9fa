#!/bin/sh
# Faults leave nothing behind: a one-shot `up` killed with SIGKILL takes
# its QEMU with it; `down` of a guest whose `up` was killed mid-boot takes
# seconds (ACPI power button, then QEMU's quit), not the 30 s of waiting
# on a probe that cannot answer; two `up`s of one name at one moment: one
# runs, the other exits 2 naming it; `list` sweeps a dead guest's runtime
# dir; QEMU's sockets are this user's alone; an NVDIMM's link swapped after
# tiervm checked it does not change what QEMU maps.
# usage: faults.sh TIERVM SPEC
set -u
tiervm=$1 spec=$2
. "$(dirname "$0")/common.sh"
fail() {
	echo "FAILED: $*"
	for n in f1 f2 f3 f4; do "$tiervm" down $n > /dev/null 2>&1; done
	rm -rf "$work"
	exit 1
}
qemus() { pgrep -fc "qemu-system.*-name $1( |$)"; }

# SIGKILL on up --check, once QEMU runs
"$tiervm" up "$spec" --check --accel tcg --name f1 > "$work/f1.out" 2>&1 &
job=$!
until [ -e "$XDG_RUNTIME_DIR/tiervm/f1/qemu.pid" ]; do sleep 0.2; done
sleep 1
[ "$(qemus f1)" -eq 1 ] || fail "no QEMU for f1 to begin with"
kill -KILL $job
wait $job 2> /dev/null
sleep 1
[ "$(qemus f1)" -eq 0 ] || fail "the QEMU of a killed up --check outlived it"
"$tiervm" list > /dev/null
[ -d "$XDG_RUNTIME_DIR/tiervm/f1" ] && fail "list left f1's dead runtime dir"

# a guest left booting by a killed up: down in seconds.  Killed once up
# has started it (its "firmware" line: QEMU is set up and its sockets made
# private), while the guest boots.
"$tiervm" up "$spec" --accel tcg --name f2 > "$work/f2.out" 2>&1 &
job=$!
until grep -q "firmware:" "$work/f2.out"; do sleep 0.05; done
kill -KILL $job
wait $job 2> /dev/null
[ "$(qemus f2)" -eq 1 ] || fail "a persistent guest should outlive its up"
for s in qmp probe exec0; do
	mode=$(stat -c %a "$XDG_RUNTIME_DIR/tiervm/f2/$s.sock")
	[ "$mode" = 600 ] || fail "$s.sock has mode $mode, not 600"
done
[ "$(stat -c %a "$XDG_RUNTIME_DIR/tiervm/f2")" = 700 ] || fail "runtime dir mode"
t0=$(date +%s)
"$tiervm" down f2 || fail "down f2"
t1=$(date +%s)
echo "down of a guest left booting: $((t1 - t0)) s"
[ $((t1 - t0)) -lt 15 ] || fail "down took $((t1 - t0)) s: it waited on the probe"
[ "$(qemus f2)" -eq 0 ] || fail "f2's QEMU is left after down"

# an NVDIMM behind a symlink: QEMU maps the file tiervm checked and
# locked (through the fd it inherits), whatever the link names afterwards
mkdir "$work/nv"
truncate -s $((16 * 1024 * 1024 + 128 * 1024)) "$work/nv/real.img"
: > "$work/nv/other.img"
ln -s real.img "$work/nv/link.img"
cat > "$work/nv/spec.yaml" << 'EOS'
name: f4
machine: {cpus: 1}
nodes:
  - {id: 0, cpus: 0, memory: 512M}
nvdimms:
  - {id: nv0, size: 16M, path: link.img}
EOS
"$tiervm" up "$work/nv/spec.yaml" --accel tcg > "$work/f4.out" 2>&1 || { cat "$work/f4.out"; fail "up f4"; }
ln -sf other.img "$work/nv/link.img"
pid=$(cat "$XDG_RUNTIME_DIR/tiervm/f4/qemu.pid")
tr '\0' '\n' < "/proc/$pid/cmdline" | grep -q "mem-path=/proc/self/fd/[0-9]*," ||
	fail "QEMU got the NVDIMM's path, not the checked fd"
grep -q " $(stat -c %i "$work/nv/real.img") " "/proc/$pid/maps" ||
	fail "QEMU does not map the file the link named when tiervm checked it"
"$tiervm" down f4 > /dev/null || fail "down f4"

# the same name twice at one moment: one runs, the other says why
"$tiervm" up "$spec" --accel tcg --name f3 > "$work/a.out" 2>&1 &
a=$!
"$tiervm" up "$spec" --accel tcg --name f3 > "$work/b.out" 2>&1 &
b=$!
wait $a
ra=$?
wait $b
rb=$?
echo "exits: $ra $rb"
{ [ "$ra" -eq 0 ] && [ "$rb" -eq 2 ]; } || { [ "$ra" -eq 2 ] && [ "$rb" -eq 0 ]; } ||
	{ cat "$work/a.out" "$work/b.out"; fail "two ups of f3 gave $ra and $rb"; }
grep -h "tiervm: .*'f3'" "$work/a.out" "$work/b.out" | grep -v keeps
[ "$(qemus f3)" -eq 1 ] || fail "f3 should run once"
"$tiervm" down f3 > /dev/null || fail "down f3"
rm -rf "$work"
