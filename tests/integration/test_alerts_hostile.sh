#!/usr/bin/env bash
# Alerts made of hostile bytes are never lost, hidden or played on the
# operator's terminal.  On two simulated hosts, an attacker in server space
# "web" of host a creates files whose names hold byte 0xff, a newline, ANSI
# escape sequences, a bidi override and a backslash (reported by the aide
# bundle), and files whose content a small IDS ("raw") prints as it is:
# ESC, NUL, C1 CSI, CR, stray bytes, bidi controls.  Every one must be
# stored byte for byte, and shown once, escaped, by hsctl alerts (text,
# --json, --follow, --host from the other host), with nothing but
# printable ASCII on stdout.  A copy of each goes to the host's syslog,
# escaped the same, one datagram each; where no syslog listens the copies
# are counted as dropped and the alerts are stored all the same.
source "$(dirname "$0")/../lib.sh"

cat >"$T_DIR/two.json" <<'JSON'
{
  "cluster": "hostile",
  "overlay": "10.97.0.0/16",
  "hosts": [
    {"name": "a", "endpoint": "192.0.2.1:51820", "public_key": "aVqtIaZwApg5MvOsKYsIWs9LZ1etJgYoHEDw1VkvTgQ=", "prefix": "10.97.1.0/24"},
    {"name": "b", "endpoint": "192.0.2.2:51820", "public_key": "c08dDZOYWiraCevZKw3p74AeEmm69bzz2CfXWz2bpj4=", "prefix": "10.97.2.0/24"}
  ]
}
JSON
# Host a's syslog: a socket in its private /run, one line per datagram;
# host b has none.
HSD_ARGS="--syslog-forward /run/alerts-log.sock" sim up "$T_DIR/two.json" >/dev/null
cat >"$T_DIR/syslogd.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/alerts-log.sock")
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
PY
on a sh -c "python3 $T_DIR/syslogd.py $T_DIR/syslog.out >/dev/null 2>&1 & echo \$! >$T_DIR/syslogd.pid"
on_exit "kill \$(cat $T_DIR/syslogd.pid) 2>/dev/null"
for h in a b; do
	on "$h" hsctl space create web --kind server -- sh -c 'mkdir -p /srv/hostile /opt/rawin && exec sleep infinity' >/dev/null
done
t_mesh_up a b

# raw-1 prints "ALERT raw " and then the content of each new file under
# /opt/rawin of a watched server, byte for byte (as an IDS that logs a
# payload would); AIDE does not watch /opt.
t_echo_bundle "$T_DIR/raw-1" raw opt/rawin cat
on a hsctl bundle add "$HSD_SOURCE/deploy/bundles/aide-1" --sig "$(t_sign "$HSD_SOURCE/deploy/bundles/aide-1")" >/dev/null
on a hsctl bundle add "$T_DIR/raw-1" --sig "$(t_sign "$T_DIR/raw-1")" >/dev/null
check "aide-1 deploys on both hosts" on a hsctl deploy aide-1
check "raw-1 deploys on both hosts" on a hsctl deploy raw-1

# --- the attack ---------------------------------------------------------
# File names (any byte but NUL and /), as argv of touch in web on a.
names=("h-ff-"$'\xff'"-end" "h-nl-"$'\n'"-end" "h-csi-"$'\e'"[31m-end" "h-osc-"$'\e'"]0;title"$'\a'"-end"
	"h-bidi-"$'\xe2\x80\xae'"-end" 'h-bs-\-end')
for n in "${names[@]}"; do on a hsctl space exec web -- touch "/srv/hostile/$n"; done
# What the operator must see.  AIDE (0.18.3) writes a C0 control in a name
# as its own octal escape (\012, \033, \007) and every other byte as it is,
# so the newline and the escape sequences reach hsd already as text and
# their backslash is what gets escaped; 0xff and U+202E arrive raw.
shown=('/srv/hostile/h-ff-\xff-end' '/srv/hostile/h-nl-\\012-end' '/srv/hostile/h-csi-\\033[31m-end'
	'/srv/hostile/h-osc-\\033]0;title\\007-end' '/srv/hostile/h-bidi-\u{202e}-end' '/srv/hostile/h-bs-\\-end')
# Contents printed by raw-1: the bytes AIDE would not let through.
raw_in=("r-esc-"$'\e'"[31m-"$'\e'"]0;title"$'\a'"-end" "r-nul-@-end" "r-c1-"$'\xc2\x9b'"31m-end"
	"r-cr-"$'\r'"-end" "r-ff-"$'\xff\xfe'"-end" "r-bidi-"$'\xe2\x80\xae'"-"$'\xe2\x81\xa6'"-end" 'r-bs-\xff-end')
