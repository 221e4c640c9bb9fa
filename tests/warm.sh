#!/bin/sh
# Warm starts: the first verified boot of a machine takes its snapshot;
# two later runs at once restore it, both verify and get different random
# bytes and the host's clock; a spec edit takes a new snapshot; a corrupt
# or truncated one is discarded with a note and the boot still verifies;
# NVDIMM and CXL machines boot cold saying why; --cold takes none;
# `tiervm cache clean` removes them.
# On tiervm's engine snapshots need QEMU 9.0+ (mapped-ram):
# bookworm-backports' QEMU 10 is fetched; Debian's 7.2 boots cold without
# a word, which is checked too.  On libvirt (ENGINE libvirt) they are
# libvirt's saved domains, on the daemon's QEMU; a restore keeps the saved
# domain's name, so the second of two runs at once takes a name, and a
# snapshot, of its own, and two later runs at once both restore.
# usage: warm.sh TIERVM DEMO_SPEC NVDIMM_SPEC CXL_SPEC QEMU_BACKPORTS_SH [ENGINE]
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
engine=${6:-qemu}
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
# up SPEC ARGS...: on this test's engine
up() {
	spec=$1
	shift
	"$tiervm" up "$spec" --engine "$engine" "$@"
}
# a name of its own: its snapshots are this test's alone
name=warm$$
sed "s/^name: .*/name: $name/" "$2" > warm.yaml
cp "$3" nv.yaml
cp "$4" cxl.yaml

key_of() { sed -n "s/.*snapshot \([0-9a-f]\{16\}\) taken.*/\1/p" "$1"; }
snapshots() { "$tiervm" cache list --json | /usr/bin/python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)
          if e["kind"] == "snapshot" and e["spec"] == sys.argv[1] and e["engine"] == sys.argv[2]))' "$name" "$engine"; }

# Debian's QEMU 7.2: cold, quietly (docs/choices.md says why)
if [ "$engine" = qemu ] && "${TIERVM_QEMU:-qemu-system-x86_64}" -version | grep -q 'version [0-8]\.'; then
	up warm.yaml -- true > out 2>&1 || { cat out; fail "QEMU 7.2"; }
	grep -q "snapshot" out && { cat out; fail "QEMU 7.2 took or used a snapshot"; }
fi
[ "$engine" = libvirt ] || use_fetched_qemu "$5" ||
	{ echo "SKIP: bookworm-backports' QEMU cannot be fetched here"; exit 77; }

up warm.yaml --cold --check > out 2>&1 || { cat out; fail "--cold"; }
grep -q "snapshot" out && { cat out; fail "--cold took or used a snapshot"; }
[ "$(snapshots)" -eq 0 ] || fail "--cold left a snapshot"

