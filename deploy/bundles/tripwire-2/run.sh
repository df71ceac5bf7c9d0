#!/bin/sh
# run.sh - tripwire-2: Tripwire over every monitored server space.
#
# At start: a site key and a local key of this instance's own, with
# passphrases drawn from /dev/urandom (twadmin --generate-keys), a
# configuration and a policy (twpol.txt for each server, over
# /.serverfs/SERVER) signed with the site key, and a database signed with
# the local key: the inherited one if it was built from the identical
# policy (its signature checked with the old instance's key, then signed
# again with ours), else a new baseline (tripwire --init).  Then every
# INTERVAL seconds one "tripwire --check" over all servers; each violation
# becomes one line
#	ALERT tripwire SERVER added|removed|modified PATH
# and the database takes the report in (tripwire --update --accept-all
# stores what the check saw, so a change made after the check is still
# reported by the next one).  docs/bundles.md, "Tripwire".
set -u

# Each check costs about a second of CPU whatever it scans (Tripwire seeds
# its crypto for the signed configuration and policy), so one check covers
# every server and they come every few seconds (tripwire-2: every 2 s).
INTERVAL=2
# Overridable only so the script can be tried outside an audit space.
STATE=${TW_STATE:-/var/lib/hsd-tripwire}
SERVERFS=${TW_SERVERFS:-/.serverfs}
ME=${HSD_INSTANCE:-tripwire}
DIR=$(pwd)
RULES=$DIR/twpol.txt
AWK=$DIR/report.awk
KEYS=$STATE/keys/$ME
CFG=$STATE/tw.cfg
POL=$STATE/tw.pol
DB=$STATE/tw.twd

log() { echo "tripwire: $*"; }
# Every tripwire run goes through noatime (below).
tw() { "$STATE/bin/noatime" tripwire "$@"; }
sitepass() { cat "$KEYS/site.pass"; }
localpass() { cat "$KEYS/local.pass"; }

# Keys, passphrases and database are this space's alone.
umask 077

# Two things of the audit space that Debian's tripwire, a static binary,
# cannot take as they are (docs/bundles.md, "Inside the confinement"):
# - Owners: the files of /.serverfs belong to the server's ids, which no
#   /etc/passwd names, so glibc asks the next source of nsswitch.conf,
#   "systemd", and a static binary that loads libnss_systemd crashes
#   (SIGSEGV).  This space's /etc is its own copy: files only.
# - O_NOATIME: tripwire opens what it scans with it, which the kernel
#   refuses (EPERM) to anyone but the owner or a holder of CAP_FOWNER.
#   noatime.c runs tripwire with the flag taken off its opens; the view is
#   read-only, so no access time changes either way.
prepare() {
	mkdir -p "$STATE/bin" || return 1
	# (Only in an audit space: a try outside one, with TW_STATE, must not
	# change the machine's /etc.)
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$STATE/nsswitch.conf" &&
		if [ -z "${TW_STATE:-}" ] && ! cmp -s "$STATE/nsswitch.conf" /etc/nsswitch.conf; then
			cat "$STATE/nsswitch.conf" >/etc/nsswitch.conf || return 1
			log "/etc/nsswitch.conf of this space: files only"
		fi || return 1
	if ! cmp -s "$DIR/noatime.c" "$STATE/bin/noatime.c" || [ ! -x "$STATE/bin/noatime" ]; then
		rm -f "$STATE/bin/noatime" "$STATE/bin/noatime.c" &&
			cc -O2 -o "$STATE/bin/noatime.new" "$DIR/noatime.c" &&
			mv "$STATE/bin/noatime.new" "$STATE/bin/noatime" &&
			cp "$DIR/noatime.c" "$STATE/bin/noatime.c" || { log "cannot build noatime (cc)"; return 1; }
	fi
}

