#!/usr/bin/env bash
# bench_monitors - what watching from an audit space costs, side by side in
# one run on one simulated host:
#   1. AIDE over a tree in the base, over /.serverfs (the server's live view,
#      through its overlay) and over /.dserverfs (only what the server
#      changed), at several change rates
#   2. HTTP requests/s of a web server in a server space, untraced and
#      traced by hstrace through hsd's broker, with each backend
# Usage: tests/bench/bench_monitors.sh [FILES]   (default 5000 files)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

FILES=${1:-5000}
# On the root filesystem (the spaces' base layer), under /usr, which the
# base mask shows to spaces live (basemask.h).
TREE=/usr/local/share/hs-bench-$T_ID
on_exit "rm -rf $TREE"
mkdir -p "$TREE"
bench_tree "$TREE" "$FILES"

bench_web
ctl() { on a hsctl "$@"; }
ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null

aide_secs() { # aide_secs WHERE ROOT: seconds for aide --init over ROOT$TREE
	local conf="database_out=file:/tmp/aide-bench.db
root_prefix=$2
$TREE R+sha256"
	local cmd="printf '%s\n' '$conf' >/tmp/aide-bench.conf && rm -f /tmp/aide-bench.db &&
		s=\$(date +%s%N) && aide --init -c /tmp/aide-bench.conf >/dev/null 2>&1; e=\$(date +%s%N); echo \$(((e - s) / 1000000))"
	if [ "$1" = base ]; then on a sh -c "$cmd"; else ctl space exec ids -- sh -c "$cmd"; fi
}

printf '\nAIDE --init over %d files (ms; lower is better)\n' "$FILES"
printf '%-12s %10s %12s %12s %14s %15s\n' "changed" "base" "/.serverfs" "/.dserverfs" "serverfs/base" "dserverfs/base"
changed=0
for rate in 0 1 10 50; do
	want=$((FILES * rate / 100))
	# The server rewrites files (copy-up into its layer) until want changed.
	ctl space exec web -- sh -c "n=0; for f in $TREE/d*/f*; do [ \$n -ge $((want - changed)) ] && break; echo x >>\$f; n=\$((n + 1)); done"
	changed=$want
	b=$(aide_secs base /)
	s=$(aide_secs ids /.serverfs/web)
	d=$(aide_secs ids /.dserverfs/web)
	printf '%-12s %10s %12s %12s %14s %15s\n' "$rate% ($want)" "$b" "$s" "$d" \
		"$(awk -v s="$s" -v b="$b" 'BEGIN { printf "%.2f", b ? s / b : 0 }')" \
		"$(awk -v d="$d" -v b="$b" 'BEGIN { printf "%.2f", b ? d / b : 0 }')"
done

http_rps() { # requests/s over 3 s from host b through the published port
	on b wrk -t1 -c8 -d3s http://192.0.2.1/ 2>/dev/null | awk '/Requests\/sec/ {print $2}'
}
traced_rps() { # traced_rps SLOW_MS BACKEND: requests/s while hstrace follows the space
	local pid rps
	pid=$(ctl space exec ids -- sh -c "hstrace --backend $2 --slow $1 --json space >/dev/null 2>/tmp/hstrace.err & echo \$!")
	sleep 1 # the broker has attached to every process of the space
	rps=$(http_rps)
	ctl space exec ids -- kill -TERM "$pid"
	sleep 1
	printf '%s %s\n' "$rps" "$(ctl space exec ids -- sed -n 's/.* \([0-9]*\) dropped.*/\1/p' /tmp/hstrace.err)"
}
printf '\nHTTP throughput of the server space (wrk, 8 connections, 3 s)\n'
printf '%-34s %10s %10s %12s\n' "" "req/s" "ratio" "dropped"
untraced=$(http_rps)
read -r fast fast_drop < <(traced_rps 0 ptrace)
read -r slow slow_drop < <(traced_rps 5 ptrace)
read -r efast efast_drop < <(traced_rps 0 ebpf)
read -r eslow eslow_drop < <(traced_rps 5 ebpf)
ratio() { awk -v t="$1" -v u="$untraced" 'BEGIN { printf "%.3f", u ? t / u : 0 }'; }
printf '%-34s %10s %10s %12s\n' "untraced" "$untraced" "1.000" "-" \
	"ptrace, fast reader" "$fast" "$(ratio "$fast")" "$fast_drop" \
	"ptrace, reader sleeping 5 ms/event" "$slow" "$(ratio "$slow")" "$slow_drop" \
	"ebpf, fast reader" "$efast" "$(ratio "$efast")" "$efast_drop" \
	"ebpf, reader sleeping 5 ms/event" "$eslow" "$(ratio "$eslow")" "$eslow_drop"
t_sanitizer_check
sim down
t_done
