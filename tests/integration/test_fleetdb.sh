#!/usr/bin/env bash
# The replicated fleet database on five simulated hosts, three of them
# voters (a b c) and two agents (d e): every host sees one leader and a
# quorum; of two rollouts of one IDS started on two hosts at once exactly
# one begins, and the claim goes back when it ends; with two voters down
# no rollout starts or takes a step while every IDS keeps running and
# reporting, and the rollout goes on once they are back; a voter cut off
# cannot commit; the leader's loss elects another; a voter replaced in
# cluster.json joins and the old one leaves; the leader's host stopped for
# good mid-rollout, the new leader takes the rollout over and ends it.
source "$(dirname "$0")/../lib.sh"

HOSTS="a b c d e"
BUNDLES=$HSD_SOURCE/deploy/bundles
sim up "$HSD_SOURCE/deploy/examples/fleet5.json" >/dev/null
db() { on "$1" hsctl --json status | jq -c .fleetdb; }
has_quorum() { db "$1" | jqe '.quorum == true and .leader != null'; }
leader() { db "$1" | jq -r .leader; }
voters_are() { [ "$(db "$1" | jq -c '[.members[] | select(.role == "voter") | .host] | sort')" = "$2" ]; }

for h in $HOSTS; do
	on "$h" hsctl space create web --kind server -- sh -c 'mkdir -p /srv/site && sleep infinity' >/dev/null
done
t_mesh_up $HOSTS
for h in $HOSTS; do
	check "$h sees a leader and a quorum" wait_until 30 has_quorum "$h"
done
check "every host names the same leader" [ "$(for h in $HOSTS; do leader "$h"; done | sort -u | wc -l)" = 1 ]
check "the Raft members are the three voters" wait_until 30 voters_are d '["a","b","c"]'
check "hsctl status says it in words" bash -c "$SIM --id $T_ID exec e -- hsctl status | grep -E 'leader [abc], quorum reached'"
fdb_pid=$(db a | jq .pid)
check "a's hsfleetdb runs (pid $fdb_pid)" [ "$fdb_pid" -gt 0 ]
check "hsfleetdb runs as a uid of its own, not root" \
	bash -c "! grep -Eq '^Uid:\s+0\s' /proc/$fdb_pid/status"
check "... with no capability and no_new_privs" \
	bash -c "grep -Eq '^CapEff:\s+0+$' /proc/$fdb_pid/status && grep -Eq '^NoNewPrivs:\s+1$' /proc/$fdb_pid/status"
check "... and its seccomp allow-list (fdb_sandbox.c)" grep -Eq '^Seccomp:\s+2$' "/proc/$fdb_pid/status"
check "control: hsd's own stderr is not /dev/null ($(readlink "/proc/$(sim pid a)/fd/2"))" \
	[ "$(readlink "/proc/$(sim pid a)/fd/2")" != /dev/null ]
check "... while hsfleetdb's, once hsd's, is put away" [ "$(readlink "/proc/$fdb_pid/fd/2")" = /dev/null ]
check "an agent runs no node: nothing listens on its fleet db port" \
	bash -c "! $SIM --id $T_ID exec d -- nsenter --net=/run/hsd/mesh.netns ss -Htln 'sport = :6699' | grep -q ."

sig1=$(t_sign "$BUNDLES/aide-1") sig2=$(t_sign "$BUNDLES/aide-2")
for h in a b d; do
	on "$h" hsctl bundle add "$BUNDLES/aide-1" --sig "$sig1" >/dev/null
	on "$h" hsctl bundle add "$BUNDLES/aide-2" --sig "$sig2" >/dev/null
done
check "deploy of version 1 from a" on a hsctl deploy aide-1 --wait
# The inventory, read on an agent: every host's instance, and who holds
# which bundle (each host writes its row within 5 s of a change).
inv_all_verified() {
	on e hsctl --json inventory | jqe '[.hosts[] | select(.instances[] | .instance == "aide@1" and .state == "verified" and .verified > 0) | .host] == ["a","b","c","d","e"]'
}
check "e's inventory: aide@1 verified on every host" wait_until 20 inv_all_verified
check "... aide-2 held by a b d, one content" bash -c "$SIM --id $T_ID exec e -- hsctl --json inventory | jqe '.bundles[] | select(.id == \"aide-2\") | .conflict == false and .contents[0].hosts == [\"a\",\"b\",\"d\"]'"

# Two operators, two hosts, one IDS, at once: exactly one rollout begins.
for h in b d; do
	{ rc=0; on "$h" hsctl rollout aide-2 --max-parallel 5 >"$T_DIR/ro-$h" 2>&1 || rc=$?; echo "$rc" >"$T_DIR/rc-$h"; } &
