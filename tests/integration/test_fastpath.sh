#!/usr/bin/env bash
# test_fastpath.sh - the published ports' fast path (hsd/net/bpf/fastpath.bpf.c,
# hsd/net/fastpath.c) end to end on simulated hosts: host b is the client of
# a server space "web" on host a (80:8080, 10.254.0.2); host c plays a
# third party.  The fast path is stateless: it serves host a's one address
# (192.0.2.1) and the TCP ports whose space address and port no other
# published port reaches, and leaves every connection conntrack knows to
# the host's stack.
#
#  1. b's requests are taken by hsd_fp_in/hsd_fp_out, not by the DNAT rule;
#     control: a connection the host's stack carries is counted by the rule.
#  2. an audit space's mon0 gets each packet of a connection once, as the
#     server sees it; control: without fp_mirrors' entries the packets
#     toward the server are missing there; hsd's resync puts them back.
#  3. a segment from the space with a forged source on b's connection is
#     not translated (the guard drops it); control: the true source is.
#  4. ICMP "fragmentation needed" about b's connection follows it in,
#     translated (and the space's path MTU drops); control: the same ICMP
#     with a forged outer source (10.254.0.1, the host's end of the
#     space's link) does not enter the space and is not counted.
#  5. a restart of hsd keeps connections: while it is down the programs
#     stay and serve; a transfer running across the restart and an idle
#     connection whose server speaks after it both go on (control: one
#     made after the restart); new ones still take the fast path; tc
#     saw hsd_fp_in replaced, never deleted (control: a filter taken off
#     and put back in a namespace of our own is seen deleted).
#  6. a segment from outside with a source the host's stack refuses (the
#     spaces' link net, the host's own address; with a default route by
#     ul0, 0.0.0.0 and 224.1.2.3) does not enter the space; controls: b's
#     true source enters (and, by the default route, a foreign unicast
#     one), and without hsd_fp_in the host's stack drops the forged ones;
#     hsd's next sync attaches hsd_fp_in again.
#  7. a recycled address: after b talked to web from a port, web goes,
#     "evil" (publishing nothing) gets its address and "web2" publishes
#     80:8080; evil's segment from web's address and port to b's port
#     never reaches b as from 192.0.2.1:80 (it leaves masqueraded);
#     control: web's same segment did, before.
#  8. path MTU: with ul0 at MTU 1400 (and its wire peer; TSO and GSO off)
#     b fetches 200000 bytes whole through 192.0.2.1:80 by the fast path,
#     and web2 learns mtu 1400 to b from the host's stack.
#  9. two host ports to one space port ("two": 82 and 83 -> 8080) are not
#     served: DNAT carries both; a segment c forges as b's connection to
#     :82 but sends to :83 does not break b's connection; control: it was
#     delivered to the space.
# 10. the host's own connection from a published port (33000, space
#     "eph") stays with the host: host a gets b's answer; control: b's
#     connection to 192.0.2.1:33000 enters eph by the fast path.
# 11-14: nothing makes a conntrack entry that clashes with a connection
#     the fast path carries (and would take it over); each against a
#     connection b holds to web2 (:80), which still gets its whole answer:
# 11. a space (evil, publishing nothing) connecting from port 80 to b's
#     port, 600 times: its SYNs leave masqueraded into the range no
#     published port is in, never as 192.0.2.1:80; control: they reached b.
# 12. segments the fast path cannot take, which c forges as b's connection:
#     a SYN to 10.254.0.1:80 (a local address of a), one to 192.0.2.1:80
#     with IP options, one in two IP fragments: each first packet is
#     dropped (refused_dropped grows by one) and conntrack has no entry
#     for b's port; control: a's ul0 got each.
# 13. a server segment the stack carries (the server sets IP options on
#     its connection, space "opts", 85:9000) leaves as 192.0.2.1:85 by
#     the "masquerade to :85" rule; b gets the lines before and after.
# 14. a RST and a SYN-ACK with no connection, from a space to b: dropped
#     by the forward chain's "ct state invalid" rule, not sent unNATed;
#     control: the space sent them.
# 15. an hsd whose first sync serves nothing (every space publishing a TCP
#     port died while it was down) takes the hsd_fp_in an earlier hsd left
#     off ul0; control: it was there before.
# 16. an hsd started with --no-fastpath takes the programs an earlier one
#     left off the uplink and the veths, and publishes by DNAT alone (a
#     new space, web3, on 84); control: they were there before it started.
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
hsd_answers() { on a hsctl status >/dev/null 2>&1; }
fp_in_on() { on a tc filter show dev ul0 ingress pref 61440 | grep -q 'hsd_fp_in'; }

if ctl --json status | jqe '.fastpath.on == false' && sim log a | grep -q 'fast path: not built into this hsd'; then
	say "SKIP: this hsd was built without the fast path (eBPF)"
	exit 77
fi

