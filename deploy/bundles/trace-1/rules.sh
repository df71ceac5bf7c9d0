# rules.sh - trace-1 rules over hstrace event lines (sourced by run.sh).

# Cheap first cut, run by grep on every event.
PREFILTER='"/etc/shadow"|"/var/lib/hsd-probe/|^[0-9:.]+ pid [0-9]+ execve\("[^"]*/(nc|ncat|netcat|socat|wget|curl)"'

# Print the rule an event breaks, or nothing.
rule() { # event line
	case $1 in
	*' openat('*'"/etc/shadow"'*) echo shadow-read ;;
	*' openat('*'"/var/lib/hsd-probe/'*) echo probe-path ;;
	*' execve("'*/nc'"'* | *' execve("'*/ncat'"'* | *' execve("'*/netcat'"'*) echo netcat-exec ;;
	*' execve("'*/socat'"'*) echo socat-exec ;;
	*' execve("'*/wget'"'* | *' execve("'*/curl'"'*) echo download-exec ;;
	esac
}
