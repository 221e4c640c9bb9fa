#!/bin/sh
# The sources are in the project's style (.clang-format: kernel style).
# In a git checkout the tracked sources; elsewhere (a tarball, a copy)
# every .c and .h outside build trees.  No source found is a failure.
# usage: style.sh SOURCE_ROOT
cd "$1" || exit 1
command -v clang-format > /dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	git ls-files '*.c' '*.h' > "$list"
else
	find . -name '*.[ch]' -not -path '*/meson-private/*' \
		-not -path './build*' -not -path './b/*' > "$list"
fi
n=$(wc -l < "$list")
[ "$n" -gt 0 ] || { echo "FAILED: no source file found under $1"; exit 1; }
echo "checking $n files"
xargs clang-format --dry-run --Werror < "$list"
