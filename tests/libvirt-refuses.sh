#!/bin/sh
# What libvirt cannot say is refused for `plan --format libvirt`: one line
# naming the spec's key, exit 2; the same spec plans for QEMU itself.
# usage: libvirt-refuses.sh TIERVM SPEC KEY
set -u
tiervm=$1 spec=$2 key=$3
"$tiervm" plan "$spec" > /dev/null || { echo "the spec does not plan for QEMU"; exit 1; }
"$tiervm" plan "$spec" --format libvirt > /dev/null 2> "${TMPDIR:-/tmp}/libvirt-refuses.$$"
rc=$?
msg=$(cat "${TMPDIR:-/tmp}/libvirt-refuses.$$"); rm -f "${TMPDIR:-/tmp}/libvirt-refuses.$$"
echo "$msg"
[ "$rc" -eq 2 ] || { echo "exit $rc, not 2"; exit 1; }
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] || { echo "not one line"; exit 1; }
printf '%s\n' "$msg" | grep -q "^tiervm: $spec:[0-9]*: $key: " || { echo "does not name $key"; exit 1; }
