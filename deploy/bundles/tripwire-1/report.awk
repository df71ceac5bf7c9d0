# report.awk - turn "twprint --print-report --report-level 1" into one
# ALERT line per violation (tripwire-1 and -2).  Its lines look like
#	Added:	"/.serverfs/web/srv/new"
# with the name escaped by Tripwire (\x0a for a newline, \" and \\), so each
# stays one line.  The view's prefix (-v serverfs=/.serverfs) and the
# server's name are taken off, so the alert names the server and the path
# as the server sees it:
#	ALERT tripwire web added /srv/new
/^(Added|Removed|Modified):\t"/ {
	kind = tolower(substr($0, 1, index($0, ":") - 1))
	path = substr($0, index($0, "\"") + 1)
	sub(/"$/, "", path)
	server = "?"
	if (index(path, serverfs "/") == 1) {
		path = substr(path, length(serverfs) + 2)
		n = index(path, "/")
		if (n == 0) {
			server = path
			path = "/"
		} else {
			server = substr(path, 1, n - 1)
			path = substr(path, n)
		}
	}
	print "ALERT tripwire " server " " kind " " path
	fflush()
}
