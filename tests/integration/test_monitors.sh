#!/usr/bin/env bash
# Audit spaces watching a server space with real IDS: AIDE over /.serverfs
# and /.dserverfs; the views are read-only and invisible from the server.
source "$(dirname "$0")/../lib.sh"

# Server syslog's normal destination: a socket in host a's private /run.
HSD_ARGS="--syslog-forward /run/normal-log.sock" sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
ctl() { on a hsctl "$@"; }
in_web() { ctl space exec web -- sh -c "$1"; }
in_ids() { ctl space exec ids -- sh -c "$1"; }

ctl space create web --kind server --publish 80:8080 -- sleep 100000 >/dev/null
in_web 'mkdir -p /srv/site && for i in 1 2 3 4 5; do echo page$i > /srv/site/p$i.html; done'
ctl space create ids --kind audit --monitor web -- sleep 100000 >/dev/null
check "the audit space records what it monitors" [ "$(ctl --json space show ids | jq -c .monitors)" = '["web"]' ]

# AIDE with its database built over the server's live filesystem.
aide_conf() { # aide_conf ROOT: AIDE config checking /srv and /etc under ROOT
	cat <<EOF
database_in=file:/var/lib/aide/db
database_out=file:/var/lib/aide/db.new
root_prefix=$1
report_url=stdout
/srv R+sha256
/etc R+sha256
EOF
}
in_ids "mkdir -p /var/lib/aide && cat >/etc/aide-live.conf <<'EOF'
$(aide_conf /.serverfs/web)
EOF
aide --init -c /etc/aide-live.conf >/dev/null && mv /var/lib/aide/db.new /var/lib/aide/db"
in_web 'echo defaced > /srv/site/p2.html && rm /srv/site/p4.html && rm /etc/issue'
report=$(in_ids 'aide --check -c /etc/aide-live.conf' || true)
check "AIDE reports the modified file" grep -q 'f .*: /srv/site/p2.html' <<<"$report"
check "AIDE reports the deleted file" grep -q ': /srv/site/p4.html' <<<"$report"
check "AIDE reports no other file in /srv" \
	bash -c "[ \$(grep -c ': /srv/site/p[1356].html' <<<'$report') -eq 0 ]"

# Over /.dserverfs AIDE reads only what the server changed.
in_ids "cat >/etc/aide-diff.conf <<'EOF'
$(aide_conf /.dserverfs/web | sed 's|db|diffdb|g')
EOF
rm -f /var/lib/aide/diffdb*"
live_n=$(in_ids 'aide --init -c /etc/aide-live.conf -B database_out=file:/tmp/x.db' | awk -F: '/Number of entries/ {gsub(/[ \t]/, "", $2); print $2}')
diff_n=$(in_ids 'aide --init -c /etc/aide-diff.conf' | awk -F: '/Number of entries/ {gsub(/[ \t]/, "", $2); print $2}')
changed_n=$(in_ids 'cd /.dserverfs/web && find srv etc 2>/dev/null | wc -l')
check "AIDE over /.dserverfs checks exactly the changed entries ($diff_n = $changed_n)" [ "$diff_n" = "$changed_n" ]
check "that is far fewer than over /.serverfs ($diff_n < $live_n / 10)" [ "$diff_n" -lt $((live_n / 10)) ]
check "/.dserverfs shows the deletion as a whiteout" \
	bash -c "[ \"\$($SIM --id $T_ID exec a -- hsctl space exec ids -- stat -c %F:%t:%T /.dserverfs/web/etc/issue)\" = 'character special file:0:0' ]"

# Read-only from the audit side; invisible from the server side.
T_PATTERN="Read-only" expect_exit 2 "writing into /.serverfs fails with EROFS" \
	on a hsctl space exec ids -- sh -c 'echo x > /.serverfs/web/srv/site/p1.html'
