#!/bin/sh
# Working inside a verified guest: `tiervm exec` (exit status, signals,
# stdout and stderr apart and whole, stdin, numactl policies, the host's
# programs), `tiervm shell` on a pseudo-terminal, `tiervm up -- CMD`, and
# the faults: a guest that is not running, a command not found or not
# runnable, a share that is no directory, ^C once and twice (which stops
# the guest), a guest that
# dies under a command, two one-shot runs of one spec at once.  No QEMU
# may be left behind.
# usage: exec.sh TIERVM SPEC MEMBIND_C
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") spec=$2 src=$3
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
name=exec-$$
fail() {
	echo "FAILED: $*"
	"$tiervm" down "$name" > /dev/null 2>&1
	cd / && rm -rf "$work"
	exit 1
}
# expect RC CMD...: run it, check its exit status
expect() {
	want=$1
	shift
	"$@" > out 2> err
	rc=$?
	[ "$rc" -eq "$want" ] || { cat out err; fail "$* gave exit $rc, not $want"; }
}
# no_qemu_left NAME [dir]: no QEMU of NAME runs (nor its runtime dir stays)
no_qemu_left() {
	sleep 1
	pgrep -f "qemu-system.*-name $1" > /dev/null && fail "a QEMU of '$1' is left"
	[ $# -gt 1 ] && [ -d "$XDG_RUNTIME_DIR/tiervm/$1" ] && fail "the runtime dir of '$1' is left"
	return 0
}

# Faults before any guest runs
expect 125 "$tiervm" exec nosuch -- true
grep -q "no running guest named 'nosuch'" err || fail "exec on no guest: $(cat err)"
expect 2 "$tiervm" up "$spec" --share /nonexistent/dir --check
grep -q "\-\-share: /nonexistent/dir is not a directory" err || fail "share message: $(cat err)"
: > afile
expect 2 "$tiervm" up "$spec" --share afile --check
[ -z "$(ls "$XDG_RUNTIME_DIR/tiervm" 2> /dev/null)" ] || fail "a refused share started a guest"

"$tiervm" up "$spec" --name "$name" --accel tcg > up.out 2>&1 || { cat up.out; fail "up"; }
grep "snapshot" up.out # booted or restored: the rest holds either way

# exit statuses as a shell gives them
expect 0 "$tiervm" exec "$name" -- true
expect 3 "$tiervm" exec "$name" -- sh -c 'exit 3'
expect 143 "$tiervm" exec "$name" -- sh -c 'kill -TERM $$'
expect 127 "$tiervm" exec "$name" -- no-such-command
grep -q "no-such-command: command not found" err || fail "127 message"
echo 'echo hi' > not-executable
chmod 644 not-executable
expect 126 "$tiervm" exec "$name" -- ./not-executable
# stdout and stderr apart and complete, stdin through
head -c 3000000 /dev/urandom > in.bin
expect 0 "$tiervm" exec "$name" -- sh -c 'cat; echo to-stderr >&2' < in.bin
cmp -s out in.bin || fail "stdin -> stdout is not the same bytes ($(wc -c < out))"
[ "$(cat err)" = to-stderr ] || fail "stderr: $(cat err)"
# the host's files, the working directory writable
expect 0 "$tiervm" exec "$name" -- sh -c "pwd; echo written > by-guest"
[ "$(cat out)" = "$work" ] || fail "cwd in the guest: $(cat out)"
[ "$(cat by-guest)" = written ] || fail "the guest's write to the working directory"
expect 0 "$tiervm" exec "$name" --cwd / --env TIERVM_T=42 -- sh -c 'echo $TIERVM_T $(pwd)'
[ "$(cat out)" = "42 /" ] || fail "--env/--cwd: $(cat out)"
# the host's numactl sees the spec's nodes
expect 0 "$tiervm" exec "$name" -- numactl --hardware
cat out
nodes=$(grep -c '^ *- *{ *id: *[0-9]' "$spec")
grep -q "^available: $nodes nodes" out || fail "numactl does not show $nodes nodes"
# a program built here, bound to cpu-less node 2: its pages are there
cc -O2 -o membind "$src" || fail "cannot compile $src"
expect 0 "$tiervm" exec "$name" --membind 2 -- ./membind
cat out
n2=$(sed -n 's/.* bind:2 .*N2=\([0-9]*\).*/\1/p' out)
[ "${n2:-0}" -ge 16384 ] && ! grep -Eq "N[013]=" out || fail "--membind 2: pages not all on node 2"
expect 0 "$tiervm" exec "$name" --preferred 3 --cpunodebind 1 -- sh -c './membind; grep Cpus_allowed_list /proc/self/status'
grep -q "prefer:3 .*N3=" out || fail "--preferred 3: $(cat out)"
grep -q "Cpus_allowed_list:.*1$" out || fail "--cpunodebind 1: $(cat out)"

# several at once
for i in 1 2 3; do "$tiervm" exec "$name" -- sh -c "sleep 2; echo par$i" > par$i & done
wait
[ "$(cat par1 par2 par3)" = "$(printf 'par1\npar2\npar3')" ] || fail "parallel execs: $(cat par*)"

# a shell on a real pseudo-terminal, through script(1)
printf 'echo $((6 * 7))-$(tty)\nexit 4\n' |
	script -qec "$tiervm shell $name" /dev/null > shell.out 2>&1
grep -q "42-/dev/pts/" shell.out || { cat shell.out; fail "shell"; }

# ^C: SIGINT to the command
"$tiervm" exec "$name" -- sh -c 'trap "echo got-int; exit 5" INT; echo ready; while :; do sleep 1; done' > int.out 2>&1 &
job=$!
while ! grep -q ready int.out; do sleep 0.2; done
kill -INT $job
wait $job
rc=$?
[ "$rc" -eq 5 ] && grep -q got-int int.out || { cat int.out; fail "^C gave $rc"; }
# the guest dying under a command: exit 125 (exec's own failure), a line,
# the console's end
expect 125 "$tiervm" exec "$name" -- sh -c 'echo c > /proc/sysrq-trigger'
cat err
grep -q "the guest died" err && grep -q "console:" err || fail "no death message"
no_qemu_left "$name"
# its console stays for a look until down
"$tiervm" down "$name" > /dev/null 2>&1
no_qemu_left "$name" dir

# a second ^C kills the command and stops the guest
"$tiervm" up "$spec" --name "$name" --accel tcg > up.out 2>&1 || { cat up.out; fail "up again"; }
"$tiervm" exec "$name" -- sh -c 'trap "" INT; echo ready; sleep 60' > int.out 2>&1 &
job=$!
while ! grep -q ready int.out; do sleep 0.2; done
kill -INT $job
sleep 1
kill -INT $job
wait $job
rc=$?
[ "$rc" -eq 137 ] || { cat int.out; fail "a second ^C gave $rc, not 137 (SIGKILL)"; }
no_qemu_left "$name" dir

# up -- CMD: the command's status; two at once of one spec both run; the
# environment is --env's and a short list of the caller's, no more
MATRIX_SECRET=host "$tiervm" up "$spec" --accel tcg -- sh -c 'exit 7' > up1.out 2>&1 &
a=$!
MATRIX_SECRET=host "$tiervm" up "$spec" --accel tcg --env ONE=shot -- \
	sh -c 'echo "one-$ONE secret=${MATRIX_SECRET:-none}"' > up2.out 2>&1 &
b=$!
wait $a
ra=$?
wait $b
rb=$?
[ "$ra" -eq 7 ] || { cat up1.out; fail "up -- exit 7 gave $ra"; }
[ "$rb" -eq 0 ] && grep -q '^one-shot secret=none$' up2.out || { cat up2.out; fail "up --env -- echo gave $rb"; }
# tiervm's own failures under -- CMD exit 125, never a status CMD could give
expect 125 "$tiervm" up nosuch.yaml -- true
expect 125 "$tiervm" up "$spec" --env NOEQUALS -- true
expect 2 "$tiervm" up "$spec" --env A=1 --check
# a host file the guest cannot see (its /tmp is its own): which --share
hidden=$(mktemp -d /tmp/tiervm-hidden.XXXXXX)
printf '#!/bin/sh\necho hi\n' > "$hidden/prog" && chmod +x "$hidden/prog"
expect 127 "$tiervm" up "$spec" --accel tcg -- "$hidden/prog"
grep -q "^tiervm: $hidden/prog is a file on this host, but the guest's /tmp is its own: share the directory with --share $hidden\$" err ||
	{ cat err; fail "no --share hint for a file under /tmp"; }
expect 0 "$tiervm" up "$spec" --accel tcg --share "$hidden" -- "$hidden/prog"
rm -rf "$hidden"
for o in up1.out up2.out; do
	n=$(sed -n "s/.*guest '\([^']*\)'.*/\1/p" "$o" | head -n 1)
	[ -n "$n" ] || fail "$o names no guest"
	no_qemu_left "$n" dir
done
# ^C on up -- CMD reaches the command; the guest is powered off
"$tiervm" up "$spec" --accel tcg -- sh -c 'trap "exit 9" INT; echo ready; sleep 120' > up3.out 2>&1 &
job=$!
while ! grep -q '^ready$' up3.out; do
	kill -0 $job 2> /dev/null || { cat up3.out; fail "up -- CMD ended early"; }
	sleep 0.5
done
kill -INT $job
wait $job
rc=$?
[ "$rc" -eq 9 ] || { cat up3.out; fail "^C on up -- CMD gave $rc"; }
no_qemu_left "$(sed -n "s/.*guest '\([^']*\)'.*/\1/p" up3.out | head -n 1)" dir
cd / && rm -rf "$work"
