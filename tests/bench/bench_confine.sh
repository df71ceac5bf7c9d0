#!/usr/bin/env bash
# bench_confine - what a server space's confinement costs, side by side in
# one run on one simulated host (a):
#   1. syscall-bound work (bench_syscalls: getpid, open+close, stat,
#      fork+exec of /bin/true) on the host, on the host under hsd's seccomp
#      filter, in the space's namespaces without any filter (nsenter --all
#      into its init, in its cgroups), through `hsctl space exec` (user
#      namespace, capabilities, seccomp, no_new_privs) and the same with the
#      Landlock scope domain every process of the space's own command has
#   2. file work over the space's root (one overlay: hsd's mask layer and
#      the space's layer over the host's /) against the host's / directly:
#      stat and read every file of a tree, create and remove small files
#   3. HTTP requests/s of a lighttpd in the space with hsd's nftables table
#      whole and with its boundary chains (guard, input, forward) deleted,
#      the port translation kept
# Usage: tests/bench/bench_confine.sh [FILES] [SECONDS]
#   FILES: small files in the tree of part 2 (default 2000);
#   SECONDS: per syscall figure (default 1).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

FILES=${1:-2000}
SECS=${2:-1}
ROUNDS=5      # every figure of parts 1 and 2 is the best of ROUNDS runs
HTTP_ROUNDS=4 # part 3: the mean of HTTP_ROUNDS runs each way, ABBA order
# /usr shows through the base mask live (basemask.h): the space and the host see
# the same files, here on the host's root filesystem, through an overlay there.
DIR=/usr/local/share/hs-bench-$T_ID
SYSDIR=/usr/share/perl # a system tree: what servers mostly read
on_exit "rm -rf $DIR"
mkdir -p "$DIR/tree"
install -m 755 "$HSD_BUILD/tests/bench/bench_syscalls" "$DIR/bench_syscalls"
bench_tree "$DIR/tree" "$FILES"

bench_web
ctl() { on a hsctl "$@"; }
wait_until 10 on b curl -sf --max-time 2 -o /dev/null http://192.0.2.1/ ||
	{ echo "bench_confine: the web space does not answer" >&2; exit 1; }
INIT=$(ctl --json space show web | jq -r '.pid')
[ -n "$INIT" ] && [ "$INIT" != null ] && [ -d "/proc/$INIT" ] ||
	{ echo "bench_confine: no init pid for the web space" >&2; exit 1; }