done
wait
rcs="$(cat "$T_DIR/rc-b") $(cat "$T_DIR/rc-d")"
say "b: $(cat "$T_DIR/ro-b") / d: $(cat "$T_DIR/ro-d")"
check "exactly one of the two rollouts began" bash -c "[ '$rcs' = '0 3' ] || [ '$rcs' = '3 0' ]"
winner=b loser=d
[ "$(cat "$T_DIR/rc-b")" = 0 ] || { winner=d loser=b; }
check "the refused one names the rollout that holds the IDS" \
	grep -qE "aide is already being rolled out, to aide-2, by host $winner since" "$T_DIR/ro-$loser"
check "the refused one is one line" [ "$(wc -l <"$T_DIR/ro-$loser")" = 1 ]
# The loser's own rollout below goes one host at a time (max-parallel 1),
# so it is still under way when two nodes are frozen.
check "$loser started nothing" bash -c "! $SIM --id $T_ID exec $loser -- hsctl --json rollout status >/dev/null 2>&1"
# A rollout's status (its exit status is its state's: not an error here).
ro_json() { on "$1" hsctl --json rollout status || true; }
done_on() { ro_json "$1" | jqe '.rollout.state == "done"'; }
check "$winner's rollout finishes" wait_until 120 done_on "$winner"
# Its claim went back with its end: the other host may now roll the IDS.
check "after it, $loser's rollout of the same IDS begins" \
	wait_until 20 on "$loser" hsctl rollout aide-1

# Two of three voters' nodes frozen while $loser's rollout is under way
# (their hosts stay up): the rollout holds, since each of its steps is
# written to the fleet database before it is taken; a new rollout is
# refused; every IDS runs on and reports.
fleet_json() { on "$1" hsctl --json rollout status --fleet || true; }
driven_by_loser() { fleet_json e | jqe --arg l "$loser" '.fleet.driver == $l and .rollout.state == "running" and (.hosts | length == 5)'; }
check "e, an agent, reads $loser's rollout from the fleet database" driven_by_loser
frozen=$(for v in a b c; do [ "$v" = "$loser" ] || echo "$v"; done | head -2 | xargs)
fpids=$(for v in $frozen; do db "$v" | jq .pid; done | xargs)
# A stopped process would outlive the simulation if this test ended here.
on_exit "kill -CONT $fpids 2>/dev/null"
# shellcheck disable=SC2086 # pids: numbers
kill -STOP $fpids
check "$loser sees no quorum (the nodes of $frozen frozen)" \
	wait_until 20 bash -c "$SIM --id $T_ID exec $loser -- hsctl status | grep -q 'NO QUORUM'"
hosts_now() { ro_json "$loser" | jq -c '[.hosts[].state]'; }
sleep 2 # a step under way when the quorum went may still be written
before=$(hosts_now)
sleep 6
check "$loser's rollout takes no step without a quorum ($before)" [ "$(hosts_now)" = "$before" ]
still_open() { ro_json "$loser" | jqe '.rollout.state == "running"'; }
check "... and is still open" still_open
T_PATTERN="no quorum" expect_exit 1 "a rollout on e without a quorum is refused" on e hsctl rollout aide-2
inv_rc=0
on e hsctl inventory >"$T_DIR/inv-stale" 2>&1 || inv_rc=$?
check "e's inventory without a quorum: the last one read, marked stale (exit $inv_rc)" \
	bash -c "[ $inv_rc = 4 ] && head -1 '$T_DIR/inv-stale' | grep -q '^STALE: .*no quorum' && grep -q '^e  *aide@1' '$T_DIR/inv-stale'"
T_PATTERN="none coordinated by this host .the fleet's: hsctl rollout status --fleet" \
	expect_exit 2 "the refused rollout started nothing on e, and e says where to look" on e hsctl rollout status
T_PATTERN="none is running on this host .the fleet's go to its driver: hsctl rollout status --fleet names it" \
	expect_exit 2 "pause on e, which drives nothing, says where the fleet's rollout is driven" on e hsctl rollout pause
{ on e hsctl rollout status --fleet || true; } >"$T_DIR/fleet-stale" 2>&1
check "... and without a quorum, the last read, marked stale" \
	bash -c "head -1 '$T_DIR/fleet-stale' | grep -q '^STALE: .*no quorum' && grep -q 'driven by $loser' '$T_DIR/fleet-stale'"
