#!/usr/bin/env bash
# bench_babeld - hsroute against the real babeld (Debian's), side by side on
# the same simulated ring of 4 hosts (deploy/examples/ring4.json) and over
# the same WireGuard links: hsroute runs as hsd runs it, with the hello
# interval $BENCH_BABELD_HELLO_MS (default 250 ms) and dead interval
# $BENCH_BABELD_DEAD_MS (default 700 ms at hello 250, hsd's default 1300 at
# hello 400, else 3.25 x hello) set in cluster.json's "mesh" of a copy of
# ring4.json made for the run, full update every 16 s; and two babeld run
# beside it in every host's mesh namespace, on the same wg interfaces,
# carrying IPv6 routes of their own (so no route of theirs can touch
# hsroute's IPv4 ones):
#   babeld-tuned    port 6696, hello-interval the same as hsroute's,
#                   update-interval 16 s (hsroute's timers); announces fd99::N
#   babeld-default  port 6697, babeld's defaults (hello 4 s, update 16 s);
#                   announces fd98::N
# The WireGuard peers' AllowedIPs get fe80::/64, ff02::1:6/128 and the two
# ULA ranges added beside the overlay (what babeld needs on a one-peer link).
# Measured:
#   reroute   ROUNDS silent cuts of the a-b link (its underlay UDP dropped
#             both ways with nftables in a's namespace, as test_mesh.sh
#             does: no link-down event); for each router, ms from the cut to
#             the first reply of a ping a->b that went round the other way
#             (three pings at 10/s, one per router, all on the same cut)
#   bytes     WINDOWS windows of SECONDS s in steady state: each router's
#             UDP bytes (IP headers included) on a's two links, both ways,
#             counted by nftables in a's mesh namespace; per link per minute
#   start     once: babeld's convergence after start (every host routes to
#             every other host's address)
# Usage: tests/bench/bench_babeld.sh [ROUNDS] [WINDOWS] [SECONDS]
#        (default 5 cuts and 5 windows of 32 s: about 10 minutes, most of it
#        waiting after each cut for babeld to take the healed link again,
#        35-55 s).  $BABELD_ARGS adds options to both babeld (e.g. -M 0 to
#        turn off its metric smoothing).  BENCH_BABELD_HELLO_MS=400 runs the
#        comparison at hsd's default timers (400/1300).
# At the end: p95 of the reroute times (nearest rank: with fewer than 20
# cuts that is the slowest cut) and hsroute's bytes against babeld-tuned's.
# Why this setup, and the figures: docs/benchmarks.md, "hsroute against babeld".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

ROUNDS=${1:-5}
WINDOWS=${2:-5}
SECS=${3:-32} # a multiple of the 16 s update interval: every window holds as many full dumps
command -v babeld >/dev/null || { echo "bench_babeld: no babeld (apt-get install babeld; deploy/setup)" >&2; exit 2; }

HELLO_MS=${BENCH_BABELD_HELLO_MS:-250}
case $HELLO_MS in
250) dflt_dead=700 ;;  # 2.8 x: one lost hello survived, two are not
400) dflt_dead=1300 ;; # hsd's default
*) dflt_dead=$((HELLO_MS * 13 / 4)) ;;
esac
DEAD_MS=${BENCH_BABELD_DEAD_MS:-$dflt_dead}
# babeld's hello-interval is in seconds: 250 -> 0.25
HELLO_S=$(awk -v m="$HELLO_MS" 'BEGIN { printf "%g", m / 1000 }')

# The example ring with hsroute's timers set: a copy in this run's own
# directory, which deploy/sim copies to every host.
CLUSTER=$T_DIR/ring4-mesh.json
jq --argjson h "$HELLO_MS" --argjson d "$DEAD_MS" '.mesh = {hello_ms: $h, dead_ms: $d}' \
	"$HSD_SOURCE/deploy/examples/ring4.json" >"$CLUSTER"