raw_shown=('r-esc-\x1b[31m-\x1b]0;title\x07-end' 'r-nul-\x00-end' 'r-c1-\u{009b}31m-end' 'r-cr-\x0d-end'
	'r-ff-\xff\xfe-end' 'r-bidi-\u{202e}-\u{2066}-end' 'r-bs-\\xff-end')
i=0
for c in "${raw_in[@]}"; do
	# Through stdin, so the NUL (written as @ above) survives the shell.
	printf '%s\n' "$c" | tr @ '\000' | on a hsctl space exec web -- sh -c "cat >/opt/rawin/.t && mv /opt/rawin/.t /opt/rawin/r$i"
	i=$((i + 1))
done

ALL="hsctl alerts --last 10000"
check "every hostile name is reported by aide" wait_until 60 bash -c \
	"[ \$($SIM --id $T_ID exec a -- hsctl --json alerts --last 10000 | jq '[.alerts[].line | select(test(\"^ALERT aide web /srv/hostile/h-\"))] | length') -ge ${#names[@]} ]"
check "every hostile content is reported by raw" wait_until 30 bash -c \
	"[ \$($SIM --id $T_ID exec a -- hsctl --json alerts --last 10000 | jq '[.alerts[].line | select(test(\"^ALERT raw r-\"))] | length') -ge ${#raw_in[@]} ]"
# A later change reported means AIDE has looked again since: any second
# report of the names above would be in by now.
on a hsctl space exec web -- touch /srv/hostile/z-last
check "aide looked again" wait_until 30 bash -c "$SIM --id $T_ID exec a -- $ALL | grep -q /srv/hostile/z-last"

# --- positive control: the raw bytes are in the store ---------------------
hexes=$(on a sqlite3 /var/lib/hsd/hsd.db "SELECT hex(line) FROM alerts")
hexof() { printf '%s' "$1" | tr @ '\000' | od -An -tx1 | tr -d ' \n' | tr a-f A-F; } # @ is NUL
for n in "${names[@]:0:1}" "${names[@]:4:1}"; do # 0xff and U+202E: AIDE passes them on
	check "stored raw: aide's line for $(cut -d- -f1,2 <<<"$n")" grep -q "$(hexof "/srv/hostile/$n")" <<<"$hexes"
done
check "stored: AIDE's own escape for the newline (what the operator sees depends on it)" \
	grep -q "$(hexof '/srv/hostile/h-nl-\012-end')" <<<"$hexes"
for c in "${raw_in[@]}"; do
	check "stored raw, byte for byte: $(cut -d- -f1,2 <<<"$c")" grep -qx "$(hexof "ALERT raw $c")" <<<"$hexes"
done
# The detector below finds raw bytes where there are some: sqlite3 prints
# the stored lines unescaped.
printable_only() { [ "$(tr -d '\n\040-\176' | wc -c)" = 0 ]; }
check "positive control: unescaped, the stored lines hold control and non-ASCII bytes" \
	bash -c "! $SIM --id $T_ID exec a -- sqlite3 /var/lib/hsd/hsd.db 'SELECT line FROM alerts' | tr -d '\n\040-\176' | cmp -s - /dev/null"

# --- the copies in the host's syslog -----------------------------------
check "each raw alert reaches a's syslog once, escaped as hsctl shows it" bash -c '
	for s in "$@"; do [ "$(grep -cF -- "alert host=a instance=raw@1: ALERT raw $s" '"$T_DIR/syslog.out"')" = 1 ] || exit 1; done
	' _ "${raw_shown[@]}"
check "... as facility auth, severity alert, from hsd" \
	grep -qE '^<33>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} hsd\[[0-9]+\]: alert host=a instance=aide@1: ALERT aide web /srv/hostile/h-' "$T_DIR/syslog.out"
check "... printable ASCII only" printable_only <"$T_DIR/syslog.out"
copies_match() { # a sent one copy per stored alert and dropped none
	local st n
	st=$(on a hsctl --json status) && n=$(on a sqlite3 /var/lib/hsd/hsd.db 'SELECT count(*) FROM alerts')
	jq -e --argjson n "$n" '.alerts_syslog.sent == $n and .alerts_syslog.dropped == 0' <<<"$st" >/dev/null
}
check "... as many copies as a's store has alerts, none dropped" wait_until 10 copies_match
check "b, with no syslog listening, counts its copies as dropped" \
	jqe '.alerts_syslog.dropped > 0 and .alerts_syslog.sent == 0' <<<"$(on b hsctl --json status)"
check "... and stores every alert all the same (its probe alerts)" \
	[ "$(on b sqlite3 /var/lib/hsd/hsd.db 'SELECT count(*) FROM alerts')" -gt 0 ]

