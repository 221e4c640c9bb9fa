#!/bin/sh
# plan --format sh quotes every argument: run the script against a stand-in
# QEMU that prints its arguments, and they must be exactly plan --format
# argv's, with nothing executed along the way.
# usage: plan-sh.sh TIERVM SPEC
set -u
tiervm=$1 spec=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f /tmp/tiervm-pwned
mkdir "$work/bin"
cat > "$work/bin/qemu-system-x86_64" <<'EOT'
#!/bin/sh
for a in "$0" "$@"; do printf '%s\n' "$a"; done
EOT
chmod +x "$work/bin/qemu-system-x86_64"

"$tiervm" plan "$spec" --format sh > "$work/plan.sh" || exit 1
"$tiervm" plan "$spec" --format argv > "$work/want" || exit 1
PATH="$work/bin:$PATH" sh "$work/plan.sh" > "$work/got" || { echo "script failed"; exit 1; }
# argv[0] is the binary either way; compare the rest
tail -n +2 "$work/want" > "$work/want.args"
tail -n +2 "$work/got" > "$work/got.args"
diff -u "$work/want.args" "$work/got.args" || { echo "arguments changed by the shell"; exit 1; }
[ -e /tmp/tiervm-pwned ] && { echo "a command in a path was executed"; exit 1; }
grep -q "it's \$(touch /tmp/tiervm-pwned) \`id\`.img" "$work/got" || { echo "path lost"; exit 1; }
echo ok