HOSTS="a b c d"
sim up "$CLUSTER" >/dev/null
for h in $HOSTS; do on "$h" hsctl space create ids --kind audit -- sleep 100000 >/dev/null; done
# shellcheck disable=SC2086 # host names
T_MESH_WAIT=40 t_mesh_up $HOSTS
[ "$T_FAILS" = 0 ] || { echo "bench_babeld: the mesh did not come up" >&2; exit 1; }
# Every host's route engine runs with the file's timers, as it reports them.
for h in $HOSTS; do
	check "the route engine on $h runs hello $HELLO_MS ms, dead $DEAD_MS ms" wait_until 5 bash -c \
		"$SIM --id $T_ID exec $h -- hsctl --json peers | jqe '.engine.hello_ms == $HELLO_MS and .engine.dead_ms == $DEAD_MS' >/dev/null"
done
[ "$T_FAILS" = 0 ] || { echo "bench_babeld: hsroute does not run with the timers of $CLUSTER" >&2; exit 1; }

idx() { jq -r --arg h "$1" '.hosts | map(.name) | index($h)' "$CLUSTER"; }
prefix_of() { jq -r --arg h "$1" '.hosts[] | select(.name == $h) | .prefix' "$CLUSTER"; }
in_mesh() { local h=$1; shift; on "$h" nsenter --net=/run/hsd/mesh.netns -- "$@"; }
links_of() { in_mesh "$1" ip -o link show | awk -F': ' '$2 ~ /^hsm[0-9]+/ { sub(/@.*/, "", $2); print $2 }'; }
OVERLAY=$(jq -r .overlay "$CLUSTER")

# --- babeld on hsd's links.  Each link is a WireGuard interface with one
# peer whose AllowedIPs are the overlay (docs/mesh.md); babeld speaks from
# link-local addresses to ff02::1:6 and routes the ULA addresses, so the
# peer must allow those as well (WireGuard drops anything else both ways).
for h in $HOSTS; do
	n=$(($(idx "$h") + 1))
	for l in $(links_of "$h"); do
		pub=$(on "$h" wg show "$l" peers)
		on "$h" wg set "$l" peer "$pub" allowed-ips "$OVERLAY,fe80::/64,ff02::1:6/128,fd98::/16,fd99::/16"
		# wireguard-go's tun has a random link-local address if IPv6 is on;
		# give it a known one if it has none.
		in_mesh "$h" sh -c "ip -6 addr show dev $l scope link | grep -q inet6 || ip -6 addr add fe80::$n/64 dev $l"
	done
	# Set before either babeld starts: each restores what it found on exit.
	in_mesh "$h" sysctl -qw net.ipv6.conf.all.forwarding=1
	in_mesh "$h" ip -6 addr add "fd99::$n/128" dev lo
	in_mesh "$h" ip -6 addr add "fd98::$n/128" dev lo
done

BABELDS=() # pidfiles of every babeld started, for the cleanup
babel_kill() { # babel_kill PIDFILE: end that babeld, if it is still one
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = babeld ] || return 0
	kill -TERM "$pid"
	for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
	if [ -e "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
	rm -f "$1"
}
babel_stop_all() { local f; for f in "${BABELDS[@]}"; do babel_kill "$f"; done; }
on_exit babel_stop_all
# babel_start HOST INSTANCE: one babeld in HOST's mesh namespace, on its links
babel_start() {
	local h=$1 inst=$2 f=$T_DIR/babeld-$1-$2 args
	case $inst in
	tuned) args=(-p 6696 -C "default hello-interval $HELLO_S update-interval 16"
		-C "redistribute local ip fd99::/64 le 128") ;;
	default) args=(-p 6697 -C "redistribute local ip fd98::/64 le 128") ;;
	esac
	rm -f "$f.pid"
	# shellcheck disable=SC2046 # interface names
	# shellcheck disable=SC2086 # options, split on purpose
	in_mesh "$h" babeld -D -I "$f.pid" -S "$f.state" -L "$f.log" "${args[@]}" ${BABELD_ARGS:-} \
		-C "redistribute local deny" $(links_of "$h")
	for _ in $(seq 50); do [ -s "$f.pid" ] && break; sleep 0.1; done
	[ -s "$f.pid" ] || { echo "bench_babeld: babeld $inst on $h did not start:" >&2; cat "$f.log" >&2; return 1; }
}
printf '\nhsroute (hsd, cluster.json "mesh": hello %d ms, neighbour dead after %d ms; full update 16 s) and babeld %s\n' \
	"$HELLO_MS" "$DEAD_MS" "$(babeld -V 2>&1 | sed 's/^babeld-//')"
