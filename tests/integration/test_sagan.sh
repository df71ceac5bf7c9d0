#!/usr/bin/env bash
# Debian's Sagan as an IDS bundle, for real on two simulated hosts, over
# the syslog copy of their server spaces: sagan-1 deploys (each host's
# instance reports hsd's syslog probe); on host a, two failed password
# lines from one source raise nothing (under the rule's count), five from
# another source raise exactly one alert naming the rule, three more from
# the first source then do (the two were counted), and host b, whose
# server logged nothing, reports nothing; a rollout to sagan-2 completes
# and the new version reports what only its rules see (a root login with
# a password) and still counts failed passwords.
source "$(dirname "$0")/../lib.sh"

BUNDLES=$HSD_SOURCE/deploy/bundles
sim up "$HSD_SOURCE/deploy/examples/pair.json" >/dev/null
for h in a b; do
	on "$h" hsctl space create web --kind server -- sleep infinity >/dev/null
done
t_mesh_up a b
for b in sagan-1 sagan-2; do
	on a hsctl bundle add "$BUNDLES/$b" --sig "$(t_sign "$BUNDLES/$b")" >/dev/null
done

# alerts HOST [--probes]: every alert line of HOST.  found HOST: how many
# of them are Sagan's but not of its probe rule (sid 9100001): every
# instance of a host sees each probe hsd logs in its servers, so during a
# rollout the old and the new one report each other's, unmarked.
found() { { t_alerts "$1" || true; } | grep 'ALERT sagan ' | grep -vcE 'ALERT sagan [^ ]+ 9100001 ' || true; }
# sshd_logs HOST N LINE: the server web of HOST logs LINE N times, as
# sshd does: facility auth, tag sshd[PID].
sshd_logs() {
	on "$1" hsctl space exec web -- sh -c \
		'i=0; while [ $i -lt "$1" ]; do logger -p auth.warning -t sshd -i -- "$2"; i=$((i + 1)); done' sh "$2" "$3"
}
BURST='\[HSD-SSH\] 5 failed passwords from one source within 60 s'
# sagan_diag HOST INSTANCE: after a missed alert, where a line could have
# been lost: hsd's syslog counters (received from the server, copies not
# delivered to an audit space) and Sagan's errors and warnings.  (Sagan
# 1.2.0 here prints no statistics on SIGUSR1: its count of lines dropped
# with every worker busy cannot be read.)
sagan_diag() {
	say "--- hsd's syslog counters on $1"
	on "$1" hsctl metrics | grep -E '^hsd_syslog' || true
	say "--- Sagan's errors and warnings in $2 on $1"
	on "$1" hsctl space exec "$2" -- grep -E '^\[[EW]\]' /var/lib/hsd-sagan/log/sagan.log || true
}

# --- sagan-1 -------------------------------------------------------------
start=$SECONDS
check "sagan-1 deploys: every host's instance reports the syslog probe" on a hsctl deploy sagan-1
say "     (deploy took $((SECONDS - start)) s)"
for h in a b; do
	check "$h runs a verified sagan@1" bash -c "$SIM --id $T_ID exec $h -- hsctl --json instance list |
		jqe '.instances[] | select(.space == \"sagan@1\" and .verified_ms > 0)'"
	check "$h: the probe was reported by Sagan's probe rule, token and all" \
		bash -c "$SIM --id $T_ID exec $h -- hsctl alerts --probes --last 10000 |
			grep -qE 'sagan@1 +yes +ALERT sagan web 9100001 - \[HSD\] syslog probe: hsd-probe [a-z0-9]{16}$'"
done

# Control: two failed logins from one source are under the rule's count.
sshd_logs a 2 "Failed password for root from 192.0.2.66 port 22 ssh2"
control_at=$SECONDS
sleep 4
check "control: 2 failed passwords from 192.0.2.66 raise no alert" [ "$(found a)" = 0 ]

# The attack: five failed logins from one source within a minute.
sshd_logs a 5 "Failed password for root from 192.0.2.77 port 22 ssh2"
check "5 failed passwords from 192.0.2.77 in a's web: sagan@1 reports the burst rule (sid 9100002)" \
	t_alert_on a "sagan@1 +ALERT sagan web 9100002 192.0.2.77 $BURST: Failed password for root from 192.0.2.77 port 22 ssh2\$"
sleep 2
check "... exactly once, and nothing else (nothing yet for the 2 lines of 192.0.2.66)" \
	[ "$(found a)" = 1 ]
check "control: b, whose web logged nothing, reports nothing" [ "$(found b)" = 0 ]
# The 2 lines of 192.0.2.66 were seen and counted: 3 more make 5 in a minute.
sshd_logs a 3 "Failed password for root from 192.0.2.66 port 22 ssh2"
fails=$T_FAILS
check "3 more from 192.0.2.66 (5 within 60 s: the first 2 were $((SECONDS - control_at)) s ago) raise the burst alert for it" \
	t_alert_on a "sagan@1 +ALERT sagan web 9100002 192.0.2.66 $BURST: Failed password for root from 192.0.2.66 port 22 ssh2\$"
[ "$T_FAILS" = "$fails" ] || sagan_diag a sagan@1
# sagan-1 has no rule for a successful login: the line sagan-2 reports.
sshd_logs a 1 "Accepted password for root from 192.0.2.90 port 22 ssh2"
sleep 3
check "control: sagan@1 does not report a root login with a password" [ "$(found a)" = 2 ]

# --- rollout to sagan-2: one more rule ------------------------------------
start=$SECONDS
check "rollout to sagan-2 completes" on a hsctl rollout sagan-2 --max-parallel 2 --wait
say "     (rollout took $((SECONDS - start)) s)"
for h in a b; do
	check "$h runs sagan@2 only" t_runs_only "$h" sagan 2
done
sshd_logs a 1 "Accepted password for root from 192.0.2.91 port 22 ssh2"
check "sagan@2 reports a root login with a password, which only its rules see (sid 9100003)" \
	t_alert_on a 'sagan@2 +ALERT sagan web 9100003 192.0.2.91 \[HSD-SSH\] root logged in with a password: Accepted password for root from 192.0.2.91 port 22 ssh2$'
sshd_logs a 5 "Failed password for admin from 192.0.2.78 port 22 ssh2"
check "sagan@2 still counts failed passwords (sid 9100002)" \
	t_alert_on a "sagan@2 +ALERT sagan web 9100002 192.0.2.78 $BURST: Failed password for admin from 192.0.2.78 port 22 ssh2\$"
check "control: b still reports nothing" [ "$(found b)" = 0 ]

if [ "$T_FAILS" != 0 ]; then # what the instances said (their console logs) and found
	for h in a b; do
		for i in sagan@1 sagan@2; do
			say "--- $i on $h"
			on "$h" sh -c "tail -20 /var/lib/hsd/layers/$i/console.log" 2>/dev/null || true
		done
		say "--- alerts of $h"
		t_alerts "$h" --probes || true
	done
fi
t_done