# pkt.py: hand-made packets (raw sockets, checksums computed here).
cat >"$PKT" <<'EOF'
#   tcp SRC SPORT DST DPORT FLAGS PAYLOAD [SEQ]  one TCP segment (IP_HDRINCL)
#   opttcp SRC SPORT DST DPORT FLAGS PAYLOAD [SEQ]
#                                                 the same with IP options (4 NOPs)
#   fragtcp SRC SPORT DST DPORT FLAGS PAYLOAD [SEQ]
#                                                 the same in two IP fragments: the
#                                                 TCP header and 4 bytes, the rest
#                                                 (PAYLOAD: 5 bytes or more)
#   ethtcp DEV DMAC SRC SPORT DST DPORT FLAGS PAYLOAD [SEQ]
#                                                 the same in an Ethernet frame
#                                                 sent on DEV to DMAC (any
#                                                 source, 0.0.0.0 too)
#   icmp TO QSRC QSPORT QDST QDPORT QSEQ MTU [FROM]
#                                                 "fragmentation needed" to TO
#                                                 quoting QSRC:QSPORT -> QDST:QDPORT
#                                                 (from FROM, else the host's)
#   hold PORT SECONDS [DPORT [GO]]                a client from PORT to
#                                                 192.0.2.1:DPORT (80), its request
#                                                 half sent; once the file GO
#                                                 exists it ends the request and
#                                                 prints the answer's status line
#                                                 and body size
#   connect SRC SPORT DST DPORT                   an ordinary client bound to
#                                                 SRC:SPORT
import os, socket, struct, sys, time

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip_hdr(src, dst, proto, plen, opts=b"", frag=0x4000):
    h = struct.pack("!BBHHHBBH4s4s", 0x45 + len(opts) // 4, 0, 20 + len(opts) + plen, 0x4242,
                    frag, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]

def tcp_seg(src, sport, dst, dport, flags, payload, seq):
    fl = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    h = struct.pack("!HHIIHHHH", sport, dport, seq, 0x1000, (5 << 12) | fl, 64240, 0, 0)
    ph = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6,
                     len(h) + len(payload))
    return h[:16] + struct.pack("!H", csum(ph + h + payload)) + h[18:] + payload

def tcp_pkt(a):
    seq = int(a[6]) if len(a) > 6 else 0x12345678
    seg = tcp_seg(a[0], int(a[1]), a[2], int(a[3]), a[4], a[5].encode(), seq)
    return ip_hdr(a[0], a[2], 6, len(seg)) + seg

cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(tcp_pkt(a), (a[2], 0))
elif cmd in ("opttcp", "fragtcp"):
    seq = int(a[6]) if len(a) > 6 else 0x12345678
    seg = tcp_seg(a[0], int(a[1]), a[2], int(a[3]), a[4], a[5].encode(), seq)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if cmd == "opttcp":
        s.sendto(ip_hdr(a[0], a[2], 6, len(seg), b"\x01" * 4) + seg, (a[2], 0))
    else:  # offsets in 8-byte units: the second starts at 24 bytes
        s.sendto(ip_hdr(a[0], a[2], 6, 24, frag=0x2000) + seg[:24], (a[2], 0))
        s.sendto(ip_hdr(a[0], a[2], 6, len(seg) - 24, frag=3) + seg[24:], (a[2], 0))
elif cmd == "ethtcp":
    # A raw IPv4 socket would fill in a zero source: a frame is sent as is.
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
    own = open("/sys/class/net/%s/address" % a[0]).read().strip()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a[0], 0))
    s.send(mac(a[1]) + mac(own) + b"\x08\x00" + tcp_pkt(a[2:]))
elif cmd == "icmp":
    # The quote: the IPv4 header of a 52-byte segment and its first 8 bytes.
    quote = ip_hdr(a[1], a[3], 6, 32) + struct.pack("!HHI", int(a[2]), int(a[4]), int(a[5]))
    body = struct.pack("!BBHHH", 3, 4, 0, 0, int(a[6])) + quote
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    if len(a) > 7:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        s.sendto(ip_hdr(a[7], a[0], 1, len(body)) + body, (a[0], 0))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.sendto(body, (a[0], 0))
elif cmd == "hold":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(a[0])))
    s.connect(("192.0.2.1", int(a[2]) if len(a) > 2 else 80))
    s.sendall(b"GET /f4k HTTP/1.1\r\nHost: a\r\n")
    print("connected", flush=True)
    end = time.time() + float(a[1])
    while len(a) < 4 or not os.path.exists(a[3]):
        if time.time() > end:
            sys.exit(0)
        time.sleep(0.05)
    s.sendall(b"Connection: close\r\n\r\n")
    s.settimeout(5)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    head, _, body = got.partition(b"\r\n\r\n")
    print("answer:", head.split(b"\r\n")[0].decode(), len(body), flush=True)
elif cmd == "connect":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a[0], int(a[1])))
    s.settimeout(2)
    try:
        s.connect((a[2], int(a[3])))
        print("connected")
    except OSError as e:
        print("not connected:", e)
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