for h in $HOSTS; do
	check "$h's IDS runs on" bash -c "$SIM --id $T_ID exec $h -- hsctl --json space list | jqe '[.spaces[] | select((.name | startswith(\"aide@\")) and .state == \"running\")] | length > 0'"
done
on e hsctl space exec web -- sh -c 'echo intruder >/srv/site/noquorum'
check "and reports: a change on e without a quorum is seen" t_alert_on e /srv/site/noquorum 30
# $loser's hsd restarts meanwhile: it resumes its rollout only once the
# fleet database says the claim is still its own.
sim stop "$loser"
sim start "$loser"
# shellcheck disable=SC2086
kill -CONT $fpids
check "with the nodes of $frozen back, the quorum returns" wait_until 30 has_quorum d
check "$loser's rollout resumes from the fleet database and finishes" wait_until 120 done_on "$loser"
check "... its timeline says so" bash -c "$SIM --id $T_ID exec $loser -- hsctl rollout status --timeline | grep -E 'resume +resumed from the fleet database by $loser'"
# (The rollout below, of the same IDS, begins only if this claim went.)
none_under_way() { on e hsctl --json inventory | jqe '.rollouts == []'; }
check "its claim went back at its end: no rollout under way in the fleet" wait_until 15 none_under_way

# A voter cut off from every other host cannot commit.
on c ip link set ul0 down
check "c, cut off, sees no quorum" wait_until 30 bash -c "$SIM --id $T_ID exec c -- hsctl status | grep -q 'NO QUORUM'"
check "the others keep theirs (electing another leader if c led)" wait_until 30 has_quorum a
on c ip link set ul0 up
check "c reaches a quorum again" wait_until 60 has_quorum c

# (The leader's host stopped: the last section below.)

# cluster.json replaces voter c by d: d joins, c leaves.
cf=/var/lib/hs-sim/$T_ID/cluster.json
jq '.voters = ["a", "b", "d"]' "$cf" >"$cf.new" && mv "$cf.new" "$cf"
for h in $HOSTS; do kill -HUP "$(sim pid "$h")"; done
check "after the reload the members are a b d" wait_until 60 voters_are e '["a","b","d"]'
check "d says it votes" bash -c "$SIM --id $T_ID exec d -- hsctl status | grep -q 'this host votes'"
check "c says it does not" bash -c "$SIM --id $T_ID exec c -- hsctl status | grep -q 'this host does not vote'"

