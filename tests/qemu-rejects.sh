#!/bin/sh
# What tiervm refuses, QEMU refuses too: plan the bad spec with validation
# bypassed (--unchecked) and check real QEMU will not start it.  This keeps
# tiervm's rules honest: each is one QEMU really has.
# usage: qemu-rejects.sh TIERVM BAD_SPEC
set -u
tiervm=$1 spec=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$tiervm" plan "$spec" > /dev/null 2>&1 && { echo "tiervm accepted $spec"; exit 1; }
"$tiervm" plan --unchecked --format argv "$spec" > "$work/argv" ||
	{ echo "tiervm could not plan $spec unchecked"; exit 1; }
set --
while IFS= read -r a; do set -- "$@" "$a"; done < "$work/argv"
timeout 20 "$@" -S -nodefaults -display none -qmp stdio < /dev/null > "$work/out" 2>&1
rc=$?
cat "$work/out"
# 124: still running when timeout ended it, i.e. QEMU accepted the machine
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { echo "QEMU accepted it (exit $rc)"; exit 1; }
grep -q "qemu-system" "$work/out" || { echo "QEMU gave no error"; exit 1; }
echo "ok: QEMU refuses it too"
