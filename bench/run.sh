#!/bin/sh
# tiervm's benchmarks, printed as numbers (not timed tests: a shared
# machine's noise belongs in a measurement, not in a pass/fail).
#   plan:   a 64-node spec, full HMAT and distances  (target < 20 ms, < 10 MB)
#   host:   tiervm host --json on the largest fixture and a synthetic
#           128-node tree                              (target < 20 ms)
#   spec:   tiervm spec --from the largest fixture tree, beside host's
#           discovery of it                            (target < 20 ms)
#   up:     tiervm up --check on the demo against a bare QEMU boot of the
#           same bzImage and initramfs that powers off at once, each broken
#           into stages (ratio <= 0.6: tiervm boots the kernel uncompressed)
#   nvdimm, cxl: up --check of an NVDIMM kmem and a CXL machine, each
#           against its own bare boot, best of three (ratio <= 0.6)
#   resize: virtio-mem resize as tiervm reports it against QEMU's own event
#           time stamps: tiervm's added delay      (target < 100 ms)
#   exec:   tiervm exec NAME -- true round trip, median of 21 (target < 50 ms),
#           beside a static program's; stdout throughput of 100 MiB
#           through cat (target >= 20 MB/s); up SPEC -- true against
#           up SPEC --check with the same shares (a check alone has none),
#           paired runs                             (ratio <= 1.1)
#   counting: on QEMU 10 (scripts/qemu-backports.sh), up --check of the
#           demo with tiervm's TCG plugin loaded and disarmed against
#           without (ratio <= 1.2; it loads only when asked), and a pointer
#           chase's ns per load in the guest without the plugin, with it
#           disarmed and inside a counting window, and a mixed program
#           (seq | gzip) without the plugin and armed (armed ratio <= 3)
#   latency: machine.emulate-latency on the demo: the chase bound to each
#           node from its HMAT initiator, its latency ratio to the fastest
#           node's beside the HMAT ratio          (within 25 %)
#   warm:   up --check and up -- true of the demo from its snapshot against
#           the same cold, and against the bare boot above, with the
#           restore's stages (warm/cold <= 0.3, warm/bare <= 0.15), on
#           tiervm's engine (QEMU 10) and through libvirt (its QEMU)
#   matrix: tiervm test of examples/matrix/ci.yaml's four cells (two specs x
#           Debian's 6.1 and 6.12 kernels) with --jobs 1 and --jobs 2, run
#           one after the other: wall time of each, and the ratio (two
#           cores, guests of 2 and 4 vCPUs: 0.5 at best; measured 0.72)
# usage: bench/run.sh [BUILD_DIR]   (after scripts/setup.sh)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
tiervm=$(cd "$build" && pwd)/tiervm
work=$(mktemp -d)
XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
trap 'rm -rf "$work"' EXIT
now() { date +%s%N; }
ms() { echo "scale=1; ($2 - $1) / 1000000" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

echo "== plan"
"$build/bench-plan" 50

echo "== host"
tar -xjf tests/fixtures/hosts/128ia64-17n4s2c/128ia64-17n4s2c.tar.bz2 -C "$work"
"$build/bench-host" "$work/128ia64-17n4s2c" 100
"$build/bench-host" --synthetic "$work/synthetic128" 100

echo "== spec"
"$build/bench-spec" "$work/128ia64-17n4s2c" 100

echo "== up"
"$tiervm" up examples/demo.yaml --check --cold --accel tcg > /dev/null 2>&1 # warm the image cache
set --
while IFS= read -r a; do set -- "$@" "$a"; done <<EOT
$("$tiervm" plan examples/demo.yaml --format argv)
EOT
image=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/tiervm/images/debian-stable-* | grep -v lock | head -n 1)
# bare_boot SERIAL QEMU-ARGV...: the bare boot as this bench has always
# defined it (the bzImage, default firmware, -serial none); with a file
# for SERIAL its console is polled for the stages (printing costs time)
bare_boot() {
	serial=$1
	shift
	bt0=$(now)
	"$@" -nodefaults -display none -no-reboot -kernel "$image/vmlinuz" \
		-initrd "$image/initrd.img" -serial "$serial" \
		-append "console=ttyS0 panic=-1 nokaslr rdinit=/bin/busybox -- poweroff -f" > /dev/null 2>&1 &
	bpid=$!
	bk= bi= bp=
	while kill -0 $bpid 2> /dev/null; do
		bt=$(now)
		[ -n "$bk" ] || ! grep -aq "Linux version" "$work/bare.log" 2> /dev/null || bk=$bt
		[ -n "$bi" ] || ! grep -aq "as init process" "$work/bare.log" 2> /dev/null || bi=$bt
		[ -n "$bp" ] || ! grep -aq "reboot: Power down" "$work/bare.log" 2> /dev/null || bp=$bt
		sleep 0.02
	done
	wait $bpid
	bt1=$(now)
	bare=$(ms "$bt0" "$bt1")
	bare_stages="firmware+decompression $(ms "$bt0" "${bk:-$bt1}"), kernel to init $(ms "${bk:-$bt1}" "${bi:-$bt1}"), init to power-off $(ms "${bi:-$bt1}" "${bp:-$bt1}"), power-off $(ms "${bp:-$bt1}" "$bt1")"
	rm -f "$work/bare.log"
}
# up_stages OUT: tiervm's own stage stamps (seconds since its start)
up_stages() {
	stamp() { sed -n "s/^tiervm: \[ *\([0-9.]*\)s\] $1.*/\1/p" "$2" | head -n 1; }
	f=$(stamp firmware "$1") k=$(stamp kernel "$1") n=$(stamp initramfs "$1")
	r=$(stamp report "$1") o=$(stamp "powered off" "$1")
	echo "QEMU start ${f}s, firmware+kernel start $(echo "$k - $f" | bc)s, kernel to init $(echo "$n - $k" | bc)s, init to report $(echo "$r - $n" | bc)s, power-off $(echo "$o - $r" | bc)s"
}
best_up= best_bare=
for i in 1 2 3; do
	t0=$(now)
	"$tiervm" up examples/demo.yaml --check --cold --accel tcg > /dev/null 2> "$work/up.err"
	t1=$(now)
	bare_boot none "$@"
	up=$(ms "$t0" "$t1")
	echo "  run $i: tiervm up --check ${up} ms, bare QEMU boot (bzImage) ${bare} ms"
	echo "    tiervm stages: $(up_stages "$work/up.err")"
	[ -z "$best_up" ] || [ "$(echo "$up < $best_up" | bc)" = 1 ] && best_up=$up
	[ -z "$best_bare" ] || [ "$(echo "$bare < $best_bare" | bc)" = 1 ] && best_bare=$bare
