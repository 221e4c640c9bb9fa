#!/bin/sh
# The CXL rules that depend on the installed QEMU or the guest kernel,
# checked when planning: each bad spec gives exit 2 and a line naming the
# key and what is needed, and nothing else.
# usage: cxl-plan-rules.sh TIERVM
set -u
tiervm=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# expect NAME PATTERN: the spec $work/NAME.yaml is refused with PATTERN
expect() {
	"$tiervm" plan "$work/$1.yaml" > /dev/null 2> "$work/err"
	rc=$?
	if [ "$rc" -ne 2 ] || ! grep -q -- "$2" "$work/err"; then
		echo "FAIL $1: exit $rc"
		cat "$work/err"
		failed=1
	else
		echo "ok   $1: $(grep -- "$2" "$work/err")"
	fi
}
head() {
	cat <<EOT
name: bad
machine: {cpus: 2}
nodes:
  - {id: 0, cpus: 0-1, memory: 1G}
EOT
}

# bus numbers: 6 bridges of 4 root ports, each with an 8-port switch, need
# 41 buses a bridge: the sixth does not fit below bus 256
{
	head
	echo "cxl:"
	echo "  host-bridges:"
	for h in 0 1 2 3 4 5; do
		echo "    - {id: hb$h, root-ports: [h${h}r0, h${h}r1, h${h}r2, h${h}r3]}"
	done
	echo "  switches:"
	for h in 0 1 2 3 4 5; do
		for r in 0 1 2 3; do
			echo "    - {id: s$h$r, port: h${h}r$r, downstream-ports: [$(for d in 0 1 2 3 4 5 6 7; do printf 'd%s%s%s%s' $h $r $d "$([ $d -lt 7 ] && echo ', ')"; done)]}"
		done
	done
	echo "  devices: [{id: m0, port: d000, size: 256M}]"
	echo "  windows: [{id: w0, size: 256M, host-bridges: [hb0]}]"
} > "$work/buses.yaml"
expect buses "buses.yaml:[0-9]*: cxl.host-bridges\[5\]: its buses do not fit below bus 256"

# a volatile region on Debian 12's kernel (6.1): ram regions came in 6.3
{
	head
	cat <<EOT
cxl:
  host-bridges: [{id: hb0, root-ports: [rp0]}]
  devices: [{id: m0, port: rp0, size: 256M, type: volatile}]
  windows: [{id: w0, size: 256M, host-bridges: [hb0]}]
  regions: [{id: r0, window: w0, devices: [m0], mode: kmem}]
EOT
} > "$work/kernel.yaml"
expect kernel "kernel.yaml:[0-9]*: cxl.regions\[0\].devices: a volatile CXL region needs guest kernel 6.3 or later"

# more regions through one bridge, switch and device than QEMU has HDM
# decoders: 1 before QEMU 8.2, 4 since
{
	head
	cat <<EOT
cxl:
  host-bridges: [{id: hb0, root-ports: [rp0]}]
  switches: [{id: sw0, port: rp0, downstream-ports: [dp0]}]
  devices: [{id: m0, port: dp0, size: 2G}]
  windows: [{id: w0, size: 4G, host-bridges: [hb0]}]
  regions:
EOT
	for r in 0 1 2 3 4; do
		echo "    - {id: r$r, window: w0, devices: [m0], size: 256M}"
	done
} > "$work/decoders.yaml"
expect decoders "decoders.yaml:[0-9]*: cxl.host-bridges\[0\]: 5 regions pass through it; QEMU [0-9.]* has [14] HDM decoders\{0,1\} per host bridge"
expect decoders "cxl.switches\[0\].id: 5 regions pass through switch 'sw0'"
expect decoders "cxl.devices\[0\].id: 'm0' is in 5 regions"
# figures for a CXL path: a generic port per bridge (QEMU 9.1+), shown by
# guest kernel 6.9+; Debian 12's kernel is 6.1
{
	head
	cat <<EOT
cxl:
  host-bridges: [{id: hb0, root-ports: [rp0]}]
  devices: [{id: m0, port: rp0, size: 256M}]
  windows: [{id: w0, size: 256M, host-bridges: [hb0]}]
  regions: [{id: r0, window: w0, devices: [m0], latency: 200}]
EOT
} > "$work/figures.yaml"
expect figures "figures.yaml:[0-9]*: cxl.regions\[0\].latency: figures for a CXL region show in guest kernel 6.9 or later"
if ! qemu-system-x86_64 -object acpi-generic-port,help > /dev/null 2>&1; then
	expect figures "figures.yaml:[0-9]*: cxl.regions\[0\].latency: figures for a CXL path need ACPI generic ports (acpi-generic-port, QEMU 9.1 or later)"
fi
exit $failed
