#!/bin/sh
# A guest on another libvirt host, reached through the connection alone:
# scripts/libvirtd-remote.sh's second libvirtd, in a mount namespace of
# its own that sees none of tiervm's files (not the image cache, not the
# runtime dir, not this /tmp).  The demo boots, verifies and runs commands
# there; the image is uploaded once; an NVDIMM lives in a volume there;
# the guest's root is that host's; the daemon lost in the middle of `up`
# leaves nothing behind.
# usage: remote.sh TIERVM DEMO_SPEC NVDIMM_SPEC REMOTE_SCRIPT
set -u
tiervm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
demo=$2 nvspec=$3 remote=$4
. "$(dirname "$0")/common.sh"
uri=$(sh "$remote" start) || { echo "FAILED: the second libvirtd: $uri"; exit 1; }
trap '"$tiervm" down rt > /dev/null 2>&1; "$tiervm" down rn > /dev/null 2>&1
	virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-rn-nv0.img > /dev/null 2>&1
	virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-rn-nv0.img.owner > /dev/null 2>&1
	virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-rn-nv1.img > /dev/null 2>&1
	virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-rn-nv1.img.owner > /dev/null 2>&1
	cd /; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
domains() { virsh -q -c "$uri" list --all --name | grep -c "^tiervm-"; }
volumes() { virsh -q -c "$uri" vol-list tiervm 2> /dev/null | awk '{print $1}' | sort; }
cd "$work" || exit 1
(cat "$demo"; echo 'guest: {share-host: false}') > demo.yaml
cp "$demo" shared.yaml
(cat "$nvspec"; echo 'guest: {share-host: false}') > nv.yaml

# the image reaches that host as volumes: uploaded by the first up only
# (tiervm's image volumes there removed first, so that the first uploads)
for v in $(volumes | grep -E '^(kernel|initrd)-'); do
	virsh -q -c "$uri" vol-delete --pool tiervm "$v" > /dev/null
done
t0=$(date +%s.%N)
"$tiervm" up demo.yaml --check --engine libvirt --connect "$uri" > out 2>&1 || { cat out; fail "the demo on that host"; }
t1=$(date +%s.%N)
grep -q "^MATCH" out || { cat out; fail "the demo does not match there"; }
sent=$(sed -n 's/.*image: \([0-9]*\) bytes uploaded.*/\1/p' out)
[ -n "$sent" ] && [ "$sent" -gt 1000000 ] || { cat out; fail "the first up uploaded no image"; }
before=$(volumes)
"$tiervm" up demo.yaml --check --engine libvirt --connect "$uri" > out 2>&1 || { cat out; fail "the second demo"; }
t2=$(date +%s.%N)
grep -q "nothing uploaded" out || { cat out; fail "the second up uploaded the image again"; }
[ "$(volumes)" = "$before" ] || fail "the second up changed the pool's volumes"
printf 'image upload: first up %.1f s (%s bytes sent), second %.1f s (nothing sent)\n' \
	"$(echo "$t1 - $t0" | bc)" "$sent" "$(echo "$t2 - $t1" | bc)"
[ "$(domains)" -eq 0 ] || fail "a --check guest outlived its run there"

# up -- CMD gives CMD's status
"$tiervm" up demo.yaml --engine libvirt --connect "$uri" -- sh -c 'exit 7' > out 2>&1
[ $? -eq 7 ] || { cat out; fail "up -- CMD did not give CMD's status there"; }

# the guest's root is that host's: not our cwd, and that host's /etc
# (its libvirtd.conf listens on TCP; this machine's does not)
touch marker
"$tiervm" up shared.yaml --engine libvirt --connect "$uri" -- \
	sh -c "test ! -e $work/marker && grep -q '^listen_tcp = 1' /etc/libvirt/libvirtd.conf" > out 2>&1 ||
	{ cat out; fail "the guest's root is not that host's"; }
grep -q "shares: on $uri the guest's / is that host's /" out || { cat out; fail "no line about the shares"; }
# --share names that host's directories (its /etc/libvirt, not ours)
"$tiervm" up demo.yaml --engine libvirt --connect "$uri" --share /etc/libvirt:/mnt/lv:ro -- \
	grep -q '^listen_tcp = 1' /mnt/lv/libvirtd.conf > out 2>&1 ||
	{ cat out; fail "--share did not name that host's directory"; }

