#!/bin/sh
# run.sh - ngrep-1: payload signatures on every packet the host sees.
#
# mon0 carries a copy of every packet of the host's interfaces and server
# veths.  ngrep prints each matching packet as one line:
#   U 10.0.0.1:40000 -> 10.0.0.2:9 hsd-probe abcdefghij123456
# and each becomes "ALERT ngrep SRC -> DST PAYLOAD" (payload cut to 200
# bytes; the probe marker sits at its start, so the token survives).
set -u

IFACE=${NGREP_IFACE:-mon0}   # overridable only to try the script elsewhere
SIGS='hsd-probe|/etc/passwd|cmd\.exe|<script>'

echo "ngrep: watching $IFACE as ${HSD_INSTANCE:-ngrep}"
while :; do
	# -l: line-buffered output, so each alert reaches hsd at once.
	ngrep -l -q -d "$IFACE" -W single "$SIGS" 2>&1 |
	while IFS= read -r line; do
		case $line in
		[A-Z]\ *\ -\>\ *)
			set -f
			# shellcheck disable=SC2086
			set -- $line
			set +f
			proto=$1 src=$2 dst=$4
			shift 4
			payload=$(printf '%s' "$*" | cut -c1-200)
			echo "ALERT ngrep $proto $src -> $dst $payload"
			;;
		"") ;;
		*) echo "ngrep: $line" ;;
		esac
	done
	echo "ngrep: ngrep exited; restarting in 1 s"
	sleep 1
done
