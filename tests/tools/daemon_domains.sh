#!/bin/sh
# daemon_domains.sh SOURCE_DIR: hsd's daemon domains stay apart
# (docs/ARCHITECTURE.md, "Daemon domains").  Each folder under
# hsd/daemon/ is a domain; the files directly in hsd/daemon/ are the core.
# Fails, printing each offence, when
#   - a file includes another domain's private header (*_int.h),
#   - a core header includes a domain's header (the core's headers are
#     what every domain stands on; only the core's .c files, which start
#     the domains, may include them),
#   - the domains' includes of each other make a cycle.
# daemon_domains.sh --selftest: the checks catch a planted offence of each
# kind (and pass a clean tree).
set -u

check() {
	cd "$1/hsd/daemon" || exit 2
	# "FILE INCLUDED" for every #include "..." of the daemon's files.
	find . -name '*.[ch]' | sort | while read -r f; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
			while read -r inc; do
				printf '%s %s\n' "${f#./}" "$inc"
			done
	done | awk -v headers="$(find . -name '*.h' | sed 's|^\./||' | sort)" '
	function domain(path) { return index(path, "/") ? substr(path, 1, index(path, "/") - 1) : "core" }
	function base(path) { sub(/.*\//, "", path); return path }
	BEGIN {
		n = split(headers, h, "\n")
		for (i = 1; i <= n; i++) {
			if (h[i] == "")
				continue
			b = base(h[i])
			if (b in where) {
				print "two daemon headers named " b ": " where[b] " and " h[i]
				bad = 1
			}
			where[b] = h[i]
		}
	}
	{
		file = $1; inc = $2
		# A path with a directory leaves the daemon (../../proto/...).
		if (index(inc, "/") || !(inc in where))
			next
		from = domain(file); to = domain(where[inc])
		if (from == to)
			next
		if (inc ~ /_int\.h$/) {
			print file ": includes " where[inc] ", private to " to
			bad = 1
		}
		if (from == "core" && file ~ /\.h$/) {
			print file ": a core header includes " where[inc] " of domain " to
			bad = 1
		}
		if (from != "core" && to != "core" && !((from, to) in edge)) {
			edge[from, to] = file
			out[from]++
			node[from] = node[to] = 1
		}
	}
	END {
		# Take away, again and again, the domains that include no domain
		# left: what remains is a cycle or leads into one.
		do {
			gone = 0
			for (d in node)
				if (!out[d]) {
					delete node[d]
					gone = 1
					for (k in edge) {
						split(k, p, SUBSEP)
						if (p[2] == d) {
							out[p[1]]--
							delete edge[k]
						}
					}
				}
		} while (gone)
		for (k in edge) {
			split(k, p, SUBSEP)
			print "domain cycle: " p[1] " includes " p[2] " (" edge[k] ")"
			bad = 1
		}
		exit bad
	}'
}

selftest() {
	t=$(mktemp -d) || exit 2
	trap 'rm -rf "$t"' EXIT
	d=$t/hsd/daemon
	mkdir -p "$d/a" "$d/b"
	echo '#include "daemon.h"' >"$d/a/a.c"
	echo '#include "a.h"' >"$d/b/b.c"
	: >"$d/a/a.h"
	: >"$d/a/a_int.h"
	: >"$d/b/b.h"
	: >"$d/daemon.h"
	echo '#include "b.h"' >"$d/main.c"
	(check "$t" >/dev/null) || { echo "selftest: a clean tree fails"; exit 1; }
	echo '#include "a_int.h"' >>"$d/b/b.c"
	(check "$t" | grep -q 'private to a') || { echo "selftest: *_int.h across domains passes"; exit 1; }
	sed -i '$d' "$d/b/b.c"
	echo '#include "b.h"' >>"$d/a/a.c"
	(check "$t" | grep -q 'domain cycle') || { echo "selftest: a cycle passes"; exit 1; }
	sed -i '$d' "$d/a/a.c"
	echo '#include "a.h"' >"$d/daemon.h"
	(check "$t" | grep -q 'core header') || { echo "selftest: a core header into a domain passes"; exit 1; }
	echo "selftest: ok"
}

case "${1:-}" in
--selftest) selftest ;;
"") echo "usage: $0 SOURCE_DIR | --selftest" >&2; exit 2 ;;
*) check "$1" ;;
esac
