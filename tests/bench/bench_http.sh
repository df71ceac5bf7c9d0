#!/usr/bin/env bash
# bench_http - HTTP from a server space against the same server run
# natively, side by side in one run on simulated hosts.  "native" is the
# same lighttpd binary serving the same files (one directory under
# /usr/local/share, which a space sees as the host does) with the same
# configuration apart from the port, started in host a's own namespaces;
# "space" is a server space on a publishing port 80.  Both are warmed up
# (page cache, ARP, conntrack) before the pairs; within a pair the order
# alternates.  Rows:
#   1. wrk from host b: native 192.0.2.1:8081 against the space's
#      published 192.0.2.1:80 (hsd's fast path), a 4 KiB page and a
#      64 KiB file, each at 1, 8 and 64 connections
#   2. wrk on host a itself, a 64 KiB file: native over lo against the
#      published port over the server's veth
#   3. where row 2's cost is: the same client to native; to a third copy of
#      the server run in the space's network namespace only (host root,
#      host cgroups, no seccomp: the veth alone); to the space's own
#      address (no NAT); to it with hsd's nftables tables removed (no
#      conntrack at all); and through the published port; CPU time of the
#      whole machine per request (/proc/stat), softirq apart; 3c: the
#      fast path's programs' own run time per packet and per request
#   4. tcpdump -nn -v on the host's ul0 against the same in an audit space
#      on mon0 (the mirror), wrk from b to the space: drop-rate points
#   5. variants: the fast path against DNAT alone (its program taken off
#      the uplink); the mirror alone (an audit space watching, nothing on
#      mon0) against none; the published port rewritten statelessly
#      without conntrack against hsd's DNAT; the veth's MTU as hsd sets it against 1500 (rows
#      1 and 2's loads), GRO on the server's veth on against off
#   6. hsd's idle cost: RSS and CPU % of host a's hsd over IDLE seconds
#      with no space and with 10 spaces
#   7. many spaces: 49 more idle server spaces against none, wrk from b
# Usage: tests/bench/bench_http.sh [PAIRS] [SECONDS]   (default 5 pairs of 3 s)
source "$(dirname "$0")/../lib.sh"

PAIRS=${1:-5}
SECS=${2:-3}
IDLE=${BENCH_HTTP_IDLE:-10}
CONNS=8
DIR=/usr/local/share/hs-bench-http-$T_ID # scratch, unique per run
on_exit "rm -rf $DIR"
mkdir -p "$DIR/www"
head -c 4096 /dev/urandom >"$DIR/www/index.html"
head -c 65536 /dev/urandom >"$DIR/www/f64k"
# One configuration, two ports.
for p in 8080 8081 8082; do
	printf '%s\n' "server.document-root = \"$DIR/www\"" "server.port = $p" \
		'index-file.names = ("index.html")' "server.errorlog = \"/dev/null\"" >"$DIR/lt-$p.conf"
done

sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
ctl() { on a hsctl "$@"; }
HSD_PID=$(sim pid a)

summary() { # min / median / max of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f / %.3f / %.3f", v[1], m, v[NR] }'
}
# hsd_idle: "RSS_KiB CPU%" of host a's hsd over IDLE seconds.
hsd_idle() {
	local t0 t1 rss hz
	hz=$(getconf CLK_TCK)
	t0=$(awk '{ print $14 + $15 }' "/proc/$HSD_PID/stat")
	sleep "$IDLE"
	t1=$(awk '{ print $14 + $15 }' "/proc/$HSD_PID/stat")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$HSD_PID/status")
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE" -v r="$rss" \
		'BEGIN { printf "%d %.2f\n", r, 100 * (b - a) / hz / s }'
}
# --- 6a. hsd idle, no space (the mesh up and quiet first) ---------------
sleep 3
read -r RSS0 CPU0 < <(hsd_idle)

