#!/bin/sh
# `tiervm host --connect URI` reads a host through libvirt's capabilities:
# libvirt's test driver (two cells, cpus 0-7 and 8-15, 2G and 4G), and
# this host through libvirtd, which must agree with tiervm's own reading
# of /sys on nodes, cpus and memory; `plan --connect` binds by that view.
# usage: host-connect.sh TIERVM SPEC_BOUND_TO_HOST_NODE_1
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") bound=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAILED: $*"; exit 1; }
nodes() { sed -n 's/^\([0-9][0-9]*\)  *[a-z-]*  *\([-0-9,]*\)  *\([0-9][0-9]*[KMGT]\).*/\1 \2 \3/p'; }

"$tiervm" host --connect test:///default > out.$$ || fail "host --connect test:///default"
got=$(nodes < out.$$ | tr '\n' ';')
cat out.$$; rm -f out.$$
[ "$got" = "0 0-7 2G;1 8-15 4G;" ] || fail "the test driver's host read as '$got'"

"$tiervm" host --connect qemu:///system | nodes > lv.$$ || fail "host --connect qemu:///system"
"$tiervm" host | nodes > sys.$$
diff lv.$$ sys.$$ || { rm -f lv.$$ sys.$$; fail "libvirt's view of this host differs from /sys"; }
echo "this host through libvirt: $(wc -l < lv.$$) nodes, as /sys has them"
rm -f lv.$$ sys.$$

"$tiervm" plan "$bound" --connect test:///default --format argv | grep -q 'host-nodes=1,policy=bind' ||
	fail "plan --connect did not bind to the test host's node 1"
timeout 60 "$tiervm" host --connect 'qemu+unix:///system?socket=/nonexistent/sock' > out.$$ 2>&1
rc=$?
cat out.$$
[ "$rc" -eq 1 ] && [ "$(wc -l < out.$$)" -eq 1 ] || { rm -f out.$$; fail "an unreachable libvirt: exit $rc"; }
rm -f out.$$
