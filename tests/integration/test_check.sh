#!/usr/bin/env bash
# hsd --check: cluster.json and the key validated as hsd would, the plan
# of this host printed (links, ports, state, whether hsd runs), and nothing
# changed.  Bad input: one line naming the field, exit 2 (3 for a key
# others may read).
source "$(dirname "$0")/../lib.sh"

S=$T_DIR/state R=$T_DIR/run
"$HSCTL" keygen --state-dir "$S" >/dev/null
jq --arg k "$(cat "$S/public.key")" '.hosts[0].public_key = $k' \
	"$HSD_SOURCE/deploy/examples/ring4.json" >"$T_DIR/c.json"
hsdc() { "$HSD_BUILD/hsd/hsd" --check --state-dir "$S" --run-dir "$R" "$@"; }
before=$(ls -la --time-style=full-iso "$S")

out=$(hsdc --join "$T_DIR/c.json" --host a)
check "a good file passes (exit 0)" [ $? = 0 ]
check "it names the host and cluster" grep -q '^host a (hosts\[0\]) of cluster ring4: 4 hosts' <<<"$out"
check "it lists a's two links with their ports" \
	bash -c '[ "$(grep "^link " <<<"$1")" = "link hsm1 to b: listen udp/51821, peer 192.0.2.2 udp/51820
link hsm3 to d: listen udp/51823, peer 192.0.2.4 udp/51820" ]' _ "$out"
check "it says what to open in a firewall" grep -q '^underlay firewall: inbound udp/51820-51823' <<<"$out"
check "it prints hsroute's timers, the defaults without \"mesh\"" \
	grep -q '^hsroute: a hello every 400 ms, a neighbour dead after 1300 ms of silence' <<<"$out"
check "it says the key matches" grep -q 'matches hosts\[0\].public_key' <<<"$out"
check "it says hsd does not run" grep -q '^hsd does not run' <<<"$out"
check "nothing was made: no run directory" [ ! -e "$R" ]
check "... and the state directory is as it was" [ "$(ls -la --time-style=full-iso "$S")" = "$before" ]

mkdir -p "$R" && echo $$ >"$R/hsd.pid"
check "with a live hsd pid file, it says a reload applies the file" \
	bash -c 'hsdc() { "$HSD_BUILD/hsd/hsd" --check --state-dir "$1" --run-dir "$2" --join "$3" --host a; }
		 hsdc "$@" | grep -q "^hsd runs (pid $4): .hsctl reload. or SIGHUP"' _ "$S" "$R" "$T_DIR/c.json" $$
rm -rf "$R"

T_PATTERN="hosts\[1\].public_key: does not match" \
	expect_exit 2 "another host's name: its key is not ours" hsdc --join "$T_DIR/c.json" --host b
T_PATTERN="--host: \"zz\" is not a host of cluster" \
	expect_exit 2 "an unknown host" hsdc --join "$T_DIR/c.json" --host zz
jq '.hosts[1].prefix = "10.99.1.0/24"' "$T_DIR/c.json" >"$T_DIR/bad.json"
T_PATTERN="hosts\[1\].prefix" \
	expect_exit 2 "an overlapping prefix names the field" hsdc --join "$T_DIR/bad.json" --host a
# hsroute's timers from "mesh"; dead_ms below 2.5 x hello_ms is refused.
jq '.mesh = {hello_ms: 250, dead_ms: 700}' "$T_DIR/c.json" >"$T_DIR/mesh.json"
check "it prints the timers of \"mesh\"" bash -c \
	'"$HSD_BUILD/hsd/hsd" --check --state-dir "$1" --run-dir "$2" --join "$3" --host a |
	 grep -q "^hsroute: a hello every 250 ms, a neighbour dead after 700 ms of silence"' _ "$S" "$R" "$T_DIR/mesh.json"
jq '.mesh = {hello_ms: 250, dead_ms: 500}' "$T_DIR/c.json" >"$T_DIR/bad.json"
T_PATTERN="mesh.dead_ms: 500 is below 2.5 x mesh.hello_ms (250)" \
	expect_exit 2 "a dead_ms below 2.5 x hello_ms names the field" hsdc --join "$T_DIR/bad.json" --host a
jq '.mesh = {hello_ms: 50}' "$T_DIR/c.json" >"$T_DIR/bad.json"
T_PATTERN="mesh.hello_ms: 50 is outside 100..10000" \
	expect_exit 2 "a hello_ms out of range names the field" hsdc --join "$T_DIR/bad.json" --host a
chmod 644 "$S/private.key"
T_PATTERN="mode 0644" expect_exit 3 "a key others may read is refused, as hsd would" \
	hsdc --join "$T_DIR/c.json" --host a
chmod 600 "$S/private.key"
T_PATTERN="--check: needs --join" expect_exit 2 "--check without --join" hsdc
t_done
