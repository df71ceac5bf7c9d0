#!/usr/bin/env bash
# A full disk under the store (docs/fault-injection.md, "A full disk under
# the store"): one simulated host whose state directory (store, bundles,
# layer images) sits on a small tmpfs of its own, filled by a filler file.
# 1. Filled: hsd gives its reserve back to what runs and refuses space
#    create, bundle add, deploy and rollout with one line naming the cause,
#    leaving no row, file or image behind; the running server, the IDS and
#    its alerts go on.  Control: each command succeeds once the filler goes.
# 2. Filled past the reserve, the store itself refuses writes: the IDS's
#    alerts wait in its console and are all stored, none missing, once
#    space is freed.  Control: alerts stored before the fill.
# Then PRAGMA integrity_check is ok and everything stored before is there.
source "$(dirname "$0")/../lib.sh"

jq '.hosts |= .[:1] | .cluster = "disk"' "$HSD_SOURCE/deploy/examples/three.json" >"$T_DIR/one.json"
sim up "$T_DIR/one.json" >/dev/null
ROOT=/var/lib/hs-sim/$T_ID
ctl() { on a hsctl "$@"; }
q() { on a sqlite3 -cmd ".timeout 5000" /var/lib/hsd/hsd.db "$@"; }
export -f ctl on sim q
export SIM T_ID

# The state directory moves onto its own small file system, inside a's
# mount namespace, while hsd is stopped.  On exit, the store goes back to
# where deploy/sim's down reads it (to end the spaces it lists), and the
# file system is unmounted (with the layers mounted below it).
sim stop a
mkdir "$T_DIR/state"
on a cp -a /var/lib/hsd/. "$T_DIR/state/"
on_exit "sim stop a; on a sh -c 'cp /var/lib/hsd/hsd.db* $ROOT/a/state/'; on a umount -l /var/lib/hsd"
on a mount -t tmpfs -o size=128m,mode=0700 "hs-disk-$T_ID" /var/lib/hsd
on a cp -a "$T_DIR/state/." /var/lib/hsd/
sim start a
HSDPID=$(sim pid a)

