#!/usr/bin/env bash
# bench_aide - the papers' file-integrity experiment, side by side in one
# run on one simulated host: the same AIDE binary, configuration and tree
# of FILES files, once natively on the host (the base, as an IDS on the
# host would run it) and once in an audit space over /.serverfs/web, the
# server space's live view, alternated PAIRS times after one warm-up run
# of each (same cache state: every dentry and page of the tree is cached
# in both).  Printed per pair: wall, system and user ms of `aide --init`;
# then min / median / max of the per-pair ratio serverfs/native, beside
# the papers' figure (Tripwire over the server's view: 15-26% slower).
#
# Twice: with the server's layer empty (every file from the base through
# the overlay), and after the server rewrote CHANGED% of the files
# (copied up: those come from its own layer, their directories merged).
#
# Then where the time goes, per file (bench_walk): lstat of the full path,
# open + read + close, readdir per directory, natively, through the
# server's overlay from the base (nsenter into its mount namespace: the
# overlay without the audit space's sandbox) and through /.serverfs.
#
# Usage: tests/bench/bench_aide.sh [FILES] [PAIRS] [CHANGED]
#        (default 5000 files, 5 pairs, 10% changed)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

FILES=${1:-5000}
PAIRS=${2:-5}
CHANGED=${3:-10}
[ "$PAIRS" -ge 1 ] || { echo "bench_aide: PAIRS must be >= 1" >&2; exit 2; }

# The tree on the root filesystem (the spaces' base layer) under /usr,
# which the base mask shows to spaces live (basemask.h); the helpers
# beside it, where every space sees them too.  Unique per run.
REL=usr/local/share/hs-bench-$T_ID
TREE=/$REL
LIB=/usr/local/lib/hs-bench-$T_ID
on_exit "rm -rf $TREE $LIB"
mkdir -p "$TREE" "$LIB"
bench_tree "$TREE" "$FILES"
cp "$HSD_BUILD/tests/bench/bench_walk" "$LIB/"
# timed CMD...: "wall sys user rc": ms of CMD (the rusage of the child, in
# µs) and its exit code.
cat >"$LIB/timed" <<'EOF'
#!/usr/bin/python3
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f %.1f %.1f %d" % (w * 1e3, r.ru_stime * 1e3, r.ru_utime * 1e3, rc))
EOF
chmod 755 "$LIB/timed"

sim up "$HSD_SOURCE/deploy/examples/pair.json" >/dev/null
ctl() { on a hsctl "$@"; }
ctl space create web --kind server -- sleep infinity >/dev/null
ctl space create ids --kind audit --monitor web -- sleep infinity >/dev/null
# Its init's pid, as host a sees it: the first number on its line.
WEB_PID=$(ctl space list | awk '$1 == "web" { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }')
[ -n "$WEB_PID" ] || { echo "bench_aide: no pid for space web" >&2; exit 1; }

# aide_run WHERE: "wall sys user rc" of aide --init over the tree, natively
# (native: in the base) or through the view (serverfs: in the audit space).
# The same configuration but for root_prefix; database in /tmp, unique.
aide_run() {
	local prefix=/ run=(on a)
	[ "$1" = serverfs ] && prefix=/.serverfs/web run=(ctl space exec ids --)
	"${run[@]}" sh -c "printf '%s\n' 'database_out=file:/tmp/aide-$T_ID.db' 'root_prefix=$prefix' '$TREE R+sha256' >/tmp/aide-$T_ID.conf &&
		rm -f /tmp/aide-$T_ID.db && $LIB/timed aide --init -c /tmp/aide-$T_ID.conf; rm -f /tmp/aide-$T_ID.conf /tmp/aide-$T_ID.db"
}

summary() { # summary: min / median / max of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%+.1f / %+.1f / %+.1f", v[1], m, v[NR] }'
}

# aide_pairs TITLE: the warm-up, PAIRS alternated pairs, and the ratios.
aide_pairs() {
	local results=$T_DIR/aide-$RANDOM w p o
	: >"$results"
	printf '\nAIDE --init over %d files, %s (ms; native and /.serverfs alternated)\n' "$FILES" "$1"
	for w in native serverfs; do
		read -r _ _ _ rc < <(aide_run "$w")
		[ "$rc" = 0 ] || { echo "bench_aide: aide failed ($w, exit $rc)" >&2; exit 1; }
	done
	printf '%-5s %-9s %9s %9s %9s\n' pair where wall sys user
	for p in $(seq "$PAIRS"); do
		o="native serverfs"
		[ $((p % 2)) = 0 ] && o="serverfs native"
		for w in $o; do
			read -r wall sys user rc < <(aide_run "$w")
			[ "$rc" = 0 ] || { echo "bench_aide: aide failed ($w, exit $rc)" >&2; exit 1; }
			printf '%-5s %-9s %9s %9s %9s\n' "$p" "$w" "$wall" "$sys" "$user"
			echo "$p $w $wall $sys $user" >>"$results"
		done
	done
	ratio() { # ratio FIELD: serverfs/native - 1 per pair, in %
		awk -v f="$1" '{ v[$1 " " $2] = $f } END { for (p = 1; v[p " native"] != ""; p++)
			if (v[p " native"] > 0) print 100 * (v[p " serverfs"] / v[p " native"] - 1) }' "$results" | summary
	}
	printf 'serverfs over native, %% (min / median / max of %d pairs): wall %s   sys %s   (papers, Tripwire: +15 to +26)\n' \
		"$PAIRS" "$(ratio 3)" "$(ratio 4)"
}

# The overlay the view shows, as hsd mounted it (its options are the
# server's: docs/benchmarks.md, "AIDE over /.serverfs").
# (/proc/PID/mountinfo: the mount after " - ", then its source, then the
# superblock's options.)
opts=$(on a awk '$5 == "/" { for (i = 7; $i != "-"; i++); if ($(i + 1) == "overlay") print $(i + 3) }' \
	"/proc/$WEB_PID/mountinfo" | tr ',' '\n')
printf "the server's overlay: %d lower layers; %s\n" "$(grep '^lowerdir=' <<<"$opts" | tr ':' '\n' | wc -l)" \
	"$(grep -v -E '^(lowerdir|upperdir|workdir)=' <<<"$opts" | paste -sd,)"
aide_pairs "the server's layer empty"

want=$((FILES * CHANGED / 100))
ctl space exec web -- sh -c "n=0; for f in $TREE/d*/f*; do [ \$n -ge $want ] && break; echo x >>\$f; n=\$((n + 1)); done"
aide_pairs "$CHANGED% ($want) copied up into the server's layer"

# Per call, ns per file (readdir: per directory); the median of 5 rounds
# after a warm-up, the roots of one line alternated in one process.
printf '\nPer call (ns per file; readdir per directory), %d%% copied up\n' "$CHANGED"
printf '%-40s %9s %12s %9s\n' "" lstat "open+read" readdir
walk_line() { # walk_line LABEL OUTPUT-LINE
	awk -v l="$1" '{ printf "%-40s %9s %12s %9s\n", l, $2, $3, $4 }' <<<"$2"
}
for i in 1 2; do
	walk_line "native (base)" "$(on a "$LIB/bench_walk" 5 "$REL" /)"
	walk_line "server overlay, from its mount ns" "$(on a nsenter -t "$WEB_PID" -m "$LIB/bench_walk" 5 "$REL" /)"
	walk_line "/.serverfs/web, in the audit space" "$(ctl space exec ids -- "$LIB/bench_walk" 5 "$REL" /.serverfs/web)"
done

printf '\nmachine load (1, 5, 15 min): %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
t_sanitizer_check
sim down
t_done
