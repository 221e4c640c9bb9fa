# Sourced by the shell tests that start guests: a work dir of their own
# and a private runtime dir in it, so guests they start are theirs alone.
work=$(mktemp -d)
XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR

# fail WHY: the test's verdict; tests with more to clean up define their own
fail() {
	echo "FAILED: $*"
	rm -rf "$work"
	exit 1
}

# use_fetched_qemu FETCH: run bookworm-backports' QEMU, which FETCH
# (scripts/qemu-backports.sh) unpacks beside the system's, with its own
# modules ("only modules from the same build"); false when it cannot be had
use_fetched_qemu() {
	TIERVM_QEMU=$(sh "$1") || return 1
	QEMU_MODULE_DIR=$(dirname "$(dirname "$TIERVM_QEMU")")/lib/x86_64-linux-gnu/qemu
	export TIERVM_QEMU QEMU_MODULE_DIR
}
