#!/bin/sh
# Real QEMU accepts every example's planned command line: it starts paused
# (-S, no kernel needed), answers QMP, and stays up until told to quit.
# usage: qemu-accepts.sh TIERVM SPEC
set -eu
tiervm=$1 spec=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# NVDIMM backing files this test makes (absent before) are removed after.
created=
for p in $(sed -n 's/.*path: *\([^,}]*\).*/\1/p' "$spec"); do
	[ -e "$p" ] || created="$created $p"
done

"$tiervm" plan "$spec" --format argv > "$work/argv"
set --
while IFS= read -r a; do set -- "$@" "$a"; done < "$work/argv"

printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-status"}' \
	> "$work/qmp.in"
# keep stdin open a moment so QEMU is seen to stay up, then quit
rc=0
(cat "$work/qmp.in"; sleep 2; echo '{"execute":"quit"}') |
	timeout 60 "$@" -S -nodefaults -display none -qmp stdio > "$work/out" 2>&1 ||
	rc=$?
for p in $created; do rm -f "$p" "$p.tiervm"; done
cat "$work/out"
[ "$rc" -eq 0 ] || { echo "QEMU exited with $rc"; exit 1; }
grep -q '"status": "prelaunch"' "$work/out" ||
	{ echo "QEMU did not report a paused machine"; exit 1; }
grep -q '"host-qmp-quit"' "$work/out" ||
	{ echo "QEMU did not stay up until quit"; exit 1; }
