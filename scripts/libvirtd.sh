#!/bin/sh
# Starts (or stops) the libvirtd the libvirt engine's tests use, on a
# machine without systemd: QEMU run as root with files tiervm owns
# (dynamic_ownership and remember_owner off), its output to plain files
# (no virtlogd), the daemon by its pid file.
# usage: scripts/libvirtd.sh start|stop
set -eu
pidfile=/run/tiervm-libvirtd.pid
conf=/etc/libvirt/qemu.conf
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

case "${1:-}" in
start)
	command -v libvirtd > /dev/null || { echo "libvirtd is not installed (scripts/setup.sh)"; exit 1; }
	if ! grep -q '^# tiervm$' "$conf" 2> /dev/null; then
		printf '%s\n' '# tiervm' 'user = "root"' 'group = "root"' \
			'stdio_handler = "file"' 'dynamic_ownership = 0' \
			'remember_owner = 0' | $sudo tee -a "$conf" > /dev/null
	fi
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2> /dev/null; then
		exit 0
	fi
	$sudo mkdir -p /run/libvirt
	$sudo libvirtd -d -p "$pidfile"
	for _ in $(seq 100); do
		[ -S /run/libvirt/libvirt-sock ] && exit 0
		sleep 0.1
	done
	echo "libvirtd did not open /run/libvirt/libvirt-sock"
	exit 1
	;;
stop)
	[ -f "$pidfile" ] || exit 0
	$sudo kill "$(cat "$pidfile")" 2> /dev/null || true
	$sudo rm -f "$pidfile"
	;;
*)
	echo "usage: $0 start|stop"
	exit 2
	;;
esac
