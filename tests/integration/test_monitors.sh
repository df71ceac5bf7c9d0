#!/usr/bin/env bash
# Audit spaces watching a server space with real IDS: AIDE over /.serverfs
# and /.dserverfs; the views are read-only and invisible from the server.
source "$(dirname "$0")/../lib.sh"

sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
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
t_done
