#!/usr/bin/env bash
# test_portmap.sh - port-space translation and the network boundary of
# server spaces, end to end.
#
# Part 1: tests/unit/test_net_live.c (criterion) builds its own namespaces
# (fake base, two server spaces, a client), publishes ports with nftables,
# checks DNAT, masquerade, hairpin, flush, and attacks from a space (host
# services, another space, forged sources, IPv6, ping without CAP_NET_RAW),
# each against a control without the table.  It runs once more as a whole
# and the machine's interfaces, nftables ruleset and ip_forward are compared
# before and after: nothing may differ.
#
# Part 2: the same boundary as hsd really builds it on simulated hosts:
# from a server space, a service of its host bound to 0.0.0.0 is out of
# reach while another host reaches it; another space's unpublished port is
# out of reach while its published port answers.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LIVE=$HSD_BUILD/tests/test_net_live
if [ "$(id -u)" -ne 0 ]; then
	say "skipped: needs root"
	exit 0
fi
check "test_net_live is built" test -x "$LIVE"

# Other simulations (hs-*) may come and go on this machine meanwhile; the
# live test makes no named netns at all.
snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sort
	ip netns list 2>/dev/null | { grep -v '^hs-' || true; } | sort
	nft list ruleset 2>/dev/null | md5sum
	cat /proc/sys/net/ipv4/ip_forward
}
snapshot >"$T_DIR/before"

check "live namespace tests pass" "$LIVE" --jobs 1
# A second run must behave the same: nothing left over from the first.
check "live namespace tests pass again" "$LIVE" --jobs 1 --filter 'live/client_*'

snapshot >"$T_DIR/after"
check "host interfaces, netns, nftables and ip_forward unchanged" \
	diff -u "$T_DIR/before" "$T_DIR/after"
check "no hsd test table in the host" bash -c '! nft list tables 2>/dev/null | grep -q hsd_test'

# ---- part 2: simulated hosts
sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
A_IP=192.0.2.1
HOST_PORT=7100
ctl() { on a hsctl "$@"; }

# A service of host a itself (its base), on every address.  sim down ends
# it too (it lives in a's namespace); ending it by pid is ours to do.
hpid=$(sim exec a -- sh -c "socat TCP-LISTEN:$HOST_PORT,fork,reuseaddr SYSTEM:'echo host-a' \
	</dev/null >/dev/null 2>&1 & echo \$!")
on_exit "kill $hpid 2>/dev/null"

listen() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }
# s1 also serves 300000 bytes on 8090: a transfer of many full segments.
BIG=300000
ctl space create s1 --kind server --publish 8081:8080 --publish 8091:8090 -- \
	sh -c "socat TCP-LISTEN:8090,fork,reuseaddr SYSTEM:'head -c $BIG /dev/zero' & exec $(listen 8080 s1)" >/dev/null
ctl space create s2 --kind server --publish 8082:8080 -- \
	sh -c "$(listen 9090 s2-private) & exec $(listen 8080 s2)" >/dev/null