# ---- the server spaces, and an idle-client service for part 5
# lt_space NAME BIG_BYTES OPTIONS...: a server space whose lighttpd serves
# /srv/www on port 8080: f4k, f1m, f200k and big (BIG_BYTES), random bytes.
lt_space() {
	local name=$1 big=$2
	shift 2
	ctl space create "$name" --kind server "$@" -- sh -c "mkdir -p /srv/www &&
		head -c 4096 /dev/urandom >/srv/www/f4k && head -c 1048576 /dev/urandom >/srv/www/f1m &&
		head -c 200000 /dev/urandom >/srv/www/f200k && head -c $big /dev/urandom >/srv/www/big &&
		printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' >/etc/lt.conf &&
		exec lighttpd -D -f /etc/lt.conf" >/dev/null
}
# space_field NAME FIELD: a field of hsctl's space show.
space_field() { ctl --json space show "$1" | jq -r ".$2"; }
# use_web NAME: the server space behind $A:80 from here on ($WEB).
use_web() {
	WEB=$1
	web_pid=$(space_field "$WEB" pid)
	SRV=$(space_field "$WEB" address)
	web_if=$(space_field "$WEB" veth)
}
lt_space web "$BIG" --publish 80:8080
# push answers each connection after 2 s, whatever the client sends;
# drip sends 100 bytes every 0.1 ms for 8 s (its client acks all the time).
ctl space create push --kind server --publish 9000:9000 --publish 9001:9001 -- sh -c "
	printf '%s\\n' 'import sys, time' 'for i in range(80000):' \\
		'    sys.stdout.buffer.write(bytes(100)); sys.stdout.flush(); time.sleep(0.0001)' >/tmp/drip.py &&
	{ socat TCP-LISTEN:9001,fork,reuseaddr SYSTEM:'$PY /tmp/drip.py' & } &&
	exec socat TCP-LISTEN:9000,fork,reuseaddr SYSTEM:'sleep 2; echo late-$T_ID'" >/dev/null
use_web web
sum_of() { ctl space exec "$WEB" -- sha256sum "/srv/www/$1" | cut -d' ' -f1; }
get() { on b curl -s --max-time 20 "$@"; } # get CURL_ARGS: curl on b
# dnat_count [SPACE [PORT]]: the packets the DNAT rules of SPACE ($WEB)
# counted on host a (PORT's rule only, if given).
dnat_count() {
	{ on a nft list chain ip hsd prerouting 2>/dev/null || true; } |
		sed -n "s/.* dport ${2:-[0-9]*} counter packets \([0-9]*\) .*comment \"${1:-$WEB}\"\$/\1/p" |
		awk '{n += $1} END {print n + 0}'
}
mtu_to_b() { on a nsenter -t "$web_pid" -n ip route get "$B" | grep -o 'mtu [0-9]*' || true; }
check "the server space is $SRV on $web_if" [ "$SRV" = 10.254.0.2 ]
check "web answers b's requests" wait_until 15 get -f -o /dev/null "http://$A/f4k"

# ---- 1. taken by the fast path
in0=$(fp in) out0=$(fp out)
code=$(get -o "$T_DIR/f4k" -w '%{http_code}' "http://$A/f4k" || true)
check "b gets the 4 KiB file through $A:80 ($code)" [ "$code" = 200 ]
check "... with the right bytes" [ "$(sha256sum <"$T_DIR/f4k" | cut -d' ' -f1)" = "$(sum_of f4k)" ]
check "status: the fast path is on, on ul0" status_has '.fastpath.on == true and .fastpath.uplink == "ul0"'
check "status: its counters are in, out, icmp, unrouted_dropped, refused_dropped, copy_failed, unwritable_dropped" \
	status_has '.fastpath.packets | keys == ["copy_failed", "icmp", "in", "out", "refused_dropped", "unrouted_dropped", "unwritable_dropped"]'
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
# Ports of b below its ephemeral range (32768-), so no other connection
# has them: CP.. (parts 2 and 7), HP.. (3, 4 and 9), SP.. (6).
CP=$((20000 + RANDOM % 4000))
HP=$((24000 + RANDOM % 4000))
SP=$((28000 + RANDOM % 4000))
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
check "no segment was dropped unrewritten ($(fp unwritable_dropped))" [ "$(fp unwritable_dropped)" = 0 ]

# ---- 3. a forged source is not translated
cap hold b ul0 "tcp and src host $A and dst port $HP" -S -A
hold_pid=$(on b sh -c "$PY $PKT hold $HP 120 >$T_DIR/hold.out 2>&1 </dev/null & echo \$!")
on_exit "kill $hold_pid 2>/dev/null"
check "b holds a connection from port $HP" wait_until 10 grep -q connected "$T_DIR/hold.out"
guard_drops() { on a nft list chain ip hsd "guard_$web_if" | sed -n 's/.*saddr != .* counter packets \([0-9]*\) .*/\1/p'; }
g0=$(guard_drops)
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp 10.254.0.99 8080 "$B" "$HP" PA "forged-$T_ID"
sleep 0.5
check "a segment from 10.254.0.99:8080 on b's connection does not reach b" not grep -q "forged-$T_ID" "$T_DIR/hold.cap"
check "the guard dropped it ($g0 -> $(guard_drops))" [ "$(guard_drops)" -gt "$g0" ]
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp "$SRV" 8080 "$B" "$HP" PA "true-$T_ID"
check "control: from $SRV:8080 it reaches b, as from $A:80" wait_until 3 came_as hold "true-$T_ID" "IP $A\.80 > $B\.$HP: "

# ---- 4. path MTU: ICMP about b's connection follows it in
isn=$(sed -n "s/.*IP $A\.80 > $B\.$HP: Flags \[S\.\], seq \([0-9]*\),.*/\1/p" "$T_DIR/hold.cap" | head -1)
check "b's capture has the server's SYN-ACK (seq $isn)" [ -n "$isn" ]
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
# The same error from an address the host would not answer by ul0.
send b $PY "$PKT" icmp "$A" "$A" 80 "$B" "$HP" $((${isn:-0} + 1)) 1300 10.254.0.1
uncap icmp
check "control: the same ICMP from 10.254.0.1 (a's end of the space's link) does not enter the space" \
	not grep -q 'mtu 1300' "$T_DIR/icmp.cap"