ctl space create web --kind server --publish 80:8080 -- lighttpd -D -f "$DIR/lt-8080.conf" >/dev/null
# Native: the same binary in host a's namespaces; its pid, ours to end.
NPID=$(on a sh -c "lighttpd -D -f $DIR/lt-8081.conf </dev/null >/dev/null 2>&1 & echo \$!")
on_exit "kill $NPID 2>/dev/null"
SPACE_IP=$(ctl --json space show web | jq -r .address)
VETH=$(ctl --json space show web | jq -r .veth)
INIT=$(ctl --json space show web | jq -r .pid)
# The same server in the space's network namespace only (row 3).
XPID=$(on a nsenter --net=/proc/"$INIT"/ns/net sh -c "lighttpd -D -f $DIR/lt-8082.conf </dev/null >/dev/null 2>&1 & echo \$!")
on_exit "kill $XPID 2>/dev/null"
# hsd's fast path: its two programs, pinned so that a variant can take
# them off (every packet by DNAT, as with hsd --no-fastpath) and put them
# back (docs/networking.md).
in_a() { nsenter --net=/proc/"$HSD_PID"/ns/net "$@"; }
FP_PIN=/sys/fs/bpf/hs-bench-$T_ID-fp
for d in ul0 "$VETH"; do
	id=$(in_a tc filter show dev "$d" ingress pref 61440 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1) }' | head -1)
	[ -n "$id" ] || { echo "bench_http: hsd's fast path is not on $d" >&2; exit 1; }
	bpftool prog pin id "$id" "$FP_PIN-$d"
	on_exit "rm -f $FP_PIN-$d"
done
fp_off() { for d in ul0 "$VETH"; do in_a tc filter del dev "$d" ingress pref 61440 2>/dev/null || true; done; }
fp_on() {
	for d in ul0 "$VETH"; do
		in_a tc filter replace dev "$d" ingress pref 61440 handle 1 protocol ip bpf da object-pinned "$FP_PIN-$d"
	done
}
for u in b:http://192.0.2.1/ b:http://192.0.2.1:8081/ "a:http://$SPACE_IP:8082/"; do
	wait_until 10 on "${u%%:*}" curl -sf --max-time 2 -o /dev/null "${u#*:}" ||
		{ echo "bench_http: ${u#*:} does not answer from ${u%%:*}" >&2; exit 1; }
done

# rps FROM URL: wrk's requests/s.  With CPU=1 also the machine's CPU µs per
# request, all of it and softirq's (/proc/stat, every core, everyone's).
rps() {
	local out s0 s1
	s0=$(awk '/^cpu / { b = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) b += $i; print b, $8 }' /proc/stat)
	out=$(on "$1" wrk -t1 -c"$CONNS" -d"${SECS}s" "$2" 2>/dev/null | awk '/Requests\/sec/ { printf "%.0f", $2 }')
	s1=$(awk '/^cpu / { b = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) b += $i; print b, $8 }' /proc/stat)
	if [ "${CPU:-0}" = 1 ]; then
		awk -v r="${out:-0}" -v a="$s0" -v b="$s1" -v s="$SECS" -v hz="$(getconf CLK_TCK)" 'BEGIN {
			split(a, x, " "); split(b, y, " "); n = r * s
			printf "%s %.1f %.1f\n", r, n ? (y[1] - x[1]) / hz * 1e6 / n : 0, n ? (y[2] - x[2]) / hz * 1e6 / n : 0 }'
	else
		echo "${out:-0}"
	fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# pairs LABEL FROM URL_A URL_B PAPERS: PAIRS pairs alternated; the per-pair
# ratio B/A (space/native), its min/median/max as "slower by" too.
pairs() {
	local label=$1 from=$2 ua=$3 ub=$4 papers=$5 p a b f=$T_DIR/pairs-$RANDOM
	: >"$f"
	rps "$from" "$ua" >/dev/null; rps "$from" "$ub" >/dev/null # warm-up
	printf '\n%s\n%-6s %10s %10s %8s\n' "$label" pair "native" "space" "ratio"
	for p in $(seq "$PAIRS"); do
		if [ $((p % 2)) = 1 ]; then a=$(rps "$from" "$ua"); b=$(rps "$from" "$ub")
		else b=$(rps "$from" "$ub"); a=$(rps "$from" "$ua"); fi
		printf '%-6s %10s %10s %8s\n' "$p" "$a" "$b" "$(ratio "$b" "$a")"
		ratio "$b" "$a" >>"$f"; echo >>"$f"
	done
	local s
	s=$(summary <"$f")
	printf 'space/native req/s (min / median / max of %d pairs): %s; slower by %s %%   (papers: %s)\n' \
		"$PAIRS" "$s" "$(awk -F' / ' '{ printf "%.1f / %.1f / %.1f", 100 * (1 - $3), 100 * (1 - $2), 100 * (1 - $1) }' <<<"$s")" "$papers"
	echo "$label|$s|$papers" >>"$T_DIR/table"
}

