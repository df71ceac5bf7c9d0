#!/usr/bin/env bash
# hsctl alerts on three simulated hosts: --all gathers the fleet with a
# HOST column and names a host that does not answer; hsd's own probe
# report is hidden unless --probes, while a hostile line holding the probe
# token is shown; --follow is held by hsd until an alert is stored (no
# polling); times are ISO 8601 for people and *_ms integers in JSON, and
# docs/json.md documents every field --json prints.
source "$(dirname "$0")/../lib.sh"

sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
for h in a b c; do
	on "$h" hsctl space create web --kind server -- sh -c 'mkdir -p /opt/in && exec sleep infinity' >/dev/null
done
t_mesh_up a b c

# echo-1 reports hsd's probe file, and prints "ALERT echo " and the content
# of each new file under /opt/in of a watched server: whoever controls the
# server chooses that text (as with an IDS that logs a payload).
t_echo_bundle "$T_DIR/echo-1" echo opt/in "head -1"
on a hsctl bundle add "$T_DIR/echo-1" --sig "$(t_sign "$T_DIR/echo-1")" >/dev/null
check "echo-1 deploys on every host" on a hsctl deploy echo-1

# put HOST NAME TEXT: the attacker in HOST's web writes TEXT to /opt/in/NAME.
put() { printf '%s\n' "$3" | on "$1" hsctl space exec web -- sh -c "cat >/opt/in/.t && mv /opt/in/.t /opt/in/$2"; }
# stored HOST TEXT: HOST's store has an alert line holding TEXT.
stored() { wait_until 30 bash -c "$SIM --id $T_ID exec $1 -- hsctl --json alerts --last 10000 | jqe --arg t '$2' '[.alerts[].line | select(contains(\$t))] | length > 0'"; }
maxid() { on "$1" hsctl --json alerts --last 10000 | jq '[.alerts[].id] | max // 0'; }

# --- 2. probe reports: hidden unless --probes; a hostile token line shown --
token=$(on a hsctl --json instance list | jq -r '.instances[] | select(.space == "echo@1") | .last_probe')
check "positive control: a's instance verified a probe token" grep -qE '^[a-z0-9]{16}$' <<<"$token"
probes=$(on a hsctl --json alerts --probes --last 10000 || true)
check "--probes: exactly one alert is hsd's probe, and it is the report of its token" \
	jqe --arg t "$token" '[.alerts[] | select(.probe)] | length == 1 and (.[0].line | contains($t))' <<<"$probes"
pid=$(jq '[.alerts[] | select(.probe) | .id][0] // -1' <<<"$probes" 2>/dev/null || true)
check "by default the probe alert is left out" \
	bash -c "$SIM --id $T_ID exec a -- hsctl --json alerts --last 10000 | jqe --argjson p $pid '([.alerts[].id] | index(\$p)) == null and ([.alerts[] | select(.probe)] | length == 0)'"
n_all=$(on a hsctl alerts --probes --last 10000 | grep -c "$token" || true)
n_def=$(on a hsctl alerts --last 10000 | grep -c "$token" || true)
check "plain text: one line with the token fewer without --probes ($n_all, $n_def)" [ "$n_def" = $((n_all - 1)) ]
check "plain text --probes marks the probe in its PROBE column" \
	bash -c "$SIM --id $T_ID exec a -- hsctl alerts --probes --last 10000 | grep -E ' echo@1 +yes +ALERT echo probe ' | grep -q $token"
# The token is no secret: the probe's file is in the server.  An attacker
# writes lines that hold it, as the probe's report and as its file name.
put a evil "hsd-probe $token /.serverfs/web/var/lib/hsd-probe/$token evil-payload-1"
check "the hostile line is stored" stored a evil-payload-1
check "the hostile line holding the token is shown without --probes" \
	bash -c "$SIM --id $T_ID exec a -- hsctl alerts --last 10000 | grep -F evil-payload-1 | grep -q $token"
check "... and is no probe in JSON" \
	bash -c "$SIM --id $T_ID exec a -- hsctl --json alerts --last 10000 | jqe '[.alerts[] | select(.line | contains(\"evil-payload-1\"))] | length == 1 and all(.probe == false)'"
check "... and the store marks it so" \
	[ "$(on a sqlite3 /var/lib/hsd/hsd.db "SELECT probe FROM alerts WHERE line LIKE '%evil-payload-1%'")" = 0 ]
check "the store marks exactly one probe alert on a" \
	[ "$(on a sqlite3 /var/lib/hsd/hsd.db 'SELECT count(*) FROM alerts WHERE probe = 1')" = 1 ]

