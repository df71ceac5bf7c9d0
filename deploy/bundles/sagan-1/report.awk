# report.awk - turn Sagan's alert log into one ALERT line per alert
# (sagan bundle).  run.sh gives it the log as Sagan writes it and the
# watched servers (-v servers="web db", HSD_SERVERS).  A record of
# Sagan 1.2.0 looks like
#
#	[**] [1:9100002] [HSD-SSH] 5 failed passwords from one source within 60 s [**]
#	[Classification: unsuccessful-user] [Priority: 1] [127.1.0.1]
#	[Alert Time: 12-06-2026 13:55:09.893189]
#	2026-12-06 13:55:09 192.0.2.77:22 -> 127.0.0.1:514 auth warning
#	Message: Failed password for root from 192.0.2.77 port 22 ssh2
#
# and becomes
#
#	ALERT sagan web 9100002 192.0.2.77 [HSD-SSH] 5 failed passwords from one source within 60 s: Failed password for root from 192.0.2.77 port 22 ssh2
#
# The host in the Classification line is the server (127.1.X.Y for the
# Nth server of the list, N = 256 * X + Y: relay.py); the source is "-"
# when Sagan knows no other than the server itself.  The message is the
# last line of a record, so the alert is printed there.  hsd repeats its
# probe (the same token) until it is reported; a probe message a server
# already reported is not reported again.

BEGIN {
	nservers = split(servers, name, " ")
	sid = ""
}

function server_of(ip,    q, n) {
	if (split(ip, q, ".") == 4 && q[1] == "127" && q[2] == "1") {
		n = q[3] * 256 + q[4]
		if (n >= 1 && n <= nservers)
			return name[n]
		return "?"
	}
	return ip
}

/^\[\*\*\] \[[0-9]+:[0-9]+(:[0-9]+)?\] .* \[\*\*\]$/ {
	head = substr($0, 7)                     # after "[**] ["
	split(substr(head, 1, index(head, "]") - 1), id, ":")
	sid = id[2]
	msg = substr(head, index(head, "]") + 2)
	sub(/ \[\*\*\]$/, "", msg)
	host = src = ""
	next
}

sid != "" && /^\[Classification: / {
	host = $NF
	gsub(/[][]/, "", host)
	next
}

# "DATE TIME SRC:PORT -> DST:PORT FACILITY LEVEL"
sid != "" && $4 == "->" && $3 ~ /:[0-9]+$/ {
	src = $3
	sub(/:[0-9]+$/, "", src)
	next
}

sid != "" && /^Message: / {
	text = substr($0, 10)
	if (text ~ /^hsd-probe [a-z0-9]+$/) {
		if ((host " " text) in probes) {
			sid = ""
			next
		}
		probes[host " " text] = 1
	}
	if (src == "" || src == host)
		src = "-"
	print "ALERT sagan " server_of(host) " " sid " " src " " msg ": " text
	fflush()
	sid = ""
}
