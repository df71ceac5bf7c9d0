#!/bin/sh
# run.sh - sagan-2: Debian's Sagan over the syslog of every watched server.
#
# hsd sends this audit space a copy of each message a watched server logs
# (the "syslog" monitor: datagrams on /run/hsd-syslog.sock).  relay.py
# binds that socket, runs Sagan and writes each message to Sagan's named
# pipe in the format Sagan reads; Sagan matches hsd.rules and writes each
# alert to STATE/log/alert.log, which this script follows: report.awk
# prints every alert as one line
#	ALERT sagan SERVER SID SOURCE MSG: MESSAGE
# docs/bundles.md, "Sagan".
set -u

# Overridable only so the script can be tried outside an audit space.
STATE=${SAGAN_STATE:-/var/lib/hsd-sagan}
SOCK=${SAGAN_SOCKET:-/run/hsd-syslog.sock}
DIR=$(pwd)
ME=${HSD_INSTANCE:-sagan}
HSD_SERVERS=${HSD_SERVERS:-}

log() { echo "sagan: $*"; }

# Sagan drops to the user it is given once it has set up, and first makes
# its pipe and files that user's.  An audit space may not give files away
# (no CAP_CHOWN, docs/security.md), so there it stays the space's root,
# which holds no capability that matters to it; where the package's user
# "sagan" can be given the files (a try outside a space), it is that user.
prepare() {
	rm -rf "$STATE/run" "$STATE/ipc" &&
		mkdir -p "$STATE/log" "$STATE/ipc" "$STATE/run" || return 1
	user=root
	if id sagan >/dev/null 2>&1 &&
		chown sagan "$STATE/log" "$STATE/ipc" "$STATE/run" 2>/dev/null; then
		user=sagan
	fi
	# The host's name, as Sagan's sensor name: no spaces, no quotes.
	sensor=$(printf '%s' "${HSD_HOST:-hsd}" | tr -c 'A-Za-z0-9._-' _)
	sed -e "s|@STATE@|$STATE|g" -e "s|@BUNDLE@|$DIR|g" -e "s|@SENSOR@|$sensor|g" \
		"$DIR/sagan.yaml" >"$STATE/sagan.yaml" || return 1
	# Alerts of an earlier run of this instance were reported then.
	: >"$STATE/log/alert.log" && chown "$user" "$STATE/log/alert.log"
}

until prepare; do
	log "cannot set up $STATE; again in 2 s"
	sleep 2
done
[ -n "$HSD_SERVERS" ] || log "no monitored servers; Sagan idles"
log "watching the syslog of ${HSD_SERVERS:-nothing} as $ME (Sagan runs as $user)"

# The relay and Sagan: the relay starts Sagan again when it exits, and
# this loop starts the relay again.  A relay killed outright leaves its
# Sagan behind, stuck at the end of its pipe (a parent-death signal would
# not help: Sagan's change of user clears it), so it is stopped here by
# the pid in its lock file, which only this instance's Sagan writes.
stop_sagan() {
	pid=$(cat "$STATE/run/sagan.pid" 2>/dev/null) || return 0
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	grep -q sagan "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null
	return 0
}
(
	while :; do
		python3 "$DIR/relay.py" "$SOCK" "$STATE/sagan.fifo" "$HSD_SERVERS" -- \
			sagan -f "$STATE/sagan.yaml" -u "$user" -l "$STATE/log/sagan.log"
		log "relay exited (status $?); Sagan's last error: $(grep '^\[E\]' "$STATE/log/sagan.log" 2>/dev/null | tail -1)"
		stop_sagan
		sleep 1
	done
) &

# Sagan's alerts, as it writes them.  mawk (Debian's awk) reads a pipe a
# block at a time unless it is told -W interactive, and an alert would
# wait for the ones after it.  Stay up whatever happens: hsd treats an
# exit as a failure.
set -- awk
case $(awk -W version 2>&1) in *mawk*) set -- awk -W interactive ;; esac
from=+1
while :; do
	tail -n "$from" -F "$STATE/log/alert.log" 2>/dev/null |
		"$@" -v servers="$HSD_SERVERS" -f "$DIR/report.awk"
	log "following the alert log stopped; again in 1 s"
	from=0 # what was read before was reported
	sleep 1
done
