#!/usr/bin/env bash
# test_fastpath.sh - the published ports' fast path (hsd/net/bpf/fastpath.bpf.c,
# hsd/net/fastpath.c) end to end on simulated hosts: host b is the client of
# a server space "web" on host a (80:8080, 10.254.0.2).
#
#  1. b's requests are taken by hsd_fp_in/hsd_fp_out, not by the DNAT rule;
#     control: a connection the host's stack carries is counted by the rule.
#  2. an audit space's mon0 gets each packet of a connection once, as the
#     server sees it; control: without fp_mirrors' entries the packets
#     toward the server are missing there; hsd's resync puts them back.
#  3. a reply from a published port with neither flow nor conntrack entry
#     is dropped; control: without hsd_fp_out it leaves, masqueraded.
#  4. a segment with a forged source on a remembered flow is not
#     translated; control: the true source is.
#  5. ICMP "fragmentation needed" about a remembered flow follows it in,
#     translated (and the space's path MTU drops); control: about no flow,
#     it does not enter.
#  6. a restart of hsd keeps connections: while it is down the programs
#     stay and serve; a transfer running across the restart and an idle
#     connection whose server speaks after it both go on (control: one
#     made after the restart); new ones still take the fast path.
#  7. a segment from outside with a source the host's stack refuses (the
#     spaces' link net, the host's own address) does not enter the space;
#     controls: b's true source enters, and without hsd_fp_in the host's
#     stack drops the forged ones.
#  8. an hsd started with --no-fastpath takes the programs an earlier one
#     left off the uplink and the veths, and publishes by DNAT alone;
#     control: they were there before it started.
# Captures run in the namespaces themselves: tcpdump in host a or b, or
# nsenter -n into a space's network namespace from host a (the audit
# space's mon0 included: the same interface its own tools see).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	say "skipped: needs root"
	exit 0
fi

sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
A=192.0.2.1
B=192.0.2.2
PY=/usr/bin/python3
PKT=$T_DIR/pkt.py
BIG=$((32 << 20)) # bytes, at 8 MB/s: 4 s, across hsd's restart
ctl() { on a hsctl "$@"; }
status_has() { ctl --json status | jqe "$@"; }
fp() { ctl --json status | jq -r ".fastpath.packets[\"$1\"] // \"none\""; }
not() { ! "$@"; }

if ctl --json status | jqe '.fastpath.on == false' && sim log a | grep -q 'fast path: not built into this hsd'; then
	say "SKIP: this hsd was built without the fast path (eBPF)"
	exit 77
fi

# pkt.py: hand-made packets (raw sockets, checksums computed here).
cat >"$PKT" <<'EOF'
#   tcp SRC SPORT DST DPORT FLAGS PAYLOAD [SEQ]  one TCP segment (IP_HDRINCL)
#   icmp TO QSRC QSPORT QDST QDPORT QSEQ MTU      "fragmentation needed" to TO
#                                                 quoting QSRC:QSPORT -> QDST:QDPORT
#   hold PORT SECONDS                             a client from PORT to
#                                                 192.0.2.1:80, its request half sent
import socket, struct, sys, time

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip_hdr(src, dst, proto, plen):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + plen, 0x4242, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]

def tcp_seg(src, sport, dst, dport, flags, payload, seq):
    fl = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    h = struct.pack("!HHIIHHHH", sport, dport, seq, 0x1000, (5 << 12) | fl, 64240, 0, 0)
    ph = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6,
                     len(h) + len(payload))
    return h[:16] + struct.pack("!H", csum(ph + h + payload)) + h[18:] + payload

cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "tcp":
    seq = int(a[6]) if len(a) > 6 else 0x12345678
    seg = tcp_seg(a[0], int(a[1]), a[2], int(a[3]), a[4], a[5].encode(), seq)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip_hdr(a[0], a[2], 6, len(seg)) + seg, (a[2], 0))
elif cmd == "icmp":
    # The quote: the IPv4 header of a 52-byte segment and its first 8 bytes.
    quote = ip_hdr(a[1], a[3], 6, 32) + struct.pack("!HHI", int(a[2]), int(a[4]), int(a[5]))
    body = struct.pack("!BBHHH", 3, 4, 0, 0, int(a[6])) + quote
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(body, (a[0], 0))
elif cmd == "hold":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(a[0])))
    s.connect(("192.0.2.1", 80))
    s.sendall(b"GET /f4k HTTP/1.1\r\nHost: a\r\n")
    print("connected", flush=True)
    time.sleep(float(a[1]))