s1_addr=$(ctl --json space show s1 | jq -r .address)
s2_addr=$(ctl --json space show s2 | jq -r .address)
s1_if=$(ctl --json space show s1 | jq -r .veth)
s1_gw=${s1_addr%.*}.$((${s1_addr##*.} - 1))
s2_gw=${s2_addr%.*}.$((${s2_addr##*.} - 1))

# get HOST|SPACE IP PORT: what a TCP connection there says (empty if none).
get() {
	local from=$1 cmd
	cmd=(socat -T2 - "TCP:$2:$3,connect-timeout=2")
	if [ "$from" = b ] || [ "$from" = a ]; then
		on "$from" "${cmd[@]}" </dev/null 2>/dev/null || true
	else
		on a hsctl space exec "$from" -- "${cmd[@]}" </dev/null 2>/dev/null || true
	fi
}
answers() { [ "$(get "$@")" = "$4" ]; } # answers FROM IP PORT WANT
# refused FROM IP PORT WHAT: no answer at all.
refused() {
	local got
	got=$(get "$1" "$2" "$3")
	if [ -z "$got" ]; then pass "$4 is out of reach"; else fail "$4 answered \"$got\""; fi
}

# Positive controls: each target is there and answers the right party.
check "host b reaches a's host service (control)" wait_until 10 answers b $A_IP $HOST_PORT host-a
check "host a reaches s2's unpublished port itself (control)" wait_until 10 answers a "$s2_addr" 9090 s2-private
check "host b reaches s2's published port" wait_until 10 answers b $A_IP 8082 s2
check "s1 reaches s2's published port through the host (hairpin)" answers s1 $A_IP 8082 s2
check "s1 reaches s2's published port through its own gateway" answers s1 "$s1_gw" 8082 s2

# The boundary.
refused s1 $A_IP $HOST_PORT "from s1, a's host service on its host address"
refused s1 "$s1_gw" $HOST_PORT "from s1, a's host service on s1's gateway"
refused s1 "$s2_gw" $HOST_PORT "from s1, a's host service on s2's gateway"
refused s1 "$s2_addr" 9090 "from s1, s2's unpublished port"
refused s1 "$s2_addr" 8080 "from s1, s2's published service by its space address"

check "the input drops are counted for s1's veth" bash -c \
	"$SIM --id $T_ID exec a -- nft list chain ip hsd input | grep -E 'iifname \"$s1_if\" counter packets [1-9][0-9]* .*drop'"
check "the forward drops are counted" bash -c \
	"$SIM --id $T_ID exec a -- nft list chain ip hsd forward | grep -E 'oifname \"hsv[0-9]+\" counter packets [1-9][0-9]* .*drop'"
check "an ip6 table drops IPv6 from server veths" bash -c \
	"$SIM --id $T_ID exec a -- nft list table ip6 hsd | grep -q 'iifname \"hsv\\*\" counter packets [0-9]* bytes [0-9]* drop'"
check "IPv6 is off on s1's veth, base end" [ "$(on a cat /proc/sys/net/ipv6/conf/"$s1_if"/disable_ipv6)" = 1 ]
check "IPv6 is off on s1's veth, space end" [ "$(ctl space exec s1 -- cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)" = 1 ]
# Read as the host sees it: inside, gids show as the space's user namespace
# maps them.
s1_pid=$(ctl --json space show s1 | jq -r .pid)
# The server veth's MTU (spaces_net.c): 65535 on both ends, so a client on
# the same host is not cut into 1500-byte segments; remote clients and
# traffic out of the space still work, by TCP's MSS and path MTU discovery.
mtu_of() { awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }'; }
check "s1's veth has MTU 65535, base end" [ "$(on a ip -o link show "$s1_if" | mtu_of)" = 65535 ]
check "s1's veth has MTU 65535, space end" \
	[ "$(on a nsenter --net=/proc/"$(ctl --json space show s1 | jq -r .pid)"/ns/net ip -o link show eth0 | mtu_of)" = 65535 ]
bytes() { on "$1" socat -T5 - "TCP:$A_IP:8091,connect-timeout=3" </dev/null 2>/dev/null | wc -c; }
check "host b (MTU 1500 away) gets $BIG bytes through the published port" [ "$(bytes b)" = $BIG ]
check "host a gets $BIG bytes through the published port" [ "$(bytes a)" = $BIG ]
# A 3000-byte UDP datagram with DF from s1 to host b leaves eth0 (65535)
# and is too big for a's underlay (1500): a's "fragmentation needed" must
# reach the space, whose next send then fails with EMSGSIZE and whose
# path MTU to b is 1500.  Prints: first send, second send's errno, IP_MTU.
pmtu=$(ctl space exec s1 -- /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
s.connect(("192.0.2.2", 9))
first = s.send(b"x" * 3000)
err = 0
for _ in range(20):
    time.sleep(0.1)
    try:
        s.send(b"x" * 3000)
    except OSError as e:
        err = e.errno
        break
print(first, err, s.getsockopt(socket.IPPROTO_IP, 14))  # IP_MTU
' 2>&1)
check "ICMP fragmentation-needed reaches s1 for a big DF datagram ($pmtu)" [ "$pmtu" = "3000 90 1500" ]
check "s1's ping_group_range admits every group" [ "$(on a nsenter --net=/proc/"$s1_pid"/ns/net \
	cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '0\t2147483647')" ]
check "ping works in s1 without CAP_NET_RAW" ctl space exec s1 -- \
	setpriv --inh-caps=-net_raw --bounding-set=-net_raw ping -c1 -W2 192.0.2.2
check "without CAP_NET_RAW a raw socket is refused (control for the ping)" bash -c \
	"! $SIM --id $T_ID exec a -- hsctl space exec s1 -- setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
		socat -u - IP4-SENDTO:192.0.2.2:253 </dev/null 2>/dev/null"
t_done
