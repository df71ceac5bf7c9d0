#!/usr/bin/env bash
# hsctl space logs: a space's console, its last lines or all that follow,
# escaped (the space writes it), and --follow sees each new line as it is
# written, from a request hsd holds (no asking again in a loop).
source "$(dirname "$0")/../lib.sh"

cat >"$T_DIR/solo.json" <<'JSON'
{"cluster": "solo", "overlay": "10.91.0.0/16",
 "hosts": [{"name": "a", "endpoint": "192.0.2.1:51820", "public_key": "", "prefix": "10.91.1.0/24"}]}
JSON
sim up "$T_DIR/solo.json" >/dev/null
on a hsctl space create w --kind server -- \
	sh -c 'for i in 1 2 3 4 5; do echo "line $i"; done; printf "esc \033[31m red\n"; exec sleep 100000' >/dev/null
on a hsctl space create t --kind server -- sh -c 'i=0; while :; do i=$((i + 1)); echo "tick $i"; sleep 1; done' >/dev/null

check "the console's lines, oldest first" wait_until 5 bash -c \
	"[ \"\$($SIM --id $T_ID exec a -- hsctl space logs w | head -5 | tr '\n' ' ')\" = 'line 1 line 2 line 3 line 4 line 5 ' ]"
check "a control character the space wrote is shown escaped" \
	bash -c "$SIM --id $T_ID exec a -- hsctl space logs w | grep -qxF 'esc \\x1b[31m red'"
check "... and nothing but printable ASCII" \
	bash -c "[ \"\$($SIM --id $T_ID exec a -- hsctl space logs w | tr -d '\n\040-\176' | wc -c)\" = 0 ]"
check "--last 2: the last two" bash -c \
	"[ \"\$($SIM --id $T_ID exec a -- hsctl space logs w --last 2 | head -1)\" = 'line 5' ]"
check "--json: one JSON string per line" bash -c \
	"$SIM --id $T_ID exec a -- hsctl space logs w --json --last 1 | jq -e '. == \"esc \\\\x1b[31m red\"'"
T_PATTERN='name: no space "nope"' expect_exit 2 "an unknown space" on a hsctl space logs nope
T_PATTERN='--last: "0" is not a number in 1..10000' expect_exit 2 "--last 0" on a hsctl space logs w --last 0

on a sh -c "echo \$\$ >$T_DIR/follow.pid; exec hsctl space logs t --follow --last 1" >"$T_DIR/follow.out" 2>&1 &
on_exit "kill \$(cat $T_DIR/follow.pid) 2>/dev/null"
check "--follow prints the lines written after it started" wait_until 10 bash -c \
	"[ \$(grep -c '^tick ' $T_DIR/follow.out) -ge 4 ]"
check "... each once, in order" bash -c \
	"grep '^tick ' $T_DIR/follow.out | awk '{ if (p && \$2 != p + 1) exit 1; p = \$2 }'"
t_done
