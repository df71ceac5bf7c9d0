#!/usr/bin/env bash
# bench_monitors - what watching from an audit space costs, side by side in
# one run on one simulated host:
#   1. AIDE over a tree in the base, over /.serverfs (the server's live view,
#      through its overlay) and over /.dserverfs (only what the server
#      changed), at several change rates
#   2. HTTP requests/s of a web server in a server space, untraced and
#      traced by hstrace through hsd's broker, with each backend
# Usage: tests/bench/bench_monitors.sh [FILES]   (default 5000 files; 0: HTTP only)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

FILES=${1:-5000}
# On the root filesystem (the spaces' base layer), under /usr, which the
# base mask shows to spaces live (basemask.h).
TREE=/usr/local/share/hs-bench-$T_ID
on_exit "rm -rf $TREE"
mkdir -p "$TREE"
[ "$FILES" -eq 0 ] || bench_tree "$TREE" "$FILES"

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

# FILES=0 leaves the AIDE part out (the HTTP rows alone).
[ "$FILES" -gt 0 ] && printf '\nAIDE --init over %d files (ms; lower is better)\n' "$FILES" &&
	printf '%-12s %10s %12s %12s %14s %15s\n' "changed" "base" "/.serverfs" "/.dserverfs" "serverfs/base" "dserverfs/base"
changed=0
for rate in 0 1 10 50; do
	[ "$FILES" -gt 0 ] || break
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
# The server's lighttpd, as host a numbers it.
WEB=$(on a pgrep -P "$(ctl --json space show web | jq -r .pid)" | head -1)
# untraced_wait: until no tracer holds the server any more (a ptrace
# session or strace lets go after its reader ends; an untraced run right
# after must not find it still attached).
untraced_wait() {
	local i
	for i in $(seq 100); do
		[ "$(on a awk '/^TracerPid:/ { print $2 }' "/proc/$WEB/status")" = 0 ] && return 0
		sleep 0.1
	done
	echo "bench_monitors: the server is still traced after 10 s" >&2
	return 1
}
traced_rps() { # traced_rps SLOW_MS BACKEND [SYSCALLS]: requests/s while hstrace follows the space
	local pid rps calls=${3:+--syscalls $3}
	pid=$(ctl space exec ids -- sh -c "hstrace --backend $2 --slow $1 $calls --json space >/dev/null 2>/tmp/hstrace.err & echo \$!")
	sleep 1 # the broker has attached to every process of the space
	rps=$(http_rps)
	ctl space exec ids -- kill -TERM "$pid"
	sleep 1
	untraced_wait
	printf '%s %s\n' "$rps" "$(ctl space exec ids -- sed -n 's/.* \([0-9]*\) dropped.*/\1/p' /tmp/hstrace.err)"
}
# The papers' baseline: truss on the host.  Here strace on host a, as an
# operator would run it, following the server's lighttpd.
strace_rps() {
	local spid rps
	spid=$(on a sh -c "strace -f -qq -o /dev/null -p $WEB >/dev/null 2>&1 & echo \$!")
	sleep 1
	rps=$(http_rps)
	on a kill -INT "$spid"
	sleep 1
	untraced_wait
	printf '%s -\n' "$rps"
}
ROUNDS=${BENCH_HTTP_ROUNDS:-5}
printf '\nHTTP throughput of the server space (wrk from host b, 8 connections, 3 s; %d rounds, each traced run paired with an untraced one beside it, the order flipping pair by pair)\n' "$ROUNDS"
# The trace bundles (deploy/bundles/trace-*) ask for openat and execve only;
# the kernel filters the rest out (eBPF) or never stops for it (ptrace).
BUNDLE_CALLS=openat,execve
rows=("ptrace, fast reader" "ptrace, reader sleeping 5 ms/event" "ebpf, fast reader"
	"ebpf, reader sleeping 5 ms/event" "ptrace, the trace bundles' $BUNDLE_CALLS"
	"ebpf, the trace bundles' $BUNDLE_CALLS" "strace on the host (the papers' truss)")
runs=("traced_rps 0 ptrace" "traced_rps 5 ptrace" "traced_rps 0 ebpf" "traced_rps 5 ebpf"
	"traced_rps 0 ptrace $BUNDLE_CALLS" "traced_rps 0 ebpf $BUNDLE_CALLS" strace_rps)
ratios=$(mktemp) drops=$(mktemp)
on_exit "rm -f $ratios $drops"
for r in $(seq "$ROUNDS"); do
	lo= hi=
	for i in "${!runs[@]}"; do
		# the untraced run of the pair before or after the traced one
		[ $(((r + i) % 2)) -eq 0 ] && untraced=$(http_rps)
		read -r rps drop < <(${runs[$i]})
		[ $(((r + i) % 2)) -eq 1 ] && untraced=$(http_rps)
		awk -v i="$i" -v t="$rps" -v u="$untraced" 'BEGIN { printf "%d %.3f\n", i, u ? t / u : 0 }' >>"$ratios"
		echo "$i $drop" >>"$drops"
		lo=$(awk -v a="${lo:-$untraced}" -v b="$untraced" 'BEGIN { print (b < a ? b : a) }')
		hi=$(awk -v a="${hi:-$untraced}" -v b="$untraced" 'BEGIN { print (b > a ? b : a) }')
	done
	printf '  round %d: untraced %s to %s req/s\n' "$r" "$lo" "$hi"
done
printf '%-40s %24s %14s\n' "" "traced/untraced min/med/max" "dropped (med)"
for i in "${!rows[@]}"; do
	printf '%-40s %24s %14s\n' "${rows[$i]}" \
		"$(awk -v i="$i" '$1 == i { print $2 }' "$ratios" | sort -n | awk '{ v[NR] = $1 } END { printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR] }')" \
		"$(awk -v i="$i" '$1 == i { print $2 }' "$drops" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
done
printf '(papers: truss on a server VM against truss natively, 0.8-7.3 %% slower)\n'
t_sanitizer_check
sim down
t_done