check "control: ... nor is it counted ($(fp icmp))" [ "$(fp icmp)" = $((i0 + 1)) ]
kill "$hold_pid" 2>/dev/null || true

# ---- 5. hsd's restart keeps connections
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
# conntrack's connections from b to port 80: one of the transfer's ACKs
# reaching the stack while the programs are swapped would add one.
ct80() { on a cat /proc/net/nf_conntrack | grep -c "src=$B dst=$A sport=[0-9]* dport=\(80\|9001\) " || true; }
ct_before=$(ct80)
pid=$(on b sh -c "timeout 12 socat -u TCP:$A:9001 - >$T_DIR/drip 2>&1 </dev/null & echo \$!")
on_exit "kill $pid 2>/dev/null"
# tc's own account of a's filters across the restart: a moment without
# hsd_fp_in shows as a deleted filter (the drip above catches such a gap
# only when one of its segments falls into it).
tcmon=$(on a sh -c "timeout 60 tc monitor >$T_DIR/tcmon 2>&1 </dev/null & echo \$!")
on_exit "kill $tcmon 2>/dev/null"
sleep 0.5
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
check "the transfer and a stream of small segments stayed on the fast path: conntrack never took either up ($ct_before -> $(ct80))" \
	[ "$(ct80)" = "$ct_before" ]
check "... the stream came through ($(stat -c %s "$T_DIR/drip") bytes)" [ "$(stat -c %s "$T_DIR/drip")" -gt 100000 ]
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
kill "$tcmon" 2>/dev/null || true
fp_in_events() { grep -c "^$1 filter dev ul0 ingress protocol ip pref 61440 " "$T_DIR/$2" || true; }
check "hsd's restart replaced hsd_fp_in in place: tc saw it replaced ($(fp_in_events replaced tcmon)), never deleted ($(fp_in_events deleted tcmon))" \
	[ "$(fp_in_events replaced tcmon)" -ge 1 -a "$(fp_in_events deleted tcmon)" = 0 ]
# Control: the same watch sees a filter taken off and put back, on a veth
# of a namespace of our own named ul0 as well.
ip netns add "hs-$T_ID-tcm"
on_exit "ip netns del hs-$T_ID-tcm 2>/dev/null"
ip -n "hs-$T_ID-tcm" link add ul0 type veth peer name ul1
tc -n "hs-$T_ID-tcm" qdisc add dev ul0 clsact
ip netns exec "hs-$T_ID-tcm" sh -c "timeout 5 tc monitor >$T_DIR/tcmon-ctl 2>&1 </dev/null &"
sleep 0.5
tcf() { local op=$1; shift; tc -n "hs-$T_ID-tcm" filter "$op" dev ul0 ingress pref 61440 "$@"; }
tcf add protocol ip bpf bytecode '1,6 0 0 0,'
tcf del
tcf add protocol ip bpf bytecode '1,6 0 0 0,'
check "control: a filter taken off and put back is seen deleted" wait_until 5 \
	bash -c "[ \$(grep -c '^deleted filter dev ul0 ingress protocol ip pref 61440 ' $T_DIR/tcmon-ctl) = 1 ]"

# ---- 6. a forged source from outside does not enter the space
# The host's stack drops what arrives on ul0 from the spaces' link net
# (hsd's guard) or from the host's own address (martian); the fast path
# must not take it in either.
spoof_round() { # spoof_round NAME PORT0: SYNs from 10.254.0.1, A and B
	cap "$1" "$web_pid" eth0 "tcp and dst port 8080 and src portrange $2-$(($2 + 2))"
	send b $PY "$PKT" tcp 10.254.0.1 "$2" "$A" 80 S "" 1000
	send b $PY "$PKT" tcp "$A" $(($2 + 1)) "$A" 80 S "" 1000
	send b $PY "$PKT" tcp "$B" $(($2 + 2)) "$A" 80 S "" 1000
	uncap "$1"
}
guard_net() { on a nft list chain ip hsd guard | sed -n 's/.*iif != "lo" counter packets \([0-9]*\) .*/\1/p'; }
g0=$(guard_net)
spoof_round spoof1 "$SP"
check "a SYN from b with source 10.254.0.1 (a's end of the space's link) does not enter the space" \
	[ "$(lines spoof1 "IP 10\.254\.0\.1\.$SP > ")" = 0 ]
check "a SYN from b with source $A (host a's own) does not enter the space" \
	[ "$(lines spoof1 "IP $A\.$((SP + 1)) > ")" = 0 ]
check "control: the same SYN from b's own address enters" [ "$(lines spoof1 "IP $B\.$((SP + 2)) > $SRV\.8080: Flags \[S\]")" = 1 ]
# Martian sources, with a default route by ul0 in host a for the while:
# the reverse-path lookup alone would let them in.  Ethernet frames from
# b's ul0 (a raw IP socket would put b's address for 0.0.0.0).
MP=$((SP + 6))
A_MAC=$(on a cat /sys/class/net/ul0/address)
on a ip route add default dev ul0
cap martian "$web_pid" eth0 "tcp and dst port 8080 and src portrange $MP-$((MP + 3))"
send b $PY "$PKT" ethtcp ul0 "$A_MAC" 0.0.0.0 "$MP" "$A" 80 S "" 1000
send b $PY "$PKT" ethtcp ul0 "$A_MAC" 224.1.2.3 $((MP + 1)) "$A" 80 S "" 1000
send b $PY "$PKT" ethtcp ul0 "$A_MAC" 198.51.100.7 $((MP + 2)) "$A" 80 S "" 1000
send b $PY "$PKT" ethtcp ul0 "$A_MAC" "$B" $((MP + 3)) "$A" 80 S "" 1000
uncap martian
on a ip route del default dev ul0
check "with a default route by ul0: a SYN from source 0.0.0.0 does not enter the space" \
	[ "$(lines martian "\.$MP > ")" = 0 ]