printf 'on the same ring a-b-c-d-a of simulated hosts, over the same WireGuard links; %s\n' "$(uptime | sed 's/.*load/load/')"
printf '  babeld-tuned: hello %s s, update 16 s; babeld-default: hello 4 s, update 16 s (both: interfaces of type auto = wired, cost 96)%s\n' \
	"$HELLO_S" "${BABELD_ARGS:+; both with $BABELD_ARGS}"

# --- (c) start: both babeld started on every host at once; one watcher per
# host and babeld in its mesh namespace prints when that host has its routes
# to the 3 others (polled every 50 ms there, not through deploy/sim).
watch_routes() { # watch_routes HOST PREFIX: epoch ns when HOST routes to 3 PREFIX::N
	in_mesh "$1" sh -c "end=\$((\$(date +%s) + 60)); while [ \$(ip -6 route show proto babel | grep -c '^$2::[0-9]* via fe80') -lt 3 ]; do
		[ \$(date +%s) -lt \$end ] || exit 1; sleep 0.05; done; date +%s%N"
}
watchers=()
for h in $HOSTS; do
	for p in fd99 fd98; do watch_routes "$h" "$p" >"$T_DIR/conv-$h-$p" & watchers+=($!); done
done
t0=$(date +%s%N)
starters=()
for h in $HOSTS; do
	for inst in tuned default; do
		BABELDS+=("$T_DIR/babeld-$h-$inst.pid")
		babel_start "$h" "$inst" & starters+=($!)
	done
done
for p in "${starters[@]}"; do wait "$p" || exit 1; done
for p in "${watchers[@]}"; do wait "$p" || true; done
conv() { # conv PREFIX: ms from the start until the last host had its routes
	local h t max=0
	for h in $HOSTS; do
		t=$(cat "$T_DIR/conv-$h-$1")
		[ -n "$t" ] || { echo "none in 60 s"; return; }
		[ "$t" -gt "$max" ] && max=$t
	done
	echo "$(((max - t0) / 1000000)) ms"
}
conv_tuned=$(conv fd99) conv_default=$(conv fd98)
each() { local h t; for h in $HOSTS; do t=$(cat "$T_DIR/conv-$h-$1"); printf ' %s %s' "$h" "${t:+$(((t - t0) / 1000000))}"; done; }
printf '\nConvergence after start (from launching the 8 babeld to the last host routing to the 3 others; one start):\n'
printf '  babeld-tuned %s (per host:%s), babeld-default %s (per host:%s)\n' "$conv_tuned" "$(each fd99)" "$conv_default" "$(each fd98)"
case "$conv_tuned$conv_default" in *none*)
	for f in "$T_DIR"/babeld-a-*.log; do echo "--- $f"; tail -20 "$f"; done
	exit 1 ;;
esac

summary() { # summary: min / median / max of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f / %.2f / %.2f", v[1], m, v[NR] }'
}
sumint() { # like summary, whole numbers
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d / %d / %d", v[1], m, v[NR] }'
}

# --- (b) bytes: nftables counters in a's mesh namespace, on both of a's
# links, in and out, before anything else of the namespace sees the packet.
LINKS_A=$(links_of a | tr '\n' ' ')
set_a=$(echo "$LINKS_A" | awk '{ for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i }')
in_mesh a nft -f - <<EOF
table inet hsbench_bytes {
	counter hsr { }
	counter bt { }
	counter bd { }
	chain in {
		type filter hook input priority -300;
		iifname { $set_a } meta nfproto ipv4 udp dport 6696 counter name "hsr"
		iifname { $set_a } meta nfproto ipv6 udp dport 6696 counter name "bt"
		iifname { $set_a } meta nfproto ipv6 udp dport 6697 counter name "bd"
	}
	chain out {
		type filter hook output priority -300;
		oifname { $set_a } meta nfproto ipv4 udp dport 6696 counter name "hsr"
		oifname { $set_a } meta nfproto ipv6 udp dport 6696 counter name "bt"
		oifname { $set_a } meta nfproto ipv6 udp dport 6697 counter name "bd"
	}
}
EOF
# counters_reset: "NAME PACKETS BYTES" per counter, zeroing them at once
counters_reset() {
	in_mesh a nft -j reset counters table inet hsbench_bytes |
		jq -r '.nftables[] | select(.counter) | .counter | "\(.name) \(.packets) \(.bytes)"'
}
sleep 10 # past the start's triggered updates and requests
printf '\nControl traffic in steady state: UDP to the routing port on a'"'"'s links (%s), both ways, %d windows of %d s\n' "$LINKS_A" "$WINDOWS" "$SECS"
printf '%-7s %14s %14s %14s %9s %9s\n' window "hsroute B/min" "tuned B/min" "default B/min" tuned/hsr def/hsr
bytes=$T_DIR/bytes
: >"$bytes"
counters_reset >/dev/null
for w in $(seq "$WINDOWS"); do
	sleep "$SECS"
	# per link per minute: both links, so half of the sum
	counters_reset | awk -v w="$w" -v s="$SECS" '
		{ p[$1] = $2 * 60 / s / 2; b[$1] = $3 * 60 / s / 2 }
		END { printf "%d %.0f %.0f %.0f %.1f %.1f %.1f\n", w, b["hsr"], b["bt"], b["bd"], p["hsr"], p["bt"], p["bd"] }' >>"$bytes"
	tail -1 "$bytes" | awk '{ printf "%-7s %14d %14d %14d %9.2f %9.2f\n", $1, $2, $3, $4, $3 / $2, $4 / $2 }'