T_PATTERN="Read-only" expect_exit 2 "writing into /.dserverfs fails with EROFS" \
	on a hsctl space exec ids -- sh -c 'echo x > /.dserverfs/web/srv/new'
check "the server file is unchanged" [ "$(in_web 'cat /srv/site/p1.html')" = page1 ]
check "the server does not see /.serverfs" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ls /.serverfs"
check "the server does not see /.dserverfs" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ls /.dserverfs"
check "no view is mounted in the host's namespace" bash -c "! $SIM --id $T_ID exec a -- grep -q serverfs /proc/self/mounts"
check "the server's /proc is not in the view" bash -c "[ -z \"\$($SIM --id $T_ID exec a -- hsctl space exec ids -- ls /.serverfs/web/proc)\" ]"

# The views follow a restart of either side.
ctl space stop web >/dev/null
ctl space start web >/dev/null
in_web 'echo after-restart > /srv/site/p6.html'
check "the live view follows a restarted server" [ "$(in_ids 'cat /.serverfs/web/srv/site/p6.html')" = after-restart ]
ctl space stop ids >/dev/null
ctl space start ids >/dev/null
check "a restarted audit space gets its views back" [ "$(in_ids 'cat /.serverfs/web/srv/site/p6.html')" = after-restart ]

# A monitor added to a running audit space.
ctl space create web2 --kind server -- sleep 100000 >/dev/null
in_web2() { ctl space exec web2 -- sh -c "$1"; }
in_web2 'echo two > /etc/web2-marker'
check "space monitor adds a server to a running audit space" ctl space monitor ids web2
check "its view appears at once" [ "$(in_ids 'cat /.serverfs/web2/etc/web2-marker')" = two ]
T_PATTERN=audit expect_exit 2 "an audit space cannot be monitored" on a hsctl space monitor ids ids
T_PATTERN=unknown expect_exit 2 "monitoring an unknown space" on a hsctl space create ids2 --kind audit --monitor nope -- true
T_PATTERN=--monitor expect_exit 2 "a server space cannot monitor" on a hsctl space create w3 --kind server --monitor web -- true

ctl space destroy web2 >/dev/null
check "destroying a server removes its views" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec ids -- test -e /.serverfs/web2/etc"