check "... nor one from source 224.1.2.3 (multicast)" [ "$(lines martian "\.$((MP + 1)) > ")" = 0 ]
check "control: ... while one from 198.51.100.7 (unicast, routed by ul0 now) enters" \
	[ "$(lines martian "IP 198\.51\.100\.7\.$((MP + 2)) > $SRV\.8080: Flags \[S\]")" = 1 ]
check "control: ... and b's own enters" [ "$(lines martian "IP $B\.$((MP + 3)) > $SRV\.8080: Flags \[S\]")" = 1 ]
# Control: the host's stack itself keeps the forged ones out (the control
# takes hsd_fp_in off; hsd's next sync puts it back).
on a tc filter del dev ul0 ingress pref 61440
g1=$(guard_net) d1=$(dnat_count)
spoof_round spoof2 $((SP + 3))
check "control: without hsd_fp_in the host's stack keeps out the one from 10.254.0.1" \
	[ "$(lines spoof2 "IP 10\.254\.0\.1\.$((SP + 3)) > ")" = 0 ]
check "control: ... by hsd's guard ($g1 -> $(guard_net); before: $g0 -> $g1)" [ "$(guard_net)" -gt "$g1" ]
check "control: ... and the one from $A" [ "$(lines spoof2 "IP $A\.$((SP + 4)) > ")" = 0 ]
check "control: ... while b's own enters, by DNAT ($d1 -> $(dnat_count))" \
	[ "$(lines spoof2 "IP $B\.$((SP + 5)) > $SRV\.8080: Flags \[S\]")" = 1 -a "$(dnat_count)" -gt "$d1" ]
ctl space create aux --kind server -- sleep infinity >/dev/null
check "hsd's next sync (a new space) attaches hsd_fp_in to ul0 again" fp_in_on

# ---- 7. a recycled address does not inherit the published port
RP=$((CP + 3))
code=$(get --local-port "$RP" -o /dev/null -w '%{http_code}' "http://$A/f4k" || true)
check "b's request from port $RP to web ($SRV) is answered ($code)" [ "$code" = 200 ]
cap rec1 b ul0 "tcp and dst host $B and dst port $RP" -A
send a nsenter -t "$web_pid" -n $PY "$PKT" tcp "$SRV" 8080 "$B" "$RP" PA "recycled-$T_ID"
uncap rec1
check "control: web's segment from $SRV:8080 to $B:$RP reaches b as from $A:80" \
	came_as rec1 "recycled-$T_ID" "IP $A\.80 > $B\.$RP: "
old_srv=$SRV
ctl space destroy web >/dev/null
ctl space create evil --kind server -- sleep infinity >/dev/null
evil_pid=$(space_field evil pid)
evil_addr=$(space_field evil address)
check "evil (publishing nothing) got web's address $old_srv again ($evil_addr)" [ "$evil_addr" = "$old_srv" ]
lt_space web2 0 --publish 80:8080
use_web web2
check "web2 publishes 80:8080 from a new address ($SRV)" [ "$SRV" != "$evil_addr" ]
check "web2 answers b's requests" wait_until 15 get -f -o /dev/null "http://$A/f4k"
cap rec2 b ul0 "tcp and dst host $B and dst port $RP"
say "     (evil's client: $(on a nsenter -t "$evil_pid" -n $PY "$PKT" connect "$evil_addr" 8080 "$B" "$RP" 2>&1))"
uncap rec2
check "evil's SYN from $evil_addr:8080 to $B:$RP never reaches b as from $A:80 ($(lines rec2 "IP $A\.80 > "))" \
	[ "$(lines rec2 "IP $A\.80 > ")" = 0 ]
check "... it left, masqueraded ($(grep -m1 -o "IP $A\.[0-9]* > $B\.$RP: Flags \[S\]" "$T_DIR/rec2.cap" || true))" \
	[ "$(lines rec2 "IP $A\.[0-9]+ > $B\.$RP: Flags \[S\]")" -gt 0 ]

# ---- 8. path MTU below the space's: the host's stack says so
iflink=$(on a cat /sys/class/net/ul0/iflink)
UL=hs-$T_ID-ul # the sim's switch, where ul0's other end is
peer=$(ip -n "$UL" -o link | awk -F': ' -v i="$iflink" '$1 == i {sub(/@.*/, "", $2); print $2}')
check "ul0's wire peer is $peer in the switch ($UL)" [ -n "$peer" ]
offload() { on a ethtool -k ul0 | sed -n "s/^$1: \([a-z]*\).*/\1/p"; }
tso=$(offload tcp-segmentation-offload) gso=$(offload generic-segmentation-offload)
ip -n "$UL" link set "$peer" mtu 1400
on a ip link set ul0 mtu 1400
on a ethtool -K ul0 tso off gso off
check "ul0 has mtu 1400, TSO and GSO off" bash -c "[ \"\$($SIM --id $T_ID exec a -- cat /sys/class/net/ul0/mtu)\" = 1400 ] &&
	$SIM --id $T_ID exec a -- ethtool -k ul0 | grep -q '^generic-segmentation-offload: off'"
