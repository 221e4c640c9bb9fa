#!/bin/sh
# Starts (or stops) a second libvirtd on this machine that stands in for a
# remote host: its own mount namespace, with its own /run/libvirt,
# /var/lib/libvirt, /etc/libvirt and /var/log/libvirt, and empty /tmp and
# ~/.cache, so it sees none of tiervm's files; its own host_uuid; reached
# over TCP only, as qemu+tcp://127.0.0.1:PORT/system.  Stopped by its pid.
# `kill` is that host dying: the daemon and every process in its
# namespace (its QEMUs) killed at once.  TIERVM_REMOTE_NODES=DIR (start)
# shows that host DIR as its /sys/devices/system/node: a host of another
# NUMA shape for libvirt's capabilities (its guests still run on this
# kernel's nodes).
# usage: scripts/libvirtd-remote.sh start|stop|kill|uri [PORT]  (PORT: 16510)
set -eu
port=${2:-16510}
state=/var/tmp/tiervm-remote-$port
pidfile=$state/libvirtd.pid
uri=qemu+tcp://127.0.0.1:$port/system
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

running() {
	[ -f "$pidfile" ] && $sudo kill -0 "$(cat "$pidfile")" 2> /dev/null
}

case "${1:-}" in
start)
	command -v libvirtd > /dev/null || { echo "libvirtd is not installed (scripts/setup.sh)"; exit 1; }
	command -v unshare > /dev/null || { echo "unshare is not installed (apt-get install util-linux)"; exit 1; }
	if running; then
		echo "$uri"
		exit 0
	fi
	$sudo mkdir -p "$state/run" "$state/lib" "$state/log" "$state/etc"
	# the host's configuration as the starting point, then this host's own
	[ -f "$state/etc/libvirtd.conf" ] || $sudo cp -a /etc/libvirt/. "$state/etc/"
	{
		echo "host_uuid = \"$(cat /proc/sys/kernel/random/uuid)\""
		echo 'listen_tls = 0'
		echo 'listen_tcp = 1'
		echo 'listen_addr = "127.0.0.1"'
		echo "tcp_port = \"$port\""
		echo 'auth_tcp = "none"'
		echo 'unix_sock_dir = "/run/libvirt"'
	} | $sudo tee "$state/etc/libvirtd.conf" > /dev/null
	printf '%s\n' 'user = "root"' 'group = "root"' \
		'stdio_handler = "file"' 'dynamic_ownership = 0' \
		'remember_owner = 0' | $sudo tee "$state/etc/qemu.conf" > /dev/null
	$sudo mkdir -p "$state/lib/images" "$state/lib/qemu" "$state/run/qemu"
	# shellcheck disable=SC2016
	$sudo unshare -m sh -c '
		set -e
		s=$1
		mount --make-rprivate /
		[ -z "$2" ] || mount --bind "$2" /sys/devices/system/node
		mount --bind "$s/run" /run/libvirt
		mount --bind "$s/lib" /var/lib/libvirt
		mount --bind "$s/etc" /etc/libvirt
		mount --bind "$s/log" /var/log/libvirt
		mount -t tmpfs tmpfs /tmp
		[ ! -d "$HOME/.cache" ] || mount -t tmpfs tmpfs "$HOME/.cache"
		exec libvirtd -d --listen -p "$s/libvirtd.pid"
	' sh "$state" "${TIERVM_REMOTE_NODES:-}"
	for _ in $(seq 100); do
		if running && virsh -q -c "$uri" uri > /dev/null 2>&1; then
			echo "$uri"
			exit 0
		fi
		sleep 0.1
	done
	echo "the second libvirtd did not answer on $uri (see $state/log)"
	exit 1
	;;
stop)
	running || exit 0
	pid=$(cat "$pidfile")
	# its guests first: they live in its namespace and would outlive it
	for d in $(virsh -q -c "$uri" list --name 2> /dev/null); do
		virsh -q -c "$uri" destroy "$d" > /dev/null 2>&1 || true
	done
	$sudo kill "$pid" 2> /dev/null || true
	for _ in $(seq 50); do
		$sudo kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	$sudo rm -f "$pidfile"
	;;
kill)
	running || exit 0
	ns=$($sudo readlink "/proc/$(cat "$pidfile")/ns/mnt")
	if [ "$ns" = "$(readlink /proc/$$/ns/mnt)" ]; then
		echo "the second libvirtd shares this mount namespace: not killing it all"
		exit 1
	fi
	for p in /proc/[0-9]*; do
		[ "$($sudo readlink "$p/ns/mnt" 2> /dev/null)" = "$ns" ] &&
			$sudo kill -9 "${p#/proc/}" 2> /dev/null
	done
	$sudo rm -f "$pidfile"
	;;
uri)
	echo "$uri"
	;;
*)
	echo "usage: $0 start|stop|kill|uri [PORT]"
	exit 2
	;;
esac
