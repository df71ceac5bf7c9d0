#!/usr/bin/env bash
# hsd and hsctl on one machine, without namespaces: option and config
# errors, the key rules, the locks, signals, and the store's refusals.
source "$(dirname "$0")/../lib.sh"

S=$T_DIR/state R=$T_DIR/run
# hsd brings up a mesh (wireguard-go, routes): never in the machine's own
# network namespace.  Every hsd of this test runs in a network namespace of
# its own with a private /run, and whatever it leaves there is killed.
NS=hs-$T_ID-cli
ip netns add "$NS"
ip -n "$NS" link set lo up
on_exit "for p in \$(ip netns pids $NS); do kill -KILL \$p; done; ip netns del $NS"
HSD_REAL=$HSD
isolated() { ip netns exec "$NS" unshare --mount --propagation private -- \
	sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' hsd "$@"; }
HSD="isolated $HSD_REAL"
hsd_bg() { # start hsd in the background as our child; its pid in $pid
	# A plain command, not a function: every step execs, so $! is hsd.
	ip netns exec "$NS" unshare --mount --propagation private -- \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' hsd \
		"$HSD_REAL" --foreground --state-dir "$S" --run-dir "$R" "$@" >>"$T_DIR/hsd.log" 2>&1 &
	pid=$!
}
ctl() { "$HSCTL" --socket "$R/hsd.sock" "$@"; }
stop() { kill -TERM "$1"; stop_rc=0; wait "$1" || stop_rc=$?; }

check "hsd --help" $HSD --help
check "hsctl --help" "$HSCTL" --help
check "hsctl status --help" "$HSCTL" status --help
check "hsctl keygen --help" "$HSCTL" keygen --help
for c in space "space create" "space exec" bundle "bundle add" deploy rollout "rollout status" "rollout pause" "rollout undo" instance alerts routes peers; do
	check "hsctl $c --help prints its usage" bash -c "$HSCTL $c --help | grep -q '^usage: hsctl '"
done
T_PATTERN=--bogus expect_exit 2 "unknown hsd option" $HSD --bogus
T_PATTERN=verbose expect_exit 2 "bad log level" $HSD --log-level verbose
T_PATTERN=frobnicate expect_exit 2 "unknown hsctl command" "$HSCTL" frobnicate
T_PATTERN=extra expect_exit 2 "unexpected hsctl argument" "$HSCTL" status extra
T_PATTERN="cannot reach hsd" expect_exit 1 "hsctl without hsd" "$HSCTL" --socket "$T_DIR/none.sock" status
# Numbers are whole numbers or refused (exit 2, one line naming the field),
# before hsd is asked anything.
nosock=(--socket "$T_DIR/none.sock")
T_PATTERN='ID: "3abc"' expect_exit 2 "rollout status 3abc is refused, naming ID" "$HSCTL" "${nosock[@]}" rollout status 3abc
T_PATTERN='--soak: "5s"' expect_exit 2 "rollout --soak 5s is refused, naming --soak" "$HSCTL" "${nosock[@]}" rollout det-1 --soak 5s
T_PATTERN='--max-parallel: ""' expect_exit 2 "an empty --max-parallel is refused" "$HSCTL" "${nosock[@]}" rollout det-1 --max-parallel ''
T_PATTERN='--last: " 5"' expect_exit 2 "alerts --last ' 5' is refused" "$HSCTL" "${nosock[@]}" alerts --last ' 5'
T_PATTERN='--pids' expect_exit 2 "space create --pids +5 is refused" "$HSCTL" "${nosock[@]}" space create x --kind server --pids +5 -- true

# A cluster of two with our own key for host a.
"$HSCTL" keygen --state-dir "$S" >"$T_DIR/pub"
pub=$(cat "$T_DIR/pub")
other=$("$HSCTL" keygen --state-dir "$T_DIR/other")
op=$("$HSCTL" keygen --operator "$T_DIR/operator.key")
cat >"$T_DIR/c.json" <<JSON
{"cluster": "cli", "overlay": "10.99.0.0/16", "operators": ["$op"], "hosts": [
 {"name": "a", "endpoint": "192.0.2.1:51820", "public_key": "$pub", "prefix": "10.99.1.0/24"},
 {"name": "b", "endpoint": "192.0.2.2:51820", "public_key": "$other", "prefix": "10.99.2.0/24"}]}
JSON
T_PATTERN="already exists" expect_exit 2 "keygen never replaces a key" "$HSCTL" keygen --state-dir "$S"
check "keygen --show prints the same key" [ "$("$HSCTL" keygen --show --state-dir "$S")" = "$pub" ]

# Bad input changes nothing: not even the run dir is created.
jq '.hosts[0].adress = "x"' "$T_DIR/c.json" >"$T_DIR/bad.json"
T_PATTERN='hosts\[0\]' expect_exit 2 "unknown key in cluster.json" \
	$HSD --join "$T_DIR/bad.json" --host a --state-dir "$S" --run-dir "$R"
check "bad config created no run dir" [ ! -e "$R" ]
T_PATTERN='--host' expect_exit 2 "--host not in the file" \
	$HSD --join "$T_DIR/c.json" --host zz --state-dir "$S" --run-dir "$R"
T_PATTERN='public_key' expect_exit 2 "key does not match cluster.json" \
	$HSD --join "$T_DIR/c.json" --host b --state-dir "$S" --run-dir "$R"
chmod 644 "$S/private.key"
T_PATTERN='0644' expect_exit 3 "private key readable by others" \
	$HSD --join "$T_DIR/c.json" --host a --state-dir "$S" --run-dir "$R"
chmod 600 "$S/private.key"
chown nobody "$S/private.key"
T_PATTERN='private.key' expect_exit 3 "private key owned by another user" \
	$HSD --join "$T_DIR/c.json" --host a --state-dir "$S" --run-dir "$R"
chown root "$S/private.key"
head -c $((4 << 20)) /dev/zero | tr '\0' ' ' >"$T_DIR/huge.json"
echo '{}' >>"$T_DIR/huge.json"
T_PATTERN='huge.json' expect_exit 2 "a cluster file over 4 MiB" \
	$HSD --join "$T_DIR/huge.json" --host a --state-dir "$S" --run-dir "$R"

hsd_bg --join "$T_DIR/c.json" --host a
on_exit "kill -KILL $pid 2>/dev/null"
check "hsd comes up" wait_until 10 ctl status
check "status names host a" [ "$(ctl --json status | jq -r .host)" = a ]
check "control socket is 0600" [ "$(stat -c %a "$R/hsd.sock")" = 600 ]
# Options anywhere on the line, up to a command of the space's own.
check "options after the command: hsctl status --json --socket PATH" \
	bash -c "$HSCTL status --json --socket $R/hsd.sock | jqe '.host == \"a\"'"
T_PATTERN='unknown space "nosuch"' expect_exit 2 "space show NAME --json reaches hsd (options after the name)" \
	ctl space show nosuch --json
T_PATTERN='unknown space "nosuch"' expect_exit 2 "space stop --json NAME too" ctl space stop --json nosuch
check "rollout history --json --socket PATH" bash -c "$HSCTL rollout history --json --socket=$R/hsd.sock | jqe '.rollouts == []'"
check "undo --wait is accepted (refused by hsd only: nothing to undo)" \
	bash -c "$HSCTL --socket $R/hsd.sock rollout undo --wait --key $T_DIR/operator.key 2>&1 | grep -q 'no finished rollout'"
check "state dir is 0700" [ "$(stat -c %a "$S")" = 700 ]
T_PATTERN='in use' expect_exit 3 "second hsd on the same state dir" \
	$HSD --join "$T_DIR/c.json" --host a --state-dir "$S" --run-dir "$T_DIR/run2"
cp -a "$S" "$T_DIR/state2" && rm -f "$T_DIR/state2/hsd.lock"
T_PATTERN='in use' expect_exit 3 "second hsd on the same run dir" \
	$HSD --join "$T_DIR/c.json" --host a --state-dir "$T_DIR/state2" --run-dir "$R"

# SIGHUP: a broken file is refused and the running configuration kept; a
# good one is applied.
cp "$T_DIR/c.json" "$T_DIR/c.json.orig"
cp "$T_DIR/bad.json" "$T_DIR/c.json"
kill -HUP "$pid"
check "reload of a bad file is refused" wait_until 5 grep -q "reload refused" "$T_DIR/hsd.log"
check "hsd still answers after a refused reload" ctl status
jq 'del(.hosts[0])' "$T_DIR/c.json.orig" >"$T_DIR/c.json"
kill -HUP "$pid"
check "reload of a file without our host is refused" wait_until 5 bash -c "[ \$(grep -c 'reload refused' $T_DIR/hsd.log) = 2 ]"
jq --arg k "$other" '.hosts[0].public_key = $k | .hosts[1].public_key = "'"$pub"'"' "$T_DIR/c.json.orig" >"$T_DIR/c.json"
kill -HUP "$pid"
check "reload of a file with another key for us is refused" wait_until 5 bash -c "[ \$(grep -c 'reload refused' $T_DIR/hsd.log) = 3 ]"
jq '.hosts[0].prefix = "10.99.77.0/24"' "$T_DIR/c.json.orig" >"$T_DIR/c.json"
kill -HUP "$pid"
check "reload of a file with another prefix for us is refused, naming it" \
	wait_until 5 bash -c "grep 'reload refused' $T_DIR/hsd.log | tail -1 | grep -q 'hosts\[0\].prefix'"
check "the running configuration was kept" [ "$(ctl --json status | jq -r '.host + " " + (.hosts|tostring)')" = "a 2" ]
jq --arg k "$("$HSCTL" keygen --state-dir "$T_DIR/third")" \
	'.hosts += [{"name":"c","endpoint":"192.0.2.3:51820","public_key":$k,"prefix":"10.99.3.0/24"}]' \
	"$T_DIR/c.json.orig" >"$T_DIR/c.json"
kill -HUP "$pid"
check "reload of a good file applies it" wait_until 5 bash -c "[ \"\$($HSCTL --socket $R/hsd.sock --json status | jq .hosts)\" = 3 ]"

# hsctl reload: the same reload, answered: a refused file is its error (one
# line naming the field, exit 2) and nothing changes; a good one is applied
# before it returns, and it says what changed.
cp "$T_DIR/c.json" "$T_DIR/c.json.good"
jq '.hosts[0].prefix = "10.99.77.0/24"' "$T_DIR/c.json.good" >"$T_DIR/c.json"
T_PATTERN='hosts\[0\].prefix' expect_exit 2 "hsctl reload of a file with another prefix for us is refused, naming it" ctl reload
cp "$T_DIR/bad.json" "$T_DIR/c.json"
T_PATTERN='hosts\[0\]' expect_exit 2 "hsctl reload of a file with an unknown key is refused, naming it" ctl reload
check "... the running configuration was kept (3 hosts)" [ "$(ctl --json status | jq .hosts)" = 3 ]
jq 'del(.hosts[2])' "$T_DIR/c.json.good" >"$T_DIR/c.json"
check "hsctl reload of a good file says what changed" bash -c "$HSCTL --socket $R/hsd.sock reload | grep -q '0 hosts added, 1 removed'"
check "... and it is applied when hsctl returns" [ "$(ctl --json status | jq .hosts)" = 2 ]
check "hsctl reload --json" bash -c "$HSCTL --socket $R/hsd.sock reload --json | jqe '.reloaded and .hosts_removed == 0'"

# Protocol abuse on the control socket does not hurt hsd.
printf '\x7f\xff\xff\xffjunk' | timeout 2 socat - "UNIX-CONNECT:$R/hsd.sock" >/dev/null 2>&1 || true
check "hsd survives a bad frame" ctl status

stop "$pid"
check "SIGTERM: hsd exits 0" [ "$stop_rc" = 0 ]
check "SIGTERM stops hsd and removes the socket" [ ! -e "$R/hsd.sock" ]
check "the store logged start, reload and stop" bash -c \
	"[ \$(sqlite3 $S/hsd.db \"SELECT count(*) FROM events WHERE kind IN ('hsd.start','cluster.reload','hsd.stop')\") -ge 3 ]"

# Without --join: the embedded single-host cluster, a key pair made on
# first start, and logging to syslog (not the terminal) unless
# --foreground.  /dev/log is a socket of ours, seen through an overlay on
# /dev in hsd's private mount namespace.
S2=$T_DIR/solo-state R2=$T_DIR/solo-run
mkdir -p "$T_DIR/dev-up" "$T_DIR/dev-work"
socat -u "UNIX-RECV:$T_DIR/log.sock" "OPEN:$T_DIR/syslog.txt,creat,append" &
syslog_pid=$!
on_exit "kill $syslog_pid 2>/dev/null"
wait_until 5 test -S "$T_DIR/log.sock"
solo_bg() { # solo_bg [hsd options]: hsd with no --join, syslog to our socket
	ip netns exec "$NS" unshare --mount --propagation private -- sh -c '
		mount -t tmpfs -o mode=0755 tmpfs /run &&
		mount -t overlay overlay -o "lowerdir=/dev,upperdir=$1/dev-up,workdir=$1/dev-work" /dev &&
		ln -sf "$1/log.sock" /dev/log && shift && exec "$@"' hsd "$T_DIR" \
		"$HSD_REAL" --state-dir "$S2" --run-dir "$R2" "$@" >>"$T_DIR/solo.log" 2>&1 &
	pid=$!
}
solo_bg --host solo
on_exit "kill -KILL $pid 2>/dev/null"
check "hsd without --join comes up" wait_until 10 "$HSCTL" --socket "$R2/hsd.sock" status
check "it is a cluster of one named local, this host" \
	bash -c "$HSCTL --socket $R2/hsd.sock --json status | jqe '.cluster == \"local\" and .hosts == 1 and .host == \"solo\"'"
check "it made a key pair, private key 0600" [ "$(stat -c %a "$S2/private.key")" = 600 ]
check "its log goes to syslog with its pid" wait_until 5 grep -q "hsd\[$pid\]: generated a key pair" "$T_DIR/syslog.txt"
check "the start is logged at the default level (info)" grep -q "hsd\[$pid\]: hsd .*: host solo of cluster local" "$T_DIR/syslog.txt"
check "nothing is logged on the terminal without --foreground" [ ! -s "$T_DIR/solo.log" ]
kill -INT "$pid"; stop_rc=0; wait "$pid" || stop_rc=$?
check "SIGINT: hsd exits 0" [ "$stop_rc" = 0 ]
check "SIGINT: the stop is logged" grep -q "hsd\[$pid\]: stopped" "$T_DIR/syslog.txt"
bytes=$(wc -c <"$T_DIR/syslog.txt") # datagrams: no newline between them
solo_bg --host solo --log-level warn
check "hsd --log-level warn comes up" wait_until 10 "$HSCTL" --socket "$R2/hsd.sock" status
kill -TERM "$pid"; wait "$pid" || true
check "--log-level warn: no info line is logged" [ "$(wc -c <"$T_DIR/syslog.txt")" = "$bytes" ]

# A corrupt store is refused and left as it was.
cp "$S/hsd.db" "$T_DIR/db.copy"
sqlite3 "$S/hsd.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
dd if=/dev/urandom of="$S/hsd.db" bs=1 count=64 seek=0 conv=notrunc status=none
sum=$(sha256sum <"$S/hsd.db")
T_PATTERN='hsd.db' expect_exit 3 "corrupt store is refused" \
	$HSD --join "$T_DIR/c.json" --host a --state-dir "$S" --run-dir "$R"
check "corrupt store left untouched" [ "$sum" = "$(sha256sum <"$S/hsd.db")" ]
# A mistyped command or subcommand: one line, exit 2, and the nearest name.
T_PATTERN='unknown command "stauts" (did you mean "status"?)' \
	expect_exit 2 "a mistyped command gets the nearest one" "$HSCTL" stauts
T_PATTERN='unknown subcommand "creat" (did you mean "create"?)' \
	expect_exit 2 "a mistyped subcommand too" "$HSCTL" space creat web
T_PATTERN='unknown command "zzz" (see hsctl --help)' \
	expect_exit 2 "a word near nothing gets no guess" "$HSCTL" zzz
t_done
