#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Unpacks QEMU from Debian's bookworm-backports (10.x, with the SeaBIOS it
# wants) into a private directory, beside Debian 12's QEMU 7.2 and without
# touching the system or its apt sources, and prints the binary's path:
#
#   TIERVM_QEMU=$(scripts/qemu-backports.sh) tiervm up SPEC
#
# Volatile CXL needs QEMU 8.0 or later.  Cached in
# ${XDG_CACHE_HOME:-~/.cache}/tiervm/qemu-backports.
set -eu

dir=${XDG_CACHE_HOME:-$HOME/.cache}/tiervm/qemu-backports
bin=$dir/root/usr/bin/qemu-system-x86_64
say() { echo "qemu-backports: $*" >&2; }

if [ ! -x "$bin" ] || [ ! -e "$dir/.done" ]; then
	state=$dir/apt
	rm -rf "$dir"
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dir/debs"
	uri=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
		grep -v security | head -n 1)
	[ -n "$uri" ] || { say "no Debian mirror in the apt configuration"; exit 1; }
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	echo "deb $uri $codename-backports main" > "$state/sources.list"
	opts="-o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$state/lists -o Dir::Cache=$state/cache -o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	apt-get $opts update -qq >&2
	# shellcheck disable=SC2086
	(cd "$dir/debs" && apt-get $opts download qemu-system-x86 qemu-system-data seabios >&2)
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	# QEMU finds its firmware in ../share/qemu from its binary
	for f in bios.bin bios-256k.bin bios-microvm.bin vgabios-stdvga.bin; do
		[ -e "$dir/root/usr/share/seabios/$f" ] &&
			ln -sf "../seabios/$f" "$dir/root/usr/share/qemu/$f"
	done
	rm -rf "$dir/debs" "$state"
	"$bin" -version > /dev/null || { say "the unpacked QEMU does not run"; exit 1; }
	touch "$dir/.done"
fi
echo "$bin"
