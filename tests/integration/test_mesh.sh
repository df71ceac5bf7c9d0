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
mesh_addr() { # a host's mesh address: its prefix + 1
	local p; p=$(prefix_of "$1"); p=${p%/*}
	echo "${p%.*}.$((${p##*.} + 1))"
}
in_mesh() { local h=$1; shift; on "$h" nsenter --net=/run/hsd/mesh.netns -- "$@"; }
peers() { on "$1" hsctl --json peers; }
# peer_field HOST NEIGHBOUR FIELD: one field of HOST's link to NEIGHBOUR.
peer_field() { peers "$1" | jq -r --arg n "$2" --arg f "$3" '.peers[] | select(.host == $n) | .[$f]'; }
# kill_wg PID: SIGKILL a wireguard-go this test's hsd started, by pid only
# and only if that pid is a wireguard-go.
kill_wg() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = wireguard-go ] && kill -KILL "$1"; }
# all_dead PID...: each pid is gone or a zombie.
all_dead() {
	local p
	for p; do
		[ ! -e "/proc/$p" ] || [ "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)" = Z ] || return 1
	done
}
# No process anywhere has a host's private key (base64 or the hex of the
# UAPI) in its command line or environment.  The patterns come from a
# file: on grep's own command line they would match themselves.
keys_hidden() {
	local pat=$T_DIR/keys h k
	: >"$pat"; chmod 600 "$pat"
	for h in $(sim list); do
		k=$(cat "/var/lib/hs-sim/$T_ID/$h/state/private.key")
		printf '%s\n%s\n' "$k" "$(base64 -d <<<"$k" | od -An -tx1 | tr -d ' \n')" >>"$pat"
	done
	[ "$(wc -l <"$pat")" -eq $((2 * $(sim list | wc -l))) ] || return 1
	# grep exits 2 when a process vanished mid-scan even if it matched:
	# judge by what it printed, not by its status.
	local found
	found=$(grep -l -a -F -f "$pat" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null || true)
	[ -z "$found" ] || { echo "private key in: $found" >&2; return 1; }
}
# python3 -c "$RAW_UDP" SRC DST PORT: one UDP datagram from source port
# 40404 with a forged source address (an audit space has CAP_NET_RAW).
RAW_UDP='import socket, struct, sys
src, dst, port = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2]), int(sys.argv[3])
data = b"forged"
udp = struct.pack("!HHHH", 40404, port, 8 + len(data), 0) + data
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (sys.argv[2], 0))'
# python3 -c "$FORGE_ROUTE" SENDER SRC DST ORIGIN,PREFIX,METRIC,SEQNO...: one
# well-formed hsroute packet (docs/hsroute.md) from host SENDER's router id,
# sent from SRC to DST's route port, with one UPDATE per argument.  Router
# ids are FNV-1a of host names, as hsd computes them.
FORGE_ROUTE='import socket, struct, sys
def rid(name):
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h or 1
body = b""
for u in sys.argv[4:]:
    origin, prefix, metric, seqno = u.split(",")
    net, plen = prefix.split("/")
    body += struct.pack("!BBBBHHH4sI", 3, 16, int(plen), 0, int(metric), int(seqno), 400,
                        socket.inet_aton(net), rid(origin))
pkt = b"HR" + struct.pack("!BBIH", 1, 0, rid(sys.argv[1]), len(body)) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0))
s.sendto(pkt, (sys.argv[3], 6696))'

# --- A line a-b-c-d-e: a reaches e through three intermediate hosts.
CLUSTER=$HSD_SOURCE/deploy/examples/line5.json
sim up "$CLUSTER" >/dev/null
for h in a b c d e; do on "$h" hsctl space create ids --kind audit -- sleep 100000 >/dev/null; done
E=$(audit_addr e)
t_mesh_up a b c d e
check "a learns e's prefix via b" has_route a "$(prefix_of e)" b
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
	jqe '.peers[0] | (.last_handshake_ms > 0) and (.rx_bytes > 0) and (.tx_bytes > 0)' <<<"$peers"
# As the engine reports them: cluster.json has no "mesh", so the defaults.
check "c's route engine runs hsroute with hello 400 ms, dead 1300 ms" \
	jqe '.engine.hello_ms == 400 and .engine.dead_ms == 1300' <<<"$peers"
check "... and says so in hsctl peers' text" \
	bash -c "$SIM --id $T_ID exec c -- hsctl peers | grep -q 'hellos every 400 ms, a neighbour dead after 1300 ms'"
# Only the end listed first in cluster.json initiates handshakes, so the
# two ends' initiations never cross (docs/mesh.md): the second end of each
# link of the line was given no endpoint and has sent none.
initiations() { # initiations HOST NEIGHBOUR_INDEX: handshake initiations HOST sent on that link
	# (wireguard-go logs the attempt, then a failure when it has no endpoint)
	on "$1" cat "/run/wireguard/hsm$2.log" |
		awk '/Sending handshake initiation/ { n++ } /Failed to send handshake initiation/ { n-- } END { print n + 0 }'
}
for pair in a:b:0:1 b:c:1:2 c:d:2:3 d:e:3:4; do
	IFS=: read -r first second fi si <<<"$pair"
	n1=$(initiations "$first" "$si") n2=$(initiations "$second" "$fi")
	check "link $first-$second: $first initiated ($n1), $second never did ($n2)" [ "$n1" -ge 1 -a "$n2" = 0 ]
done
# Each link's one peer may send from the overlay only (AllowedIPs), as the
# device itself reports it.
check "every link of c allows exactly the overlay" \
	jqe '[.peers[].allowed_ips] == [["10.99.0.0/16"], ["10.99.0.0/16"]]' <<<"$peers"
# Nothing in any host's routing is a hijack so far.
check "no hijack counted on b before the forgery" \
	bash -c "$SIM --id $T_ID exec b -- hsctl --json routes | jqe '.hijacks_dropped == 0'"

# --- Route hijacks: a (root on a, so able to speak hsroute on its own link
# to b) announces prefixes that are not its own.  b must drop and count each
# update, and keep routing e's prefix the long way, via c.
MA=$(mesh_addr a) MB=$(mesh_addr b)
E_PREFIX=$(prefix_of e) A_PREFIX=$(prefix_of a)
check "b routes e's prefix via c (hsm2) before" bash -c "$SIM --id $T_ID exec b -- nsenter --net=/run/hsd/mesh.netns ip -4 route show $E_PREFIX | grep -q 'dev hsm2'"
in_mesh a python3 -c "$FORGE_ROUTE" a "$MA" "$MB" \
	"a,$E_PREFIX,0,1" "e,${E%.*}.128/25,0,1" "a,$E/32,0,1" "a,192.0.2.0/24,0,1" "a,0.0.0.0/0,0,1"
hijacks_of_a() { peer_field b a hijacks_dropped; }
check "b dropped and counted the 5 forged updates on its link to a" wait_until 5 bash -c "[ \"\$($SIM --id $T_ID exec b -- hsctl --json peers | jq '.peers[] | select(.host == \"a\") | .hijacks_dropped')\" = 5 ]"
check "... by reason: 3 wrong origin, 2 outside the overlay" \
	bash -c "$SIM --id $T_ID exec b -- hsctl --json peers | jqe '.peers[] | select(.host == \"a\") | .hijacks == {\"outside-overlay\": 2, \"wrong-origin\": 3}'"
check "... and in hsctl routes' total" \
	bash -c "$SIM --id $T_ID exec b -- hsctl --json routes | jqe '.hijacks_dropped == 5'"
check "... and in the text of hsctl peers and hsctl routes" \
	bash -c "$SIM --id $T_ID exec b -- hsctl peers | grep -E '^hsm0 +a .* 5\$' && $SIM --id $T_ID exec b -- hsctl routes | grep -q '^hijacks dropped: 5 '"
check "no hijack counted on b's link to c" [ "$(peer_field b c hijacks_dropped)" = 0 ]
check "b still routes e's prefix via c, not a" bash -c "$SIM --id $T_ID exec b -- nsenter --net=/run/hsd/mesh.netns ip -4 route show $E_PREFIX | grep -q 'dev hsm2'"
check "hsroute on b: e's prefix via c, origin e" has_route b "$E_PREFIX" c
for r in "${E%.*}.128/25" "$E/32" 192.0.2.0/24 0.0.0.0/0; do
	check "no route for $r in b's mesh namespace" \
		bash -c "[ -z \"\$($SIM --id $T_ID exec b -- nsenter --net=/run/hsd/mesh.netns ip -4 route show exact $r)\" ]"
done
check "e's audit space is still reached from b's (over c)" in_ids b ping -c1 -W2 "$E"
# Positive control: the same forged packet format, now for a's own prefix
# under a's own id, is taken: b's metric to a's prefix becomes 256 + 5
# (until a's next real update).  Resent until seen, since a real update
# from a may come in between.
forge_own_taken() {
	local seq
	seq=$(on b hsctl --json routes | jq -r --arg p "$A_PREFIX" '.routes[] | select(.prefix == $p) | .seqno')
	in_mesh a python3 -c "$FORGE_ROUTE" a "$MA" "$MB" "a,$A_PREFIX,5,$seq"
	sleep 0.2
	on b hsctl --json routes | jqe --arg p "$A_PREFIX" '.routes[] | select(.prefix == $p and .via == "a" and .metric == 261)'
}
check "a legitimate update in the same format is taken (metric 261 to a's prefix)" wait_until 10 forge_own_taken
check "... and not counted as a hijack" [ "$(hijacks_of_a)" = 5 ]

check "no process has a private key in its command line or environment" keys_hidden

# Nothing but the overlay is reachable from an audit space, and the overlay
# is reachable from nothing but audit spaces.
check "an audit space cannot reach the underlay" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec ids -- ping -c1 -W1 192.0.2.2"
# A listener in a's audit space, reached from b's (so it does answer),
# never from a's base or a's server space.
A=$(audit_addr a)
on a hsctl space exec ids -- sh -c 'socat TCP-LISTEN:7001,fork,reuseaddr SYSTEM:"echo audit-a" >/dev/null 2>&1 &'
check "b's audit space reaches the listener in a's" wait_until 5 bash -c "$SIM --id $T_ID exec b -- hsctl space exec ids -- socat -u TCP:$A:7001,connect-timeout=2 - | grep -q audit-a"
check "a's base cannot reach its own audit space" bash -c "! $SIM --id $T_ID exec a -- socat -u TCP:$A:7001,connect-timeout=2 - </dev/null"
check "b's base cannot reach a's audit space" bash -c "! $SIM --id $T_ID exec b -- socat -u TCP:$A:7001,connect-timeout=2 - </dev/null"
on a hsctl space create web --kind server -- sleep 100000 >/dev/null
check "a server space cannot reach an audit space" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- socat -u TCP:$A:7001,connect-timeout=2 - </dev/null"
check "a server space cannot ping the overlay" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ping -c1 -W1 $E"

# --- An audit space cannot reach any mesh namespace's control ports, nor
# forge routing packets (it keeps CAP_NET_RAW for tcpdump on mon0).
MA=$(mesh_addr a) MB=$(mesh_addr b) MC=$(mesh_addr c) ME=$(mesh_addr e)
fw_a0=$(peers a | jq .firewall.audit_to_mesh)
unknown_a0=$(peers a | jq .route_socket.unknown_link)
drops_b0=$(peer_field b a route_drops)
for m in "$MA" "$MB" "$ME"; do
	check "a's audit space cannot connect to $m:7070" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec ids -- socat -u OPEN:/dev/null TCP:$m:7070,connect-timeout=2"
done
for m in "$MA" "$MB"; do
	in_ids a sh -c "echo junk | socat -u - UDP:$m:6696"
done
sleep 0.5
check "... the mesh firewall dropped and counted them" \
	[ "$(peers a | jq .firewall.audit_to_mesh)" -ge $((fw_a0 + 5)) ]
check "a's route socket received nothing from its audit space" \
	[ "$(peers a | jq .route_socket.unknown_link)" = "$unknown_a0" ]
check "b's router received nothing from a's audit space" \
	[ "$(peer_field b a route_drops)" = "$drops_b0" ]
# Forged route packets to b's route port, as a's mesh namespace, as c's,
# and as an unused address of a's prefix: tcpdump in b's mesh namespace
# must see none of them, only a genuine audit-to-audit datagram sent last.
cap=/tmp/hs-$T_ID-spoof
on b sh -c "nsenter --net=/run/hsd/mesh.netns tcpdump -i any -n -l 'udp src port 40404' >$cap 2>$cap.err & echo \$! >$cap.pid"
on_exit "kill \$(cat $cap.pid) 2>/dev/null; rm -f $cap $cap.err $cap.pid"
check "tcpdump in b's mesh namespace is capturing" wait_until 5 grep -q 'listening on' "$cap.err"
spoofed0=$(peers a | jq .firewall.spoofed)
FAKE=${A%.*}.200
for src in "$MA" "$MC" "$FAKE"; do
	in_ids a python3 -c "$RAW_UDP" "$src" "$MB" 6696
done
B=$(audit_addr b)
in_ids a sh -c "echo genuine | socat -u - UDP:$B:9,sourceport=40404"
check "b's mesh namespace saw the genuine datagram" wait_until 5 grep -q "$A.40404 > $B.9" "$cap"
check "... and no forged one" bash -c "! grep -q -E '($MA|$MC|$FAKE)\.40404' $cap"
check "a's mesh firewall counted the 3 forged packets" [ "$(peers a | jq .firewall.spoofed)" -eq $((spoofed0 + 3)) ]
check "audit-to-audit ping across hosts still works" in_ids a ping -c1 -W2 "$B"
# hsd checks a route packet's source itself too: with both firewalls gone,
# a datagram from a's audit space reaches b's route socket over the a-b
# link and is dropped and counted as not from the neighbour.
in_mesh a nft delete table ip hsd_mesh
in_mesh b nft delete table ip hsd_mesh
in_ids a sh -c "echo junk | socat -u - UDP:$MB:6696"
check "b's hsd drops a route packet whose source is not the neighbour" \
	wait_until 5 bash -c "[ \"\$($SIM --id $T_ID exec b -- hsctl --json peers | jq '.peers[] | select(.host == \"a\") | .route_bad_source')\" = 1 ]"
check "... counted on the link and in total" bash -c "$SIM --id $T_ID exec b -- hsctl --json peers | jqe '.route_socket.bad_source == 1'"
for h in a b; do kill -HUP "$(sim pid "$h")"; done
check "a reload puts the mesh firewall back" wait_until 5 bash -c "$SIM --id $T_ID exec a -- nsenter --net=/run/hsd/mesh.netns nft list table ip hsd_mesh && $SIM --id $T_ID exec b -- nsenter --net=/run/hsd/mesh.netns nft list table ip hsd_mesh"

# --- wireguard-go is supervised: killed, it is reaped and restarted with
# its configuration, and traffic over the link resumes.
old=$(peer_field a b wg_pid)
check "hsd records the wireguard-go of a's link to b ($old)" [ "$(cat /proc/$old/comm 2>/dev/null)" = wireguard-go ]
kill_wg "$old"
killed_at=$(date +%s%N)
check "traffic a->b resumes after wireguard-go was killed" wait_until 15 in_ids a ping -c1 -W1 "$B"
took=$((($(date +%s%N) - killed_at) / 1000000))
check "... within 5 seconds (took ${took} ms)" [ "$took" -le 5000 ]
new=$(peer_field a b wg_pid)
check "a new wireguard-go serves the link ($old -> $new)" bash -c "[ '$new' != '$old' ] && [ \"\$(cat /proc/$new/comm)\" = wireguard-go ]"
check "the killed one was reaped (no zombie)" [ ! -e "/proc/$old" ]
check "the restart is counted and logged" bash -c "[ \"\$($SIM --id $T_ID exec a -- hsctl --json peers | jq '.peers[] | select(.host == \"b\") | .wg_restarts')\" = 1 ] && $SIM --id $T_ID log a | grep -q 'restarted as pid $new'"
check "it listens on the same port" [ "$(peer_field a b listen_port)" = 51821 ]
check "still no private key on any command line" keys_hidden
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
# (the engine's counters reach hsd with its snapshot, every 500 ms)
check "... and counted in hsctl status" wait_until 3 bash -c "$SIM --id $T_ID exec a -- hsctl --json status | jqe '.peer.idle_closed == 1' >/dev/null"
# A reload of an unchanged cluster.json touches no tunnel: same
# wireguard-go processes, ports and sessions.
wg_state() { # the wireguard-go pids in host c, and its links' ports and handshakes
	for p in $(ip netns pids "hs-$T_ID-c"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ] && echo "$p"
	done | sort | tr '\n' ' '
	on c hsctl --json peers | jq -c '[.peers[] | [.link, .listen_port, .last_handshake_ms]]'
}
before=$(wg_state)
kill -HUP "$(sim pid c)"
check "the reload is logged" wait_until 5 bash -c "$SIM --id $T_ID log c | grep -q reloaded"
check "an unchanged reload keeps every tunnel, port and session" [ "$(wg_state)" = "$before" ]
check "and the mesh still carries traffic" in_ids a ping -c1 -W2 "$E"
# A reload that changes one host (e's endpoint port, so its listen ports)
# touches only the d-e link, in place: every other tunnel keeps its
# wireguard-go and its port, and d-e keeps its processes.
links() { peers "$1" | jq -c '[.peers[] | [.host, .link, .listen_port, .wg_pid]] | sort'; }
declare -A LINKS
for h in a b c d e; do LINKS[$h]=$(links $h); done
ed_before=$(peer_field e d wg_pid) de_before=$(peer_field d e wg_pid)
cf=/var/lib/hs-sim/$T_ID/cluster.json
jq '(.hosts[] | select(.name == "e") | .endpoint) = "192.0.2.5:52820"' "$cf" >"$cf.new" && mv "$cf.new" "$cf"
for h in a b c d e; do kill -HUP "$(sim pid "$h")"; done
check "e listens for d on its new port" wait_until 5 bash -c "[ \"\$($SIM --id $T_ID exec e -- hsctl --json peers | jq '.peers[] | select(.host == \"d\") | .listen_port')\" = 52823 ]"
for h in a b c; do
	check "$h's tunnels keep their wireguard-go and ports" [ "$(links $h)" = "${LINKS[$h]}" ]
done
check "d's tunnel to c keeps its wireguard-go and port" \
	[ "$(links d | jq -c '.[] | select(.[0] == "c")')" = "$(jq -c '.[] | select(.[0] == "c")' <<<"${LINKS[d]}")" ]
check "the changed d-e link is updated in place (same wireguard-go on both ends)" \
	[ "$(peer_field e d wg_pid)" = "$ed_before" -a "$(peer_field d e wg_pid)" = "$de_before" ]
check "a's audit space reaches e's over the changed link" wait_until 15 in_ids a ping -c1 -W1 "$E"
# A reload that changes hsroute's timers ("mesh") restarts each route
# engine with them.
jq '.mesh = {hello_ms: 300, dead_ms: 1000}' "$cf" >"$cf.new" && mv "$cf.new" "$cf"
for h in a b c d e; do kill -HUP "$(sim pid "$h")"; done
for h in a b c d e; do
	check "$h's route engine runs the new timers (hello 300 ms, dead 1000 ms)" wait_until 10 bash -c \
		"$SIM --id $T_ID exec $h -- hsctl --json peers | jqe '.engine.hello_ms == 300 and .engine.dead_ms == 1000'"
done
check "the engine's restart for them is logged" bash -c "$SIM --id $T_ID log c | grep -q 'hsroute timers now hello 300 ms, dead 1000 ms'"
check "a's audit space reaches e's with the new timers" wait_until 15 in_ids a ping -c1 -W1 "$E"
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
# A ping every 100 ms, timestamped by ping itself: the gap is measured from
# the replies, not from how fast a poll loop of hsctl exec can go.
in_ids a sh -c "ping -D -n -i 0.1 -W 1 $B >/tmp/ring.ping 2>&1 & echo \$! >/tmp/ring.pid"
check "the timestamped ping gets replies before the cut" wait_until 10 in_ids a grep -q 'bytes from' /tmp/ring.ping
# Drop (never reject) every underlay packet between a and b, on a's side.
on a nft -f - <<EOF
table inet hstest_cut {
	chain in { type filter hook input priority -10; ip saddr $b_ul udp dport 0-65535 drop; }
	chain out { type filter hook output priority -10; ip daddr $b_ul udp dport 0-65535 drop; }
}
EOF
cut_at=$(date +%s%N) fails_before_cut=$T_FAILS
# first_reply_ms: ms from the cut to the first reply after the outage (a
# gap of over 300 ms between replies, after the cut), or fail
first_reply_ms() {
	in_ids a cat /tmp/ring.ping | awk -v cut="$cut_at" '
		/bytes from/ { t = substr($1, 2, length($1) - 2) * 1e9
		               if (t > cut && prev && t - prev > 3e8) { printf "%d\n", (t - cut) / 1e6; found = 1; exit }
		               prev = t }
		END { exit !found }'
}
check "traffic a->b resumes the other way round" wait_until 10 first_reply_ms
took=$(first_reply_ms || echo 999999)
in_ids a sh -c 'kill $(cat /tmp/ring.pid)'
check "... within 3 seconds (first reply ${took} ms after the cut)" [ "$took" -le 3000 ]
# hsctl routes shows the engine's last snapshot, sent right after a route
# changes: a moment after the kernel's route.
check "a now routes to b via d" wait_until 2 has_route a "$(prefix_of b)" d
# Seen once in a full run (2026-12-06): no reroute for over 12 s.  What
# every host's links and routes were then, for the next occurrence.
if [ "$T_FAILS" != "$fails_before_cut" ]; then
	say "cut at $(date -d @$((cut_at / 1000000000)) +%T).$(printf %03d $((cut_at / 1000000 % 1000)))"
	t_mesh_diag
fi
on a nft delete table inet hstest_cut
check "after the link returns, a routes to b directly again" wait_until 15 has_route a "$(prefix_of b)" b

# --- Stop host c entirely: its prefix is withdrawn everywhere, no loop.
C_PREFIX=$(prefix_of c)
C=$(audit_addr c)
# Everything ICMP in a's mesh namespace: the pings prove tcpdump captures,
# and no time-exceeded may be among them.
ttl=/tmp/hs-$T_ID-ttl
on a sh -c "nsenter --net=/run/hsd/mesh.netns tcpdump -i any -n -l icmp >$ttl 2>$ttl.err & echo \$! >$ttl.pid"
on_exit "kill \$(cat $ttl.pid) 2>/dev/null; rm -f $ttl $ttl.err $ttl.pid"
check "tcpdump in a's mesh namespace is capturing" wait_until 5 grep -q 'listening on' "$ttl.err"
on a hsctl space exec ids -- sh -c "ping -i 0.2 -c 40 -W 1 $C >/dev/null 2>&1 &"
check "it sees a's pings to c" wait_until 5 grep -q 'ICMP echo request' "$ttl"
# The whole host goes, by pid: hsd first (it would restart wireguard-go),
# then each of its wireguard-go processes.
c_wg=$(peers c | jq -r '.peers[].wg_pid')
check "c runs one wireguard-go per link ($(echo $c_wg))" [ "$(wc -w <<<"$c_wg")" = 2 ]
c_hsd=$(sim pid c)
kill -KILL "$c_hsd"
for p in $c_wg; do kill_wg "$p"; done
stop_at=$(date +%s%N)
check "c's hsd and wireguard-go are gone" wait_until 5 all_dead "$c_hsd" $c_wg
for h in a b d; do
	check "$h withdraws c's prefix" wait_until 15 bash -c "! $SIM --id $T_ID exec $h -- hsctl --json routes | jqe --arg p $C_PREFIX '.routes[] | select(.prefix == \$p)' >/dev/null"
done
took=$((($(date +%s%N) - stop_at) / 1000000))
check "... within a few seconds (took ${took} ms)" [ "$took" -le 5000 ]
sleep 2
check "tcpdump was still running" kill -0 "$(cat $ttl.pid)"
check "no TTL-exceeded seen while c went away (no loop; $(grep -c . $ttl) ICMP packets seen)" \
	bash -c "! grep -q -i 'time exceeded' $ttl"
check "no private key on any command line" keys_hidden
t_done