# det prints "ALERT tick N" every 0.2 s (N counting up: a missing alert
# shows as a gap) and reports new files in the servers' /srv/alerts and
# probe directories.
mkbundle() { # mkbundle NAME VERSION
	local dir=$T_DIR/$1-$2
	mkdir -p "$dir"
	cat >"$dir/run.sh" <<'EOF'
touch seen
n=0
while :; do
	for f in /.serverfs/*/var/lib/hsd-probe/* /.serverfs/*/srv/alerts/*; do
		[ -f "$f" ] || continue
		sig="$f $(cksum <"$f")"
		grep -qxF "$sig" seen || { echo "$sig" >>seen; echo "ALERT $f"; }
	done
	n=$((n + 1))
	echo "ALERT tick $n"
	sleep 0.2
done
EOF
	jq -n --arg n "$1" --arg v "$2" '{name: $n, version: $v, description: "test detector",
		command: ["sh", "run.sh"], files: ["run.sh"], monitors: ["serverfs"],
		alert: {pattern: "^ALERT "}, probe: {kind: "file", deadline_s: 8}}' >"$dir/bundle.json"
	cp "$(t_sign "$dir")" "$dir.sig"
}
for b in "det 1" "det 2" "det 3" "aux 1"; do mkbundle $b; done
add() { ctl bundle add "$T_DIR/$1" --sig "$T_DIR/$1.sig"; }
ctl space create web --kind server --disk 64M -- sh -c 'mkdir -p /srv/alerts && exec sleep infinity' >/dev/null
add det-1 >/dev/null
add det-2 >/dev/null
add aux-1 >/dev/null
check "deploy det-1 before the fill" ctl deploy det-1
ticks() { q "SELECT count(*) FROM alerts WHERE instance = '$1' AND line LIKE 'ALERT tick %'"; }
check "det@1's alerts are stored" wait_until 10 bash -c "[ \$(q \"SELECT count(*) FROM alerts WHERE line LIKE 'ALERT tick %'\") -gt 3 ]"

disk() { ctl --json status | jq -e ".disk | $1" >/dev/null; }
export -f disk
check "hsd holds its reserve" disk '.reserve_held and .reserve > 0'
# Each layer's journal is committed first: a commit in the moment between
# the filler and hsd's release of its reserve would find no room for the
# image to grow (see phase 2).
# The filler writes what is free when it starts, no more: hsd gives its
# reserve back once the disk is nearly full, maybe while the filler still
# writes, and a filler that wrote until ENOSPC would take that room too
# (under ASan it did).  It prints the free bytes right after its last
# write: 0, or hsd's reserve if hsd gave it back meanwhile.
fill() { on a sh -c "for l in /var/lib/hsd/layers/*/; do sync -f \$l; done; avail=\$(df -B1 --output=avail /var/lib/hsd | tail -1); dd if=/dev/zero of=/var/lib/hsd/$1 bs=1M count=\$((avail >> 20)) status=none 2>/dev/null; dd if=/dev/zero of=/var/lib/hsd/$1.b bs=4k count=\$(((avail & 1048575) >> 12)) status=none 2>/dev/null; df -B1 --output=avail /var/lib/hsd | tail -1"; }
unfill() { on a rm -f "/var/lib/hsd/$1" "/var/lib/hsd/$1.b"; }
# What a refused command must not leave: rows, images, layers, bundles.
snapshot() {
	{
		q "SELECT name, state FROM spaces ORDER BY name"
		q "SELECT id FROM bundles ORDER BY id"
		q "SELECT space, stopped_at IS NULL FROM instances ORDER BY id"
		q "SELECT id, state FROM rollouts ORDER BY id"
		on a ls -a /var/lib/hsd /var/lib/hsd/images /var/lib/hsd/layers /var/lib/hsd/bundles
	} | grep -v -E '^(filler|reserve)' # the test's and hsd's own
}

# --- 1. the disk fills: the reserve goes to what runs, new work is refused
left=$(fill filler | tr -d " ")
check "the disk is full: the filler took all but hsd's reserve ($left bytes free after it)" \
	[ "$left" -le $((32 << 20)) ]
check "hsd releases its reserve within 2 s" wait_until 2 disk '.full and (.reserve_held | not)'
snapshot >"$T_DIR/before"
T_PATTERN="no space left on device (/var/lib/hsd"
expect_exit 1 "space create is refused" ctl space create s2 --kind server -- sleep infinity
expect_exit 1 "bundle add is refused" add det-3
expect_exit 1 "deploy is refused" ctl deploy aux-1
expect_exit 1 "rollout is refused" ctl rollout det-2 --wait
unset T_PATTERN
snapshot >"$T_DIR/after"
check "nothing of the refused commands is left: no row, image, layer, bundle or rollout" \
	diff "$T_DIR/before" "$T_DIR/after"
check "hsd runs on (same pid)" [ "$(sim pid a)" = "$HSDPID" -a -d "/proc/$HSDPID" ]
check "web and det@1 still run" bash -c "ctl --json space list | jqe '[.spaces[] | select(.state == \"running\") | .name] | sort == [\"det@1\", \"web\"]'"
n=$(ticks det@1)
check "det@1's alerts are still stored, in the reserve's room" wait_until 5 bash -c "[ \$(q \"SELECT count(*) FROM alerts WHERE instance = 'det@1' AND line LIKE 'ALERT tick %'\") -gt $((n + 3)) ]"
ctl space exec web -- sh -c 'echo 1 >/srv/alerts/full1' || true
check "web writes a file and det@1 reports it" wait_until 10 bash -c "ctl alerts --last 1000 | grep -q 'det@1 .*ALERT /.serverfs/web/srv/alerts/full1'"

# --- the control: the same commands succeed once space is freed, no restart
unfill filler
check "hsd takes its reserve back once space is freed" wait_until 5 disk '.reserve_held and (.full | not)'
check "control: space create succeeds" ctl space create s2 --kind server --disk 64M -- sleep infinity
check "control: bundle add succeeds" add det-3
check "control: deploy succeeds" ctl deploy aux-1
check "control: rollout succeeds" ctl rollout det-2 --wait
check "hsd was not restarted" [ "$(sim pid a)" = "$HSDPID" ]

# --- 2. past the reserve: the store refuses the alerts, which wait
check "det@2's alerts are stored (control)" wait_until 10 bash -c "[ \$(q \"SELECT count(*) FROM alerts WHERE instance = 'det@2' AND line LIKE 'ALERT tick %'\") -gt 3 ]"
fill filler >/dev/null
check "hsd releases its reserve" wait_until 2 disk '(.reserve_held | not)'
# An empty write-ahead log, so that every write of the store needs new
# room; a fresh journal commit in det@2's layer, so its console takes the
# next ticks for a few seconds more (after that, a layer whose image cannot
# grow turns read-only: the limit documented).
check "the store's log is emptied" bash -c "[ \"\$(q 'PRAGMA wal_checkpoint(TRUNCATE)' | cut -d'|' -f1)\" = 0 ]"
fill filler2 >/dev/null
held0=$(ticks det@2)
check "the store refuses det@2's alerts" wait_until 5 bash -c "$SIM --id $T_ID log a | grep -q 'instance det@2: alert not stored, kept in its console'"
sleep 2
check "none of them is stored meanwhile" [ "$(ticks det@2)" -le "$((held0 + 1))" ]
unfill filler2
unfill filler
check "once space is freed, the alerts printed meanwhile are stored" \
	wait_until 10 bash -c "[ \$(q \"SELECT count(*) FROM alerts WHERE instance = 'det@2' AND line LIKE 'ALERT tick %'\") -gt $((held0 + 3)) ]"
# Every tick from the first stored to the last: none lost, none twice.
gaps() {
	q "SELECT substr(line, 12) FROM alerts WHERE instance = '$1' AND line LIKE 'ALERT tick %'" |
		sort -n | awk 'NR == 1 {first = $1} {if ($1 != first + NR - 1) bad = 1} END {exit bad || NR == 0}'
}
check "det@2's ticks are stored without a gap or a repeat" gaps det@2
check "det@1's ticks too (stored across the first fill)" gaps det@1

# --- what was stored before is still there, and the store is whole
check "PRAGMA integrity_check is ok" bash -c "[ \"\$(q 'PRAGMA integrity_check')\" = ok ]"
# (det@1 was retired by the rollout to det-2.)
check "spaces stored before are there" bash -c "[ \"\$(q 'SELECT name FROM spaces ORDER BY name' | tr '\n' ' ')\" = 'aux@1 det@2 s2 web ' ]"
check "bundles stored before are there" bash -c "[ \"\$(q 'SELECT id FROM bundles ORDER BY id' | tr '\n' ' ')\" = 'aux-1 det-1 det-2 det-3 ' ]"
check "alerts stored before are there" bash -c "[ \$(q \"SELECT count(*) FROM alerts WHERE line LIKE '%/srv/alerts/full1%'\") -ge 1 ]"
check "hsd ran throughout (same pid)" [ "$(sim pid a)" = "$HSDPID" -a -d "/proc/$HSDPID" ]
t_done