# The keys of this instance, made once: a restart (hsd starting a stopped
# instance again, e.g. in a rollback) finds its own keys and keeps them.
# A passphrase is 32 random base64 characters, kept beside its key and
# readable by this space's root only (docs/bundles.md says what that
# protects and what not).
make_keys() {
	[ -s "$KEYS/site.key" ] && [ -s "$KEYS/local.key" ] && return 0
	rm -rf "$KEYS" && mkdir -p "$KEYS" || return 1
	head -c 24 /dev/urandom | base64 >"$KEYS/site.pass" &&
		head -c 24 /dev/urandom | base64 >"$KEYS/local.pass" || return 1
	# The two at once: each spends about a second of CPU seeding its crypto.
	twadmin --generate-keys --site-keyfile "$KEYS/site.key" \
		--site-passphrase "$(sitepass)" >/dev/null &
	site=$!
	twadmin --generate-keys --local-keyfile "$KEYS/local.key" \
		--local-passphrase "$(localpass)" >/dev/null
	lrc=$?
	wait "$site" && [ "$lrc" = 0 ] || {
		rm -rf "$KEYS"
		return 1
	}
	log "keys generated for $ME"
}

# The configuration (file locations of this instance; report level 1, one
# line per violation; no mail, no syslog) and the policy, both signed.
# CROSSFILESYSTEMS: a view of an overlay shows a directory on the overlay's
# device and a file on its layer's, and Tripwire would take every file for
# another filesystem and record it as "Invalid", unchecked.
make_cfg() {
	mkdir -p "$STATE/tmp" || return 1
	cat >"$STATE/twcfg.txt" <<EOF || return 1
ROOT          =/usr/sbin
POLFILE       =$POL
DBFILE        =$DB
REPORTFILE    =$STATE/check.twr
SITEKEYFILE   =$KEYS/site.key
LOCALKEYFILE  =$KEYS/local.key
EDITOR        =/bin/false
LATEPROMPTING =false
LOOSEDIRECTORYCHECKING =true
CROSSFILESYSTEMS =true
MAILNOVIOLATIONS =false
EMAILREPORTLEVEL =0
REPORTLEVEL   =1
SYSLOGREPORTING =false
MAILMETHOD    =SENDMAIL
MAILPROGRAM   =/bin/false
TEMPDIRECTORY =$STATE/tmp
EOF
	twadmin --create-cfgfile --cfgfile "$CFG" --site-keyfile "$KEYS/site.key" \
		--site-passphrase "$(sitepass)" "$STATE/twcfg.txt" >/dev/null || return 1
	{
		echo "@@section FS"
		for s in $HSD_SERVERS; do
			echo "S = $SERVERFS/$s ;"
			cat "$RULES"
		done
	} >"$STATE/twpol.txt" || return 1
	twadmin --create-polfile --cfgfile "$CFG" --polfile "$POL" \
		--site-keyfile "$KEYS/site.key" --site-passphrase "$(sitepass)" \
		"$STATE/twpol.txt" >/dev/null || { log "the policy does not compile"; return 1; }
}

