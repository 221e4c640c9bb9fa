#!/bin/sh
# The repository stands alone: a copy of it in a fresh directory, with no
# sibling shared/ or anything else around it, builds and passes its host
# suite (real machines' trees from tests/fixtures).
# usage: standalone.sh SOURCE_ROOT
set -u
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/copy"
# the sources, not build trees (a build dir has meson-private/)
tar -C "$src" --exclude=./.git $(cd "$src" && for d in */meson-private; do
	[ -d "$d" ] && printf -- '--exclude=./%s ' "${d%/meson-private}"
done) -cf - . | tar -C "$work/copy" -xf - || { echo "cannot copy $src"; exit 1; }
[ ! -e "$work/shared" ] || { echo "$work/shared exists"; exit 1; }
cd "$work/copy" || exit 1
meson setup b > setup.log 2>&1 || { cat setup.log; echo "FAILED: meson setup"; exit 1; }
ninja -C b > build.log 2>&1 || { tail -20 build.log; echo "FAILED: build"; exit 1; }
meson test -C b --suite host --print-errorlogs > test.log 2>&1
rc=$?
grep -E '^(Ok|Fail):' test.log
[ "$rc" -eq 0 ] || { cat test.log; echo "FAILED: the host suite in a copy"; exit 1; }
grep -q '^Ok: *[1-9]' test.log || { echo "FAILED: no host test ran"; exit 1; }