# the first run takes it, after its boot matched
up warm.yaml -- true > out 2>&1 || { cat out; fail "the first warm run"; }
key=$(key_of out)
[ -n "$key" ] || { cat out; fail "no snapshot taken"; }
[ "$(snapshots)" -eq 1 ] || { "$tiervm" cache list; fail "cache list does not show one $engine snapshot of $name"; }
state=$("$tiervm" cache list --json | /usr/bin/python3 -c '
import json, sys
print([e["path"] for e in json.load(sys.stdin) if e["name"] == sys.argv[1]][0])' "$key")/state
[ "$(stat -c %a "$state")" = 600 ] || fail "the state file is not 0600"

# two at once: both verified, each with its own random bytes
two() {
	for i in 1 2; do
		up warm.yaml -- sh -c 'head -c 16 /dev/urandom | od -An -tx1; date +%s' > run$i.out 2> run$i.err &
		eval "pid$i=\$!"
	done
	wait "$pid1" || { cat run1.err; fail "the first of two runs"; }
	wait "$pid2" || { cat run2.err; fail "the second of two runs"; }
}
restored=$key
if [ "$engine" = libvirt ]; then
	two
	cat run1.err run2.err > both.err
	[ "$(grep -c "restored snapshot $key" both.err)" -eq 1 ] && [ -n "$(key_of both.err)" ] ||
		{ cat both.err; fail "not one run restored and the other took a snapshot of its own"; }
	restored='[0-9a-f]*'
fi
two
for i in 1 2; do
	grep -q "restored snapshot $restored" run$i.err && grep -q "^MATCH" run$i.err &&
		grep -q "re-verified" run$i.err || { cat run$i.err; fail "run $i did not start warm and match"; }
	# the host's clock, not the snapshot's
	[ $(($(date +%s) - $(sed -n 2p run$i.out))) -lt 30 ] || fail "run $i's clock is the snapshot's"
done
[ "$(head -n 1 run1.out)" != "$(head -n 1 run2.out)" ] || fail "two restored guests drew the same random bytes"

# from another directory: the same machine, with this run's share
mkdir -p elsewhere && echo "$$" > elsewhere/mark
(cd elsewhere && up ../warm.yaml -- cat mark) > out 2> err || { cat err; fail "a run from another directory"; }
grep -q "restored snapshot" err && [ "$(cat out)" = "$$" ] ||
	{ cat out err; fail "a run from another directory did not restore, or did not see its directory"; }

# an edit is another machine: a new snapshot, the old one not used
sed -i 's/memory: 1G, kind: hbm/memory: 768M, kind: hbm/' warm.yaml
up warm.yaml -- true > out 2>&1 || { cat out; fail "the edited spec"; }
grep -q "restored" out && fail "an edited spec restored a snapshot"
key2=$(key_of out)
[ -n "$key2" ] && [ "$key2" != "$key" ] || { cat out; fail "the edit took no new snapshot"; }

# corrupt, then truncated: discarded with a note, and the boot verifies
state2=$(dirname "$state")/../$key2/state
printf 'tiervm-was-here' | dd of="$state2" bs=1 seek=$(($(stat -c %s "$state2") / 2)) conv=notrunc 2> /dev/null
up warm.yaml -- true > out 2>&1 || { cat out; fail "a corrupt snapshot failed the run"; }
grep -q "snapshot $key2 discarded: .*corrupt.*; booting cold" out && grep -q "^MATCH" out ||
	{ cat out; fail "a corrupt snapshot was not discarded"; }
[ "$(key_of out)" = "$key2" ] || { cat out; fail "no new snapshot after the corrupt one"; }
truncate -s 1M "$state2"
up warm.yaml -- true > out 2>&1 || { cat out; fail "a truncated snapshot failed the run"; }
grep -q "snapshot $key2 discarded: .*truncated" out || { cat out; fail "a truncated snapshot was not discarded"; }

# memory that is the user's, and devices without migration state: cold
up nv.yaml --check > out 2>&1 || { cat out; fail "the NVDIMM spec"; }
grep -q "^tiervm: .*no snapshot: nvdimms: an NVDIMM's memory is your data" out || { cat out; fail "NVDIMM: no reason"; }
grep -q "snapshot .* taken" out && fail "an NVDIMM machine was snapshotted"
"$tiervm" plan cxl.yaml > /dev/null 2>&1 && {
	up cxl.yaml --check > out 2>&1 || { cat out; fail "the CXL spec"; }
	grep -q "^tiervm: .*no snapshot: cxl: QEMU's cxl-type3 devices have no migration state" out ||
		{ cat out; fail "CXL: no reason"; }
}

"$tiervm" cache clean > out 2>&1 || { cat out; fail "cache clean"; }
grep -q "^removed [1-9][0-9]* snapshots" out || { cat out; fail "cache clean removed nothing"; }
[ "$(snapshots)" -eq 0 ] || fail "cache clean left this test's snapshots"
echo "warm ($engine): taken once, restored twice at once (different random bytes), re-keyed on an edit, corrupt and truncated ones discarded, NVDIMM and CXL cold"
rm -rf "$work"
