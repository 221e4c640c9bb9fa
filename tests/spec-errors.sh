#!/bin/sh
# `tiervm spec --from` on what is not a machine: one line each, naming what
# is wrong, exit 2, nothing written outside tiervm's own directory, nothing
# overwritten, no unpacked tree left behind.
# usage: spec-errors.sh TIERVM GOOD_TARBALL
set -u
tiervm=$1 good=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
export TMPDIR="$work/tmp"
fail=0

# expect WHAT PATTERN ARGS...: exit 2 and one line matching PATTERN
expect() {
	what=$1 pattern=$2
	shift 2
	"$tiervm" spec "$@" > "$work/out" 2> "$work/err"
	rc=$?
	lines=$(wc -l < "$work/err")
	if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
		echo "FAIL $what: exit $rc, $lines lines:"
		cat "$work/err"
		fail=1
	elif [ -s "$work/out" ]; then
		echo "FAIL $what: a spec on stdout besides the error"
		fail=1
	else
		echo "ok   $what: $(cat "$work/err")"
	fi
	[ -z "$(ls -A "$work/tmp")" ] || { echo "FAIL $what: left $(ls "$work/tmp")"; fail=1; }
}

expect "missing source" "No such file" --from "$work/nothing"
echo "hello" > "$work/text"
expect "text file" "neither an hwloc XML nor a tarball" --from "$work/text"
printf '<topology version="2.0"><object type="Machine">' > "$work/cut.xml"
expect "truncated XML" "cut.xml:1: not XML" --from "$work/cut.xml"
printf '<topology><object type="Machine"/></topology>\n' > "$work/v1.xml"
expect "hwloc 1.x XML" "hwloc 1.x XML" --from "$work/v1.xml"
printf '<topology version="2.0"><object type="Machine" os_index="0"/></topology>\n' > "$work/none.xml"
expect "XML without NUMA nodes" "no NUMA node" --from "$work/none.xml"
printf '<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><topology version="2.0">&c;</topology>\n' > "$work/ent.xml"
expect "XML with entities" "entity reference loop\|no NUMA node" --from "$work/ent.xml"
mkdir "$work/empty"
expect "directory without /sys" "holds no captured /sys" --from "$work/empty"
expect "two sources" "give one" --from-host --from "$good"
expect "too few cpus" "too few" --from "$good" --cpus 1
expect "too little memory" "too little" --from "$good" --memory 256M
expect "bad memory" "memory" --from "$good" --memory lots

# tarballs that would write outside the directory tiervm unpacks into
python3 - "$work" <<'PY'
import io, sys, tarfile
work = sys.argv[1]
def add(t, name, data=b"x", kind=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
with tarfile.open(work + "/dotdot.tar.gz", "w:gz") as t:
    add(t, "m/sys/devices/system/node/node0/meminfo")
    add(t, "m/../../escaped-dotdot")
with tarfile.open(work + "/abs.tar.gz", "w:gz") as t:
    add(t, work + "/escaped-abs")
with tarfile.open(work + "/link.tar.gz", "w:gz") as t:
    add(t, "m/out", kind=tarfile.SYMTYPE, link=work)
    add(t, "m/out/escaped-link")
with tarfile.open(work + "/nosys.tar.gz", "w:gz") as t:
    add(t, "m/proc/meminfo")
PY
expect "tarball with .." "\.\." --from "$work/dotdot.tar.gz"
expect "tarball with an absolute path" "absolute path" --from "$work/abs.tar.gz"
expect "tarball through a symlink" "symlink\|link" --from "$work/link.tar.gz"
expect "tarball without /sys" "holds no captured /sys" --from "$work/nosys.tar.gz"
for f in escaped-dotdot escaped-abs escaped-link; do
	[ -e "$work/$f" ] || [ -e "$(dirname "$work")/$f" ] &&
		{ echo "FAIL: a tarball wrote $f outside tiervm's directory"; fail=1; }
done

# a picture never overwrites
echo "mine" > "$work/mine.svg"
expect "existing picture" "exists" --from "$good" --picture "$work/mine.svg"
[ "$(cat "$work/mine.svg")" = "mine" ] || { echo "FAIL: the picture was overwritten"; fail=1; }
exit $fail