# --- what hsctl shows ---------------------------------------------------
# shows OUTPUT_FILE LABEL: every expected line is in it exactly once, and
# nothing but printable ASCII and newlines.
shows() {
	local out=$1 what=$2 s
	check "$what: printable ASCII only" printable_only <"$out"
	for s in "${shown[@]}"; do
		check "$what: $s, once" [ "$(grep -cF -- "ALERT aide web $s" "$out")" = 1 ]
	done
	for s in "${raw_shown[@]}"; do
		check "$what: $s, once" [ "$(grep -cF -- "ALERT raw $s" "$out")" = 1 ]
	done
	check "$what: as many aide alerts for the names as names" \
		[ "$(grep -c 'ALERT aide web /srv/hostile/h-' "$out")" = "${#names[@]}" ]
}
on a $ALL >"$T_DIR/human.out"
shows "$T_DIR/human.out" "hsctl alerts"
# Each shown line is the whole line: it ends where the name ends.
check "hsctl alerts: each escaped line ends after its name" \
	[ "$(grep -c -- '-end$' "$T_DIR/human.out")" = $((${#names[@]} + ${#raw_in[@]})) ]

on a hsctl --json alerts --probes --last 10000 >"$T_DIR/json.out" # every alert, hsd's probe's too
check "hsctl --json alerts: valid JSON" jq -e . "$T_DIR/json.out"
jq -r '.alerts[].line' "$T_DIR/json.out" >"$T_DIR/json.lines"
shows "$T_DIR/json.lines" "hsctl --json alerts (lines)"
check "hsctl --json alerts: printable ASCII only, as sent" printable_only <"$T_DIR/json.out"
check "hsctl --json alerts: every alert of the store, none dropped" \
	[ "$(jq '.alerts | length' "$T_DIR/json.out")" = "$(on a sqlite3 /var/lib/hsd/hsd.db 'SELECT count(*) FROM alerts')" ]

on b hsctl alerts --host a --last 10000 >"$T_DIR/host.out"
shows "$T_DIR/host.out" "hsctl alerts --host a, asked on b"
on b hsctl --json alerts --host a --last 10000 | jq -r '.alerts[].line' >"$T_DIR/host.lines"
shows "$T_DIR/host.lines" "hsctl --json alerts --host a, asked on b"

# --follow, text and JSON, sees a hostile alert that arrives after it started.
for mode in text json; do
	flag=; [ $mode = json ] && flag=--json
	on a sh -c "echo \$\$; exec hsctl $flag alerts --follow --last 1" >"$T_DIR/follow-$mode.out" 2>&1 &
	wait_until 10 bash -c "[ -s $T_DIR/follow-$mode.out ]" || true
	follower=$(head -1 "$T_DIR/follow-$mode.out")
	on_exit "kill $follower 2>/dev/null"
done
printf 'r-follow-\e[2J\xff-end\n' | on a hsctl space exec web -- sh -c 'cat >/opt/rawin/.t && mv /opt/rawin/.t /opt/rawin/follow'
check "alerts --follow prints the new alert, escaped" \
	wait_until 30 grep -qF 'ALERT raw r-follow-\x1b[2J\xff-end' "$T_DIR/follow-text.out"
check "alerts --json --follow prints it too" wait_until 30 grep -qF 'r-follow-' "$T_DIR/follow-json.out"
tail -n +2 "$T_DIR/follow-json.out" >"$T_DIR/follow-json.body"
check "alerts --json --follow: one valid JSON object per line" \
	bash -c "jq -e -c 'select(.line | test(\"r-follow-\"))' $T_DIR/follow-json.body | grep -q ."
check "alerts --json --follow: its text escaped" \
	bash -c "jq -r .line $T_DIR/follow-json.body | grep -qF 'ALERT raw r-follow-\\x1b[2J\\xff-end'"
for mode in text json; do
	check "alerts --follow ($mode): printable ASCII only" printable_only <"$T_DIR/follow-$mode.out"
done

# --- many long hostile lines: the reply comes in pages, none lost ---------
# 80 lines of 4000 bytes 0xff are 320 KB stored, but five times that as
# escaped JSON: more than one control frame (1 MiB) holds.
python3 -c 'import sys
sys.stdout.buffer.write(b"head\n") # the line raw-1 puts its own prefix on
for i in range(80): sys.stdout.buffer.write(b"ALERT raw big-%d " % i + b"\xff" * 4000 + b"\n")' |
	on a hsctl space exec web -- sh -c 'cat >/opt/rawin/.t && mv /opt/rawin/.t /opt/rawin/big'
check "the 80 long lines are stored" wait_until 30 bash -c \
	"[ \$($SIM --id $T_ID exec a -- sqlite3 /var/lib/hsd/hsd.db \"SELECT count(*) FROM alerts WHERE line LIKE 'ALERT raw big-%'\") = 80 ]"
raw_alerts() { # raw_alerts ARGS_JSON: hsd's reply to a hand-made request
	on a python3 -c 'import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect("/run/hsd/hsd.sock")
m = json.dumps({"v": 1, "id": 1, "cmd": "alerts", "args": json.loads(sys.argv[1])}).encode()
s.sendall(struct.pack(">I", len(m)) + m)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
print(s.recv(n, socket.MSG_WAITALL).decode())' "$1"
}
check "positive control: one reply of hsd cannot hold them all (truncated, fewer than asked)" \
	jqe '.ok and .result.truncated and (.result.alerts | length) < 80' <<<"$(raw_alerts '{"last": 80}')"
on a hsctl --json alerts --probes --last 10000 >"$T_DIR/big.json"
check "hsctl --json alerts: all 80 long alerts, each escaped whole" \
	jqe '[.alerts[].line | select(test("^ALERT raw big-[0-9]+ (\\\\xff){4000}$"))] | length == 80' <"$T_DIR/big.json"
check "... in id order, none twice" jqe '[.alerts[].id] as $i | $i == ($i | unique)' <"$T_DIR/big.json"
check "... and every alert of the store" \
	[ "$(jq '.alerts | length' "$T_DIR/big.json")" = "$(on a sqlite3 /var/lib/hsd/hsd.db 'SELECT count(*) FROM alerts')" ]
check "hsctl alerts --last 50: the latest 50 lines across pages" \
	[ "$(on a hsctl alerts --last 50 | tail -n +2 | wc -l)" = 50 ]
check "hsctl alerts --host a on b: all 80 long alerts too" \
	[ "$(on b hsctl alerts --host a --last 10000 | grep -c 'ALERT raw big-')" = 80 ]

# Whatever else a reply carries is shown escaped too: a peer's status or a
# rollout error is another host's text.  A stand-in hsd on a socket of the
# test's own answers status with ESC sequences and a bidi override in the
# fields peers fill, and a failing call with them in its error.
cat >"$T_DIR/standin.py" <<'PY'
import json, socket, struct, sys
hostile = "\x1b]0;pwned\x07\x1b[2J\u202eevil"
status = {"host": "a", "cluster": "c", "hosts": 2, "version": "0", "uptime_s": 1,
          "spaces": 0, "instances": 1, "monitors": {},
          "fleet": [{"host": "b" + hostile, "reachable": True,
                     "instances": [{"instance": "det@1" + hostile, "running": True,
                                    "state": "verified", "last_probe": "fine" + hostile}]}]}
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(4)
open(sys.argv[2], "w").write(json.dumps(status))
for reply in ({"ok": True, "result": status}, {"ok": False, "code": 1, "error": "b: " + hostile}):
    c, _ = srv.accept()
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    req = json.loads(c.recv(n, socket.MSG_WAITALL))
    reply.update(v=1, id=req["id"])
    out = json.dumps(reply).encode()
    c.sendall(struct.pack(">I", len(out)) + out); c.close()
PY
python3 "$T_DIR/standin.py" "$T_DIR/standin.sock" "$T_DIR/standin.json" &
standin=$!
on_exit "kill $standin 2>/dev/null"
wait_until 30 test -S "$T_DIR/standin.sock" # python3 starts slowly on a loaded machine
check "positive control: the stand-in's status holds ESC and U+202E" \
	bash -c "jq -r '.fleet[0].instances[0].last_probe' '$T_DIR/standin.json' | grep -q \$'\\x1b\\\\[2J\\u202e'"
"$HSCTL" --socket "$T_DIR/standin.sock" status >"$T_DIR/standin.out" 2>&1 || true
"$HSCTL" --socket "$T_DIR/standin.sock" status >"$T_DIR/standin.err" 2>&1 || true
check "hsctl status shows a peer's fields escaped, nothing raw" \
	bash -c "grep -qF 'fine\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}evil' '$T_DIR/standin.out' && ! grep -q \$'[\\x1b\\x07]' '$T_DIR/standin.out' && ! grep -q \$'\\u202e' '$T_DIR/standin.out'"
check "hsctl shows an error from hsd escaped, nothing raw" \
	bash -c "grep -qF 'b: \\x1b]0;pwned\\x07' '$T_DIR/standin.err' && ! grep -q \$'[\\x1b\\x07]' '$T_DIR/standin.err'"
wait "$standin" || true

t_done
