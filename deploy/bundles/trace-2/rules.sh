# rules.sh - trace-2 rules over hstrace event lines (sourced by run.sh).
# Beyond trace-1: "sh -c" style shells (what a web server exploited into
# running a command looks like), /etc/gshadow and sudoers reads, SSH keys.

# Cheap first cut, run by grep on every event.
PREFILTER='"/etc/(g?shadow|sudoers)"|"/var/lib/hsd-probe/|"/root/\.ssh/|^[0-9:.]+ pid [0-9]+ execve\("[^"]*/(nc|ncat|netcat|socat|wget|curl)"|execve\("[^"]*/(sh|bash|dash)", \[[^]]*"-c"'

# Print the rule an event breaks, or nothing.
rule() { # event line
	case $1 in
	*' openat('*'"/etc/shadow"'* | *' openat('*'"/etc/gshadow"'*) echo shadow-read ;;
	*' openat('*'"/etc/sudoers"'*) echo sudoers-read ;;
	*' openat('*'"/root/.ssh/'*) echo ssh-key-read ;;
	*' openat('*'"/var/lib/hsd-probe/'*) echo probe-path ;;
	*' execve("'*/nc'"'* | *' execve("'*/ncat'"'* | *' execve("'*/netcat'"'*) echo netcat-exec ;;
	*' execve("'*/socat'"'*) echo socat-exec ;;
	*' execve("'*/wget'"'* | *' execve("'*/curl'"'*) echo download-exec ;;
	*' execve("'*/sh'", ['*'"-c"'* | *' execve("'*/bash'", ['*'"-c"'* | \
	*' execve("'*/dash'", ['*'"-c"'*) echo shell-c-exec ;;
	esac
}