# a lasting guest there: exec, stdin, resize, status, shell, console,
# list, down
"$tiervm" up demo.yaml --name rt --engine libvirt --connect "$uri" > out 2>&1 || { cat out; fail "up rt"; }
"$tiervm" exec rt -- sh -c 'exit 5'
[ $? -eq 5 ] || fail "exec's exit status there"
[ "$(echo through-the-stream | "$tiervm" exec rt -- cat)" = through-the-stream ] || fail "exec's stdin there"
"$tiervm" resize rt vm0 1G > out 2>&1 || { cat out; fail "resize there"; }
"$tiervm" status rt | grep -q "^vm0 .* 1G  *1G " || { "$tiervm" status rt; fail "status does not show 1G plugged"; }
# a shell on a real pseudo-terminal, through script(1), over the stream
printf 'echo $((6 * 7))-$(tty)\nexit 4\n' |
	script -qec "$tiervm shell rt" /dev/null > shell.out 2>&1
grep -q "42-/dev/pts/" shell.out || { cat shell.out; fail "shell there"; }
timeout 3 "$tiervm" console rt > console.out 2>&1
grep -q "Linux version" console.out || fail "the console's log did not come through the stream"
"$tiervm" list | grep -q "^rt " || fail "list does not show rt"
[ "$(domains)" -eq 1 ] || fail "no domain there"
"$tiervm" down rt > out 2>&1 || { cat out; fail "down there"; }
[ "$(domains)" -eq 0 ] || fail "the domain outlived down there"

# an NVDIMM there is a volume of that host's, made once, kept; one more
# hot-plugged the same way
"$tiervm" up nv.yaml --name rn --engine libvirt --connect "$uri" > out 2>&1 || { cat out; fail "nvdimm there"; }
grep -q "^MATCH" out || { cat out; fail "the NVDIMM machine does not match there"; }
"$tiervm" attach rn nvdimm id=nv1 node=1 size=254M label-size=2M path=nv1.img mode=raw > out 2>&1 ||
	{ cat out; fail "attach there"; }
grep -q "volume .*nvdimm-rn-nv1.img on that host" out || { cat out; fail "attach did not say where"; }
[ ! -e nv1.img ] || fail "attach made a file here for a guest there"
"$tiervm" exec rn -- test -e /sys/bus/nd/devices/region1 || fail "the guest has no second NVDIMM region"
"$tiervm" down rn > /dev/null 2>&1
volumes | grep -q "^nvdimm-rn-nv0.img$" || fail "the NVDIMM's volume did not outlive the guest"
"$tiervm" up nv.yaml --name rn --check --engine libvirt --connect "$uri" > out 2>&1 || { cat out; fail "nvdimm again"; }
grep -q "^MATCH" out || { cat out; fail "the kept NVDIMM does not match"; }
# a volume of that name tiervm did not make is left alone
virsh -q -c "$uri" vol-delete --pool tiervm nvdimm-rn-nv0.img.owner > /dev/null
"$tiervm" up nv.yaml --name rn --check --engine libvirt --connect "$uri" > out 2>&1
[ $? -eq 2 ] && grep -q "nvdimms.nv0: volume nvdimm-rn-nv0.img exists on that host and tiervm did not make it" out ||
	{ cat out; fail "a volume tiervm did not make was not refused"; }

# the daemon killed in the middle of up: one line, exit 1; tiervm stops
# the domain when that host answers again, and nothing is left
"$tiervm" up demo.yaml --name rf --engine libvirt --connect "$uri" > out 2>&1 &
up=$!
for _ in $(seq 100); do grep -q "\] kernel" out && break; sleep 0.1; done
port=${uri##*:}
port=${port%%/*}
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo kill -9 "$($sudo cat "/var/tmp/tiervm-remote-$port/libvirtd.pid")"
sleep 2
sh "$remote" start > /dev/null || fail "the second libvirtd did not come back"
wait "$up"
rc=$?
cat out
[ "$rc" -eq 1 ] || fail "up with its daemon killed gave exit $rc, not 1"
[ "$(grep -c '^tiervm: [^[]' out)" -eq 1 ] && grep -q "lost libvirt at $uri" out ||
	fail "the lost daemon is not one line naming it"
[ "$(domains)" -eq 0 ] || fail "the half-booted domain is still there"
[ ! -e "$XDG_RUNTIME_DIR/tiervm/rf" ] || fail "the runtime dir is still here"
volumes | grep -q '\.part$' && fail "a half-uploaded volume is left there"
echo "remote host: demo verified, image uploaded once, exec, stdin, resize, console, NVDIMM volumes, attach, lost daemon"