# --- 1. --all: the fleet, with a HOST column, naming the unreachable ----
put a fleet-a "from-a-1"
put b fleet-b "from-b-1"
check "a's alert is stored" stored a from-a-1
check "b's alert is stored" stored b from-b-1
check "c's hsd answers before it is stopped" on c hsctl status
sim stop c
rc=0
on a hsctl alerts --all --last 10000 >"$T_DIR/all.out" 2>"$T_DIR/all.err" || rc=$?
check "alerts --all exits 0 with a host unreachable" [ "$rc" = 0 ]
check "alerts --all: a header with a HOST column" grep -qE '^TIME +HOST +INSTANCE +LINE$' "$T_DIR/all.out"
check "alerts --all: a's alert under host a" grep -qE '^[0-9-]{10}T[0-9:]{8}Z +a +echo@1 +ALERT echo from-a-1$' "$T_DIR/all.out"
check "alerts --all: b's alert under host b" grep -qE '^[0-9-]{10}T[0-9:]{8}Z +b +echo@1 +ALERT echo from-b-1$' "$T_DIR/all.out"
check "alerts --all: the probe alerts left out" bash -c "! grep -q 'ALERT echo probe' $T_DIR/all.out"
check "alerts --all: c is named on stderr as unreachable" grep -q '^hsctl alerts: host c unreachable' "$T_DIR/all.err"
check "alerts --all: nothing on stderr but that" [ "$(wc -l <"$T_DIR/all.err")" = 1 ]
on a hsctl --json alerts --all --probes --last 10000 >"$T_DIR/all.json" 2>/dev/null || true
check "alerts --all --json: hosts a and b reachable, c not, with its error" \
	jqe '([.hosts[] | {(.host): .reachable}] | add) == {"a": true, "b": true, "c": false} and
	     ([.hosts[] | select(.host == "c") | .error | length > 0] | all)' <"$T_DIR/all.json"
check "alerts --all --json --probes: both hosts' probe alerts, each under its host" \
	jqe '[.alerts[] | select(.probe) | .host] | sort == ["a", "b"]' <"$T_DIR/all.json"
check "alerts --all --json: oldest first" jqe '[.alerts[].at_ms] as $t | $t == ($t | sort)' <"$T_DIR/all.json"
check "alerts --all --last 1: only the latest of the fleet" \
	bash -c "$SIM --id $T_ID exec a -- hsctl --json alerts --all --last 1 2>/dev/null | jqe '.alerts | length == 1'"
T_PATTERN=--host expect_exit 2 "alerts --all --host is refused" on a hsctl alerts --all --host b
# --all --follow: each host followed on its own, side by side (ids are
# each host's); c, down, is named on stderr and asked again until it is
# back, and then its alerts come too.
on a sh -c "echo \$\$; exec hsctl alerts --all --follow --last 1" >"$T_DIR/follow-all.out" 2>"$T_DIR/follow-all.err" &
wait_until 15 bash -c "[ \$(wc -l <$T_DIR/follow-all.out) -ge 2 ]" || true
on_exit "kill $(head -1 "$T_DIR/follow-all.out") 2>/dev/null"
check "alerts --all --follow starts with the fleet's latest alert, under a header" \
	bash -c "sed -n 2p $T_DIR/follow-all.out | grep -qE '^TIME +HOST +INSTANCE +LINE$' && [ \$(wc -l <$T_DIR/follow-all.out) -eq 3 ]"
put a followed-all "fa-a-1"
put b followed-all "fa-b-1"
check "alerts --all --follow prints a's new alert under host a" \
	wait_until 15 grep -qE ' a +echo@1 +ALERT echo fa-a-1$' "$T_DIR/follow-all.out"
check "... and b's under host b" wait_until 15 grep -qE ' b +echo@1 +ALERT echo fa-b-1$' "$T_DIR/follow-all.out"
check "... and names c, not answering, on stderr" grep -q 'c' "$T_DIR/follow-all.err"
sim start c
check "c answers again" wait_until 30 bash -c "$SIM --id $T_ID exec a -- hsctl --json alerts --all 2>/dev/null | jqe '[.hosts[].reachable] | all'"
put c followed-all "fa-c-1"
check "... and once c is back, its new alert comes under host c" \
	wait_until 45 grep -qE ' c +echo@1 +ALERT echo fa-c-1$' "$T_DIR/follow-all.out"
check "... each alert once" bash -c "[ \$(grep -c 'ALERT echo fa-' $T_DIR/follow-all.out) = 3 ]"

# --- 3. --follow: hsd holds the request until an alert is stored --------
# held AFTER ARGS_JSON: hsd's reply to a hand-made alerts request on a,
# with the seconds it took, as {"s": .., "reply": ..}.
held() {
	on a python3 -c 'import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect("/run/hsd/hsd.sock")
m = json.dumps({"v": 1, "id": 1, "cmd": "alerts", "args": json.loads(sys.argv[1])}).encode()
t = time.monotonic(); s.sendall(struct.pack(">I", len(m)) + m)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
r = json.loads(s.recv(n, socket.MSG_WAITALL).decode())
print(json.dumps({"s": time.monotonic() - t, "reply": r}))' "$1"
}
last=$(maxid a)
(sleep 3; put a held "held-1") &
putter=$!
r=$(held "{\"after\": $last, \"wait\": true}")
wait "$putter" || true
check "a held request is answered when the alert is stored, not before (3 s)" \
	jqe '.s >= 2.5 and .s < 9 and .reply.ok' <<<"$r"
