#!/bin/sh
# run.sh - trace: watch openat and execve of every monitored server space.
#
# One "hstrace --syscalls openat,execve space" per server (its broker
# socket is /run/hsd-trace/SERVER.sock); grep keeps
# only events that can match a rule (hstrace can be busy), and rules.sh
# names the rule.  Each hit becomes
#   ALERT trace SERVER RULE EVENT
# where EVENT is hstrace's line, e.g.
#   12:00:01.123456 pid 7 openat(AT_FDCWD, "/etc/shadow", O_RDONLY) = 3
# so the probe's path, and with it the token, appears verbatim.
set -u

. ./rules.sh

watch_server() { # server
	while :; do
		hstrace --socket "/run/hsd-trace/$1.sock" --syscalls openat,execve space 2>&1 |
		grep --line-buffered -E "$PREFILTER" |
		while IFS= read -r ev; do
			r=$(rule "$ev")
			[ -n "$r" ] && echo "ALERT trace $1 $r $ev"
		done
		echo "trace: $1: hstrace ended; restarting in 1 s"
		sleep 1
	done
}

[ -n "${HSD_SERVERS:-}" ] || echo "trace: no monitored servers; idle"
for s in ${HSD_SERVERS:-}; do
	watch_server "$s" &
done
echo "trace: watching ${HSD_SERVERS:-nothing} as ${HSD_INSTANCE:-trace}"
# Stay up even with nothing to watch: hsd treats exit as a failure.
while :; do wait; sleep 60; done