check "web2 has no path MTU to b yet ($(mtu_to_b))" [ -z "$(mtu_to_b)" ]
o0=$(fp out) d0=$(dnat_count)
got=$(get "http://$A/f200k" | sha256sum | cut -d' ' -f1)
check "b gets 200000 bytes through $A:80 whole (sha256)" [ "$got" = "$(sum_of f200k)" ]
check "web2's path MTU to b is 1400 now ($(mtu_to_b))" [ "$(mtu_to_b)" = "mtu 1400" ]
check "the fast path took the replies out ($o0 -> $(fp out)), not DNAT ($d0 -> $(dnat_count))" \
	[ "$(fp out)" -gt "$o0" -a "$(dnat_count)" = "$d0" ]
on a ip link set ul0 mtu 1500
ip -n "$UL" link set "$peer" mtu 1500
on a ethtool -K ul0 tso "$tso" gso "$gso"
check "ul0's mtu and offloads are back (1500, tso $tso, gso $gso)" bash -c "[ \"\$($SIM --id $T_ID exec a -- cat /sys/class/net/ul0/mtu)\" = 1500 ] &&
	$SIM --id $T_ID exec a -- ethtool -k ul0 | grep -q '^generic-segmentation-offload: $gso'"

# ---- 9. two host ports to one space port: not served
lt_space two 0 --publish 82:8080 --publish 83:8080
two_pid=$(space_field two pid)
two_addr=$(space_field two address)
check "two answers b's requests on :82" wait_until 15 get -f -o /dev/null "http://$A:82/f4k"
in0=$(fp in) d82=$(dnat_count two 82) d83=$(dnat_count two 83)
c82=$(get -o /dev/null -w '%{http_code}' "http://$A:82/f4k" || true)
c83=$(get -o /dev/null -w '%{http_code}' "http://$A:83/f4k" || true)
check "b's requests to $A:82 and $A:83 are answered ($c82, $c83)" [ "$c82" = 200 -a "$c83" = 200 ]
check "... by DNAT: the rule of :82 counted it ($d82 -> $(dnat_count two 82))" [ "$(dnat_count two 82)" -gt "$d82" ]
check "... and the rule of :83 ($d83 -> $(dnat_count two 83))" [ "$(dnat_count two 83)" -gt "$d83" ]
check "... not by the fast path: packets in did not grow ($in0 -> $(fp in))" [ "$(fp in)" = "$in0" ]
# c forges a segment of b's connection to :82 and sends it to :83.
TP=$((HP + 1))
cap two "$two_pid" eth0 "tcp port 8080" -A
pid=$(on b sh -c "$PY $PKT hold $TP 30 82 $T_DIR/two.go >$T_DIR/two.out 2>&1 </dev/null & echo \$!")
on_exit "kill $pid 2>/dev/null"
check "b holds a connection to $A:82 from port $TP" wait_until 10 grep -q connected "$T_DIR/two.out"
send c $PY "$PKT" tcp "$B" "$TP" "$A" 83 PA "forged83-$T_ID" 12345
sleep 0.5
touch "$T_DIR/two.go"
wait_until 8 grep -q '^answer: ' "$T_DIR/two.out" || true
check "b's connection to :82 still works: its request is answered ($(sed -n 's/^answer: //p' "$T_DIR/two.out"))" \
	grep -q '^answer: HTTP/1.1 200 OK 4096$' "$T_DIR/two.out"
uncap two
check "control: c's forged segment reached two ($(header_of two "forged83-$T_ID" | cut -c17-90))" \
	came_as two "forged83-$T_ID" "IP $B\.[0-9]+ > $two_addr\.8080: "

# ---- 10. the host's own connection from a published port
ctl space create eph --kind server --publish 33000:8080 -- \
	socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:"echo eph-$T_ID" >/dev/null
eph_pid=$(space_field eph pid)
pid=$(on b sh -c "timeout 20 socat TCP-LISTEN:5555,reuseaddr SYSTEM:'echo mark-$T_ID' </dev/null >/dev/null 2>&1 & echo \$!")
on_exit "kill $pid 2>/dev/null"
listens() { local port=$1; shift; on "$@" ss -Hltn "sport = :$port" | grep -q .; } # listens PORT HOST [CMD...]
check "b listens on 5555" wait_until 5 listens 5555 b
check "eph listens on 8080" wait_until 5 listens 8080 a nsenter -t "$eph_pid" -n
in0=$(fp in)
got=$(on a timeout 5 socat -u "TCP:$B:5555,sourceport=33000,reuseaddr" - 2>&1 || true)
check "host a's own connection from port 33000 to $B:5555 gets b's answer ($got)" [ "$got" = "mark-$T_ID" ]
check "... the fast path took none of it ($in0 -> $(fp in))" [ "$(fp in)" = "$in0" ]
in0=$(fp in) d0=$(dnat_count eph)
got=$(on b timeout 5 socat -u "TCP:$A:33000" - 2>&1 || true)
check "control: b's connection to $A:33000 gets eph's answer ($got)" [ "$got" = "eph-$T_ID" ]
check "control: ... by the fast path: packets in grew ($in0 -> $(fp in)), the DNAT rule did not ($d0 -> $(dnat_count eph))" \
	[ "$(fp in)" -gt "$in0" -a "$(dnat_count eph)" = "$d0" ]

