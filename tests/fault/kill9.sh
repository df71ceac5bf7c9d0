#!/usr/bin/env bash
# tests/fault/kill9.sh [N] - kill -9 hsd on host a (or, one time in three,
# its route engine) in the middle of an operation, N times (default 100),
# and check after each restart that nothing leaked, the store is sound, a
# single route engine runs and no host went unwatched.
# Standalone (not in ctest or tests/run): it takes minutes, needs root.
# The operations cycle: space create, space destroy, deploy, rollout.
source "$(dirname "$0")/../lib.sh"

N=${1:-100}
[[ $N =~ ^[0-9]+$ ]] || { echo "usage: $0 [ITERATIONS]" >&2; exit 2; }
CLUSTER=$HSD_SOURCE/deploy/examples/three.json
HOSTS="a b c"
ROOT=/var/lib/hs-sim/$T_ID
DB=$ROOT/a/state/hsd.db
# Host a's spaces run as ids of its --subuid slice (deploy/sim: the first
# host's slice starts at 2^30, 2^24 - 2^16 ids): that is how we tell its space
# processes from everything else on the machine without asking hsd.
UID_LO=1073741824 UID_HI=$((1073741824 + 16711680))
VIOLATIONS=0

sim up "$CLUSTER" >/dev/null
ctl() { on a hsctl "$@"; }
export -f on sim
export SIM T_ID

# The lib's trap runs "sim down", which ends every space by its store
# pid and everything left in the sim's namespaces; the hsctl calls we put
# in the background are ended here first, by the pid we got.
BG=""
on_exit '[ -n "$BG" ] && kill "$BG" 2>/dev/null; wait 2>/dev/null'

# Two versions of the quick shell detector (t_det_bundle): deploying the
# other one each time makes every deploy or rollout start and stop things.
mkbundle() {
	local dir=$T_DIR/det-$1
	t_det_bundle "$dir" "$1"
	ctl bundle add "$dir" --sig "$(t_sign "$dir")" >/dev/null
}
for h in $HOSTS; do on "$h" hsctl space create web --kind server -- sleep infinity >/dev/null; done
t_mesh_up $HOSTS >/dev/null
mkbundle 1
mkbundle 2
ctl deploy det-1 >/dev/null || { echo "initial deploy failed" >&2; exit 1; }

# --- what exists, as seen from outside hsd -------------------------------
# Mount points in a's mount namespace, and the machine's under the sim.
mounts_a() { on a cat /proc/self/mountinfo | awk '{print $5}' | sort; }
mounts_m() { awk -v r="$ROOT" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort; }
links_a() { on a ip -o link | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort; }
links_mesh() { on a nsenter --net=/run/hsd/mesh.netns ip -o link | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort; }
nft_tables() { on a nft list tables | sort; }
# wireguard-go processes living in a's mount namespace.
wg_procs() {
	local ns p
	ns=$(stat -L -c %i "$ROOT/ns/a")
	for p in $(pgrep -x wireguard-go || true); do
		[ "$(stat -L -c %i /proc/$p/ns/mnt 2>/dev/null)" = "$ns" ] && echo "$p"
	done
	return 0
}
# hsd's route engines running in a's mount namespace (one per live hsd).
engine_procs() {
	local ns p
	ns=$(stat -L -c %i "$ROOT/ns/a")
	for p in $(pgrep -x hsengine || true); do
		[ "$(stat -L -c %i /proc/$p/ns/mnt 2>/dev/null)" = "$ns" ] && echo "$p"
	done
	return 0
}
# Every process running as one of a's space ids: "pid pidns-inode".  The
# first host of every simulation on this machine has the same ids, so it
# must also sit in a's cgroups (hsd/INSTANCE) or be a child of an hsd of
# ours (a killed hsd's children are still its own when it had not moved
# them yet).
HSD_PIDS=""
space_procs() {
	local p u pp inst
	inst=$(store "SELECT value FROM meta WHERE key = 'instance'")
	for p in /proc/[0-9]*; do
		u=$(awk '/^Uid:/ {print $3; exit}' "$p/status" 2>/dev/null) || continue
		[ -n "$u" ] && [ "$u" -ge $UID_LO ] && [ "$u" -lt $UID_HI ] || continue
		pp=$(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null)
		grep -q "/hsd/$inst/" "$p/cgroup" 2>/dev/null || [[ " $HSD_PIDS " == *" $pp "* ]] || continue
		echo "${p#/proc/} $(stat -L -c %i "$p/ns/pid" 2>/dev/null)"
	done
}
store() { sqlite3 -readonly "$DB" "$1" 2>/dev/null; }