printf '\nHTTP, lighttpd in a server space against the same lighttpd natively on host a (wrk -t1 -c%d, %s s per run)\n' "$CONNS" "$SECS"
mtu_of() { awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }'; }
printf 'server veth %s: mtu %s outside, %s inside\n' "$VETH" \
	"$(on a ip -o link show "$VETH" | mtu_of)" "$(on a nsenter --net=/proc/"$INIT"/ns/net ip -o link show eth0 | mtu_of)"
# Row 1 over the grid the issue asks for: 1, 8 and 64 connections, the
# 4 KiB page and the 64 KiB file.
for c in 1 8 64; do
	for f in "4 KiB page|" "64 KiB file|f64k"; do
		CONNS=$c pairs "1. wrk on host b, -c$c, ${f%%|*}: 192.0.2.1:8081 (native) vs 192.0.2.1:80 (space, fast path)" \
			b "http://192.0.2.1:8081/${f#*|}" "http://192.0.2.1/${f#*|}" "3.3-9.5 % slower"
	done
done
pairs "2. wrk on host a, 64 KiB file: 192.0.2.1:8081 (native, lo) vs 192.0.2.1:80 (space, DNAT, veth)" \
	a http://192.0.2.1:8081/f64k http://192.0.2.1/f64k "none; 26 % slower measured here before"

# --- 3. where the cost is -------------------------------------------------
SAVED=$T_DIR/hsd.nft
on a sh -c 'nft list table ip hsd; nft list table ip6 hsd' >"$SAVED"
drop_tables() { on a nft -f - <<<$'delete table ip hsd\ndelete table ip6 hsd'; }
restore() { { printf 'add table ip hsd\ndelete table ip hsd\nadd table ip6 hsd\ndelete table ip6 hsd\n'; cat "$SAVED"; } | on a nft -f -; }
WSECS=${BENCH_HTTP_WSECS:-2}
# where TITLE FROM PLACE:LABEL:URL...: each place in turn, PAIRS rounds of
# WSECS s; a URL prefixed "bare=" runs with hsd's tables and fast path
# removed, one prefixed "nofp=" without the fast path.  Medians.
where() {
	local title=$1 from=$2 r pl w l u; shift 2
	declare -A R=()
	printf '\n%s (%d rounds of %s s, places in turn; medians)\n' "$title" "$PAIRS" "$WSECS"
	printf '%-50s %10s %8s %12s %14s\n' "" "req/s" "/native" "CPU us/req" "softirq us/req"
	for r in $(seq "$PAIRS"); do
		for pl in "$@"; do
			IFS='|' read -r w l u <<<"$pl"
			case $u in bare=*) drop_tables; fp_off; u=${u#bare=} ;; nofp=*) fp_off; u=${u#nofp=} ;; esac
			R[$w]+="$(SECS=$WSECS CPU=1 rps "$from" "$u")"$'\n'
			case $pl in *bare=*) restore; fp_on ;; *nofp=*) fp_on ;; esac
		done
	done
	local n0
	n0=$(awk 'NF { print $1 }' <<<"${R[native]}" | summary | awk -F' / ' '{ print $2 }')
	for pl in "$@"; do
		IFS='|' read -r w l u <<<"$pl"
		local c1 c2 c3
		c1=$(awk 'NF { print $1 }' <<<"${R[$w]}" | summary | awk -F' / ' '{ print $2 }')
		c2=$(awk 'NF { print $2 }' <<<"${R[$w]}" | summary | awk -F' / ' '{ printf "%.1f", $2 }')
		c3=$(awk 'NF { print $3 }' <<<"${R[$w]}" | summary | awk -F' / ' '{ printf "%.1f", $2 }')
		printf '%-50s %10.0f %8s %12s %14s\n' "$l" "$c1" "$(ratio "$c1" "$n0")" "$c2" "$c3"
		echo "$c2" >"$T_DIR/where-$w" # CPU us/req, for 3c
	done
}
where "3a. Where row 2 goes: wrk on host a, 64 KiB file" a \
	"native|native, 192.0.2.1:8081 (lo)|http://192.0.2.1:8081/f64k" \
	"netns|native in the space's netns only, :8082 (veth)|http://$SPACE_IP:8082/f64k" \
	"direct|space, $SPACE_IP:8080 (veth, conntrack)|http://$SPACE_IP:8080/f64k" \
	"bare|space, $SPACE_IP:8080, no hsd tables|bare=http://$SPACE_IP:8080/f64k" \
	"dnat|space, 192.0.2.1:80 (veth, conntrack, DNAT)|http://192.0.2.1/f64k"