# ---- 11-14: what made a conntrack entry clash with a live fast connection
# Each attack is against a connection b holds to a fast port (hold: its
# request half sent, ended once the file GO exists); b's connection must
# still get its whole answer.  Ports of b above the others' (32000-32699,
# below its ephemeral range).
XP=$((32000 + RANDOM % 600))
# held NAME PORT: b's held connection from PORT to $A:80 ($WEB's f4k).
held() {
	local pid
	pid=$(on b sh -c "$PY $PKT hold $2 30 80 $T_DIR/$1.go >$T_DIR/$1.out 2>&1 </dev/null & echo \$!")
	on_exit "kill $pid 2>/dev/null"
	check "b holds a connection from port $2 to $A:80" wait_until 10 grep -q connected "$T_DIR/$1.out"
}
# answered NAME: b ends the held request; its answer is whole.
answered() {
	touch "$T_DIR/$1.go"
	wait_until 8 grep -q '^answer: ' "$T_DIR/$1.out" || true
	check "b's held connection still gets its whole answer ($(sed -n 's/^answer: //p' "$T_DIR/$1.out"))" \
		grep -q '^answer: HTTP/1.1 200 OK 4096$' "$T_DIR/$1.out"
}
# ct_of PORT: conntrack's entries on a with b's PORT as a source.
ct_of() { on a cat /proc/net/nf_conntrack | grep -c "src=$B dst=[0-9.]* sport=$1 " || true; }
# nft_count CHAIN REGEX: the sum of the counters of CHAIN's rules matching REGEX.
nft_count() {
	{ on a nft list chain ip hsd "$1" 2>/dev/null || true; } | grep -E -- "$2" |
		sed -n 's/.* counter packets \([0-9]*\) .*/\1/p' | awk '{n += $1} END {print n + 0}'
}
# vlines NAME REGEX: as lines, for a capture taken with -v (a packet's
# lines joined into one).
vlines() {
	awk '/^[0-9][0-9]:/ {if (r != "") print r; r = $0; next} {r = r " " $0} END {if (r != "") print r}' \
		"$T_DIR/$1.cap" | grep -E -c -- "$2" || true
}

# ---- 11. a space bound to a served port's number, to b's port
P1=$XP
held mas "$P1"
cap mas b ul0 "tcp and dst host $B and dst port $P1"
r0=$(nft_count postrouting 'masquerade to :[0-9]*-')
# 600 tries, each aborted (a reset ends its conntrack entry, so the next
# is masqueraded anew): NAT keeping 80, or picking it at random from
# ports below 512 as it did with "masquerade random", would show.
say "     (evil's clients from :80: $(ctl space exec evil -- $PY -c "
import socket, struct, time
n = 0
for i in range(600):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.bind(('0.0.0.0', 80))
    s.setblocking(False)
    n += s.connect_ex(('$B', $P1)) in (0, 115)
    time.sleep(0.002)
    s.close()
print(n, 'SYNs sent')" 2>&1))"
uncap mas
check "control: evil's SYNs to $B:$P1 reached b ($(lines mas "IP $A\.[0-9]+ > $B\.$P1: Flags \[S\]"))" \
	[ "$(lines mas "IP $A\.[0-9]+ > $B\.$P1: Flags \[S\]")" -gt 100 ]
check "... none of them as $A:80 ($(lines mas "IP $A\.80 > $B\.$P1: Flags \[S\]"))" \
	[ "$(lines mas "IP $A\.80 > $B\.$P1: Flags \[S\]")" = 0 ]
check "... masqueraded into the range no published port is in ($r0 -> $(nft_count postrouting 'masquerade to :[0-9]*-'))" \
	[ "$(nft_count postrouting 'masquerade to :[0-9]*-')" -gt "$r0" ]
answered mas

# ---- 12. segments the fast path cannot take, forged by c as b's connection
P2=$((XP + 1))
held odd "$P2"
cap odd a ul0 "src host $B and (tcp src port $P2 or ip[6:2] & 0x1fff != 0)" -v -S
refused() { fp refused_dropped; }
f0=$(refused)
send c $PY "$PKT" ethtcp ul0 "$A_MAC" "$B" "$P2" 10.254.0.1 80 S "" 7001
sleep 0.3
f1=$(refused)
send c $PY "$PKT" opttcp "$B" "$P2" "$A" 80 S "" 7002
sleep 0.3
f2=$(refused)
send c $PY "$PKT" fragtcp "$B" "$P2" "$A" 80 S "frag-$T_ID" 7003
sleep 0.3
f3=$(refused)
uncap odd
check "control: a's ul0 got c's SYN to 10.254.0.1:80 (web's link, a's end)" \
	[ "$(vlines odd "$B\.$P2 > 10\.254\.0\.1\.80: Flags \[S\].* seq 7001")" = 1 ]
check "... refused_dropped grew by 1 ($f0 -> $f1)" [ "$f1" = $((f0 + 1)) ]
check "control: a's ul0 got c's SYN to $A:80 with IP options" \
	[ "$(vlines odd "options \(NOP,NOP,NOP,NOP\).* $B\.$P2 > $A\.80: Flags \[S\].* seq 7002")" = 1 ]
check "... refused_dropped grew by 1 ($f1 -> $f2)" [ "$f2" = $((f1 + 1)) ]
check "control: a's ul0 got c's SYN to $A:80 in two fragments" \
	[ "$(vlines odd "offset 0, flags \[\+\].* $B\.$P2 > $A\.80: Flags \[S\].* seq 7003")" = 1 -a \
	"$(vlines odd "id 16962, offset 24, ")" = 1 ]
