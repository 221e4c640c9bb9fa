#!/bin/sh
# Installs what tiervm needs on a Debian 12 machine and builds it in ./build.
# Safe to run again: apt and meson skip what is already done.
set -eu
cd "$(dirname "$0")/.."

packages="gcc libc6-dev pkg-config meson ninja-build
	libyaml-dev libjson-c-dev libxml2-dev libarchive-dev libcmocka-dev
	qemu-system-x86 ovmf busybox-static hwloc-nox numactl ndctl daxctl
	kmod cpio gzip xz-utils zstd file bzip2 bc clang-format git
	clang libclang-rt-14-dev bsdutils procps python3 python3-junitparser
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
	zlib1g-dev linux-source-6.1 make flex bison libelf-dev libssl-dev"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing
fi
[ -d build ] || meson setup build
ninja -C build
# the libvirt engine's daemon, started without systemd (idempotent)
sh scripts/libvirtd.sh start
# and a second one in a mount namespace of its own, standing in for another
# host (qemu+tcp://127.0.0.1:16510/system; `tiervm migrate`, docs/fleet.md)
sh scripts/libvirtd-remote.sh start > /dev/null
