#!/usr/bin/env bash
# The audit-space VPN on simulated hosts with real wireguard-go: multi-hop
# over a line, rerouting around a silently cut link in a ring, a host
# stopping, and what the underlay can reach.
source "$(dirname "$0")/../lib.sh"

audit_addr() { on "$1" hsctl --json space show ids | jq -r .address; }
in_ids() { local h=$1; shift; on "$h" hsctl space exec ids -- "$@"; }
has_route() { # has_route HOST PREFIX [VIA]
	on "$1" hsctl --json routes | jqe --arg p "$2" --arg v "${3:-}" \
		'.routes[] | select(.prefix == $p and ($v == "" or .via == $v))' >/dev/null
}
prefix_of() { jq -r --arg h "$1" '.hosts[] | select(.name == $h) | .prefix' "$CLUSTER"; }

# --- A line a-b-c-d-e: a reaches e through three intermediate hosts.
CLUSTER=$HSD_SOURCE/deploy/examples/line5.json
sim up "$CLUSTER" >/dev/null
for h in a b c d e; do on "$h" hsctl space create ids --kind audit -- sleep 100000 >/dev/null; done
E=$(audit_addr e)
check "a learns e's prefix via b" wait_until 20 has_route a "$(prefix_of e)" b
check "ping from a's audit space to e's" in_ids a ping -c 2 -W 2 "$E"
on e hsctl space exec ids -- sh -c 'socat -u TCP-LISTEN:7000,reuseaddr OPEN:/tmp/got,creat >/dev/null 2>&1 &'
sleep 0.3
check "TCP from a's audit space to e's" in_ids a sh -c "echo over-the-mesh | socat -u - TCP:$E:7000,connect-timeout=3"
check "e received the TCP payload" wait_until 5 bash -c "$SIM --id $T_ID exec e -- hsctl space exec ids -- cat /tmp/got | grep -q over-the-mesh"
routes=$(on a hsctl --json routes)
check "hsctl routes lists prefix, next hop, metric, seqno, age" \
	jqe '.routes[0] | has("prefix") and has("via") and has("metric") and has("seqno") and has("age_ms")' <<<"$routes"
peers=$(on c hsctl --json peers)
check "hsctl peers on c lists b and d alive" \
	jqe '[.peers[] | select(.alive) | .host] | sort == ["b", "d"]' <<<"$peers"
check "hsctl peers shows handshakes and bytes" \
	jqe '.peers[0] | (.last_handshake > 0) and (.rx_bytes > 0) and (.tx_bytes > 0)' <<<"$peers"

# Nothing but the overlay is reachable from an audit space, and the overlay
# is reachable from nothing but audit spaces.
check "an audit space cannot reach the underlay" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec ids -- ping -c1 -W1 192.0.2.2"
check "the host cannot reach its own audit space" bash -c "! $SIM --id $T_ID exec a -- ping -c1 -W1 $(audit_addr a)"
on a hsctl space create web --kind server -- sleep 100000 >/dev/null
check "a server space cannot reach the overlay" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ping -c1 -W1 $E"
check "a neighbour host cannot reach the mesh namespace" bash -c "! $SIM --id $T_ID exec b -- ping -c1 -W1 10.99.1.1"
# From the underlay only WireGuard's UDP ports answer: nothing else listens.
listening=$(on c ss -Hlntu | awk '{n = split($5, a, ":"); print $1 "/" a[n]}' | sort -u | tr '\n' ' ')
check "host c listens only on its two WireGuard UDP ports ($listening)" \
	[ "$listening" = "udp/51821 udp/51823 " ]
check "TCP to host c's underlay address is refused" bash -c "! $SIM --id $T_ID exec b -- socat -u OPEN:/dev/null TCP:192.0.2.3:6696,connect-timeout=2"
# A peer (here b, from its own overlay address) that connects to a's peer
# port and then says nothing is closed after the idle timeout (10 s).
t0=$(date +%s)
rc=0
on b nsenter --net=/run/hsd/mesh.netns -- \
	timeout 30 socat -u TCP:10.99.1.1:7070,bind=10.99.2.1,connect-timeout=3 - >/dev/null 2>&1 || rc=$?