# The database: kept if it was built from the same policy (the rules and
# the servers; comments aside) by the same Tripwire, else built anew.
baseline() {
	sum=$({
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$STATE/twpol.txt"
		tw --version 2>&1 | grep -m1 "Tripwire(R)"
	} | sha256sum | cut -d' ' -f1)
	owner=$(cat "$STATE/db.owner" 2>/dev/null)
	if [ -f "$DB" ] && [ "$(cat "$STATE/db.policy" 2>/dev/null)" = "$sum" ] && [ -n "$owner" ]; then
		if [ "$owner" = "$ME" ]; then
			log "keeping this instance's database"
			return 0
		fi
		# Inherited: signed with the previous instance's local key, which
		# came along in its files.  Its signature must verify; then it is
		# signed with our key.  The previous instance still runs and may be
		# rewriting its database under us (our files start as a view of
		# its), so we work on a copy and try a few times: a copy caught
		# half-written does not verify.
		old=$STATE/keys/$owner
		tries=5
		while [ -s "$old/local.key" ] && [ "$tries" -gt 0 ]; do
			tries=$((tries - 1))
			if cp "$DB" "$STATE/inherit.twd" &&
				twadmin --remove-encryption --cfgfile "$CFG" --local-keyfile "$old/local.key" \
					--local-passphrase "$(cat "$old/local.pass")" "$STATE/inherit.twd" >/dev/null 2>&1 &&
				twadmin --encrypt --cfgfile "$CFG" --local-keyfile "$KEYS/local.key" \
					--local-passphrase "$(localpass)" "$STATE/inherit.twd" >/dev/null 2>&1 &&
				mv "$STATE/inherit.twd" "$DB"; then
				rm -f "$STATE/inherit.twd.bak"
				echo "$ME" >"$STATE/db.owner"
				echo "$ME inherited $owner" >>"$STATE/db.history"
				log "inherited the database of $owner (same policy), signed again"
				return 0
			fi
			sleep 1
		done
		rm -f "$STATE/inherit.twd" "$STATE/inherit.twd.bak"
		log "the inherited database of $owner does not verify; new baseline"
	elif [ -f "$DB" ]; then
		log "the inherited database was built from another policy; new baseline"
	fi
	rm -f "$DB" "$DB.bak" "$STATE/db.owner" "$STATE/db.policy"
	tw --init --cfgfile "$CFG" --polfile "$POL" --dbfile "$DB" \
		--local-passphrase "$(localpass)" --quiet >"$STATE/init.log" 2>&1 || {
		log "tripwire --init failed: $(tail -3 "$STATE/init.log" | tr '\n' ' ')"
		return 1
	}
	echo "$sum" >"$STATE/db.policy" && echo "$ME" >"$STATE/db.owner" || return 1
	echo "$ME baseline" >>"$STATE/db.history"
	log "baseline built"
}

# Tripwire repeats its warnings (a watched directory a server does not
# have) at every check: the log gets them when they change, not each time.
warnings() {
	if ! cmp -s "$STATE/check.err" "$STATE/warnings"; then
		sed 's/^/tripwire: /' "$STATE/check.err"
		mv "$STATE/check.err" "$STATE/warnings"
	fi
}

check() {
	rm -f "$STATE/check.twr"
	tw --check --cfgfile "$CFG" --polfile "$POL" --dbfile "$DB" \
		--twrfile "$STATE/check.twr" --quiet --no-tty-output 2>"$STATE/check.err"
	rc=$?
	warnings
	# Exit status: 1 added, 2 removed, 4 modified (or'ed), 8 an error.
	if [ "$rc" -ge 8 ]; then
		log "tripwire --check failed (status $rc)"
	elif [ "$rc" -gt 0 ] && [ -f "$STATE/check.twr" ]; then
		twprint --print-report --cfgfile "$CFG" --twrfile "$STATE/check.twr" \
			--report-level 1 2>/dev/null | awk -v serverfs="$SERVERFS" -f "$AWK"
		tw --update --accept-all --cfgfile "$CFG" --polfile "$POL" --dbfile "$DB" \
			--twrfile "$STATE/check.twr" --local-passphrase "$(localpass)" \
			>/dev/null 2>"$STATE/update.err" ||
			log "tripwire --update failed: $(tail -3 "$STATE/update.err" | tr '\n' ' ')"
	fi
}

HSD_SERVERS=${HSD_SERVERS:-}
if [ -z "$HSD_SERVERS" ]; then
	# Stay up even with nothing to watch: hsd treats exit as a failure.
	log "no monitored servers; idle"
	while :; do sleep 3600; done
fi
until prepare && make_keys && make_cfg && baseline; do
	log "cannot set up; again in $INTERVAL s"
	sleep "$INTERVAL"
done
# Keys of earlier instances came along only to hand over their database.
for k in "$STATE"/keys/*; do
	[ "$k" = "$KEYS" ] || rm -rf "$k"
done
log "watching $HSD_SERVERS as $ME"
while :; do
	check
	sleep "$INTERVAL"
done
