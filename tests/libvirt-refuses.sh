#!/bin/sh
# What libvirt cannot say is refused for `plan --format libvirt`: one line
# naming the spec's key, exit 2; the same spec plans for QEMU itself.
# usage: libvirt-refuses.sh TIERVM SPEC KEY [FETCH]
# With FETCH (scripts/qemu-backports.sh) the spec is planned for the QEMU it
# unpacks (skipped, saying why, when it cannot be had).
set -u
tiervm=$1 spec=$2 key=$3 fetch=${4:-}
if [ -n "$fetch" ]; then
	TIERVM_QEMU=$(sh "$fetch") || { echo "SKIP: bookworm-backports' QEMU could not be fetched"; exit 77; }
	QEMU_MODULE_DIR=$(dirname "$(dirname "$TIERVM_QEMU")")/lib/x86_64-linux-gnu/qemu
	export TIERVM_QEMU QEMU_MODULE_DIR
fi
"$tiervm" plan "$spec" > /dev/null || { echo "the spec does not plan for QEMU"; exit 1; }
"$tiervm" plan "$spec" --format libvirt > /dev/null 2> "${TMPDIR:-/tmp}/libvirt-refuses.$$"
rc=$?
msg=$(cat "${TMPDIR:-/tmp}/libvirt-refuses.$$"); rm -f "${TMPDIR:-/tmp}/libvirt-refuses.$$"
echo "$msg"
[ "$rc" -eq 2 ] || { echo "exit $rc, not 2"; exit 1; }
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] || { echo "not one line"; exit 1; }
printf '%s\n' "$msg" | grep -q "^tiervm: $spec:[0-9]*: $key: " || { echo "does not name $key"; exit 1; }