idle=$(($(date +%s) - t0))
check "a silent peer connection is closed by the server after ${idle} s (want 9..20, socat exit $rc)" \
	[ "$rc" = 0 -a "$idle" -ge 9 -a "$idle" -le 20 ]
check "... and counted in hsctl status" bash -c "$SIM --id $T_ID exec a -- hsctl --json status | jqe '.peer.idle_closed == 1' >/dev/null"
# A reload of an unchanged cluster.json touches no tunnel: same
# wireguard-go processes, ports and sessions.
wg_state() { # the wireguard-go pids in host c, and its links' ports and handshakes
	for p in $(ip netns pids "hs-$T_ID-c"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ] && echo "$p"
	done | sort | tr '\n' ' '
	on c hsctl --json peers | jq -c '[.peers[] | [.link, .listen_port, .last_handshake]]'
}
before=$(wg_state)
kill -HUP "$(sim pid c)"
check "the reload is logged" wait_until 5 bash -c "$SIM --id $T_ID log c | grep -q reloaded"
check "an unchanged reload keeps every tunnel, port and session" [ "$(wg_state)" = "$before" ]
check "and the mesh still carries traffic" in_ids a ping -c1 -W2 "$E"
t_sanitizer_check
sim down

# --- A ring a-b-c-d: a silently cut link is routed around within 3 s.
CLUSTER=$HSD_SOURCE/deploy/examples/ring4.json
sim up "$CLUSTER" >/dev/null
for h in a b c d; do on "$h" hsctl space create ids --kind audit -- sleep 100000 >/dev/null; done
B=$(audit_addr b)
check "a routes to b directly" wait_until 20 has_route a "$(prefix_of b)" b
check "a's audit space reaches b's" in_ids a ping -c1 -W2 "$B"
b_ul=$(jq -r '.hosts[] | select(.name == "b") | .endpoint' "$CLUSTER" | cut -d: -f1)
# Drop (never reject) every underlay packet between a and b, on a's side.
on a nft -f - <<EOF
table inet hstest_cut {
	chain in { type filter hook input priority -10; ip saddr $b_ul udp dport 0-65535 drop; }
	chain out { type filter hook output priority -10; ip daddr $b_ul udp dport 0-65535 drop; }
}
EOF
cut_at=$(date +%s%N)
check "traffic a->b resumes the other way round" wait_until 10 in_ids a ping -c1 -W1 "$B"
took=$((($(date +%s%N) - cut_at) / 1000000))
check "... within 3 seconds (took ${took} ms)" [ "$took" -le 3000 ]
check "a now routes to b via d" has_route a "$(prefix_of b)" d
on a nft delete table inet hstest_cut
check "after the link returns, a routes to b directly again" wait_until 15 has_route a "$(prefix_of b)" b

# --- Stop host c entirely: its prefix is withdrawn everywhere, no loop.
C_PREFIX=$(prefix_of c)
C=$(audit_addr c)
on a sh -c "nsenter --net=/run/hsd/mesh.netns tcpdump -i any -n -l 'icmp[icmptype] == icmp-timxceed' >/tmp/hs-$T_ID-ttl 2>/dev/null & echo \$! >/tmp/hs-$T_ID-ttl.pid"
on_exit "kill \$(cat /tmp/hs-$T_ID-ttl.pid) 2>/dev/null; rm -f /tmp/hs-$T_ID-ttl /tmp/hs-$T_ID-ttl.pid"
sleep 0.5
on a hsctl space exec ids -- sh -c "ping -i 0.2 -c 40 -W 1 $C >/dev/null 2>&1 &"
stop_at=$(date +%s%N)
# The whole host goes: its underlay interface is down, so neither its hsd
# nor its wireguard-go can say goodbye.
on c ip link set ul0 down
for h in a b d; do
	check "$h withdraws c's prefix" wait_until 15 bash -c "! $SIM --id $T_ID exec $h -- hsctl --json routes | jqe --arg p $C_PREFIX '.routes[] | select(.prefix == \$p)' >/dev/null"
done
took=$((($(date +%s%N) - stop_at) / 1000000))
check "... within a few seconds (took ${took} ms)" [ "$took" -le 8000 ]
sleep 2
check "no TTL-exceeded seen while c went away (no loop)" [ ! -s "/tmp/hs-$T_ID-ttl" ]
t_done
