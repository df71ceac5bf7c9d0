# report.awk - turn an AIDE report into one ALERT line per entry (aide-1).
# Entries look like "f+++++++++++++++++: /srv/new" under the
# "Added entries:", "Removed entries:" and "Changed entries:" headings.
/^Added entries:/   { section = "added"; next }
/^Removed entries:/ { section = "removed"; next }
/^Changed entries:/ { section = "changed"; next }
/^Detailed information/ { section = ""; next }
section != "" && /^[a-zA-Z!?][^:]*: \// {
	path = $0
	sub(/^[^:]*: /, "", path)
	print "ALERT aide " server " " path
}
