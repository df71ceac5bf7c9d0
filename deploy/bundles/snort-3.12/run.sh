#!/bin/sh
# run.sh - snort-3.12: Snort 3 on mon0 with hsd's rules (hsd.rules).
#
# Snort is not a Debian package.  deploy/bundles/snort3/build builds it
# from its source archives into /usr/local/lib/hsd-snort3/KEY, KEY naming
# the archives' hashes and the build recipe; an audit space sees the
# host's /usr read-only (docs/security.md), so the bundle names the build
# it runs by KEY and ships no binary (docs/bundles.md, "Snort 3").  A host
# without that build prints why every 10 s and is never verified.
#
# Snort writes one alert_csv line per alert to stdout (snort.lua);
# report.awk turns each into
#   ALERT snort SID PROTO SRC -> DST MSG: PAYLOAD
set -u

KEY=4654e0c426656ffe   # deploy/bundles/snort3/build prints .../KEY
PREFIX=${SNORT_PREFIX:-/usr/local/lib/hsd-snort3/$KEY} # overridable only to
IFACE=${SNORT_IFACE:-mon0}                             # try the script
STATE=${SNORT_STATE:-/var/lib/hsd-snort}               # outside a space
HERE=$(pwd)

mkdir -p "$STATE"
echo "snort: watching $IFACE as ${HSD_INSTANCE:-snort} with $PREFIX"
while :; do
	if [ ! -x "$PREFIX/bin/snort" ]; then
		echo "snort: no build $KEY at $PREFIX: run deploy/bundles/snort3/build on this host; again in 10 s"
		sleep 10
		continue
	fi
	# -k none: copies taken before a NIC or veth fills in checksums carry
	# wrong ones, and Snort would not inspect those packets.
	# buffer_size_mb: afpacket's ring, 128 MB unless told; 16 MB holds
	# about a second of a busy 100 Mbit/s link.
	# Snort writes alerts to stdout with stdio, which holds a pipe's
	# output in blocks: stdbuf -oL makes it a line at a time; mawk reads a
	# pipe a block at a time unless -W interactive.
	stdbuf -oL "$PREFIX/bin/snort" -q -c "$HERE/snort.lua" -R "$HERE/hsd.rules" \
		--daq afpacket --daq-mode passive --daq-var buffer_size_mb=16 -i "$IFACE" -k none -z 1 -l "$STATE" 2>&1 |
		awk -W interactive -f "$HERE/report.awk"
	echo "snort: snort exited; restarting in 1 s"
	sleep 1
done
