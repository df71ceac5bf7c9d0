#!/usr/bin/env bash
# bench_snort - the papers' Snort experiment, side by side in one run on
# simulated hosts: the same Snort 3 build, configuration and rules (the
# snort bundle's) watching the same traffic to a server space, once on the
# host's own interface (natively, as an IDS on the host would) and once in
# an audit space on the mirror (mon0), alternated PAIRS times.  The traffic:
# wrk from host b to a's published web server, with ATTACKS attack requests
# (path traversal to /etc/passwd) among it.  Printed: packets Snort
# received and dropped, the alerts of the attack rule, and the requests/s
# the server sustained with no audit space, with the mirror only, and with
# Snort on either side.  The papers report +0.5 to +0.9 points of drop rate
# for Snort in the audit space against Snort on the host.
# Usage: tests/bench/bench_snort.sh [PAIRS] [SECONDS]   (default 5 pairs of 5 s)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

PAIRS=${1:-5}
SECS=${2:-5}
ATTACKS=40
BUNDLE=$HSD_SOURCE/deploy/bundles/snort-3.12
# The build the bundle runs (deploy/bundles/snort3/build makes it).
KEY=$(sed -n 's/^KEY=\([0-9a-f]*\).*/\1/p' "$BUNDLE/run.sh")
SNORT=/usr/local/lib/hsd-snort3/$KEY/bin/snort
[ -x "$SNORT" ] || { echo "bench_snort: no Snort build $KEY: run deploy/bundles/snort3/build first" >&2; exit 2; }

bench_web
ctl() { on a hsctl "$@"; }
URL=http://192.0.2.1/

# The rules and configuration where both Snorts read them: the host's /usr
# (an audit space sees it read-only).
CONF=/usr/local/share/hs-bench-snort-$T_ID
on_exit "rm -rf $CONF"
mkdir -p "$CONF" && cp "$BUNDLE/snort.lua" "$BUNDLE/hsd.rules" "$CONF/"

CONNS=8
load() { # load: wrk's requests/s (CONNS connections), with the attacks sent meanwhile
	on b sh -c "i=0; sleep 0.5; while [ \$i -lt $ATTACKS ]; do
			curl -s --path-as-is -o /dev/null 'http://192.0.2.1/x/../../etc/passwd?n='\$i; i=\$((i + 1));
			sleep $(awk -v s="$SECS" -v n="$ATTACKS" 'BEGIN { printf "%.3f", (s - 1) / n }'); done" &
	local attacker=$!
	on b wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
	wait "$attacker"
}

# snort_cmd IFACE: Snort as the bundle runs it, stopped (SIGINT, so it
# prints its statistics) once the load is over.
snort_cmd() {
	echo "timeout -s INT $((SECS + 3)) $SNORT -c $CONF/snort.lua -R $CONF/hsd.rules --daq afpacket \
		--daq-mode passive --daq-var buffer_size_mb=16 -i $1 -k none -z 1 -l /tmp"
}
# snort_run WHERE OUT: Snort on the host's ul0 (native) or in the audit
# space on mon0 (audit) during one load; OUT gets its alerts and counters.
# Prints the load's requests/s.
snort_run() {
	local pid rps
	if [ "$1" = native ]; then
		on a sh -c "$(snort_cmd ul0) >$2 2>&1" &
	else
		ctl space exec ids -- sh -c "$(snort_cmd mon0) 2>&1" >"$2" &
	fi
	pid=$!
	sleep 1.5 # Snort loads its rules and opens the ring
	rps=$(load)
	wait "$pid" || true
	echo "$rps"
}
# stat OUT NAME: a counter of Snort's exit statistics ("received: 123")
stat() { awk -v n="$2" '$1 == n ":" { print $2; exit }' "$1"; }
alerts() { grep -c '^9200003 ' "$1" || true; } # alert_csv: the sid first

ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
# Warm-up: page cache, ARP, the server's first requests.
load >/dev/null

snort_pairs() { # snort_pairs: the table and summary at CONNS connections
printf '\nSnort 3 on the same traffic: wrk -c%s %s s to a server space, %d attack requests (native and audit alternated)\n' "$CONNS" "$SECS" "$ATTACKS"
printf '%-6s %-8s %10s %9s %7s %8s %9s\n' pair where received dropped drop% alerts "req/s"
results=$T_DIR/results-$CONNS
: >"$results"
for p in $(seq "$PAIRS"); do
	order="native audit"
	[ $((p % 2)) = 0 ] && order="audit native"
	for w in $order; do
		out=$T_DIR/snort-$w-$p
		rps=$(snort_run "$w" "$out")
		rcv=$(stat "$out" received) drp=$(stat "$out" dropped)
		rcv=${rcv:-0} drp=${drp:-0}
		pct=$(awk -v d="$drp" -v r="$rcv" 'BEGIN { printf "%.2f", r + d ? 100 * d / (r + d) : 0 }')
		n=$(alerts "$out")
		printf '%-6s %-8s %10s %9s %7s %5s/%-3s %9s\n' "$p" "$w" "$rcv" "$drp" "$pct" "$n" "$ATTACKS" "$rps"
		echo "$p $w $rcv $drp $pct $n $rps" >>"$results"
	done
done
# Per pair: audit drop% minus native drop%, and audit/native requests/s.
diffs=$(awk '{ k[$1 " " $2] = $5 } END { for (p = 1; k[p " native"] != ""; p++)
	print k[p " audit"] - k[p " native"] }' "$results" | summary)
rps_ratio=$(awk '{ r[$1 " " $2] = $7 } END { for (p = 1; r[p " native"] != ""; p++)
	if (r[p " native"] > 0) print r[p " audit"] / r[p " native"] }' "$results" | summary)
printf 'drop rate, audit minus native (points; min / median / max of %d pairs): %s   (papers: +0.5 to +0.9)\n' "$PAIRS" "$diffs"
printf 'server req/s with Snort in the audit space / with Snort on the host: %s\n' "$rps_ratio"
}
summary() { # summary: min / median / max of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f / %.2f / %.2f", v[1], m, v[NR] }'
}
# mon0 carries a server's packets twice (the host's interface and the
# server's veth, docs/benchmarks.md): the audit Snort alerts twice per attack.
for CONNS in 8 64; do snort_pairs; done
CONNS=8

# The mirror's own cost: the same load with no audit space, and with one
# that watches the server (its mirror on) but runs nothing on mon0.
printf '\nServer throughput without and with the mirror (req/s; %d pairs alternated)\n' "$PAIRS"
printf '%-6s %12s %12s %8s\n' pair "no mirror" "mirror" ratio
ratios=$T_DIR/mirror
: >"$ratios"
for p in $(seq "$PAIRS"); do
	ctl space destroy ids >/dev/null
	plain=$(load)
	ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
	sleep 1 # the mirror is attached when the audit space starts
	mirrored=$(load)
	r=$(awk -v m="$mirrored" -v p="$plain" 'BEGIN { printf "%.3f", p ? m / p : 0 }')
	printf '%-6s %12s %12s %8s\n' "$p" "$plain" "$mirrored" "$r"
	echo "$r" >>"$ratios"
done
printf 'mirror / no mirror (min / median / max): %s\n' "$(summary <"$ratios")"
t_sanitizer_check
sim down
t_done