done
printf 'bytes per link per minute (min / median / max):  hsroute %s;  babeld-tuned %s;  babeld-default %s\n' \
	"$(awk '{ print $2 }' "$bytes" | sumint)" "$(awk '{ print $3 }' "$bytes" | sumint)" "$(awk '{ print $4 }' "$bytes" | sumint)"
printf 'packets per link per minute (median):  hsroute %s;  babeld-tuned %s;  babeld-default %s\n' \
	"$(awk '{ print $5 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')" "$(awk '{ print $6 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')" \
	"$(awk '{ print $7 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')"
# UDP payload: without the IP (20 or 40 bytes) and UDP (8) headers.
printf 'payload bytes per link per minute (median):  hsroute %s;  babeld-tuned %s;  babeld-default %s\n' \
	"$(awk '{ print $2 - $5 * 28 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')" "$(awk '{ print $3 - $6 * 48 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')" \
	"$(awk '{ print $4 - $7 * 48 }' "$bytes" | sumint | awk -F' / ' '{ print $2 }')"
printf 'ratio to hsroute per window (min / median / max):  babeld-tuned %s;  babeld-default %s\n' \
	"$(awk '{ print $3 / $2 }' "$bytes" | summary)" "$(awk '{ print $4 / $2 }' "$bytes" | summary)"

# --- (a) reroute.  Pings a->b: hsroute's from a's audit space to b's (a
# ping from a's mesh address would not do: both ends of a link have a
# connected /32 route to the other's, which no router moves), babeld's from
# a's fd99::1 / fd98::1 to b's.
space_pid() { on "$1" hsctl --json space show ids | jq -r .pid; }
space_addr() { on "$1" hsctl --json space show ids | jq -r .address; }
A_PID=$(space_pid a) B_ADDR=$(space_addr b)
IA=$(idx a) IB=$(idx b)
NA=$((IA + 1)) NB=$((IB + 1))
LINK_AB=hsm$IB LINK_BA=hsm$IA
B_UL=$(jq -r '.hosts[] | select(.name == "b") | .endpoint' "$CLUSTER" | cut -d: -f1)
P_A=$(prefix_of a) P_B=$(prefix_of b)
PINGS=() # pidfiles of the pings
ping_stop() { local f pid; for f in "${PINGS[@]}"; do
	pid=$(cat "$f" 2>/dev/null) || continue
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ping ] && kill "$pid" 2>/dev/null
	rm -f "$f"; done; PINGS=(); }