check "... with the new alert" jqe '[.reply.result.alerts[].line] | any(contains("held-1"))' <<<"$r"
last=$(maxid a)
r=$(held "{\"after\": $last, \"wait\": true}")
check "with nothing new, hsd answers after 10 s, empty: the caller asks again" \
	jqe '.s >= 9.5 and .s < 15 and .reply.ok and (.reply.result.alerts | length == 0)' <<<"$r"
r=$(held "{\"after\": $last}")
check "positive control: without wait, the answer comes at once" jqe '.s < 2 and .reply.ok' <<<"$r"
check "a wait that is not true or false is refused, naming it" \
	jqe '.reply.ok == false and .reply.code == 2 and (.reply.error | contains("wait"))' <<<"$(held '{"wait": 3}')"

# hsctl alerts --follow: a new alert shown at once; while nothing comes,
# hsctl does not ask again and again (counted: its connects to hsd).
on a sh -c "echo \$\$; exec strace -f -qq -e trace=connect -o $T_DIR/follow.strace hsctl alerts --follow --last 1" >"$T_DIR/follow.out" 2>&1 &
wait_until 10 bash -c "[ \$(wc -l <$T_DIR/follow.out) -ge 2 ]" || true
follower=$(head -1 "$T_DIR/follow.out")
on_exit "kill $follower 2>/dev/null"
sleep 4
connects=$(grep -c 'hsd.sock' "$T_DIR/follow.strace" || true)
check "alerts --follow, idle for 4 s, asked hsd at most twice ($connects)" [ "$connects" -le 2 ]
check "positive control: strace saw hsctl connect" [ "$connects" -ge 1 ]
put a followed "followed-1"
check "alerts --follow prints the new alert" wait_until 10 grep -q 'ALERT echo followed-1$' "$T_DIR/follow.out"
check "alerts --follow: its line has an ISO 8601 time" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +a +echo@1 +ALERT echo followed-1$' "$T_DIR/follow.out"
on a sh -c "echo \$\$; exec hsctl alerts --host b --follow --last 1" >"$T_DIR/follow-b.out" 2>&1 &
wait_until 10 bash -c "[ \$(wc -l <$T_DIR/follow-b.out) -ge 2 ]" || true
on_exit "kill $(head -1 "$T_DIR/follow-b.out") 2>/dev/null"
sleep 2
put b followed "followed-b-1"
check "alerts --host b --follow, asked on a: b holds it and it prints b's new alert" \
	wait_until 15 grep -q 'ALERT echo followed-b-1$' "$T_DIR/follow-b.out"
check "... and nothing else went wrong" bash -c "! grep -q '^hsctl' $T_DIR/follow-b.out"

# --- 4. times: ISO 8601 for people, *_ms integers in JSON ----------------
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
check "space list: a CREATED column in ISO 8601" \
	bash -c "$SIM --id $T_ID exec a -- hsctl space list | grep -E '^web ' | grep -qE ' $iso +running\$'"
check "space list: the header names it" bash -c "$SIM --id $T_ID exec a -- hsctl space list | head -1 | grep -qE ' CREATED +STATE\$'"
check "space show: created in ISO 8601" bash -c "$SIM --id $T_ID exec a -- hsctl space show web | grep -qE '^created: +$iso\$'"
check "status: a VERIFIED column in ISO 8601" bash -c "$SIM --id $T_ID exec a -- hsctl status | grep -E '^a +yes +echo@1' | grep -qE ' $iso '"
check "instance list: VERIFIED in ISO 8601" bash -c "$SIM --id $T_ID exec a -- hsctl instance list | grep -E '^echo@1 ' | grep -qE ' $iso '"
lines=$(on a hsctl alerts --last 10000 | tail -n +2 || true)
check "alerts: each line starts with an ISO 8601 time" bash -c '[ -n "$1" ] && ! grep -vqE "^$2 " <<<"$1"' _ "$lines" "$iso"
# Every --json shape: no time as text, a number of ms where the name ends
# in _ms, and every key documented in docs/json.md.
: >"$T_DIR/keys"
for cmd in "alerts --last 5" "alerts --probes --last 5" "alerts --all" "space list" "space show web" \
	"status" "instance list" "bundle list" "routes" "peers" "rollout history"; do
	out=$(on a hsctl --json $cmd 2>/dev/null || true)
	check "--json $cmd: no key ends in _at, every *_ms is an integer" \
		jqe '[paths(type == "object") as $p | getpath($p) | to_entries[] |
		      select((.key | endswith("_at")) or ((.key | endswith("_ms")) and (.value | type) != "number"))] | length == 0' <<<"$out"
	jq -r '[paths | .[] | strings] | unique[]' <<<"$out" >>"$T_DIR/keys" || true
done
missing=$(sort -u "$T_DIR/keys" | while read -r k; do grep -qF "\`$k\`" "$HSD_SOURCE/docs/json.md" || echo "$k"; done)
check "docs/json.md documents every key these --json outputs hold (missing: $(echo $missing))" [ -z "$missing" ]

t_done