done
echo "  best: up ${best_up} ms, bare ${best_bare} ms, ratio $(ratio $best_up $best_bare) (target <= 0.6)"
bare_boot "file:$work/bare.log" "$@"
echo "  bare boot with its console to a file, ${bare} ms: $bare_stages (ms)"

echo "== nvdimm, cxl: each against its own bare boot"
# spec_vs_bare SPEC LABEL: best of three paired runs of up --check and the bare
# boot of the same machine (its plan's QEMU arguments, the bzImage), both
# with their backing files in the bench's own directory
spec_vs_bare() {
	spec=$1 label=$2 best_u= best_b=
	mkdir -p "$work/bare" && cp "$spec" "$work/bare/spec.yaml"
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <<EOT
$("$tiervm" plan "$work/bare/spec.yaml" --format argv)
EOT
	for run in 1 2 3; do
		# a new backing file each run: an NVDIMM file seen before is
		# left as found, which would skip the provisioning measured
		rm -rf "$work/r" && mkdir "$work/r" && cp "$spec" "$work/r/spec.yaml"
		u0=$(now)
		(cd "$work/r" && "$tiervm" up spec.yaml --check --accel tcg) > "$work/r.out" 2>&1 ||
			cat "$work/r.out"
		u1=$(now)
		bare_boot none "$@"
		u=$(ms "$u0" "$u1")
		[ -z "$best_u" ] || [ "$(echo "$u < $best_u" | bc)" = 1 ] && best_u=$u
		[ -z "$best_b" ] || [ "$(echo "$bare < $best_b" | bc)" = 1 ] && best_b=$bare
	done
	echo "  $label: up --check ${best_u} ms, bare ${best_b} ms, ratio $(ratio $best_u $best_b) (target <= 0.6)"
	echo "    tiervm stages: $(up_stages "$work/r.out")"
	bare_boot "file:$work/bare.log" "$@"
	echo "    bare stages, its console to a file, ${bare} ms: $bare_stages (ms)"
}
spec_vs_bare tests/specs/nvdimm/kmem.yaml "1G NVDIMM kmem node"
spec_vs_bare examples/cxl-type3.yaml "CXL type-3 kmem region"