# Run a shell command in one of the places compared; it prints one line.
#   host       host a itself (its network and mount namespace)
#   nsenter    every namespace of the space's init, joined to its cgroups
#              as hsctl space exec is, root of its user namespace with all
#              capabilities there, no seccomp filter, no Landlock domain
#   exec       hsctl space exec: the space's capabilities, seccomp filter,
#              no_new_privs, no Landlock domain (spexec.h)
in_place() {
	local where=$1 cmd=$2
	case $where in
	host) on a sh -c "$cmd" ;;
	nsenter) on a sh -c 'while IFS=: read -r n c p; do
			case $p in /hsd/*) ;; *) continue ;; esac
			c=${c#name=}; c=${c%%,*}
			echo $$ >"/sys/fs/cgroup/${c:-unified}$p/cgroup.procs" || exit 1
		done <"/proc/$1/cgroup"
		exec nsenter --all -t "$1" -- sh -c "$2"' sh "$INIT" "$cmd" ;;
	exec) ctl space exec web -- sh -c "$cmd" ;;
	esac
}
# Best (largest) of several lines of NAME=VALUE, per NAME.
best() { awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in b) || kv[2] + 0 > b[kv[1]]) b[kv[1]] = kv[2] + 0 } }
	END { for (k in b) printf "%s=%s ", k, b[k]; print "" }'; }
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "-" }'; }

# --- 1. syscalls ---------------------------------------------------------
# Places interleaved round by round, so that load from elsewhere on the
# machine falls on all of them alike; the best round of each counts.
PLACES="host:host: host_sec:host:-S nsenter:nsenter: exec:exec: exec_ll:exec:-L"
declare -A OUT SC
for r in $(seq "$ROUNDS"); do
	for p in $PLACES; do
		IFS=: read -r label place flags <<<"$p"
		OUT[$label]+=$(in_place "$place" "$DIR/bench_syscalls -s $SECS $flags")$'\n'
	done
done
for p in $PLACES; do SC[${p%%:*}]=$(best <<<"${OUT[${p%%:*}]}"); done

printf '\nSyscall-bound work (operations/s, best of %d x %s s, places interleaved; higher is better)\n' "$ROUNDS" "$SECS"
printf '%-11s %9s %9s %9s %9s %9s | %8s %8s %8s %8s %8s\n' "" "host" "host+sec" "nsenter" "exec" \
	"exec+LL" "sec/host" "ns/host" "exec/ns" "LL/exec" "exec/hst"
for w in getpid open_close stat fork_exec; do
	h=$(field "${SC[host]}" $w) hs=$(field "${SC[host_sec]}" $w) n=$(field "${SC[nsenter]}" $w)
	e=$(field "${SC[exec]}" $w) el=$(field "${SC[exec_ll]}" $w)
	printf '%-11s %9s %9s %9s %9s %9s | %8s %8s %8s %8s %8s\n' "$w" "$h" "$hs" "$n" "$e" "$el" \
		"$(div "$hs" "$h")" "$(div "$n" "$h")" "$(div "$e" "$n")" "$(div "$el" "$e")" "$(div "$e" "$h")"
done

# --- 2. files ------------------------------------------------------------
ms() { # ms "CMD": wall time of CMD in ms, as the place measures it
	echo "s=\$(date +%s%N); $1; e=\$(date +%s%N); echo \$(((e - s) / 1000000))"
}
STAT_CMD="find $DIR/tree $SYSDIR -printf '%s %m %U\\n' >/dev/null"
READ_CMD="tar cf - $DIR/tree $SYSDIR 2>/dev/null | cat >/dev/null"
# printf and rm of a shell loop: builtins, so no fork per file.
write_cmd() {
	echo "mkdir -p $DIR/w-$1 && cd $DIR/w-$1 && i=0 && while [ \$i -lt $FILES ]; do
		printf '%2048s' x >f\$i; i=\$((i + 1)); done && cd / && rm -rf $DIR/w-$1"
}
nsys=$(find "$SYSDIR" -type f | wc -l)
printf '\nFile work over the space root (ms, best of %d after a warm-up, places interleaved; lower is better)\n' "$ROUNDS"
printf '%-42s %8s %8s %8s %10s %10s\n' "" "host" "nsenter" "exec" "exec/host" "ns/host"
for what in stat read write; do
	case $what in
	stat) label="find -printf size,mode,uid: $((FILES + nsys)) files" ;;
	read) label="tar c | cat: the same files" ;;
	write) label="create $FILES files of 2 KiB, rm -rf" ;;
	esac
	declare -A T=()
	for r in $(seq 0 "$ROUNDS"); do # round 0 warms the caches up
		for place in host nsenter exec; do
			case $what in
			stat) cmd=$STAT_CMD ;;
			read) cmd=$READ_CMD ;;
			write) cmd=$(write_cmd $place) ;;
			esac
			t=$(in_place $place "$(ms "$cmd")")
			if [ "$r" -gt 0 ] && { [ -z "${T[$place]:-}" ] || [ "$t" -lt "${T[$place]}" ]; }; then
				T[$place]=$t
			fi
		done
	done
	printf '%-42s %8s %8s %8s %10s %10s\n' "$label" "${T[host]}" "${T[nsenter]}" "${T[exec]}" \
		"$(div "${T[exec]}" "${T[host]}")" "$(div "${T[nsenter]}" "${T[host]}")"
done

# --- 3. HTTP -------------------------------------------------------------
# The boundary chains of table ip hsd (hsd/net/portmap.c): guard (raw
# prerouting: anti-spoofing, no 127/8, unknown veths), input (the host
# offers a space nothing) and forward (into a space only replies and
# published ports).  prerouting/output (DNAT of published ports) and
# postrouting (masquerade) are what makes the port work at all: they stay.
# The ip6 table sees no IPv4 packet: it stays too.
SAVED=$T_DIR/hsd.nft
on a nft list table ip hsd >"$SAVED"
boundary_rules() { # rule lines in the boundary chains
	on a nft list table ip hsd | awk '/^\tchain (guard|input|forward) \{/, /^\t\}$/ { if (/^\t\t/ && !/^\t\ttype /) n++ } END { print n + 0 }'
}
without() {
	on a nft -f - <<-EOF
	flush chain ip hsd guard
	delete chain ip hsd guard
	flush chain ip hsd input
	delete chain ip hsd input
	flush chain ip hsd forward
	delete chain ip hsd forward
	EOF
}
restore() { { printf 'add table ip hsd\ndelete table ip hsd\n'; cat "$SAVED"; } | on a nft -f -; }
with_rules=$(boundary_rules)
SPACE_IP=$(ctl space exec web -- ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }')
[ -n "$SPACE_IP" ] || { echo "bench_confine: no address on the space's eth0" >&2; exit 1; }

rps() { # rps HOST URL: requests/s over 3 s
	on "$1" wrk -t1 -c8 -d3s "$2" 2>/dev/null | awk '/Requests\/sec/ { printf "%.0f\n", $2 }'
}
printf '\nHTTP requests/s of the server space (wrk, 8 connections, 3 s; mean of %d, ABBA order)\n' "$HTTP_ROUNDS"
printf '%-40s %10s %10s %9s   %s\n' "" "with" "without" "ratio" "each run (with | without)"
for path in published direct; do
	case $path in
	published) label="host b -> 192.0.2.1:80 (DNAT, forward)" from=b url=http://192.0.2.1/ ;;
	direct) label="host a -> $SPACE_IP:8080 (no NAT)" from=a url=http://$SPACE_IP:8080/ ;;
	esac
	w_runs=() wo_runs=()
	for r in $(seq "$HTTP_ROUNDS"); do
		# ABBA: with, without, without, with, ... cancels a slow drift
		if [ $((r % 2)) = 1 ]; then
			w_runs+=("$(rps $from "$url")"); without; wo_runs+=("$(rps $from "$url")")
		else
			wo_runs+=("$(rps $from "$url")"); restore; w_runs+=("$(rps $from "$url")")
		fi
	done
	if [ $((HTTP_ROUNDS % 2)) = 1 ]; then restore; fi
	w=$(printf '%s\n' "${w_runs[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')
	wo=$(printf '%s\n' "${wo_runs[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR }')
	printf '%-40s %10s %10s %9s   %s | %s\n' "$label" "$w" "$wo" "$(div "$w" "$wo")" "${w_runs[*]}" "${wo_runs[*]}"
done
# Neither figure means anything unless "without" had no boundary rule and
# the table came back whole.
after=$(boundary_rules)
without
none=$(boundary_rules)
restore
printf 'boundary rules: %s with, %s without, %s after restoring\n' "$with_rules" "$none" "$after"
if [ "$none" != 0 ] || [ "$after" != "$with_rules" ] || [ "$with_rules" = 0 ]; then
	echo "bench_confine: the boundary chains were not removed and restored as intended" >&2
	exit 1
fi
t_sanitizer_check
sim down
t_done
