# Sourced by the shell tests that start guests: a work dir of their own
# and a private runtime dir in it, so guests they start are theirs alone.
work=$(mktemp -d)
XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
