#!/bin/sh
# Runs a test on bookworm-backports' QEMU 10, with which `up` starts warm
# (snapshots need QEMU 9.0+): the same test, restored guests this time.
# Skipped (77) when that QEMU cannot be fetched here.  As meson's
# --wrapper it is given the test's whole command (.ci/run's second pass).
# usage: with-qemu10.sh QEMU_BACKPORTS_SH TEST.sh ARG...
#        with-qemu10.sh QEMU_BACKPORTS_SH PROGRAM ARG...
set -u
fetch=$1
shift
TIERVM_QEMU=$(sh "$fetch") || { echo "SKIP: bookworm-backports' QEMU cannot be fetched here"; exit 77; }
QEMU_MODULE_DIR=$(dirname "$(dirname "$TIERVM_QEMU")")/lib/x86_64-linux-gnu/qemu
export TIERVM_QEMU QEMU_MODULE_DIR
case $1 in
*.sh) exec sh "$@" ;;
*) exec "$@" ;;
esac