# --- Packets: tcpdump/ngrep on mon0 see the host's traffic.
ctl space destroy web >/dev/null
ctl space create web --kind server --publish 80:8080 -- sh -c "mkdir -p /srv/www && echo hi >/srv/www/index.html &&
	printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' 'index-file.names = (\"index.html\")' >/etc/lt.conf &&
	exec lighttpd -D -f /etc/lt.conf" >/dev/null
ctl space monitor ids web >/dev/null
check "the audit space has mon0" in_ids 'ip link show mon0'
check "mon0 has no address" bash -c "[ -z \"\$($SIM --id $T_ID exec a -- hsctl space exec ids -- ip -4 -o addr show mon0)\" ]"
in_ids 'ngrep -q -l -d mon0 -W single "hsdmark" >/tmp/ngrep.out 2>&1 &'
in_ids 'tcpdump -i mon0 -nn -l -A "tcp port 8080 or tcp port 80" >/tmp/tcpdump.out 2>/dev/null &'
sleep 1.5
check "web answers from host b" wait_until 10 bash -c "$SIM --id $T_ID exec b -- curl -s --max-time 2 'http://192.0.2.1/?q=hsdmark-$T_ID' | grep -q hi"
check "ngrep in the audit space saw the request with its payload" wait_until 5 in_ids "grep -q 'GET /?q=hsdmark-$T_ID' /tmp/ngrep.out"
check "tcpdump in the audit space saw it on the server's veth too (port 8080)" wait_until 5 in_ids "grep -q '\.8080' /tmp/tcpdump.out"
# A frame the audit space sends on mon0 reaches nothing.
on a sh -c "tcpdump -i ul0 -nn -l -A 2>/dev/null | grep -m1 leakmark >/tmp/hs-$T_ID-leak-a &"
on b sh -c "tcpdump -i ul0 -nn -l -A 2>/dev/null | grep -m1 leakmark >/tmp/hs-$T_ID-leak-b &"
on_exit "rm -f /tmp/hs-$T_ID-leak-a /tmp/hs-$T_ID-leak-b"
sleep 1
in_ids "for i in 1 2 3 4 5; do printf '\377\377\377\377\377\377\002\000\000\000\000\001\010\000leakmark-leakmark-leakmark-leakmark-leakmark' | socat -u - INTERFACE:mon0; done" || true
sleep 1
check "a frame sent on mon0 is not seen on host a's interface" [ ! -s "/tmp/hs-$T_ID-leak-a" ]
check "... nor on host b's" [ ! -s "/tmp/hs-$T_ID-leak-b" ]
mirror_if=$(ctl --json space show ids | jq -r .mirror)
check "... and the mirror's drop filter on $mirror_if counted it" bash -c "$SIM --id $T_ID exec a -- tc -s qdisc show dev $mirror_if | grep -q 'dropped [1-9]'"

# --- Syslog: delivered as usual, and a copy for the audit space.
on a sh -c 'socat -u UNIX-RECV:/run/normal-log.sock OPEN:/run/normal-log.txt,creat,append >/dev/null 2>&1 &'
in_ids 'rm -f /run/hsd-syslog.sock; socat -u UNIX-RECV:/run/hsd-syslog.sock OPEN:/tmp/syslog.txt,creat,append >/dev/null 2>&1 &'
sleep 0.5
in_web "logger -t webapp 'login failed for root $T_ID'"
check "the message reaches its normal destination" wait_until 5 on a grep -q "login failed for root $T_ID" /run/normal-log.txt
check "a copy reaches the audit space" wait_until 5 in_ids "grep -q 'login failed for root $T_ID' /tmp/syslog.txt"
check "the copy names its sender" in_ids "grep -q 'hsd-src space=web pid=' /tmp/syslog.txt"
in_ids 'pkill -x socat; rm -f /run/hsd-syslog.sock'
start=$(date +%s%N)
in_web 'for i in $(seq 200); do logger -t webapp "no reader $i"; done'
took=$((($(date +%s%N) - start) / 1000000))
check "with no audit reader 200 logger calls still return at once (${took} ms)" [ "$took" -lt 10000 ]

# --- Syscalls: hstrace through hsd's broker.
# The broker follows the server's own processes (and their children).
in_web "echo traced >/srv/www/hsd-trace-$T_ID.html"
in_ids 'hstrace --json --syscalls openat space >/tmp/trace.out 2>&1 &'
sleep 1
on b curl -s --max-time 2 "http://192.0.2.1/hsd-trace-$T_ID.html" >/dev/null
check "hstrace shows the server's openat with its path" wait_until 5 in_ids "grep -q 'hsd-trace-$T_ID' /tmp/trace.out"
check "the event names the syscall" in_ids "grep 'hsd-trace-$T_ID' /tmp/trace.out | grep -q openat"
poke=$(in_ids "printf '\000\000\000\023{\"v\":1,\"op\":\"poke\"}' | socat -t 2 - UNIX-CONNECT:/run/hsd-trace.sock" | tr -d '\000-\037' || true)
check "the broker refuses to write memory ($poke)" grep -q refused <<<"$poke"
in_ids 'pkill hstrace' || true

# --- None of it is visible from the server space.
check "the server sees no mirror interface" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ip -o link | grep -E -q 'mon0|hsx'"
check "the server sees no trace socket" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ls /run/hsd-trace.sock"
check "the server sees no hstrace" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ls /usr/local/bin/hstrace"
check "the server sees no syslog copy socket" bash -c "! $SIM --id $T_ID exec a -- hsctl space exec web -- ls /run/hsd-syslog.sock"
t_done