else:
    sys.exit("pkt.py: unknown command " + cmd)
EOF

# cap NAME WHERE IFACE FILTER [tcpdump options]: tcpdump into
# $T_DIR/NAME.cap (a line per packet, flushed at once); WHERE is a or b (the
# host's namespace) or the pid of a space's init on host a (its network
# namespace).  Returns once it listens.
declare -A CAP
cap() {
	local name=$1 where=$2 dev=$3 filter=$4 host=$2 ns=
	shift 4
	case $where in a | b) ;; *) host=a ns="nsenter -t $where -n" ;; esac
	CAP[$name]=$(on "$host" sh -c "$ns tcpdump -Z root -i $dev -nn -l $* '$filter' \
		>$T_DIR/$name.cap 2>$T_DIR/$name.err </dev/null & echo \$!")
	on_exit "kill ${CAP[$name]} 2>/dev/null"
	wait_until 10 grep -q 'listening on' "$T_DIR/$name.err" || say "     (tcpdump $name does not listen: $(cat "$T_DIR/$name.err"))"
}
# uncap NAME: stop it once what is on its way has arrived.
uncap() { sleep 0.5; kill "${CAP[$1]}" 2>/dev/null || true; }
# lines NAME REGEX: how many packets of capture NAME match (extended regex).
lines() { grep -E -c -- "$2" "$T_DIR/$1.cap" || true; }
# header_of NAME TEXT: the header line of the packet whose payload (-A)
# holds TEXT.
header_of() { awk -v m="$2" '/^[0-9][0-9]:[0-9][0-9]:/ {h = $0} index($0, m) && h != $0 {print h; exit}' "$T_DIR/$1.cap"; }
# came_as NAME TEXT REGEX: the packet holding TEXT has a header matching REGEX.
came_as() { header_of "$1" "$2" | grep -E -q -- "$3"; }
# send HOST CMD...: send a hand-made packet (a failure is said; the checks
# after it fail).
send() { on "$@" || say "     (sending failed: $*)"; }

# ---- the server space, and an idle-client service for part 6
ctl space create web --kind server --publish 80:8080 -- sh -c "mkdir -p /srv/www &&
	head -c 4096 /dev/urandom >/srv/www/f4k && head -c 1048576 /dev/urandom >/srv/www/f1m &&
	head -c $BIG /dev/urandom >/srv/www/big &&
	printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' >/etc/lt.conf &&
	exec lighttpd -D -f /etc/lt.conf" >/dev/null
# push answers each connection after 2 s, whatever the client sends.
ctl space create push --kind server --publish 9000:9000 -- \
	socat TCP-LISTEN:9000,fork,reuseaddr SYSTEM:"sleep 2; echo late-$T_ID" >/dev/null
web_pid=$(ctl --json space show web | jq -r .pid)
SRV=$(ctl --json space show web | jq -r .address)
web_if=$(ctl --json space show web | jq -r .veth)
sum_of() { ctl space exec web -- sha256sum "/srv/www/$1" | cut -d' ' -f1; }
get() { on b curl -s --max-time 20 "$@"; } # get CURL_ARGS: curl on b
dnat_count() { on a nft list chain ip hsd prerouting | sed -n 's/.*counter packets \([0-9]*\) .*comment "web".*/\1/p'; }
check "the server space is $SRV on $web_if" [ "$SRV" = 10.254.0.2 ]
check "web answers b's requests" wait_until 15 get -f -o /dev/null "http://$A/f4k"