echo "== resize"
"$tiervm" up examples/virtio-mem.yaml --accel tcg > /dev/null 2>&1
for size in 2G 256M 1G 0; do
	j=$("$tiervm" resize vmem-hotplug vm0 "$size" --json)
	ev=$(echo "$j" | sed -n 's/.*"qemu_event_us": \([0-9]*\).*/\1/p')
	seen=$(echo "$j" | sed -n 's/.*"seen_us": \([0-9]*\).*/\1/p')
	q=$(echo "$j" | sed -n 's/.*"qemu_s": \([0-9.]*\).*/\1/p')
	g=$(echo "$j" | sed -n 's/.*"guest_s": \([0-9.]*\).*/\1/p')
	if [ "${ev:-0}" -gt 0 ]; then
		echo "  -> $size: QEMU ${q} s, guest ${g} s; tiervm saw QEMU's size $(( (seen - ev) / 1000 )) ms after QEMU's event stamp (target < 100 ms)"
	else
		echo "  -> $size: QEMU ${q} s, guest ${g} s; no size event from QEMU"
	fi
done
"$tiervm" down vmem-hotplug > /dev/null 2>&1

echo "== exec"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
"$tiervm" up examples/demo.yaml --name bench-exec --accel tcg > /dev/null 2>&1
for cmd in true "/bin/busybox true"; do
	for i in $(seq 21); do
		t0=$(now)
		# shellcheck disable=SC2086
		"$tiervm" exec bench-exec -- $cmd
		t1=$(now)
		ms "$t0" "$t1"
	done | median > "$work/median"
	echo "  exec -- $cmd: median $(cat "$work/median") ms (target < 50 ms)"
done
t0=$(now)
bytes=$("$tiervm" exec bench-exec -- sh -c 'head -c 104857600 /dev/zero | cat' | wc -c)
t1=$(now)
echo "  stdout: $bytes bytes in $(ms "$t0" "$t1") ms: $(echo "scale=1; $bytes * 1000 / ($t1 - $t0)" | bc) MB/s (target >= 20)"
"$tiervm" down bench-exec > /dev/null 2>&1
# paired A B LABEL_A LABEL_B: three paired runs of the commands A and B
# (shell words, run with eval), each printed; the best of each in best_a
# and best_b (ms)
paired() {
	best_a= best_b=
	for i in 1 2 3; do
		t0=$(now)
		eval "$1" > /dev/null 2>&1
		t1=$(now)
		eval "$2" > /dev/null 2>&1
		t2=$(now)
		a=$(ms "$t0" "$t1") b=$(ms "$t1" "$t2")
		echo "  run $i: $3 ${a} ms, $4 ${b} ms"
		[ -z "$best_a" ] || [ "$(echo "$a < $best_a" | bc)" = 1 ] && best_a=$a
		[ -z "$best_b" ] || [ "$(echo "$b < $best_b" | bc)" = 1 ] && best_b=$b
	done
	: # the last comparison's status is not the function's (set -e)
}
paired '"$tiervm" up examples/demo.yaml --cold --accel tcg -- true' \
	'"$tiervm" up examples/demo.yaml --cold --check --share "$work" --accel tcg' \
	"up -- true" "up --check (shares on)"
echo "  best: up -- true ${best_a} ms, up --check ${best_b} ms, ratio $(ratio $best_a $best_b) (target <= 1.1)"