# The leader's host is stopped for good in the middle of a rollout it
# drives: the new leader takes the rollout over once its lease has run out
# and finishes it on every host left, none ever unwatched.
L=$(leader e)
on "$L" hsctl rollout aide-2 --max-parallel 2 >/dev/null
verified_some() { ro_json "$L" | jqe '[.hosts[] | select(.state == "verified")] | length >= 1'; }
check "$L drives a rollout to aide-2; a host is verified" wait_until 60 verified_some
left=$(for h in $HOSTS; do [ "$h" = "$L" ] || echo "$h"; done | xargs)
# Every half second, how many IDS instances run on each host left.
watched() {
	while :; do
		for h in $left; do
			n=$($SIM --id "$T_ID" exec "$h" -- hsctl --json space list 2>/dev/null |
				jq '[.spaces[] | select((.name | startswith("aide@")) and .state == "running")] | length' 2>/dev/null) || n=?
			echo "$h $n"
		done
		sleep 0.5
	done
}
watched >"$T_DIR/watched" 2>/dev/null &
watcher=$!
sim stop "$L"
for h in $left; do on "$h" hsctl space exec web -- sh -c 'echo intruder >/srv/site/handover1'; done
new_l() { local l; l=$(leader e); [ "$l" != null ] && [ "$l" != "$L" ] && echo "$l"; }
check "a new leader is elected when $L stops" wait_until 30 new_l
N=$(new_l)
took_over() { { on "$N" hsctl rollout status --timeline || true; } | grep -qE "takeover +taken over from $L at epoch"; }
check "$N takes the rollout over from $L" wait_until 60 took_over
{ on "$N" hsctl rollout status --timeline || true; } >"$T_DIR/timeline"
# The timeline's lines: TIME HOST STEP DETAIL.
before_takeover() { awk '$3 == "begin" {b = NR} $3 == "verified" && !v {v = NR} $3 == "takeover" {t = NR}
	END {exit !(b && v && t && b < v && v < t)}' "$T_DIR/timeline"; }
check "... its timeline holds $L's steps from before (begin, a host verified)" before_takeover
before_takeover || cat "$T_DIR/timeline"
driven_by_n() { on e hsctl --json inventory | jqe --arg n "$N" '.rollouts == [{"ids": "aide", "target": "aide-2", "driver": $n, "epoch": 2}]'; }
check "e's inventory names $N as the rollout's driver now, at epoch 2" wait_until 10 driven_by_n
whole_on_e() {
	fleet_json e | jqe --arg n "$N" '[.timeline[].step] as $s | ($s | index("begin")) as $b |
		($s | index("takeover")) as $t | .fleet.driver == $n and .fleet.epoch == 2 and
		$b != null and $t != null and $b < $t'
}
check "... and e reads it whole there: its driver, its timeline from begin to the takeover" whole_on_e
for h in $left; do on "$h" hsctl space exec web -- sh -c 'echo intruder >/srv/site/handover2'; done
retired_left() {
	ro_json "$N" |
		jqe --arg l "$L" '[.hosts[] | select(.host != $l and .state != "retired")] | length == 0'
}
check "under $N every host left is switched to aide-2" wait_until 180 retired_left
l_state() { ro_json "$N" | jq -r --arg l "$L" '.hosts[] | select(.host == $l) | .state'; }
say "$L, unreachable, is $(l_state) under $N"
check "$L is not switched: it never answered" [ "$(l_state)" != retired ]
on "$N" hsctl rollout abort >/dev/null
partial_on() { ro_json "$N" | jqe '.rollout.state == "partial"'; }
check "abort after the commit ends it partial" wait_until 30 partial_on
check "... with $L behind" [ "$(l_state)" = behind ]
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null || true
check "every host left ran an IDS at every sample ($(wc -l <"$T_DIR/watched") samples)" \
	bash -c "[ \$(wc -l <'$T_DIR/watched') -gt 20 ] && ! grep -Ev ' [1-9][0-9]*$' '$T_DIR/watched'"
for h in $left; do on "$h" hsctl space exec web -- sh -c 'echo intruder >/srv/site/handover3'; done
for h in $left; do
	check "$h reported the change made when $L stopped" t_alert_on "$h" /srv/site/handover1 30
	check "$h reported the change made during the takeover" t_alert_on "$h" /srv/site/handover2 30
	check "$h's new version reports a change after it" t_alert_on "$h" /srv/site/handover3 30
done
# $L's hsd returns after the end: its copy of the rollout is closed, and
# it does nothing with it.
sim start "$L"
moved_on_l() { ro_json "$L" | jqe '.rollout.state == "moved"'; }
check "back, $L closes its copy of the rollout as moved" wait_until 30 moved_on_l
ids_on_l() { on "$L" hsctl --json space list | jq -c '[.spaces[] | select(.name | startswith("aide@")) | .name + " " + .state] | sort'; }
l_before=$(ids_on_l)
sleep 3
check "... and starts or stops nothing of it ($L runs $l_before)" [ "$(ids_on_l)" = "$l_before" ]
check "... $L's old version still runs (it was never retired)" bash -c "grep -q '\"aide@1 running\"' <<<'$l_before'"

# One bundle id, two contents (each signed), on c and on e: the
# inventory says so.
for h in c e; do
	mkdir -p "$T_DIR/$h" && cp -a "$BUNDLES/aide-2" "$T_DIR/$h/aide-9"
	jq '.version = "9"' "$BUNDLES/aide-2/bundle.json" >"$T_DIR/$h/aide-9/bundle.json"
	echo "# $h's" >>"$T_DIR/$h/aide-9/run.sh"
	on "$h" hsctl bundle add "$T_DIR/$h/aide-9" --sig "$(t_sign "$T_DIR/$h/aide-9")" >/dev/null
done
conflict() { on a hsctl --json inventory | jqe '.bundles[] | select(.id == "aide-9") | .conflict and (.contents | length == 2)'; }
check "aide-9 with other content on c than on e shows as a conflict in the inventory" wait_until 20 conflict

# Every path above ran under the allow-list: a call missing from it
# would have killed an hsfleetdb (SIGSYS is signal 31).  That includes
# Raft's snapshots, one every FDB_SNAPSHOT_EVERY entries (fdb.h).
snaps=$(ls "/var/lib/hs-sim/$T_ID/a/state/fleetdb" | grep -c '^snapshot-' || true)
check "a's node took Raft snapshots under it ($snaps files)" [ "$snaps" -gt 0 ]
killed=$(for h in $(sim list); do sim log "$h"; done | grep -c 'hsfleetdb (pid [0-9]*) ended (signal 31)' || true)
check "no hsfleetdb was killed by its allow-list ($killed)" [ "$killed" = 0 ]

t_sanitizer_check
t_done