on_exit ping_stop
# pinger NAME NETNS-COMMAND... -- PING-ARGS...: a timestamped ping every
# 100 ms, run by NETNS-COMMAND (an nsenter), into $T_DIR/NAME-ROUND.ping
pinger() {
	local name=$1-$r pre=(); shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done; shift
	"${pre[@]}" sh -c 'echo $$ >"$1"; shift; exec "$@"' ping "$T_DIR/$name.pid" \
		ping -D -n -i 0.1 -W 1 "$@" >"$T_DIR/$name.ping" 2>&1 &
	PINGS+=("$T_DIR/$name.pid")
}
# first_reply_ms FILE: ms from the cut to the first reply after the outage
# (a gap of over 300 ms between replies, after the cut), or fail
first_reply_ms() {
	awk -v cut="$cut_at" '
		/bytes from/ { t = substr($1, 2, length($1) - 2) * 1e9
		               if (t > cut && prev && t - prev > 3e8) { printf "%d\n", (t - cut) / 1e6; found = 1; exit }
		               prev = t }
		END { exit !found }' "$1"
}
# direct_each: "1"/"0" per router (hsroute, tuned, default): a and b route
# to each other over their own link again
direct_each() {
	local ra rb
	# one line per destination, empty when there is no route
	ra=$(in_mesh a sh -c "for d in '-4 $P_B' '-6 fd99::$NB' '-6 fd98::$NB'; do set -- \$d; echo \"\$(ip \$1 route show \$2 | head -1)\"; done")
	rb=$(in_mesh b sh -c "for d in '-4 $P_A' '-6 fd99::$NA' '-6 fd98::$NA'; do set -- \$d; echo \"\$(ip \$1 route show \$2 | head -1)\"; done")
	paste <(echo "$ra") <(echo "$rb") | awk -v la="dev $LINK_AB" -v lb="dev $LINK_BA" -F'\t' \
		'{ printf "%d ", index($1, la) && index($2, lb) }'
}
direct() { [ "$(direct_each)" = "1 1 1 " ]; }
# via_ring: what a routes b's three destinations through now
via_ring() { in_mesh a sh -c "ip -4 route show $P_B; ip -6 route show fd99::$NB; ip -6 route show fd98::$NB" |
	awk '{ for (i = 1; i < NF; i++) if ($i == "dev") printf "%s ", $(i + 1) }'; }