echo "== warm: up from a snapshot against the same up cold, and the bare boot"
# warm_stages OUT: a restore's stages as tiervm reports them (ms)
warm_stages() {
	stamp() { sed -n "s/^tiervm: \[ *\([0-9.]*\)s\] $1.*/\1/p" "$2" | head -n 1; }
	q=$(sed -n 's/.*QEMU set up in \([0-9]*\) ms, its state loaded in \([0-9]*\) ms.*/\1 \2/p' "$1")
	v=$(sed -n 's/.*re-verified in \([0-9]*\) ms.*/\1/p' "$1")
	r=$(stamp running "$1") o=$(stamp "powered off" "$1")
	echo "QEMU start ${q% *} ms, state load ${q#* } ms, re-verify ${v} ms, command and power-off $(echo "($o - ${r:-$o}) * 1000" | bc) ms"
}
# warm_vs_cold ENGINE MODE...: each `up MODE` warm against the same cold
warm_vs_cold() {
	engine=$1
	shift
	for mode in "$@"; do
		# the first run of each takes its snapshot
		# shellcheck disable=SC2086
		"$tiervm" up examples/demo.yaml --engine "$engine" --accel tcg $mode > /dev/null 2>&1
		best_w= best_c=
		for i in 1 2 3; do
			t0=$(now)
			# shellcheck disable=SC2086
			"$tiervm" up examples/demo.yaml --engine "$engine" --accel tcg $mode > /dev/null 2> "$work/warm.err"
			t1=$(now)
			# shellcheck disable=SC2086
			"$tiervm" up examples/demo.yaml --engine "$engine" --cold --accel tcg $mode > /dev/null 2>&1
			t2=$(now)
			w=$(ms "$t0" "$t1") c=$(ms "$t1" "$t2")
			echo "  $engine: up $mode run $i: warm ${w} ms ($(warm_stages "$work/warm.err")), cold ${c} ms"
			[ -z "$best_w" ] || [ "$(echo "$w < $best_w" | bc)" = 1 ] && best_w=$w
			[ -z "$best_c" ] || [ "$(echo "$c < $best_c" | bc)" = 1 ] && best_c=$c
		done
		echo "  $engine: best up $mode: warm ${best_w} ms, cold ${best_c} ms: warm/cold $(ratio "$best_w" "$best_c") (target <= 0.3), warm/bare boot $(ratio "$best_w" "$best_bare") (target <= 0.15)"
	done
}
# tiervm's engine needs QEMU 9.0+ (mapped-ram): bookworm-backports' 10.x,
# for warm and cold alike; the bare boot is the one above (Debian's 7.2)
if q10=$(sh scripts/qemu-backports.sh 2> /dev/null); then
	(
		export TIERVM_QEMU="$q10"
		export QEMU_MODULE_DIR="$(dirname "$(dirname "$q10")")/lib/x86_64-linux-gnu/qemu"
		warm_vs_cold qemu --check '-- true'
	)
else
	echo "  bookworm-backports' QEMU cannot be fetched here: no warm starts on tiervm's engine to measure"
fi
# libvirt's save and restore, on the daemon's QEMU (Debian's 7.2 here)
if sh scripts/libvirtd.sh start > /dev/null 2>&1; then
	warm_vs_cold libvirt --check '-- true'
else
	echo "  libvirtd does not start here: no warm starts through libvirt to measure"
fi

echo "== matrix: tiervm test, one cell at a time against two"
"$tiervm" test examples/matrix/ci.yaml --jobs 2 --keep "$work/m0" > /dev/null 2>&1 || true # warm both images
t0=$(now)
"$tiervm" test examples/matrix/ci.yaml --jobs 1 --keep "$work/m1" > "$work/m1.out" 2>&1 || true
t1=$(now)
"$tiervm" test examples/matrix/ci.yaml --jobs 2 --keep "$work/m2" > "$work/m2.out" 2>&1 || true
t2=$(now)
echo "  --jobs 1: $(ms "$t0" "$t1") ms ($(tail -n 1 "$work/m1.out")); --jobs 2: $(ms "$t1" "$t2") ms ($(tail -n 1 "$work/m2.out"))"
echo "  ratio $(ratio "$(ms "$t1" "$t2")" "$(ms "$t0" "$t1")") (0.5 at best on two cores)"

echo "== counting (tiervm's TCG plugin; QEMU 8.2 or later)"
if ! qemu10=$(sh scripts/qemu-backports.sh 2> /dev/null); then
	echo "  skipped: bookworm-backports' QEMU could not be fetched"
	exit 0
fi
TIERVM_QEMU=$qemu10
QEMU_MODULE_DIR=$(dirname "$(dirname "$qemu10")")/lib/x86_64-linux-gnu/qemu
export TIERVM_QEMU QEMU_MODULE_DIR
echo "  $("$qemu10" -version | head -n 1)"
mkdir -p "$work/c"
cc -O2 -static -o "$work/c/chase" tests/workloads/chase.c
cc -O2 -static -o "$work/c/stores" tests/workloads/stores.c
"$tiervm" up examples/demo.yaml --check --accel tcg > /dev/null 2>&1 # warm
paired '"$tiervm" up examples/demo.yaml --check --accel tcg' \
	'"$tiervm" up examples/demo.yaml --check --counting --accel tcg' \
	"up --check" "with the plugin loaded (disarmed)"
