#!/usr/bin/env bash
# Debian's Tripwire as an IDS bundle, for real on two simulated hosts:
# tripwire-1 deploys (each host's instance reports hsd's file probe),
# stays quiet while nothing changes, reports a page changed in host a's
# web server space and nothing on host b; each instance made keys of its
# own; a rollout to tripwire-2 (another policy: a new baseline) completes
# and the new version reports what only it watches; a rollout to a version
# with the same policy takes over the database, signed again with its own
# key.
source "$(dirname "$0")/../lib.sh"

BUNDLES=$HSD_SOURCE/deploy/bundles
STATE=/var/lib/hsd-tripwire
sim up "$HSD_SOURCE/deploy/examples/pair.json" >/dev/null
for h in a b; do
	on "$h" hsctl space create web --kind server -- sh -c "
		mkdir -p /srv/www && echo 'hello from $h' >/srv/www/index.html && exec sleep infinity" >/dev/null
done
t_mesh_up a b
# tripwire-3: tripwire-2 under another version, so its policy is the same.
mkdir -p "$T_DIR/tripwire-3"
cp "$BUNDLES/tripwire-2/"* "$T_DIR/tripwire-3/"
jq '.version = "3"' "$BUNDLES/tripwire-2/bundle.json" >"$T_DIR/tripwire-3/bundle.json"
for b in "$BUNDLES/tripwire-1" "$BUNDLES/tripwire-2" "$T_DIR/tripwire-3"; do
	on a hsctl bundle add "$b" --sig "$(t_sign "$b")" >/dev/null
done

# ins HOST INSTANCE CMD...: run CMD in the instance's audit space on HOST.
ins() { local h=$1 i=$2; shift 2; on "$h" hsctl space exec "$i" -- "$@"; }

# --- tripwire-1 ----------------------------------------------------------
start=$SECONDS
check "tripwire-1 deploys: every host's instance reports the file probe" on a hsctl deploy tripwire-1
say "     (deploy took $((SECONDS - start)) s)"
for h in a b; do
	check "$h runs a verified tripwire@1" bash -c "$SIM --id $T_ID exec $h -- hsctl --json instance list |
		jqe '.instances[] | select(.space == \"tripwire@1\" and .verified_ms > 0)'"
done
# hsd may write the probe file before the baseline is built: then Tripwire
# sees it changed rather than added.
check "the probe was reported as Tripwire sees it: a file added or changed under /var/lib/hsd-probe" \
	bash -c "$SIM --id $T_ID exec a -- hsctl alerts --probes --last 10000 |
		grep -qE 'tripwire@1 +(yes|-) +ALERT tripwire web (added|modified) /var/lib/hsd-probe/[a-z0-9]{16}$'"
# Control: two checks (one every 3 to 4 s) with nothing changed report nothing but
# the probe's own files.
sleep 8
for h in a b; do
	check "control: no alert on $h but the probe's while nothing changes" \
		bash -c "! $SIM --id $T_ID exec $h -- hsctl alerts --last 10000 | grep 'ALERT tripwire' | grep -v ' /var/lib/hsd-probe'"
done

# Each instance made its own keys, private to its space.
ka=$(ins a tripwire@1 sha256sum "$STATE/keys/tripwire@1/local.key" "$STATE/keys/tripwire@1/site.key" | cut -d' ' -f1)
kb=$(ins b tripwire@1 sha256sum "$STATE/keys/tripwire@1/local.key" "$STATE/keys/tripwire@1/site.key" | cut -d' ' -f1)
check "each instance has a site and a local key of its own (a's differ from b's)" \
	bash -c "[ \$(wc -l <<<'$ka') = 2 ] && [ \$(wc -l <<<'$kb') = 2 ] && [ -z \"\$(comm -12 <(sort <<<'$ka') <(sort <<<'$kb'))\" ]"
check "keys and passphrases are readable by the space's root only" \
	bash -c "[ \"\$($SIM --id $T_ID exec a -- hsctl space exec tripwire@1 -- stat -c %a $STATE/keys/tripwire@1 $STATE/keys/tripwire@1/local.pass $STATE/keys/tripwire@1/site.key | sort -u)\" = \"600