# --- invariants: each prints what is wrong, nothing when all is well ------
leaks() {
	local names pids netidx l p
	names=$(store "SELECT name FROM spaces")
	pids=$(store "SELECT pid FROM spaces WHERE pid IS NOT NULL")
	netidx=$(store "SELECT netidx FROM spaces WHERE netidx IS NOT NULL")
	# A mount is accounted for when it was there at the start or one of
	# its path components names a space of the store (layer, run dir).
	for l in $(comm -13 "$T_DIR/mounts_a.0" <(mounts_a)); do
		grep -qxF -f <(tr '/' '\n' <<<"$l") <<<"$names" 2>/dev/null || echo "mount in a: $l"
	done
	comm -13 "$T_DIR/mounts_m.0" <(mounts_m) | sed 's/^/machine mount: /'
	# One route engine, the current hsd's: a killed hsd's engine ends at
	# the end of its channel, a killed engine is started again.
	l=$(engine_procs | tr '\n' ' ')
	[ "$(wc -w <<<"$l")" = 1 ] || echo "route engines in a: ${l:-none} (want one)"
	for l in $(comm -13 "$T_DIR/mounts_a.0" <(mounts_a) | grep -E '/(layers|spaces)/' || true); do
		grep -qxF "$(basename "$l" .img)" <<<"$names" || echo "mount of a gone space: $l"
	done
	# Space veths carry the store's link number; anything else is new.
	for l in $(comm -13 "$T_DIR/links_a.0" <(links_a)) $(comm -13 "$T_DIR/links_mesh.0" <(links_mesh)); do
		[[ $l =~ ^hs[vxa]([0-9]+)$ ]] && grep -qxF "${BASH_REMATCH[1]}" <<<"$netidx" && continue
		echo "interface: $l"
	done
	# hsd's rules name each space's veth; a name with no space is a leak.
	for l in $(on a nft list ruleset | grep -oE 'hs[vxa][0-9]+' | sort -u); do
		grep -qxF "${l#hs?}" <<<"$netidx" || echo "nft rule for $l"
	done
	diff <(cat "$T_DIR/nft.0") <(nft_tables) | sed -n 's/^> /nft table: /p'
	[ "$(wg_procs | wc -l)" = "$(cat "$T_DIR/wg.0")" ] ||
		echo "wireguard-go processes of a: $(wg_procs | wc -l), want $(cat "$T_DIR/wg.0") ($(wg_procs | tr '\n' ' '))"
	# Each space process must belong to a PID namespace of a stored init.
	local inits=""
	for p in $pids; do inits+=" $(stat -L -c %i /proc/$p/ns/pid 2>/dev/null)"; done
	space_procs | while read -r p l; do
		[[ " $inits " == *" $l "* ]] || echo "space process $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)) not in the store"
	done
	# Each stored running space must really run.
	store "SELECT name, pid FROM spaces WHERE state = 'running'" | while IFS='|' read -r l p; do
		[ -n "$p" ] && [ -d "/proc/$p" ] || echo "space $l running in the store, pid ${p:-none} gone"
	done
	# Network namespaces: the sim's own four and nothing new.
	[ "$(ip netns list | grep -c "^hs-$T_ID-")" = 4 ] || echo "netns: $(ip netns list | grep "^hs-$T_ID-" | tr '\n' ' ')"
}
integrity() {
	local r
	r=$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)
	[ "$r" = ok ] || echo "integrity_check on a: $r"
}
# Every host runs a verified det instance whose space is running.
watched() {
	local h sp
	for h in $HOSTS; do
		sp=$(on "$h" hsctl --json space list | jq -r '.spaces[] | select(.state == "running") | .name')
		on "$h" hsctl --json instance list |
			jq -e --arg sp "$sp" '[.instances[] | select(.stopped_ms == 0 and .verified_ms > 0 and
				(.space as $s | $sp | split("\n") | index($s)))] | length > 0' >/dev/null ||
			echo "host $h unwatched: no running verified instance"
	done
}
# Transient states (a rollout picked up from the store, a space being
# stopped) settle within seconds: a violation must hold for 20 s.
settled() {
	local out end=$((SECONDS + 20))
	while :; do
		out=$( { leaks; integrity; watched; } 2>&1)
		[ -z "$out" ] || [ $SECONDS -ge $end ] && break
		sleep 1
	done
	printf '%s' "$out"
}
up_a() { on a hsctl status >/dev/null 2>&1; }

