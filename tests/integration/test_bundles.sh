#!/usr/bin/env bash
# The network IDS and the syscall watcher shipped in deploy/bundles, for
# real on three simulated hosts: each version deploys (every host verifies
# it by its probe), catches an attack on a web server in a server space,
# and rolls to its second version, which catches what only it knows.
source "$(dirname "$0")/../lib.sh"

HOSTS="a b c"
BUNDLES=$HSD_SOURCE/deploy/bundles
sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
ctl() { on a hsctl "$@"; }
for h in $HOSTS; do t_web "$h"; done
for b in ngrep-1 ngrep-2 trace-1 trace-2; do ctl bundle add "$BUNDLES/$b" --sig "$(t_sign "$BUNDLES/$b")" >/dev/null; done
get() { on b curl -s -o /dev/null --max-time 3 "http://192.0.2.1$1" || true; } # from b to a's web

# --- ngrep on the mirror interface
check "ngrep-1 deploys: every host's instance saw its packet probe" ctl deploy ngrep-1
get /etc/passwd
check "ngrep@1 on a sees an HTTP request for /etc/passwd sent from b" t_alert_on a 'ngrep@1 +ALERT ngrep .*GET /etc/passwd'
check "rollout to ngrep-2 succeeds" ctl rollout ngrep-2 --wait
get "/?q=1+UNION+SELECT+password"
check "ngrep@2 names the signature it knows and ngrep-1 did not (sql-union)" t_alert_on a 'ngrep@2 +ALERT ngrep sql-union'
for h in $HOSTS; do
	check "$h runs ngrep@2 only" bash -c "$SIM --id $T_ID exec $h -- hsctl --json instance list |
		jqe '[.instances[] | select(.stopped_ms == 0 and .bundle == \"ngrep\") | .version] == [\"2\"]' >/dev/null"
done

# --- hstrace through hsd's broker. The reading process is started from
# outside (hsctl space exec): it sleeps first so the broker's rescan finds
# it, then its child is followed from its fork on.
# Meanwhile a watcher on the machine records every process of hsd's found in
# c's web space (the exec probe, a fork of hsd): its capabilities and fds.
webinit=$(on c hsctl --json space show web | jq -r .pid)
webns=$(readlink "/proc/$webinit/ns/pid")
probe_watch() {
	while :; do
		for p in $(pgrep -x hsd); do
			[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$webns" ] || continue
			# Both read, or the process ended in between: skip it.
			cap=$(awk '/^CapEff/ {print $2}' "/proc/$p/status" 2>/dev/null) &&
				fds=$(ls "/proc/$p/fd" 2>/dev/null) && [ -n "$cap" ] &&
				echo "$p $cap $(wc -l <<<"$fds")"
		done
		sleep 0.05
	done
}
probe_watch >"$T_DIR/probes" 2>/dev/null &
watcher=$!
on_exit "kill $watcher 2>/dev/null"
check "trace-1 deploys: every host's instance saw the probe's openat" ctl deploy trace-1
kill "$watcher"
check "the exec probe was seen in c's web space" [ -s "$T_DIR/probes" ]
check "... holding no capability and no fd but stdio" \
	awk '$2 != "0000000000000000" || $3 > 3 { bad = 1 } END { exit bad }' "$T_DIR/probes"
hsdpid=$(sim pid c)
check "control: hsd itself holds capabilities and more fds" \
	[ "$(awk '/^CapEff/ {print $2}' "/proc/$hsdpid/status")" != 0000000000000000 -a "$(ls "/proc/$hsdpid/fd" | wc -l)" -gt 3 ]
# The probe lives about 2 s (three opens 0.6 s apart) and may outlast the
# deploy, which returns at its first report; then it must be gone.
check "nothing of the probe is left in the space" \
	wait_until 10 bash -c "for p in \$(pgrep -x hsd); do [ \"\$(readlink /proc/\$p/ns/pid)\" != '$webns' ] || exit 1; done"
# /etc/shadow is hidden from spaces: the attempt to read it is what trace reports.
on c hsctl space exec web -- sh -c 'sleep 1; cat /etc/shadow >/dev/null 2>&1' || true
check "trace@1 on c reports the server space reading /etc/shadow" t_alert_on c 'trace@1 +ALERT trace web shadow-read .*openat\(.*"/etc/shadow"'
check "rollout to trace-2 succeeds" ctl rollout trace-2 --wait
[ "$T_FAILS" = 0 ] || ctl rollout status --timeline || true
on c hsctl space exec web -- sh -c 'sleep 1; cat /etc/sudoers >/dev/null 2>&1' || true # the read counts, not its result
check "trace@2 reports a sudoers read, a rule trace-1 did not have" t_alert_on c 'trace@2 +ALERT trace web sudoers-read'
# Four instances were started on each host, two of them since retired.
for h in $HOSTS; do
	check "hsctl status on $h counts its 2 running instances, not the retired ones" \
		bash -c "$SIM --id $T_ID exec $h -- hsctl --json status | jqe '.instances == 2'"
done
check "the web servers kept serving throughout" bash -c "$SIM --id $T_ID exec b -- curl -s --max-time 3 http://192.0.2.3/ | grep -q 'hello from c'"
t_sanitizer_check
t_done
