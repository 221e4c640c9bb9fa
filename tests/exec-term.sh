#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# exec ends when it should, on the libvirt engine with the host not shared
# (guest.share-host: false): CMD answers at once; SIGTERM (timeout(1), a
# CI runner) goes on to CMD and exec ends with it; an agent that does not
# answer (the guest paused) is one line and exit 1 within exec's wait.
# usage: exec-term.sh TIERVM SPEC
set -u
tiervm=$1 spec=$2
. "$(dirname "$0")/common.sh"
# absolute: some steps run in other directories
tiervm=$(cd "$(dirname "$tiervm")" && pwd)/$(basename "$tiervm")
name=lvterm-$$
cleanup() {
	"$tiervm" down "$name" > /dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
(cat "$spec"; printf 'guest: {share-host: false}\n') > "$work/demo.yaml"
grep -c '^guest:' "$work/demo.yaml" | grep -qx 1 || fail "the spec already has a guest key"
(cd "$work" && "$tiervm" up demo.yaml --name "$name" --engine libvirt > "$work/up" 2>&1) ||
	{ cat "$work/up"; fail "up"; }

out=$(cd / && timeout -s KILL 60 "$tiervm" exec "$name" -- echo hi)
[ "$out" = hi ] || fail "exec echo hi gave '$out'"
echo "ok: exec answers on a guest without shares"

start=$(date +%s)
timeout -s TERM 3 "$tiervm" exec "$name" -- sleep 300 > /dev/null 2>&1
rc=$?
took=$(($(date +%s) - start))
[ "$rc" -eq 124 ] || fail "exec under timeout -s TERM: exit $rc"
[ "$took" -lt 20 ] || fail "exec took $took s to end after SIGTERM"
left=$("$tiervm" exec "$name" -- sh -c 'cat /proc/[0-9]*/comm | grep -x sleep || true') ||
	fail "exec after SIGTERM"
[ -z "$left" ] || fail "CMD still runs in the guest after SIGTERM: $left"
echo "ok: SIGTERM ended exec in $took s, and CMD with it"

virsh -c qemu:///system suspend "tiervm-$name" > /dev/null || fail "virsh suspend"
start=$(date +%s)
timeout -s KILL 120 "$tiervm" exec "$name" -- echo hi > "$work/out" 2>&1
rc=$?
took=$(($(date +%s) - start))
virsh -c qemu:///system resume "tiervm-$name" > /dev/null
cat "$work/out"
[ "$rc" -eq 125 ] || fail "exec on a paused guest: exit $rc, expected 125"
[ "$(wc -l < "$work/out")" -eq 1 ] || fail "not one line"
grep -q "the exec agent of '$name' did not answer within" "$work/out" || fail "no line saying the agent did not answer"
echo "ok: a paused guest's exec ended in $took s with one line"
