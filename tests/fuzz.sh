#!/bin/sh
# libFuzzer on the readers of untrusted input, each for a bounded time from
# the checked-in seeds (tests/fuzz/corpus), under ASan and UBSan: the spec
# parser and its rules, host discovery on trees made from the input, the
# QMP reader, the probe's replies and the exec channel's frames, and
# `tiervm spec --from` on hwloc XML and tarballs.  A crash,
# a leak or a hang is a failure; the input that caused it is kept in the
# build dir.  Builds with clang in a build dir of its own (-Dfuzz=true).
# usage: fuzz.sh SOURCE_ROOT BUILD_ROOT [SECONDS]
set -u
src=$1 build=$2 secs=${3:-20}
command -v clang > /dev/null || { echo "SKIP: clang is not installed"; exit 77; }
dir=$build/fuzz-build
if [ ! -d "$dir" ]; then
	CC=clang meson setup "$dir" "$src" -Dfuzz=true -Dwerror=false > "$build/fuzz-setup.log" 2>&1 ||
		{ cat "$build/fuzz-setup.log"; echo "FAILED: meson setup for fuzzing"; exit 1; }
fi
targets="spec qmp host probe source"
# shellcheck disable=SC2046
ninja -C "$dir" $(for t in $targets; do printf 'fuzz-%s ' "$t"; done) > "$build/fuzz-build.log" 2>&1 ||
	{ tail -30 "$build/fuzz-build.log"; echo "FAILED: building the fuzzers"; exit 1; }
rc=0
for t in $targets; do
	found=$(mktemp -d)
	mkdir -p "$build/fuzz-crashes/$t"
	"$dir/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz-crashes/$t/" \
		"$found" "$src/tests/fuzz/corpus/$t" > "$build/fuzz-$t.log" 2>&1
	r=$?
	echo "fuzz-$t: exit $r, $(grep -c . "$build/fuzz-$t.log") log lines, $(ls "$found" | wc -l) new inputs;" \
		"$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" || tail -n 1 "$build/fuzz-$t.log")"
	if [ "$r" -ne 0 ]; then
		tail -40 "$build/fuzz-$t.log"
		echo "FAILED: fuzz-$t (inputs in $build/fuzz-crashes/$t)"
		rc=1
	fi
	rm -rf "$found"
done
exit $rc
