#!/bin/sh
# Boots a spec under TCG with `tiervm up --check` and checks the outcome.
# usage: boot.sh TIERVM SPEC match|mismatch|timeout|dies [KERNEL [ENGINE]]
# With KERNEL debian-backports the test is skipped (exit 77), saying why,
# when the backports kernel cannot be fetched here.
# Each run gets its own runtime dir; the image cache is shared.  Cold:
# these boots are the verification a snapshot would only replay.
set -u
tiervm=$1 spec=$2 want=$3 kernel=${4:-auto} engine=${5:-qemu}
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
name=$(sed -n 's/^name: *//p' "$spec")
# NVDIMM backing files this test makes (absent before) are removed after
created=
for p in $(sed -n 's/.*path: *\([^,}]*\).*/\1/p' "$spec"); do
	[ -e "$p" ] || created="$created $p"
done
trap 'rm -rf "$XDG_RUNTIME_DIR"; for p in $created; do rm -f "$p" "$p.tiervm"; done' EXIT

case $want in
timeout) extra="--timeout 40" ;;
*) extra= ;;
esac
# shellcheck disable=SC2086
"$tiervm" up "$spec" --check --cold --accel tcg --kernel "$kernel" --engine "$engine" $extra > "$XDG_RUNTIME_DIR/out" 2>&1
rc=$?
cat "$XDG_RUNTIME_DIR/out"
if [ "$kernel" = debian-backports ] && grep -q "building the guest image failed" "$XDG_RUNTIME_DIR/out"; then
	echo "SKIP: Debian's backports kernel cannot be fetched on this machine (see above)"
	exit 77
fi

fail() { echo "FAILED: $*"; exit 1; }
# no QEMU of this guest may be left behind, whatever happened
pgrep -f "qemu-system.*-name $name " > /dev/null && fail "a QEMU process of '$name' is left"
[ -d "$XDG_RUNTIME_DIR/tiervm/$name" ] && fail "runtime dir left behind"
case $want in
match)
	[ "$rc" -eq 0 ] || fail "exit $rc, expected 0"
	grep -q '^MATCH: 0 mismatches' "$XDG_RUNTIME_DIR/out" || fail "no MATCH verdict" ;;
mismatch)
	[ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
	grep -q '^FAIL: ' "$XDG_RUNTIME_DIR/out" || fail "no FAIL verdict" ;;
timeout)
	[ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
	grep -q 'did not report within 40 s: the initramfs stage never arrived' \
		"$XDG_RUNTIME_DIR/out" || fail "no timeout message naming the stage" ;;
dies)
	[ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
	grep -q 'QEMU exited before the guest reported (after the kernel stage' \
		"$XDG_RUNTIME_DIR/out" || fail "no message saying QEMU exited" ;;
esac
echo "ok: $want"
