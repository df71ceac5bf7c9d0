#!/bin/sh
# run.sh - aide-2: file integrity of every monitored server space.
#
# Per server: a baseline AIDE database over /.serverfs/SERVER, then every
# INTERVAL seconds "aide --update" (check and write a new database), one
# ALERT line naming the kind of change (added, removed, changed) per
# entry, and the new database replaces the old one so each change is reported once.
set -u

INTERVAL=1
# Overridable only so the script can be tried outside an audit space.
STATE=${AIDE_STATE:-/var/lib/hsd-aide}
SERVERFS=${AIDE_SERVERFS:-/.serverfs}
CONF=/bundle/aide.conf
[ -f "$CONF" ] || CONF=$(pwd)/aide.conf
AWK=$(dirname "$CONF")/report.awk

log() { echo "aide: $*"; }

aide_run() { # server, aide arguments...
	srv=$1
	shift
	aide -c "$CONF" -B "root_prefix=$SERVERFS/$srv" -B "@@define DB $STATE/$srv" "$@"
}

# A database built with other rules would report every entry as changed:
# reuse an inherited one only if it was built from this exact config.
baseline() { # server
	db=$STATE/$1
	mkdir -p "$db" || return 1
	sum=$(sha256sum "$CONF" | cut -d' ' -f1)
	if [ -f "$db/aide.db" ] && [ "$(cat "$db/conf.sha256" 2>/dev/null)" = "$sum" ]; then
		log "$1: reusing inherited database"
		return 0
	fi
	rm -f "$db/aide.db" "$db/aide.db.new"
	aide_run "$1" --init >/dev/null 2>&1 || { log "$1: aide --init failed"; return 1; }
	mv "$db/aide.db.new" "$db/aide.db" && echo "$sum" > "$db/conf.sha256"
	log "$1: baseline built"
}

watch_server() { # server
	until baseline "$1"; do sleep "$INTERVAL"; done
	while :; do
		# Exit status 1-7 means "differences found"; >= 14 is an error.
		aide_run "$1" --update 2>&1 | awk -v server="$1" -f "$AWK"
		if [ -f "$STATE/$1/aide.db.new" ]; then
			mv "$STATE/$1/aide.db.new" "$STATE/$1/aide.db"
		else
			log "$1: aide --update wrote no database"
		fi
		sleep "$INTERVAL"
	done
}

[ -n "${HSD_SERVERS:-}" ] || log "no monitored servers; idle"
for s in ${HSD_SERVERS:-}; do
	watch_server "$s" &
done
log "watching ${HSD_SERVERS:-nothing} as ${HSD_INSTANCE:-aide}"
# Stay up even with nothing to watch: hsd treats exit as a failure.
while :; do wait; sleep 60; done
