#!/bin/sh
# tiervm host on a captured tiervm guest recovers the spec it was booted from.
# usage: guest-capture.sh HOST_VS_SPEC DIR   (DIR holds spec.yaml, capture.tar.gz)
set -u
tool=$1 dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$dir/capture.tar.gz" -C "$work" || { echo "cannot extract"; exit 1; }
"$tool" "$dir/spec.yaml" "$work"