# Baseline, with the deploy done and nothing in flight.
HSD_PIDS=$(sim pid a)
mounts_a >"$T_DIR/mounts_a.0"; mounts_m >"$T_DIR/mounts_m.0"
links_a >"$T_DIR/links_a.0"; links_mesh >"$T_DIR/links_mesh.0"
nft_tables >"$T_DIR/nft.0"; wg_procs | wc -l >"$T_DIR/wg.0"
base=$(settled)
[ -z "$base" ] || { echo "not sound before any kill:"; echo "$base"; exit 1; }
echo "baseline: $(wc -l <"$T_DIR/mounts_a.0") mounts in a, $(cat "$T_DIR/wg.0") wireguard-go, $(store "SELECT count(*) FROM spaces") spaces, $(space_procs | wc -l) space processes"

ver=1 made=() start=$SECONDS
for ((i = 1; i <= N; i++)); do
	# A destroy needs a space; with none left, create instead.
	k=$((i % 4))
	[ $k = 1 ] && [ ${#made[@]} = 0 ] && k=0
	case $k in
	0) op="space create s$i"; args=(space create "s$i" --kind server -- sleep infinity); made+=("s$i") ;;
	1) op="space destroy ${made[0]}"; args=(space destroy "${made[0]}"); made=("${made[@]:1}") ;;
	2) ver=$((3 - ver)); op="deploy det-$ver"; args=(deploy "det-$ver") ;;
	3) ver=$((3 - ver)); op="rollout det-$ver"; args=(rollout "det-$ver" --max-parallel 2) ;;
	esac
	delay=$((RANDOM % 1501))
	ctl "${args[@]}" >"$T_DIR/op.out" 2>&1 &
	BG=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	# One kill in three is of hsd's route engine instead: hsd restarts it
	# and carries on; the operation is not interrupted.
	victim=hsd back=1
	if [ $((RANDOM % 3)) = 0 ] && epid=$(engine_procs | head -1) && [ -n "$epid" ]; then
		victim=engine
		kill -9 "$epid"
		wait "$BG" && oprc=0 || oprc=$?
		BG=""
	else
		pid=$(sim pid a)
		HSD_PIDS+=" $pid"
		kill -9 "$pid"
		wait "$BG" && oprc=0 || oprc=$?
		BG=""
		# Starting hsd waits (10 s) until it answers; give it one more chance.
		sim start a >"$T_DIR/start.out" 2>&1 || wait_until 20 up_a || back=0
		HSD_PIDS+=" $(sim pid a)"
	fi
	op="$op, kill of $victim"
	if [ $back = 0 ]; then
		out="hsd on a did not come back; sim start said: $(tail -5 "$T_DIR/start.out"); its log ends:"$'\n'"$(sim log a | tail -20)"
	else
		out=$(settled)
	fi
	if [ -n "$out" ]; then
		VIOLATIONS=$((VIOLATIONS + 1))
		echo "iter $i: FAIL $op, kill after ${delay} ms (op exit $oprc)"
		sed 's/^/    /' <<<"$out"
		echo "    hsd log of a (warnings, errors):"
		sim log a | grep -E 'hsd\[(warn|error)\]' | tail -8 | sed 's/^/      /'
		[ $back = 1 ] || break
		# Later iterations compare against what is there now, so one
		# leak is reported once.
		mounts_a >"$T_DIR/mounts_a.0"; mounts_m >"$T_DIR/mounts_m.0"
		links_a >"$T_DIR/links_a.0"; links_mesh >"$T_DIR/links_mesh.0"
		nft_tables >"$T_DIR/nft.0"
	else
		echo "iter $i: ok   $op, kill after ${delay} ms (op exit $oprc)"
	fi
done
echo "summary: $((i > N ? N : i)) iterations in $((SECONDS - start)) s, $VIOLATIONS with violations"
[ "$VIOLATIONS" = 0 ]