check "... refused_dropped grew by 1, the first ($f2 -> $f3)" [ "$f3" = $((f2 + 1)) ]
check "none made a conntrack entry for $B:$P2 on a ($(ct_of "$P2"))" [ "$(ct_of "$P2")" = 0 ]
answered odd

# ---- 13. a server's segment the stack carries leaves as its published port
ctl space create opts --kind server --publish 85:9000 -- $PY -c "
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 9000))
l.listen(8)
while True:
    c, _ = l.accept()
    c.sendall(b'before-$T_ID\n')
    time.sleep(0.3)
    c.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b'\x01\x01\x01\x00')
    c.sendall(b'after-$T_ID\n')
    time.sleep(0.3)
    c.close()" >/dev/null
opts_pid=$(space_field opts pid)
check "opts listens on 9000" wait_until 5 listens 9000 a nsenter -t "$opts_pid" -n
m0=$(nft_count postrouting 'masquerade to :85$')
cap opts b ul0 "tcp and src host $A" -A
got=$(on b timeout 5 socat -u "TCP:$A:85" - 2>&1 | tr '\n' ' ' || true)
uncap opts
check "b gets both lines from $A:85, before and after the IP options ($got)" \
	[ "$got" = "before-$T_ID after-$T_ID " ]
check "the segment after the options came from $A:85 ($(header_of opts "after-$T_ID" | cut -c17-60))" \
	came_as opts "after-$T_ID" "IP $A\.85 > $B\.[0-9]+: "
check "... by the stack: the \"masquerade to :85\" rule counted it ($m0 -> $(nft_count postrouting 'masquerade to :85$'))" \
	[ "$(nft_count postrouting 'masquerade to :85$')" -gt "$m0" ]

# ---- 14. what conntrack cannot place does not leave a space
cap inv b ul0 "tcp and dst port 5555" -S
cap inv-src "$evil_pid" eth0 "tcp and src port 1234" -S
v0=$(nft_count forward 'ct state invalid')
send a nsenter -t "$evil_pid" -n $PY "$PKT" tcp "$evil_addr" 1234 "$B" 5555 R "" 8001
send a nsenter -t "$evil_pid" -n $PY "$PKT" tcp "$evil_addr" 1234 "$B" 5555 SA "" 8002
uncap inv-src
uncap inv
check "control: evil sent a RST and a SYN-ACK from $evil_addr:1234 to $B:5555" \
	[ "$(lines inv-src "Flags \[R\], seq 8001")" = 1 -a "$(lines inv-src "Flags \[S\.\], seq 8002")" = 1 ]
check "b got neither ($(lines inv "seq 800[12]"))" [ "$(lines inv "seq 800[12]")" = 0 ]
check "the forward chain's \"ct state invalid\" rule dropped both ($v0 -> $(nft_count forward 'ct state invalid'))" \
	[ "$(nft_count forward 'ct state invalid')" = $((v0 + 2)) ]

# ---- 15. a leftover hsd_fp_in goes when nothing is served
check "control: hsd_fp_in is on ul0 before hsd stops" fp_in_on
tcp_spaces=$(ctl --json space list | jq -r '[.spaces[] | select(any(.publish[]?; endswith("/tcp")))]')
inits=$(jq -r '.[].pid' <<<"$tcp_spaces")
veths=$(jq -r '[.[].veth] | join("|")' <<<"$tcp_spaces")
sim stop a
# shellcheck disable=SC2086 # pids
kill -KILL $inits || say "     (kill $inits failed)"
check "the spaces publishing TCP ports ($(jq -r '[.[].name] | join(" ")' <<<"$tcp_spaces")) are gone, veths too" \
	wait_until 10 bash -c "! $SIM --id $T_ID exec a -- ip -o link | grep -qE ': ($veths)@'"
check "control: ... while hsd_fp_in stays on ul0" fp_in_on
sim start a
check "hsd on a answers again" hsd_answers
check "no hsd_fp_in is left on ul0 ($(on a tc filter show dev ul0 ingress pref 61440 | grep -o 'hsd_fp_[a-z]*' || true))" not fp_in_on

# ---- 16. --no-fastpath takes an earlier hsd's programs off
# (80 stays web2's, a space that died)
lt_space web3 0 --publish 84:8080
use_web web3
fp_filters() { # the filters at the fast path's priority on ul0 and web3's veth
	{ on a tc filter show dev ul0 ingress pref 61440; on a tc filter show dev "$web_if" ingress pref 61440; } | grep -c 'hsd_fp_' || true
}
check "control: before the restart both programs are attached ($(fp_filters))" [ "$(fp_filters)" = 2 ]
sim stop a
echo "--no-fastpath" >"/var/lib/hs-sim/$T_ID/hsd.args"
sim start a
wait_until 15 ctl --json status >/dev/null
check "status: hsd --no-fastpath says the fast path is off" status_has '.fastpath.on == false'
check "hsd --no-fastpath took both programs off ($(fp_filters) left)" [ "$(fp_filters)" = 0 ]
d8=$(dnat_count)
code=$(get -o /dev/null -w '%{http_code}' "http://$A:84/f4k" || true)
check "a request to web3 is answered by DNAT alone ($code; the rule $d8 -> $(dnat_count))" \
	[ "$code" = 200 -a "$(dnat_count)" -gt "$d8" ]
t_done