700\" ]"
check "the database is signed with the instance's local key" \
	bash -c "$SIM --id $T_ID exec a -- hsctl space exec tripwire@1 -- twadmin --examine --cfgfile $STATE/tw.cfg $STATE/tw.twd |
		grep -q 'Local Keyfile: $STATE/keys/tripwire@1/local.key'"

# The attack: a's web page is replaced.
on a hsctl space exec web -- sh -c 'echo defaced >/srv/www/index.html'
check "tripwire@1 on a reports the changed page" t_alert_on a 'tripwire@1 +ALERT tripwire web modified /srv/www/index.html$' 20
check "... once" bash -c "[ \$($SIM --id $T_ID exec a -- hsctl alerts --last 10000 | grep -c 'ALERT tripwire web modified /srv/www/index.html') = 1 ]"
check "control: b, whose page did not change, reports nothing of it" \
	bash -c "! $SIM --id $T_ID exec b -- hsctl alerts --last 10000 | grep -q index.html"

# --- rollout to tripwire-2: another policy, a new baseline ------------------
start=$SECONDS
check "rollout to tripwire-2 completes" on a hsctl rollout tripwire-2 --max-parallel 2 --wait
say "     (rollout took $((SECONDS - start)) s)"
for h in a b; do
	check "$h runs tripwire@2 only" t_runs_only "$h" tripwire 2
done
check "tripwire@2 built a new baseline (its policy is not tripwire-1's)" \
	bash -c "$SIM --id $T_ID exec a -- hsctl space exec tripwire@2 -- tail -1 $STATE/db.history | grep -qx 'tripwire@2 baseline'"
check "... and kept no key of tripwire@1" \
	bash -c "[ \"\$($SIM --id $T_ID exec a -- hsctl space exec tripwire@2 -- ls $STATE/keys)\" = tripwire@2 ]"
on a hsctl space exec web -- sh -c 'mkdir -p /usr/local/bin && echo "#!/bin/sh" >/usr/local/bin/backdoor'
check "tripwire@2 reports a program added to /usr/local/bin, which only it watches" \
	t_alert_on a 'tripwire@2 +ALERT tripwire web added /usr/local/bin/backdoor$' 20

# --- rollout to tripwire-3: the same policy, the database goes along -------
start=$SECONDS
check "rollout to tripwire-3 (tripwire-2's policy) completes" on a hsctl rollout tripwire-3 --max-parallel 2 --wait
say "     (rollout took $((SECONDS - start)) s)"
for h in a b; do
	check "$h runs tripwire@3 only" t_runs_only "$h" tripwire 3
	check "tripwire@3 on $h took over tripwire@2's database" \
		bash -c "$SIM --id $T_ID exec $h -- hsctl space exec tripwire@3 -- tail -1 $STATE/db.history | grep -qx 'tripwire@3 inherited tripwire@2'"
done
check "... signed again with its own local key, tripwire@2's deleted" \
	bash -c "$SIM --id $T_ID exec a -- hsctl space exec tripwire@3 -- twadmin --examine --cfgfile $STATE/tw.cfg $STATE/tw.twd |
		grep -q 'Local Keyfile: $STATE/keys/tripwire@3/local.key' &&
		[ \"\$($SIM --id $T_ID exec a -- hsctl space exec tripwire@3 -- ls $STATE/keys)\" = tripwire@3 ]"
on a hsctl space exec web -- rm /usr/local/bin/backdoor
check "tripwire@3 keeps watching: it reports the program removed" \
	t_alert_on a 'tripwire@3 +ALERT tripwire web removed /usr/local/bin/backdoor$' 20
if [ "$T_FAILS" != 0 ]; then # what the instances said (their console logs) and found
	for h in a b; do
		for i in tripwire@1 tripwire@2 tripwire@3; do
			say "--- $i on $h"
			on "$h" sh -c "tail -20 /var/lib/hsd/layers/$i/console.log" 2>/dev/null || true
		done
	done
	t_alerts a || true
fi
t_done
