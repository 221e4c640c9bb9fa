#!/bin/sh
# The sources are in the project's style (.clang-format: kernel style).
# usage: style.sh SOURCE_ROOT
cd "$1" || exit 1
command -v clang-format > /dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror
