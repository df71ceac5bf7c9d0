#!/usr/bin/env bash
# Seeing a rollout before and while it happens, on three simulated hosts
# with the quick shell IDS "det": hsctl rollout plan (what each host would
# do, unreachable hosts, hosts with no server space; nothing changed),
# rollout status --watch (printed at each change, exits as status does),
# rollout history (kind, ISO 8601 UTC start and end, duration) and
# rollout undo --wait.
source "$(dirname "$0")/../lib.sh"

CLUSTER=$HSD_SOURCE/deploy/examples/three.json
HOSTS="a b c"
sim up "$CLUSTER" >/dev/null
ctl() { on a hsctl "$@"; }
# rc CMD...: the exit status of CMD (its output dropped)
rc() { local r=0; "$@" >/dev/null 2>&1 || r=$?; echo "$r"; }
export -f ctl on sim
export SIM T_ID

# c has no server space yet: an IDS started there would have nothing to
# watch and its probe nothing to go through.
for h in a b; do
	on "$h" hsctl space create web --kind server -- sleep infinity >/dev/null
done
t_mesh_up $HOSTS
# Routes are not yet answers: a plan sees a host unreachable until its hsd
# answers over the mesh, as a rollout would.
check "every host answers a's hsd" wait_until 30 bash -c \
	"$SIM --id $T_ID exec a -- hsctl --json status | jqe '[.fleet[].reachable] | length == 3 and all'"
for v in 1 2; do
	t_det_bundle "$T_DIR/det-$v" "$v"
	ctl bundle add "$T_DIR/det-$v" --sig "$(t_sign "$T_DIR/det-$v")" >/dev/null
done
n_rollouts() { ctl --json rollout history | jq '.rollouts | length'; }
instances() { for h in $HOSTS; do on "$h" hsctl --json instance list | jq -c '[.instances[] | select(.stopped_ms == 0) | .space]'; done; }

# --- plan ---------------------------------------------------------------
before=$(instances)
rc=0
ctl --json rollout plan det-1 >"$T_DIR/plan0.json" 2>&1 || rc=$?
check "plan with c watching nothing exits 9 (the rollout would fail there)" [ "$rc" = 9 ]
check "... c is named failing, with the reason" jqe '.failing == ["c"] and
	(.hosts[] | select(.host == "c") | .action == "start" and .servers == [] and (.error | test("no running server space")))' <"$T_DIR/plan0.json"
check "... a and b would start det@1, replacing nothing, watching web" jqe '[.hosts[] | select(.host != "c") |
	.action == "start" and .old_instance == "" and .servers == ["web"]] == [true, true] and .new_instance == "det@1"' <"$T_DIR/plan0.json"

on c hsctl space create web --kind server -- sleep infinity >/dev/null
# No operator key: a plan signs nothing.
check "plan needs no operator key and exits 0 when it can run" \
	on a env -u HSD_OPERATOR_KEY hsctl rollout plan det-1
ctl rollout plan det-1 >"$T_DIR/plan1.txt"
check "... it prints each host's start" bash -c "grep -cE '^  [abc] +start det@1, replacing nothing +web\$' $T_DIR/plan1.txt | grep -qx 3"
check "... and that nothing was changed" grep -q 'nothing was changed' "$T_DIR/plan1.txt"
check "plan stored no rollout" [ "$(n_rollouts)" = 0 ]
check "... and started no instance" [ "$(instances)" = "$before" ]

# Refused as the rollout would be: one line naming the field, exit 2.
T_PATTERN=bundle expect_exit 2 "plan without a bundle is refused" on a hsctl rollout plan
T_PATTERN=--soak expect_exit 2 "plan --soak without a canary is refused" on a hsctl rollout plan det-1 --soak 3
T_PATTERN=--canary expect_exit 2 "plan --canary with an unknown host is refused" on a hsctl rollout plan det-1 --canary zz
T_PATTERN=--max-parallel expect_exit 2 "plan --max-parallel 0 is refused" on a hsctl rollout plan det-1 --max-parallel 0
T_PATTERN=det-9 expect_exit 2 "plan of a bundle not stored is refused" on a hsctl rollout plan det-9
check "... and still no rollout" [ "$(n_rollouts)" = 0 ]

check "deploy det-1" ctl deploy det-1
check "plan of the version that runs everywhere: nothing to do, exit 0" \
	bash -c "$SIM --id $T_ID exec a -- hsctl --json rollout plan det-1 | jqe '.starts == 0 and ([.hosts[].action] | unique) == [\"none\"]'"
ctl --json rollout plan det-2 --canary b --max-parallel 2 --wait --ttl 60 >"$T_DIR/plan2.json"
check "plan det-2 --canary b: b first, each host replaces det@1 (--wait, --ttl accepted)" \
	jqe '[.hosts[].host] == ["b", "a", "c"] and .hosts[0].canary and .canary == "b" and .max_parallel == 2 and
	     ([.hosts[] | .action == "start" and .old_instance == "det@1"] | all)' <"$T_DIR/plan2.json"

on c ip link set ul0 down
rc=0
ctl --json rollout plan det-2 >"$T_DIR/plan3.json" 2>&1 || rc=$?
check "plan with c unreachable exits 8" [ "$rc" = 8 ]
check "... c deferred and named unreachable, a and b would start" jqe '.unreachable == ["c"] and .failing == [] and
	(.hosts[] | select(.host == "c") | .action == "deferred" and .reachable == false) and .starts == 2' <"$T_DIR/plan3.json"
ctl rollout plan det-2 >"$T_DIR/plan3.txt" 2>&1 || true
check "... and says so to people" grep -qE '^  c +unreachable: deferred' "$T_DIR/plan3.txt"
on c ip link set ul0 up
check "c answers again: plan exits 0" wait_until 60 bash -c "$SIM --id $T_ID exec a -- hsctl rollout plan det-2"

# --- status --watch -----------------------------------------------------
# A rollout with a soak moves through several states; --watch prints each
# change and exits 0 when it is done.
ctl rollout det-2 --canary --soak 2 >/dev/null
rc=0
ctl rollout status --watch >"$T_DIR/watch.txt" 2>&1 || rc=$?
check "status --watch follows the rollout to its end: exit 0 (done)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$T_DIR/watch.txt"
check "... printing it again at each change (several blocks, the last one done)" \
	bash -c "[ \$(grep -c '^rollout [0-9]*: det-2' $T_DIR/watch.txt) -ge 3 ] &&
		 [ \"\$(grep '^rollout [0-9]*: det-2' $T_DIR/watch.txt | tail -1 | awk '{print \$4}')\" = done ] &&
		 grep -qE '^  a +soaking' $T_DIR/watch.txt"
check "... never the same block twice in a row" \
	bash -c "awk 'BEGIN{RS=\"\"} { if (\$0 == prev) bad = 1; prev = \$0 } END { exit bad }' $T_DIR/watch.txt"
check "status --watch of a finished rollout prints it once and exits as status does" \
	bash -c "[ \$($SIM --id $T_ID exec a -- hsctl rollout status --watch | grep -c '^rollout ') = 1 ]"

# --json: one line of JSON per change; an abort ends it with exit 5.  The
# held request is answered at the change, not after a poll interval.
ctl rollout det-1 --canary --soak 600 >/dev/null
on a hsctl --json rollout status --watch >"$T_DIR/watch.json" 2>&1 &
watcher=$!
check "the canary soaks" wait_until 60 bash -c "tail -1 $T_DIR/watch.json | jqe '.hosts[] | select(.host == \"a\") | .state == \"soaking\"'"
# While nothing changes hsd holds the request: a watcher asks once for the
# status and once more, held, in 4 s (a poll every second would ask 4 times).
on a strace -f -e trace=connect -o "$T_DIR/watch.strace" timeout 4 hsctl rollout status --watch >/dev/null 2>&1 || true
check "... while the canary soaks, --watch asks hsd at most twice in 4 s" \
	bash -c "n=\$(grep -c 'connect(.*hsd.sock' $T_DIR/watch.strace); [ \$n -ge 1 ] && [ \$n -le 2 ]"
ctl rollout abort >/dev/null
check "... abort ends --watch within 5 s" wait_until 5 bash -c "! kill -0 $watcher"
rc=0
wait "$watcher" || rc=$?
check "... with exit 5 (aborted)" [ "$rc" = 5 ]
check "... every line is one JSON status, the last one aborted" \
	bash -c "jq -e -s 'length >= 2 and (map(.rollout.id) | unique | length) == 1 and (.[-1].rollout.state == \"aborted\")' $T_DIR/watch.json"
T_PATTERN=--watch expect_exit 2 "status --watch takes no value" on a hsctl rollout status --watch=1

# --- undo --wait, history -----------------------------------------------
rc=0
ctl rollout undo --wait >"$T_DIR/undo.out" 2>&1 || rc=$?
check "undo --wait goes back to det-1 and follows it: exit 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$T_DIR/undo.out"
for h in $HOSTS; do
	check "$h runs det@1 again" bash -c "$SIM --id $T_ID exec $h -- hsctl --json instance list |
		jqe '[.instances[] | select(.stopped_ms == 0) | .space] == [\"det@1\"]'"
done
ctl --json rollout history >"$T_DIR/hist.json"
check "history --json tells deploy, rollout and undo apart" \
	jqe '[.rollouts[] | .kind] == ["deploy", "rollout", "rollout", "undo"] and
	     [.rollouts[] | .bundle] == ["det-1", "det-2", "det-1", "det-1"]' <"$T_DIR/hist.json"
check "... with start, end and duration_ms of each finished row" \
	jqe '[.rollouts[] | (.created_ms | type) == "number" and .finished_ms >= .created_ms and
	      .duration_ms == .finished_ms - .created_ms] | all' <"$T_DIR/hist.json"