printf '\nReroute after a silent cut of a-b: ms from the cut to the first ping a->b answered round the other way (%d cuts, the three routers on each)\n' "$ROUNDS"
printf '%-6s %9s %13s %15s %9s %9s %15s  %s\n' cut hsroute babeld-tuned babeld-default tuned/hsr def/hsr "back (s) h/t/d" "a's routes to b while cut"
reroute=$T_DIR/reroute
: >"$reroute"
check "a routes b directly in all three before the cuts" wait_until 30 direct
for r in $(seq "$ROUNDS"); do
	pinger hsr nsenter --net="/proc/$A_PID/ns/net" -- "$B_ADDR"
	pinger bt on a nsenter --net=/run/hsd/mesh.netns -- -6 -I "fd99::$NA" "fd99::$NB"
	pinger bd on a nsenter --net=/run/hsd/mesh.netns -- -6 -I "fd98::$NA" "fd98::$NB"
	# Replies in all three before the cut, and a random phase against the
	# routers' hello timers (up to one default babeld hello, 4 s).
	ok=1
	for p in hsr bt bd; do wait_until 10 grep -q 'bytes from' "$T_DIR/$p-$r.ping" || ok=0; done
	[ $ok = 1 ] || { echo "bench_babeld: a ping got no reply before cut $r" >&2; tail -3 "$T_DIR"/*-"$r".ping >&2; exit 1; }
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + 4 * r / 32768 }')"
	# Drop (never reject) every underlay packet between a and b, on a's side.
	on a nft -f - <<EOF
table inet hsbench_cut {
	chain in { type filter hook input priority -10; ip saddr $B_UL udp dport 0-65535 drop; }
	chain out { type filter hook output priority -10; ip daddr $B_UL udp dport 0-65535 drop; }
}
EOF
	cut_at=$(date +%s%N)
	end=$((SECONDS + 40))
	t_h='' t_t='' t_d=''
	while [ -z "$t_h" ] || [ -z "$t_t" ] || [ -z "$t_d" ]; do
		sleep 0.2
		[ -n "$t_h" ] || t_h=$(first_reply_ms "$T_DIR/hsr-$r.ping") || t_h=''
		[ -n "$t_t" ] || t_t=$(first_reply_ms "$T_DIR/bt-$r.ping") || t_t=''
		[ -n "$t_d" ] || t_d=$(first_reply_ms "$T_DIR/bd-$r.ping") || t_d=''
		[ $SECONDS -lt $end ] || break
	done
	ring=$(via_ring)
	on a nft delete table inet hsbench_cut
	healed_at=$(date +%s%N)
	ping_stop
	# seconds from the link's return until each router is back on it
	heal=(- - -) end=$((SECONDS + 90))
	while [ "${heal[*]}" != "${heal[*]//-/}" ] && [ $SECONDS -lt $end ]; do
		read -r -a now <<<"$(direct_each)"
		for i in 0 1 2; do
			[ "${heal[i]}" = - ] && [ "${now[i]:-0}" = 1 ] &&
				heal[i]=$(awk -v a="$healed_at" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		done
		sleep 0.2
	done
	healed=$(IFS=/; echo "${heal[*]}")
	rt=- rd=-
	[ -n "$t_h" ] && [ -n "$t_t" ] && rt=$(awk -v a="$t_t" -v b="$t_h" 'BEGIN { printf "%.2f", a / b }')
	[ -n "$t_h" ] && [ -n "$t_d" ] && rd=$(awk -v a="$t_d" -v b="$t_h" 'BEGIN { printf "%.2f", a / b }')
	printf '%-6s %9s %13s %15s %9s %9s %15s  %s\n' "$r" "${t_h:-none}" "${t_t:-none}" "${t_d:-none}" "$rt" "$rd" "$healed" "$ring"
	echo "$r ${t_h:--} ${t_t:--} ${t_d:--} $rt $rd" >>"$reroute"
	case $healed in *-*) echo "bench_babeld: a-b did not come back within 90 s in all three" >&2; t_mesh_diag; exit 1 ;; esac
	sleep 2
done
col() { awk -v c="$1" '$c != "-" { print $c }' "$reroute"; }
printf 'reroute ms (min / median / max):  hsroute %s;  babeld-tuned %s;  babeld-default %s\n' \
	"$(col 2 | sumint)" "$(col 3 | sumint)" "$(col 4 | sumint)"
printf 'per cut, babeld / hsroute (min / median / max):  tuned %s;  default %s\n' "$(col 5 | summary)" "$(col 6 | summary)"
misses=$(awk '$2 == "-" || $3 == "-" || $4 == "-"' "$reroute" | wc -l)
[ "$misses" = 0 ] || printf '%d cut(s) where a router did not reroute within 40 s\n' "$misses"

# --- The goal: reroute p95 <= 1 s, control bytes no more than babeld's at
# the same hello interval.  p95 by nearest rank: the ceil(0.95 n)-th
# smallest, so with fewer than 20 cuts the slowest (a cut with no reroute
# counts as 40 s, the longest waited).
p95() { awk -v c="$1" '{ print ($c == "-" ? 40000 : $c) }' "$reroute" | sort -n |
	awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }; k = int(0.95 * NR); if (k < 0.95 * NR) k++; print v[k] }'; }
med() { awk -v c="$1" '{ print $c }' "$bytes" | sumint | awk -F' / ' '{ print $2 }'; }
p95_h=$(p95 2) p95_t=$(p95 3) p95_d=$(p95 4)
b_h=$(med 2) b_t=$(med 3) b_d=$(med 4)
ratio=$(awk -v h="$b_h" -v t="$b_t" 'BEGIN { printf "%.2f", h / t }')
printf '\nSummary at hello %d ms (hsroute dead after %d ms; babeld-tuned hello-interval %s s):\n' "$HELLO_MS" "$DEAD_MS" "$HELLO_S"
printf '  reroute p95, nearest rank of %d cuts%s:  hsroute %s ms;  babeld-tuned %s ms;  babeld-default %s ms\n' \
	"$ROUNDS" "$([ "$ROUNDS" -lt 20 ] && echo ' (= the slowest cut)')" "$p95_h" "$p95_t" "$p95_d"
printf '  bytes per link per minute, median of %d windows:  hsroute %s;  babeld-tuned %s;  babeld-default %s\n' \
	"$WINDOWS" "$b_h" "$b_t" "$b_d"
printf '  hsroute / babeld-tuned bytes: %s\n' "$ratio"
printf '  goal (hsroute p95 <= 1000 ms and bytes <= babeld-tuned): %s\n' \
	"$(awk -v p="$p95_h" -v r="$ratio" 'BEGIN { print (p <= 1000 && r <= 1 ? "met" : "NOT met") }')"
printf '%s\n' "$(uptime | sed 's/.*load/load/')"
babel_stop_all
t_done