echo "  best: boot ${best_a} ms, with the plugin ${best_b} ms, ratio $(ratio $best_b $best_a) (target <= 1.2; without --counting the plugin is not loaded)"
# chase_ns GUEST BYTES [EXEC OPTIONS]: the chase's own ns per load over
# BYTES, best of three; an option --access-counts counts each run
chase_ns() {
	g=$1 bytes=$2
	shift 2
	for i in 1 2 3; do
		rm -f "$work/c/w.json"
		(cd "$work/c" && "$tiervm" exec "$g" "$@" -- ./chase 400000 "$bytes" < /dev/null 2> /dev/null) |
			sed -n 's/^\([0-9.]*\) ns per load.*/\1/p'
	done | sort -n | head -n 1
}
# stores_ns GUEST [EXEC OPTIONS]: ns per store of 2^26 sequential stores,
# from exec's wall time (its ~50 ms round trip included)
stores_ns() {
	g=$1
	shift
	rm -f "$work/c/w.json"
	t0=$(now)
	(cd "$work/c" && "$tiervm" exec "$g" "$@" -- ./stores 67108864 < /dev/null > /dev/null 2>&1)
	t1=$(now)
	echo "scale=1; ($t1 - $t0) / 67108864" | bc
}
# the guests share $work/c, where the chase is, as their working directory
demo=$(pwd)/examples/demo.yaml
(cd "$work/c" && "$tiervm" up "$demo" --name bench-plain --accel tcg > /dev/null 2>&1)
(cd "$work/c" && "$tiervm" up "$demo" --name bench-count --counting --accel tcg > /dev/null 2>&1)
for bytes in 4096 1048576 16777216; do
	plain=$(chase_ns bench-plain "$bytes" --membind 0)
	disarmed=$(chase_ns bench-count "$bytes" --membind 0)
	armed=$(chase_ns bench-count "$bytes" --membind 0 --access-counts w.json)
	echo "  chase over $bytes bytes, ns per load in the guest: no plugin ${plain}, disarmed ${disarmed} ($(ratio $disarmed $plain)x), armed ${armed} ($(ratio $armed $plain)x)"
done
plain=$(stores_ns bench-plain --membind 0)
disarmed=$(stores_ns bench-count --membind 0)
armed=$(stores_ns bench-count --membind 0 --access-counts w.json)
echo "  sequential stores, ns per store: no plugin ${plain}, disarmed ${disarmed} ($(ratio $disarmed $plain)x), armed ${armed} ($(ratio $armed $plain)x, target <= 3)"
# a mixed workload, user space and kernel (pipes, page faults): the armed
# cost a program sees, as a boot's mix would
mixed='seq 1 3000000 | gzip -6 | wc -c'
paired '"$tiervm" exec bench-plain -- sh -c "$mixed" < /dev/null' \
	'"$tiervm" exec bench-count --access-counts "$work/c/m$i.json" -- sh -c "$mixed" < /dev/null' \
	"seq | gzip, no plugin" "armed"
echo "  best: seq | gzip ${best_a} ms, armed ${best_b} ms, ratio $(ratio $best_b $best_a) (target <= 3)"
"$tiervm" down bench-plain > /dev/null 2>&1
"$tiervm" down bench-count > /dev/null 2>&1

echo "== latency (machine.emulate-latency: true on the demo)"
sed 's/^machine: {\(.*\)}/machine: {\1, emulate-latency: true}/' examples/demo.yaml > "$work/c/lat.yaml"
"$tiervm" plan "$work/c/lat.yaml" --format json > "$work/c/lat.json"
(cd "$work/c" && "$tiervm" up lat.yaml --name bench-lat --accel tcg > /dev/null 2>&1)
# per node: its HMAT initiator and latency from the plan, the chase bound
# to it from that initiator's cpus
python3 -c '
import json, sys
for n in json.load(open(sys.argv[1]))["expected"]["nodes"]:
    a = n.get("access0") or {}
    print(n["id"], a.get("initiator", n["id"]), a.get("read_latency", 0))
' "$work/c/lat.json" > "$work/c/nodes"
while read -r node init hmat; do
	echo "$node $init $hmat $(chase_ns bench-lat 1048576 --cpunodebind "$init" --membind "$node")"
done < "$work/c/nodes" > "$work/c/lat.out"
"$tiervm" down bench-lat > /dev/null 2>&1
python3 -c '
import sys
rows = [l.split() for l in open(sys.argv[1])]
rows = [(int(n), int(i), float(h), float(m)) for n, i, h, m in rows if float(h) > 0 and m]
fast = min(rows, key=lambda r: r[2])
print("  node initiator  HMAT ns  measured ns  HMAT ratio  measured ratio  off")
for n, i, h, m in rows:
    hr, mr = h / fast[2], m / fast[3]
    print(f"  {n:<4} {i:<10} {h:<8.0f} {m:<12.1f} {hr:<11.2f} {mr:<15.2f} {100 * (mr - hr) / hr:+.1f} %")
print("  (target: every measured ratio within 25 % of its HMAT ratio)")
' "$work/c/lat.out"