ctl rollout history >"$T_DIR/hist.txt"
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
check "history for people: kind, ISO 8601 UTC start and end, duration" \
	bash -c "head -1 $T_DIR/hist.txt | grep -qE '^ID +KIND +BUNDLE +STATE +START +END +DURATION +ERROR' &&
		 grep -qE '^1 +deploy +det-1 +done +$iso +$iso +[0-9]+s ' $T_DIR/hist.txt &&
		 grep -qE '^2 +rollout +det-2 +done +$iso +$iso +[0-9]+s ' $T_DIR/hist.txt &&
		 grep -qE '^3 +rollout +det-1 +aborted +$iso +$iso ' $T_DIR/hist.txt &&
		 grep -qE '^4 +undo +det-1 +done +$iso +$iso ' $T_DIR/hist.txt"
check "... the times are this moment's, in UTC" \
	bash -c "grep -q \"\$(date -u +%Y-%m-%dT%H)\" $T_DIR/hist.txt || grep -q \"\$(date -u -d '-1 hour' +%Y-%m-%dT%H)\" $T_DIR/hist.txt"

# hsd stopping answers a held --watch (exit 1, its one-line error) rather
# than leaving it hanging; the sanitizer build checks nothing leaks.
ctl rollout det-2 --canary --soak 600 >/dev/null
check "a rollout soaks again" wait_until 60 bash -c \
	"$SIM --id $T_ID exec a -- hsctl --json rollout status | jqe '.hosts[] | select(.host == \"a\") | .state == \"soaking\"'"
on a hsctl rollout status --watch >"$T_DIR/stop.out" 2>"$T_DIR/stop.err" &
watcher=$!
sleep 1
sim stop a
check "hsd stopping ends --watch" wait_until 10 bash -c "! kill -0 $watcher"
rc=0
wait "$watcher" || rc=$?
check "... with exit 1 and hsd's one line" bash -c "[ $rc = 1 ] && grep -q 'hsd is stopping' $T_DIR/stop.err && [ \$(wc -l <$T_DIR/stop.err) = 1 ]"

t_done