# ---- 1. taken by the fast path
in0=$(fp in) out0=$(fp out)
code=$(get -o "$T_DIR/f4k" -w '%{http_code}' "http://$A/f4k" || true)
check "b gets the 4 KiB file through $A:80 ($code)" [ "$code" = 200 ]
check "... with the right bytes" [ "$(sha256sum <"$T_DIR/f4k" | cut -d' ' -f1)" = "$(sum_of f4k)" ]
check "status: the fast path is on, on ul0" status_has '.fastpath.on == true and .fastpath.uplink == "ul0"'
check "its packets in grew ($in0 -> $(fp in))" [ "$(fp in)" -gt "$in0" ]
check "its packets out grew ($out0 -> $(fp out))" [ "$(fp out)" -gt "$out0" ]
check "the DNAT rule on host a counted none of b's packets ($(dnat_count))" [ "$(dnat_count)" = 0 ]
check "1 MiB arrives intact (sha256)" [ "$(get "http://$A/f1m" | sha256sum | cut -d' ' -f1)" = "$(sum_of f1m)" ]
m_in=$(ctl metrics | sed -n 's/^hsd_fastpath_packets_total{kind="in"} //p')
check "hsctl metrics counts the same packets in ($m_in)" [ "$m_in" = "$(fp in)" ]
check "the programs are attached: hsd_fp_in on ul0" bash -c "$SIM --id $T_ID exec a -- tc filter show dev ul0 ingress | grep -q 'pref 61440 .*hsd_fp_in'"
check "... and hsd_fp_out on $web_if" bash -c "$SIM --id $T_ID exec a -- tc filter show dev $web_if ingress | grep -q 'pref 61440 .*hsd_fp_out'"
# Control: what the host's stack carries (the space to its own published
# port, hairpin) is counted by the rule, and not by the fast path.
in0=$(fp in)
code=$(ctl space exec web -- curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
check "control: the space reaches its published port through the host ($code)" [ "$code" = 200 ]
check "control: the DNAT rule counted that ($(dnat_count) packets)" [ "$(dnat_count)" -gt 0 ]
check "control: ... and the fast path took none of it ($in0 -> $(fp in))" [ "$(fp in)" = "$in0" ]

# ---- 2. the audit space's mirror gets each packet once
ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
ids_pid=$(ctl --json space show ids | jq -r .pid)
mirror_if=$(ctl --json space show ids | jq -r .mirror)
mirror_idx=$(on a cat "/sys/class/net/$mirror_if/ifindex")
check "the audit space has mon0" on a nsenter -t "$ids_pid" -n ip link show mon0
# one_conn NAME PORT: one request from b's port PORT, captured on mon0
# (NAME-mon) and in the server (NAME-srv); sets to_srv, from_srv (the
# server's packets each way), mon_to, mon_from (mon0's) and mon_host
# (mon0's packets with the host's address and port).
one_conn() {
	cap "$1-mon" "$ids_pid" mon0 "tcp port $2"
	cap "$1-srv" "$web_pid" eth0 "tcp port $2"
	code=$(get --local-port "$2" -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
	uncap "$1-mon"
	uncap "$1-srv"
	to_srv=$(lines "$1-srv" "IP $B\.$2 > $SRV\.8080: ")
	from_srv=$(lines "$1-srv" "IP $SRV\.8080 > $B\.$2: ")
	mon_to=$(lines "$1-mon" "IP $B\.$2 > $SRV\.8080: ")
	mon_from=$(lines "$1-mon" "IP $SRV\.8080 > $B\.$2: ")
	mon_host=$(lines "$1-mon" "$A\.80[ :]")
}
# Ports of b below its ephemeral range (32768-), so no other connection has them.
CP=$((20000 + RANDOM % 4000))
one_conn m1 "$CP"
check "b's request from port $CP is answered ($code)" [ "$code" = 200 ]
check "the server saw both directions ($to_srv in, $from_srv out)" [ "$to_srv" -gt 0 -a "$from_srv" -gt 0 ]
check "mon0 saw each packet toward the server once ($mon_to = $to_srv)" [ "$mon_to" = "$to_srv" ]
check "mon0 saw each packet from the server once ($mon_from = $from_srv)" [ "$mon_from" = "$from_srv" ]
check "mon0 saw them with the server's address and port, never $A:80 ($mon_host)" [ "$mon_host" = 0 ]
# Control: the fast path's copy is what brings the packets toward the
# server to mon0 (they never cross the veth's egress, where the mirror's
# own classifier sits).  Zero fp_mirrors, found from hsd_fp_in's maps.
prog=$(on a tc filter show dev ul0 ingress | sed -n 's/.* hsd_fp_in .* id \([0-9]*\) .*/\1/p')
mirrors=
for m in $(on a bpftool -j prog show id "$prog" | jq -r '.map_ids[]'); do
	[ "$(on a bpftool -j map show id "$m" | jq -r .name)" = fp_mirrors ] && mirrors=$m
done
mirror_slots() { on a bpftool -j map dump id "$mirrors" | jq -c '[.[] | .formatted.value // .value]'; }
check "fp_mirrors (map $mirrors of prog $prog) holds $mirror_if ($mirror_idx) once ($(mirror_slots))" \
	bash -c "[ \"\$($SIM --id $T_ID exec a -- bpftool -j map dump id '$mirrors' | jq '[.[] | .formatted.value // .value | select(. == $mirror_idx)] | length')\" = 1 ]"
for k in 0 1 2 3 4 5 6 7; do on a bpftool map update id "$mirrors" key "$k" 0 0 0 value 0 0 0 0; done
one_conn m2 $((CP + 1))
check "control: with fp_mirrors zeroed, mon0 misses the packets toward the server ($mon_to of $to_srv)" \
	[ "$to_srv" -gt 0 -a "$mon_to" = 0 ]
check "control: ... and still gets those from it, by the mirror's classifier ($mon_from = $from_srv)" \
	[ "$mon_from" = "$from_srv" ]
# A mirror coming and going makes hsd write fp_mirrors again.
ctl space create ids2 --kind audit --monitor web -- sleep infinity >/dev/null
ctl space destroy ids2 >/dev/null
one_conn m3 $((CP + 2))
check "after hsd's resync mon0 gets every packet again ($mon_to = $to_srv, $mon_from = $from_srv)" \
	[ "$to_srv" -gt 0 -a "$mon_to" = "$to_srv" -a "$mon_from" = "$from_srv" ]
check "no copy to a mirror failed ($(fp copy_failed))" [ "$(fp copy_failed)" = 0 ]

# ---- 3. a reply on no flow is dropped
OP=$((24000 + RANDOM % 4000))
cap orphan b ul0 "tcp and dst host $B and dst port $OP" -A
o0=$(fp orphan_dropped)
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp "$SRV" 8080 "$B" "$OP" PA "orphanA-$T_ID"
sleep 0.5
check "a segment from $SRV:8080 to $B:$OP (no flow, no conntrack entry) does not reach b" \
	[ "$(lines orphan "> $B\.$OP: ")" = 0 ]
check "orphan_dropped grew ($o0 -> $(fp orphan_dropped))" [ "$(fp orphan_dropped)" -gt "$o0" ]
on a tc filter del dev "$web_if" ingress pref 61440
check "control: hsd_fp_out is taken off $web_if" \
	bash -c "! $SIM --id $T_ID exec a -- tc filter show dev $web_if ingress | grep -q hsd_fp_out"
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp "$SRV" 8080 "$B" "$OP" PA "orphanB-$T_ID"
uncap orphan
check "control: without it b gets the same segment, masqueraded ($(header_of orphan "orphanB-$T_ID" | cut -c17-60))" \
	came_as orphan "orphanB-$T_ID" "IP $A\.[0-9]+ > $B\.$OP: "
# hsd puts the program back on its next sync (here: a new server space).
ctl space create aux --kind server -- sleep infinity >/dev/null
check "hsd's next sync attaches hsd_fp_out to $web_if again" \
	bash -c "$SIM --id $T_ID exec a -- tc filter show dev $web_if ingress | grep -q 'pref 61440 .*hsd_fp_out'"

# ---- 4. a forged source is not translated
HP=$((OP + 1))
cap hold b ul0 "tcp and src host $A and dst port $HP" -S -A
hold_pid=$(on b sh -c "$PY $PKT hold $HP 120 >$T_DIR/hold.out 2>&1 </dev/null & echo \$!")
on_exit "kill $hold_pid 2>/dev/null"
check "b holds a connection from port $HP" wait_until 10 grep -q connected "$T_DIR/hold.out"
guard_drops() { on a nft list chain ip hsd "guard_$web_if" | sed -n 's/.*saddr != .* counter packets \([0-9]*\) .*/\1/p'; }
g0=$(guard_drops)
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp 10.254.0.99 8080 "$B" "$HP" PA "forged-$T_ID"
sleep 0.5
check "a segment from 10.254.0.99:8080 on b's flow does not reach b" not grep -q "forged-$T_ID" "$T_DIR/hold.cap"
check "the guard dropped it ($g0 -> $(guard_drops))" [ "$(guard_drops)" -gt "$g0" ]
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp "$SRV" 8080 "$B" "$HP" PA "true-$T_ID"
check "control: from $SRV:8080 it reaches b, as from $A:80" wait_until 3 came_as hold "true-$T_ID" "IP $A\.80 > $B\.$HP: "

# ---- 5. path MTU: ICMP about the flow follows it in
isn=$(sed -n "s/.*IP $A\.80 > $B\.$HP: Flags \[S\.\], seq \([0-9]*\),.*/\1/p" "$T_DIR/hold.cap" | head -1)
check "b's capture has the server's SYN-ACK (seq $isn)" [ -n "$isn" ]
mtu_to_b() { on a nsenter -t "$web_pid" -n ip route get "$B" | grep -o 'mtu [0-9]*' || true; }
check "the space has no path MTU to b yet ($(mtu_to_b))" [ -z "$(mtu_to_b)" ]
cap icmp "$web_pid" eth0 icmp -v
i0=$(fp icmp)
# Quoting the server's next byte: TCP takes an ICMP error only in its window.
send b $PY "$PKT" icmp "$A" "$A" 80 "$B" "$HP" $((${isn:-0} + 1)) 1200
sleep 0.5
check "the space gets b's \"fragmentation needed\" (mtu 1200)" grep -q 'need to frag (mtu 1200)' "$T_DIR/icmp.cap"
check "... its quote rewritten to $SRV:8080 -> $B:$HP" grep -q "$SRV\.8080 > $B\.$HP: " "$T_DIR/icmp.cap"
check "... and none with the host's address ($A:80)" not grep -q "$A\.80 > " "$T_DIR/icmp.cap"
check "status counts it ($i0 -> $(fp icmp))" [ "$(fp icmp)" = $((i0 + 1)) ]
check "the space's path MTU to b is 1200 ($(mtu_to_b))" [ "$(mtu_to_b)" = "mtu 1200" ]
send b $PY "$PKT" icmp "$A" "$A" 80 "$B" $((HP + 1)) 1 1300
uncap icmp
check "control: about a port with no flow it does not enter the space" not grep -q 'mtu 1300' "$T_DIR/icmp.cap"
check "control: ... nor is it counted ($(fp icmp))" [ "$(fp icmp)" = $((i0 + 1)) ]
kill "$hold_pid" 2>/dev/null || true

# ---- 6. hsd's restart keeps connections
# push: an idle client, the server speaks after 2 s (control: no restart).
push() { on b sh -c "timeout 20 socat -u TCP:$A:9000 - >$T_DIR/$1 2>&1 </dev/null & echo \$!"; }
pid=$(push push1)
on_exit "kill $pid 2>/dev/null"
check "control: without a restart the idle client gets the server's late answer" \
	wait_until 8 grep -q "late-$T_ID" "$T_DIR/push1"
pid=$(on b sh -c "curl -s --max-time 60 --limit-rate 8M -o $T_DIR/big -w '%{http_code} %{size_download}' \
	http://$A/big >$T_DIR/big.out 2>&1 </dev/null & echo \$!")
on_exit "kill $pid 2>/dev/null"
pid=$(push push2)
on_exit "kill $pid 2>/dev/null"
sleep 1
had=$(stat -c %s "$T_DIR/big" 2>/dev/null || echo 0)
check "the transfer is under way when hsd stops ($had of $BIG bytes)" [ "$had" -gt 0 -a "$had" -lt "$BIG" ]
hsd_answers() { on a hsctl status >/dev/null 2>&1; }
sim stop a
check "hsd on a is stopped" not hsd_answers
# While hsd is down the programs stay, with their maps.
d0=$(dnat_count)
check "while hsd is down hsd_fp_in stays on ul0" \
	bash -c "$SIM --id $T_ID exec a -- tc filter show dev ul0 ingress | grep -q 'pref 61440 .*hsd_fp_in'"
code=$(get -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
check "... and b's new request is answered ($code), not by the DNAT rule ($d0 -> $(dnat_count))" \
	[ "$code" = 200 -a "$(dnat_count)" = "$d0" ]
sim start a
check "hsd on a answers again" hsd_answers
had=$(stat -c %s "$T_DIR/big" 2>/dev/null || echo 0)
check "... before the transfer ended ($had of $BIG bytes)" [ "$had" -lt "$BIG" ]
check "the transfer ends" wait_until 30 test -s "$T_DIR/big.out"
check "... whole ($(cat "$T_DIR/big.out"))" [ "$(cat "$T_DIR/big.out")" = "200 $BIG" ]
check "... intact (sha256)" [ "$(sha256sum <"$T_DIR/big" | cut -d' ' -f1)" = "$(sum_of big)" ]
check "the idle client connected before the restart gets the late answer after it" \
	wait_until 8 grep -q "late-$T_ID" "$T_DIR/push2"
pid=$(push push3)
on_exit "kill $pid 2>/dev/null"
check "control: an idle client connected after the restart gets it" wait_until 8 grep -q "late-$T_ID" "$T_DIR/push3"
say "     (after the restart: $(ctl --json status | jq -c .fastpath.packets))"
# (hsd wrote its table anew: the rule's counter starts again at 0)
in0=$(fp in) dnat0=$(dnat_count)
code=$(get -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
check "a new request after the restart is answered ($code)" [ "$code" = 200 ]
check "... by the fast path: packets in grew ($in0 -> $(fp in))" [ "$(fp in)" -gt "$in0" ]
check "... and not by the DNAT rule ($dnat0 -> $(dnat_count))" [ "$(dnat_count)" = "$dnat0" ]
check "status: the fast path is on, on ul0, after the restart" status_has '.fastpath.on == true and .fastpath.uplink == "ul0"'

# ---- 7. a forged source from outside does not enter the space
# The host's stack drops what arrives on ul0 from the spaces' link net
# (hsd's guard) or from the host's own address (martian); the fast path
# must not take it in either.  Last: the control takes hsd_fp_in off.
spoof_round() { # spoof_round NAME PORT0: SYNs from 10.254.0.1, A and B
	cap "$1" "$web_pid" eth0 "tcp and dst port 8080 and src portrange $2-$(($2 + 2))"
	send b $PY "$PKT" tcp 10.254.0.1 "$2" "$A" 80 S "" 1000
	send b $PY "$PKT" tcp "$A" $(($2 + 1)) "$A" 80 S "" 1000
	send b $PY "$PKT" tcp "$B" $(($2 + 2)) "$A" 80 S "" 1000
	uncap "$1"
}
guard_net() { on a nft list chain ip hsd guard | sed -n 's/.*iif != "lo" counter packets \([0-9]*\) .*/\1/p'; }
SP=$((28000 + RANDOM % 4000))
g0=$(guard_net)
spoof_round spoof1 "$SP"
check "a SYN from b with source 10.254.0.1 (a's end of the space's link) does not enter the space" \
	[ "$(lines spoof1 "IP 10\.254\.0\.1\.$SP > ")" = 0 ]
check "a SYN from b with source $A (host a's own) does not enter the space" \
	[ "$(lines spoof1 "IP $A\.$((SP + 1)) > ")" = 0 ]
check "control: the same SYN from b's own address enters" [ "$(lines spoof1 "IP $B\.$((SP + 2)) > $SRV\.8080: Flags \[S\]")" = 1 ]
on a tc filter del dev ul0 ingress pref 61440
g1=$(guard_net) d1=$(dnat_count)
spoof_round spoof2 $((SP + 3))
check "control: without hsd_fp_in the host's stack keeps out the one from 10.254.0.1" \
	[ "$(lines spoof2 "IP 10\.254\.0\.1\.$((SP + 3)) > ")" = 0 ]
check "control: ... by hsd's guard ($g1 -> $(guard_net); before: $g0 -> $g1)" [ "$(guard_net)" -gt "$g1" ]
check "control: ... and the one from $A" [ "$(lines spoof2 "IP $A\.$((SP + 4)) > ")" = 0 ]
check "control: ... while b's own enters, by DNAT ($d1 -> $(dnat_count))" \
	[ "$(lines spoof2 "IP $B\.$((SP + 5)) > $SRV\.8080: Flags \[S\]")" = 1 -a "$(dnat_count)" -gt "$d1" ]

# ---- 8. --no-fastpath takes an earlier hsd's programs off
ctl space create aux8 --kind server -- sleep infinity >/dev/null # a resync: both back
fp_filters() { # the filters at the fast path's priority on ul0 and hsv0
	{ on a tc filter show dev ul0 ingress pref 61440; on a tc filter show dev hsv0 ingress pref 61440; } | grep -c 'hsd_fp_' || true
}
check "control: before the restart both programs are attached ($(fp_filters))" [ "$(fp_filters)" = 2 ]
sim stop a
echo "--no-fastpath" >"/var/lib/hs-sim/$T_ID/hsd.args"
sim start a
wait_until 15 ctl --json status >/dev/null
check "status: hsd --no-fastpath says the fast path is off" status_has '.fastpath.on == false'
check "hsd --no-fastpath took both programs off ($(fp_filters) left)" [ "$(fp_filters)" = 0 ]
d8=$(dnat_count)
code=$(get -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
check "a request is answered by DNAT alone ($code; the rule $d8 -> $(dnat_count))" \
	[ "$code" = 200 -a "$(dnat_count)" -gt "$d8" ]
t_done