# From b the space's address is reached by a route to it via a; hsd's
# forward chain lets only DNATed traffic in, so only without its tables.
on b ip route add "$SPACE_IP/32" via 192.0.2.1 dev ul0
where "3b. Where row 1 goes: wrk on host b, 4 KiB page" b \
	"native|native, 192.0.2.1:8081 (local delivery)|http://192.0.2.1:8081/" \
	"bare|space, $SPACE_IP:8080 routed, no hsd tables|bare=http://$SPACE_IP:8080/" \
	"dnat|space, 192.0.2.1:80 (DNAT, forward, veth)|nofp=http://192.0.2.1/" \
	"fast|space, 192.0.2.1:80 (fast path)|http://192.0.2.1/"
on b ip route del "$SPACE_IP/32"
echo "(CPU: every core's, everyone's, from /proc/stat: other load on the machine is in it)"
# (no grep -q in a pipe: with pipefail, nft's SIGPIPE would fail it)
back=$(on a sh -c 'nft list table ip hsd; nft list table ip6 hsd' 2>&1 || true)
grep -q 'dnat to' <<<"$back" && grep -q 'table ip6 hsd' <<<"$back" ||
	{ echo "bench_http: hsd's tables did not come back" >&2; exit 1; }

# 3c. What of 3b's difference is the fast path's own programs: the
# kernel's run time of each (kernel.bpf_stats_enabled, which itself adds
# two clock reads per run), per packet and per request, under row 1's
# load.
STATS0=$(cat /proc/sys/kernel/bpf_stats_enabled)
on_exit "echo $STATS0 >/proc/sys/kernel/bpf_stats_enabled"
echo 1 >/proc/sys/kernel/bpf_stats_enabled
prog_stat() { bpftool prog show pinned "$FP_PIN-$1" -j | jq -r '"\(.run_time_ns) \(.run_cnt)"'; }
: >"$T_DIR/progs"
for r in $(seq "$PAIRS"); do
	i0=$(prog_stat ul0); o0=$(prog_stat "$VETH")
	n=$(SECS=$WSECS rps b http://192.0.2.1/)
	i1=$(prog_stat ul0); o1=$(prog_stat "$VETH")
	echo "$i0 $i1 $o0 $o1 $n" >>"$T_DIR/progs"
done
echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled
col() { # col EXPR: its median over the rounds of $T_DIR/progs
	awk -v s="$WSECS" "{ q = \$9 * s; if (q > 0) print $1 }" "$T_DIR/progs" | summary | awk -F' / ' '{ print $2 }'
}
printf '\n3c. The fast path'"'"'s programs under row 1'"'"'s load (wrk on b, 4 KiB, -c%d; %d rounds of %s s; medians)\n' "$CONNS" "$PAIRS" "$WSECS"
printf '%-10s %12s %16s\n' program "ns per run" "runs per request"
printf '%-10s %12.0f %16.2f\n' hsd_fp_in "$(col '($3 - $1) / ($4 - $2)')" "$(col '($4 - $2) / q')" \
	hsd_fp_out "$(col '($7 - $5) / ($8 - $6)')" "$(col '($8 - $6) / q')"
fp_us=$(col '(($3 - $1) + ($7 - $5)) / q / 1000')
printf 'both, us of CPU per request: %.2f, of the %.1f us the fast path costs more than native in 3b\n' "$fp_us" \
	"$(awk -v a="$(cat "$T_DIR/where-fast")" -v b="$(cat "$T_DIR/where-native")" 'BEGIN { print a - b }')"
echo "3c. fast path programs, us per request|$(printf '%.2f' "$fp_us")|" >>"$T_DIR/table"

# --- 4. tcpdump on the host against in an audit space -------------------
ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
sleep 1
TD="tcpdump -nn -v -Z root"
# td_run WHERE OUT: tcpdump on ul0 (native) or mon0 (audit) during one load
# from b; OUT gets its statistics.  Prints the load's req/s.
td_run() {
	local pid r cmd="timeout -s INT $((SECS + 2)) $TD"
	if [ "$1" = native ]; then
		on a sh -c "$cmd -i ul0 2>$2 >/dev/null" &
	else
		ctl space exec ids -- sh -c "$cmd -i mon0 2>&1 >/dev/null" >"$2" &
	fi
	pid=$!
	sleep 1
	r=$(CONNS=64 rps b http://192.0.2.1/)
	wait "$pid" || true
	echo "$r"
}
td_stat() { awk -v w="$2" '$0 ~ w { print $1; exit }' "$1"; }
printf '\n4. tcpdump -nn -v (decoding to /dev/null) on host a ul0 against an audit space on mon0; wrk -c64 from b to the space\n'
printf '%-6s %-7s %10s %10s %8s %9s\n' pair where received dropped drop% "req/s"
: >"$T_DIR/td"
for p in $(seq "$PAIRS"); do
	order="native audit"
	[ $((p % 2)) = 0 ] && order="audit native"
	for w in $order; do
		out=$T_DIR/td-$w-$p
		r=$(td_run "$w" "$out")
		rcv=$(td_stat "$out" "received by filter") drp=$(td_stat "$out" "dropped by kernel")
		rcv=${rcv:-0} drp=${drp:-0}
		pct=$(awk -v d="$drp" -v r="$rcv" 'BEGIN { printf "%.2f", r ? 100 * d / r : 0 }')
		printf '%-6s %-7s %10s %10s %8s %9s\n' "$p" "$w" "$rcv" "$drp" "$pct" "$r"
		echo "$p $w $pct" >>"$T_DIR/td"
	done
done
td=$(awk '{ k[$1 " " $2] = $3 } END { for (p = 1; k[p " native"] != ""; p++) print k[p " audit"] - k[p " native"] }' "$T_DIR/td" |
	summary)
printf 'drop rate, audit minus native (points; min / median / max of %d pairs): %s   (papers: +0.5 to +0.9)\n' "$PAIRS" "$td"
echo "4. tcpdump drop rate, audit minus native (points)|$td|+0.5 to +0.9" >>"$T_DIR/table"
ctl space destroy ids >/dev/null

# --- 5. veth variants -----------------------------------------------------
# mtu N: both ends of the server's veth (hsd sets them at creation).
MTU0=$(on a ip -o link show "$VETH" | mtu_of)
mtu() { on a ip link set "$VETH" mtu "$1" && on a nsenter --net=/proc/"$INIT"/ns/net ip link set eth0 mtu "$1"; }
# variant LABEL FROM URL SET_A SET_B: B/A per pair of req/s, and of the
# machine's CPU per request (steadier than req/s where the load is bound
# by latency, as with 8 connections on 2 cores), VSECS runs.
variant() {
	local label=$1 from=$2 u=$3 sa=$4 sb=$5 p a b f=$T_DIR/var-$RANDOM SECS=$VSECS CPU=1
	: >"$f"
	for p in $(seq "$PAIRS"); do
		if [ $((p % 2)) = 1 ]; then $sa; a=$(rps "$from" "$u"); $sb; b=$(rps "$from" "$u")
		else $sb; b=$(rps "$from" "$u"); $sa; a=$(rps "$from" "$u"); fi
		echo "$a $b" >>"$f" # req/s, CPU us/req, softirq us/req: A then B
	done
	printf '%-58s %s   CPU/req %s   (runs: %s)\n' "$label" \
		"$(awk '{ print $4 / $1 }' "$f" | summary)" "$(awk '$2 > 0 { print $5 / $2 }' "$f" | summary)" \
		"$(awk '{ printf "%s/%s ", $1, $4 }' "$f")"
}
VSECS=${BENCH_HTTP_VSECS:-2}
printf '\n5. Variants of the path (no audit space, but for the mirror rows): B/A req/s and CPU per request (min / median / max of %d pairs of %s s; runs A/B req/s)\n' "$PAIRS" "$VSECS"
# The mirror alone: an audit space that watches the server (its mirror
# copying every packet to mon0) and runs nothing there, against none.
mirror_on() { ctl space show ids >/dev/null 2>&1 || { ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null && sleep 1; }; }
mirror_off() { ctl space destroy ids >/dev/null 2>&1 || true; }
for c in 1 8 64; do
	CONNS=$c variant "fast path / DNAT alone, wrk on b, -c$c, 4 KiB" b http://192.0.2.1/ fp_off fp_on
done
variant "fast path / DNAT alone, wrk on b, -c8, 64 KiB" b http://192.0.2.1/f64k fp_off fp_on
fp_on
variant "mirror / none, wrk on b, 4 KiB, fast path" b http://192.0.2.1/ mirror_off mirror_on
variant "mirror / none, wrk on b, 64 KiB, fast path" b http://192.0.2.1/f64k mirror_off mirror_on
mirror_off
# The rows up to the flowtable's are about DNAT's path: no fast path.
fp_off
# The published port without conntrack: address and port rewritten both
# ways before conntrack (after hsd's guard, which must see the space's own
# source), notrack, and hsd's forward chain told to let the untracked
# request in (an accept in another table would not overrule its drop);
# accept_local because the rewritten replies carry the host's address.
sl_on() {
	sl_off # variant sets a side that may be set already: never twice
	on a nft -f - <<-EOF
	table ip hsbench_sl {
		chain pre {
			type filter hook prerouting priority -290; policy accept;
			iifname "ul0" ip daddr 192.0.2.1 tcp dport 80 notrack ip daddr set $SPACE_IP tcp dport set 8080
			iifname "$VETH" ip saddr $SPACE_IP tcp sport 8080 notrack ip saddr set 192.0.2.1 tcp sport set 80
		}
	}
	EOF
	on a nft insert rule ip hsd forward oifname "$VETH" ip daddr "$SPACE_IP" tcp dport 8080 ct state untracked accept
	on a sysctl -qw "net.ipv4.conf.$VETH.accept_local=1"
}
sl_off() {
	local h
	on a nft -f - <<<$'add table ip hsbench_sl\ndelete table ip hsbench_sl'
	for h in $(on a nft -a list chain ip hsd forward | awk '/untracked/ { print $NF }'); do
		on a nft delete rule ip hsd forward handle "$h"
	done
	on a sysctl -qw "net.ipv4.conf.$VETH.accept_local=0"
}
sl_on
on b curl -sf --max-time 3 -o /dev/null http://192.0.2.1/ ||
	{ echo "bench_http: the stateless published port does not answer" >&2; sl_off; exit 1; }
sl_off
for c in 1 8 64; do
	CONNS=$c variant "stateless port (notrack) / DNAT, wrk on b, -c$c, 4 KiB" b http://192.0.2.1/ sl_off sl_on
done
sl_off
m_big() { mtu 65535; }
m_1500() { mtu 1500; }
variant "MTU 65535 / 1500, wrk on a, 64 KiB, DNAT" a http://192.0.2.1/f64k m_1500 m_big
variant "MTU 65535 / 1500, wrk on b, 4 KiB, DNAT" b http://192.0.2.1/ m_1500 m_big
mtu "$MTU0"
if command -v ethtool >/dev/null; then
	gro() { on a ethtool -K "$VETH" gro "$1" && on a nsenter --net=/proc/"$INIT"/ns/net ethtool -K eth0 gro "$1"; }
	GRO0=$(on a ethtool -k "$VETH" | awk '$1 == "generic-receive-offload:" { print $2 }')
	g_on() { gro on; }
	g_off() { gro off; }
	variant "GRO on / off (both ends), wrk on b, 4 KiB, DNAT" b http://192.0.2.1/ g_off g_on
	variant "GRO on / off (both ends), wrk on a, 64 KiB, DNAT" a http://192.0.2.1/f64k g_off g_on
	gro "$GRO0"
else
	echo "(no ethtool: GRO variants skipped)"
fi
# A software flowtable: established forwarded flows skip routing and the
# netfilter hooks after ingress, hsd's guard among them, so hsd cannot
# use it as is (the mirror's copy of a server's packets is on the veth's
# tc hooks, which it does not skip); this shows what it would buy.
ft_on() {
	on a nft -f - <<-EOF
	table inet hsbench_ft {
		flowtable f { hook ingress priority 0; devices = { ul0, $VETH }; }
		chain forward_ft { type filter hook forward priority 10; meta l4proto tcp flow add @f; }
	}
	EOF
}
ft_off() { on a nft -f - <<<$'add table inet hsbench_ft\ndelete table inet hsbench_ft'; }
if ft_on 2>/dev/null; then
	ft_off
	variant "flowtable / none, wrk on b, 4 KiB, DNAT" b http://192.0.2.1/ ft_off ft_on
	ft_off
else
	echo "(this kernel has no nftables flowtable (CONFIG_NF_FLOW_TABLE): flowtable variant skipped)"
fi
fp_on

# --- 6b. hsd idle with 10 spaces ------------------------------------------
ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
for i in $(seq 3 10); do ctl space create "idle$i" --kind server -- sleep infinity >/dev/null; done
sleep 2
read -r RSS10 CPU10 < <(hsd_idle)
printf '\n6. hsd idle on host a over %s s (papers: no figure)\n' "$IDLE"
printf '%-34s %10s %8s\n' "" "RSS KiB" "CPU %"
printf '%-34s %10s %8s\n' "no space" "$RSS0" "$CPU0" "10 spaces (9 server, 1 audit)" "$RSS10" "$CPU10"

# --- 7. many spaces -------------------------------------------------------
# 49 more idle server spaces on host a (their veths, routes and chains in
# hsd's table), against none: what the rules hsd adds per space cost a
# packet that is not theirs.  After row 6, whose hsd would otherwise
# carry the heap of 60 spaces.
ctl space destroy ids >/dev/null
for i in $(seq 3 10); do ctl space destroy "idle$i" >/dev/null; done
# Each side waits for the kernel's work after the change (namespaces torn
# down in the background, new links' timers) to pass before it measures.
many_on() { ctl space show many1 >/dev/null 2>&1 || { for i in $(seq 49); do ctl space create "many$i" --kind server -- sleep infinity >/dev/null; done; sleep 3; }; }
many_off() { ctl space show many1 >/dev/null 2>&1 || return 0; for i in $(seq 49); do ctl space destroy "many$i" >/dev/null 2>&1 || true; done; sleep 3; }
printf '\n7. Many spaces: B/A req/s and CPU per request (min / median / max of %d pairs of %s s; runs A/B req/s)\n' "$PAIRS" "$VSECS"
variant "49 more spaces / none, wrk on b, 4 KiB, fast path" b http://192.0.2.1/ many_off many_on
many_off

printf '\nSummary (min / median / max of per-pair figures; machine load now: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'|' '{ printf "%-90s %-26s papers: %s\n", $1, $2, $3 }' "$T_DIR/table"
kill "$NPID" "$XPID" 2>/dev/null || true
t_sanitizer_check
sim down
t_done
