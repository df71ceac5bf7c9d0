#!/usr/bin/env bash
# Rollouts on three simulated hosts with a small shell IDS ("det", quick to
# start and verify): hsctl rollout's options and subcommands, a rollback
# across several hosts, a host that fails to catch up after the commit, a
# host that never returns, a version that already runs, and alerts printed
# while hsd was down.
source "$(dirname "$0")/../lib.sh"

CLUSTER=$HSD_SOURCE/deploy/examples/three.json
HOSTS="a b c"
sim up "$CLUSTER" >/dev/null
ctl() { on a hsctl "$@"; }
st() { ctl --json rollout status "$@"; }
# state_is JQ: the filter holds for a's latest rollout (whose state is
# also rollout status's exit status: not 0 unless it is done)
state_is() { { st --timeline || true; } | jqe "$1"; }
# status_rc HOST [ID]: the exit status of hsctl rollout status there
status_rc() { local h=$1 rc=0; shift; on "$h" hsctl rollout status "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }
export -f ctl on sim st state_is
export SIM T_ID

for h in $HOSTS; do
	on "$h" hsctl space create web --kind server -- sh -c 'mkdir -p /srv/alerts && sleep infinity' >/dev/null
done
t_mesh_up $HOSTS

# det-N reports each new content of a probe file or of a file under
# /srv/alerts of a watched server, once.  det-2 stays silent on the hosts
# listed in its file "blind": it fails there, and only there.
mkbundle() { # mkbundle VERSION BLIND_HOSTS
	local dir=$T_DIR/det-$1
	mkdir -p "$dir"
	cat >"$dir/run.sh" <<'EOF'
for h in $(cat blind 2>/dev/null); do [ "$h" = "$HSD_HOST" ] && exec sleep 100000; done
touch seen
while :; do
	for f in /.serverfs/*/var/lib/hsd-probe/* /.serverfs/*/srv/alerts/*; do
		[ -f "$f" ] || continue
		sig="$f $(cksum <"$f")"
		grep -qxF "$sig" seen || { echo "$sig" >>seen; echo "ALERT $f"; }
	done
	sleep 0.2
done
EOF
	echo "$2" >"$dir/blind"
	jq -n --arg v "$1" '{name: "det", version: $v, description: "test detector", command: ["sh", "run.sh"],
		files: ["run.sh", "blind"], monitors: ["serverfs"], alert: {pattern: "^ALERT "},
		probe: {kind: "file", deadline_s: 6}}' >"$dir/bundle.json"
	ctl bundle add "$dir" --sig "$(t_sign "$dir")" >/dev/null
	on b hsctl bundle add "$dir" --sig "$(t_sign "$dir")" >/dev/null # b coordinates one rollout
}
mkbundle 1 ""
mkbundle 2 c
running() { # running HOST SPACE: the space runs on HOST
	on "$1" hsctl --json space list | jqe --arg s "$2" '.spaces[] | select(.name == $s and .state == "running")'
}
absent() { ! on "$1" hsctl --json space list | jqe --arg s "$2" '.spaces[] | select(.name == $s)'; }
detects() { # detects HOST NAME: a new file NAME in HOST's web is reported there
	on "$1" hsctl space exec web -- sh -c "echo $2 >/srv/alerts/$2"
	wait_until 30 bash -c "$SIM --id $T_ID exec $1 -- hsctl alerts | grep -q /srv/alerts/$2"
}
export -f running absent

check "deploy starts det@1 on every host" ctl deploy det-1

# A rollout of the version that runs everywhere changes nothing: each host
# is "current", nothing is started, verified or stopped.
before=$(for h in $HOSTS; do on "$h" hsctl --json instance list | jq -c '[.instances[] | select(.stopped_ms == 0) | .space]'; done)
check "deploy of the running version succeeds" ctl deploy det-1
check "... every host is current, nothing started" \
	state_is '([.hosts[].state] | unique) == ["current"] and ([.timeline[] | select(.step == "start")] | length) == 0'
after=$(for h in $HOSTS; do on "$h" hsctl --json instance list | jq -c '[.instances[] | select(.stopped_ms == 0) | .space]'; done)
check "... and the instances are the same" [ "$before" = "$after" ]

# Bad input: one line, exit 2, no rollout recorded.
n0=$(ctl --json rollout history | jq '.rollouts | length')
T_PATTERN=--soak expect_exit 2 "--soak without a canary is refused" on a hsctl rollout det-2 --soak 3
T_PATTERN=--canary expect_exit 2 "--canary with an unknown host is refused" on a hsctl rollout --canary zz det-2
T_PATTERN=unexpected expect_exit 2 "a second bundle is refused" on a hsctl rollout det-2 det-1
check "... and no rollout was recorded" [ "$(ctl --json rollout history | jq '.rollouts | length')" = "$n0" ]

# --canary alone: the coordinator's host (b here) goes first.  det-2 fails
# on c only, after a and b started (and verified) their det@2: the rollback
# stops the new instance on every host; det@1 goes on detecting everywhere.
# Not a terminal: --wait prints one plain line per step.
rc=0
on b hsctl rollout --canary det-2 --max-parallel 2 --wait >"$T_DIR/wait.out" 2>&1 || rc=$?
check "a version that fails on c (not the coordinator) fails the rollout: exit 4" [ "$rc" = 4 ]
sb=$(on b hsctl --json rollout status) || true
[ "$rc" = 4 ] || cat "$T_DIR/wait.out"
check "--canary alone made the coordinator (b) the canary" jqe '.rollout.canary == "b"' <<<"$sb"
check "... verified before any other host started" \
	jqe '[.timeline[] | select(.step == "verified" or .step == "start") | .host] | .[0:2] == ["b", "b"]' <<<"$sb"
check "a and b had started and verified det@2, c failed" \
	jqe '[.timeline[] | select(.step == "verified") | .host] == ["b", "a"] and
	     ([.timeline[] | select(.step == "fail") | .host] == ["c"])' <<<"$sb"
check "the rollback stopped det@2 on a, b and c" \
	jqe '[.timeline[] | select(.step == "rollback" and .host != "*") | .host] | sort == ["a", "b", "c"]' <<<"$sb"
for h in $HOSTS; do
	check "no det@2 is left on $h" absent "$h" det@2
	check "det@1 still detects on $h" detects "$h" "after-rollback-$h"
done
check "rollout status exits 4 for the failed (rolled back) rollout" [ "$(status_rc b)" = 4 ]
check "... and 0 for a's rollout 1, the deploy that was done" [ "$(status_rc a 1)" = 0 ]
check "--wait printed each host's steps as plain lines" \
	bash -c "grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z +a +start +det@2' $T_DIR/wait.out && grep -qE ' b +verified +det@2 reported' $T_DIR/wait.out &&
		 grep -qE ' c +fail ' $T_DIR/wait.out && grep -qE ' \* +failed ' $T_DIR/wait.out && ! grep -q \$'\\033' $T_DIR/wait.out"

# c cut off: deferred, the rollout commits without it; when c returns its
# catch-up fails (det-2 is blind on c), so only c's det@2 is stopped and c
# stays behind on det@1.  The rollout ends "partial" (exit 6) instead of
# waiting for ever.  --canary HOST before the bundle names the canary.
on c ip link set ul0 down
ctl rollout --canary b det-2 --max-parallel 2 --wait >"$T_DIR/partial.out" 2>&1 &
waiter=$!
check "the rollout commits without c (deferred)" wait_until 90 state_is \
	'.rollout.state == "committed" and (.hosts[] | select(.host == "c") | .state == "deferred")'
check "--canary b before the bundle: b is the canary" state_is '.rollout.canary == "b"'
on c ip link set ul0 up
check "c catches up, fails, and the rollout ends" wait_until 120 bash -c "! kill -0 $waiter"
rc=0
wait "$waiter" || rc=$?
check "... --wait exits 6 (partial)" [ "$rc" = 6 ]
check "... state partial, c behind, the error names c" \
	state_is '.rollout.state == "partial" and (.rollout.error | test("behind.*c")) and
		  ([.hosts[] | {(.host): .state}] | add) == {"a": "retired", "b": "retired", "c": "behind"}'
check "rollout status exits 6 for the partial rollout" [ "$(status_rc a)" = 6 ]
check "c's det@2 was stopped (timeline)" state_is '[.timeline[] | select(.host == "c") | .step] | index("behind") != null'
check "c runs det@1 and no det@2" bash -c "running c det@1 && absent c det@2"
for h in a b; do
	check "$h runs det@2 and no det@1" bash -c "running $h det@2 && absent $h det@1"
done
check "c's det@1 still detects" detects c after-partial
check "history shows the partial rollout" bash -c "$SIM --id $T_ID exec a -- hsctl rollout history | grep -q partial"

# The version that already runs on a and b, again: a and b are current; c
# fails; the rollback must not stop a's and b's det@2 (no host unwatched).
T_PATTERN="" expect_exit 4 "rollout det-2 again fails on c (exit 4)" on a hsctl rollout det-2 --wait
check "... a and b were current" state_is '[.hosts[] | select(.host != "c") | .state] == ["current", "current"]'
for h in a b; do
	check "$h still runs det@2 after the rollback" running "$h" det@2
done
check "c runs det@1 and no det@2" bash -c "running c det@1 && absent c det@2"

# A host that never returns: abort after the commit ends the wait; c keeps
# its old version; the rollout is partial.
on c ip link set ul0 down
ctl rollout det-1 --max-parallel 2 --wait >/dev/null 2>&1 &
waiter=$!
check "det-1 commits without c" wait_until 90 state_is \
	'.rollout.state == "committed" and (.hosts[] | select(.host == "c") | .state == "deferred")'
check "a and b retire det@2" wait_until 60 state_is '[.hosts[] | select(.state == "retired")] | length == 2'
sleep 3
check "... the rollout still waits for c" state_is '.rollout.state == "committed"'
check "rollout status exits 7 while the rollout is under way" [ "$(status_rc a)" = 7 ]
check "abort after the commit is accepted" ctl rollout abort
check "... --wait ends" wait_until 30 bash -c "! kill -0 $waiter"
rc=0
wait "$waiter" || rc=$?
check "... with exit 6 (partial), c behind" bash -c "[ $rc = 6 ] && $SIM --id $T_ID exec a -- hsctl --json rollout status |
	jqe '.rollout.state == \"partial\" and (.hosts[] | select(.host == \"c\") | .state == \"behind\")'"
on c ip link set ul0 up
check "c never stopped det@1" running c det@1

# pause, resume, abort before the commit (exit 5).
ctl rollout det-2 --canary --soak 5 --wait >"$T_DIR/abort.out" 2>&1 &
waiter=$!
check "the canary a soaks" wait_until 60 state_is '.hosts[] | select(.host == "a") | .state == "soaking"'
check "pause" ctl rollout pause
check "... state paused" state_is '.rollout.state == "paused"'
sleep 7 # longer than the soak
paused_ok() { state_is '([.hosts[] | select(.host != "a") | .state] | unique) == ["pending"] and
	([.timeline[] | select(.step == "verified-after-soak")] | length) == 0'; }
paused_ok || on a hsctl rollout status --timeline || true
check "... nothing moves while paused" state_is '([.hosts[] | select(.host != "a") | .state] | unique) == ["pending"] and
	([.timeline[] | select(.step == "verified-after-soak")] | length) == 0'
T_PATTERN=paused expect_exit 2 "pause twice is refused" on a hsctl rollout pause
check "resume" ctl rollout resume
check "... the canary is verified after its soak" wait_until 30 state_is '.timeline[] | select(.step == "verified-after-soak")'
check "abort before the commit" ctl rollout abort
rc=0
wait "$waiter" || rc=$?
check "... --wait exits 5 (aborted)" [ "$rc" = 5 ]
check "... state aborted, det@2 gone, det@1 kept" bash -c "$SIM --id $T_ID exec a -- hsctl --json rollout status | jqe '.rollout.state == \"aborted\"' &&
	absent a det@2 && running a det@1"
check "rollout status exits 5 for the aborted rollout" [ "$(status_rc a)" = 5 ]

# undo --wait follows the undo to its end: back to det-2, which the last
# partial rollout replaced on a and b; it fails on c (blind there), exit 4.
rc=0
ctl rollout undo --wait >"$T_DIR/undo.out" 2>&1 || rc=$?
check "undo --wait is accepted and follows the undo: exit 4 (failed on c)" [ "$rc" = 4 ]
[ "$rc" = 4 ] || cat "$T_DIR/undo.out"
check "... it was an undo to det-2 that failed" state_is '.rollout.bundle == "det-2" and .rollout.state == "failed"'
check "... a still runs det@1" running a det@1

# abort during a long soak (up to a day is allowed) rolls back at once, not
# when the soak ends.
ctl rollout det-2 --canary --soak 3600 --wait >"$T_DIR/soak.out" 2>&1 &
waiter=$!
check "the canary a soaks for an hour" wait_until 60 state_is '.hosts[] | select(.host == "a") | .state == "soaking"'
check "abort during the soak" ctl rollout abort
check "... rolls back at once: --wait ends within 20 s" wait_until 20 bash -c "! kill -0 $waiter"
kill "$waiter" 2>/dev/null || true
rc=0
wait "$waiter" || rc=$?
check "... --wait exits 5 (aborted)" [ "$rc" = 5 ]
check "... det@2 gone from a, det@1 kept" bash -c "absent a det@2 && running a det@1"
T_PATTERN="none" expect_exit 2 "abort with no rollout running is refused" on a hsctl rollout abort

# history and the human timeline.
ctl rollout history >"$T_DIR/hist"
check "history lists every rollout with its kind and state" \
	bash -c "grep -qE '^[0-9]+ +rollout +det-2 +partial' $T_DIR/hist && grep -qE '^[0-9]+ +rollout +det-1 +partial' $T_DIR/hist &&
		 grep -qE '^[0-9]+ +rollout +det-2 +aborted' $T_DIR/hist && grep -qE '^[0-9]+ +rollout +det-2 +failed' $T_DIR/hist &&
		 grep -qE '^[0-9]+ +undo +det-2 +failed' $T_DIR/hist && grep -qE '^1 +deploy +det-1 +done' $T_DIR/hist &&
		 [ \$(grep -cE '^[0-9]+ ' $T_DIR/hist) = \$($SIM --id $T_ID exec a -- hsctl --json rollout history | jq '.rollouts | length') ]"
ctl rollout status --timeline >"$T_DIR/tl" || true # exits 5: aborted
check "status --timeline prints the hosts and every step" \
	bash -c "grep -qE '^  a +rolled_back +det@1 +det@2' $T_DIR/tl && grep -qE ' a +soak' $T_DIR/tl &&
		 grep -qE ' \* +aborted +aborted by the operator' $T_DIR/tl"
check "status without --timeline prints no steps" bash -c "! $SIM --id $T_ID exec a -- hsctl rollout status | grep -q ' soak'"

# alerts --follow prints an alert that arrives after it started.
on a sh -c 'echo $$; exec hsctl alerts --follow --last 1' >"$T_DIR/follow.out" 2>&1 &
check "alerts --follow started" wait_until 10 bash -c "[ -s $T_DIR/follow.out ] && grep -q ALERT $T_DIR/follow.out"
follower=$(head -1 "$T_DIR/follow.out")
on a hsctl space exec web -- sh -c 'echo x >/srv/alerts/followed'
check "alerts --follow prints the new alert" wait_until 30 grep -q /srv/alerts/followed "$T_DIR/follow.out"
kill "$follower"

# Alerts printed while hsd is down are stored when it comes back: b's web
# gets a new file with hsd stopped; det@2 (b) reports it meanwhile.
# (Into its user namespace too: host root is no owner in the space's idmapped root.)
sim stop b
webpid=$(on b sqlite3 /var/lib/hsd/hsd.db "SELECT pid FROM spaces WHERE name = 'web'")
nsenter -t "$webpid" -U -m -- sh -c 'echo x >/srv/alerts/while-down'
sleep 2 # det checks every 0.2 s
sim start b
check "an alert printed while hsd was down is stored" \
	wait_until 20 bash -c "$SIM --id $T_ID exec b -- hsctl alerts | grep -q /srv/alerts/while-down"
check "... once" [ "$(on b hsctl --json alerts --last 10000 | jq '[.alerts[] | select(.line | test("while-down"))] | length')" = 1 ]

# SIGTERM while the coordinator verifies its own canary (det-3 stays silent
# on a, so the verify call is in flight for its 6 s deadline): the layers
# below answer that call as hsd stops, and the rollout must still be there
# to hear it (the sanitizer build reports any use of freed memory).  The
# next hsd picks the rollout up from the store.
mkbundle 3 a
ctl rollout det-3 --canary >/dev/null
check "the canary a verifies det@3" wait_until 30 state_is '.hosts[] | select(.host == "a") | .state == "verifying"'
sim stop a
check "hsd stopped mid-verify with no sanitizer report" bash -c "! $SIM --id $T_ID log a | grep -qE 'Sanitizer|runtime error'"
sim start a
check "the restarted coordinator still has the rollout" wait_until 30 state_is '.rollout.bundle == "det-3" and
	(.rollout.state == "running" or .rollout.state == "rolling_back" or .rollout.state == "failed")'

t_done
