# bench_lib.sh - pieces the benchmarks share (sourced after tests/lib.sh).

# bench_tree DIR FILES: FILES files of 2 KiB, 100 per directory DIR/dN.
bench_tree() {
	local d f
	for d in $(seq 0 $((($2 - 1) / 100))); do
		mkdir -p "$1/d$d"
		for f in $(seq 0 99); do
			[ $((d * 100 + f)) -lt "$2" ] && head -c 2048 /dev/urandom >"$1/d$d/f$f"
		done
	done
}

# bench_web: the simulated hosts up, and on host a a server space "web"
# whose lighttpd serves a 4 KiB page on published port 80.
bench_web() {
	sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
	on a hsctl space create web --kind server --publish 80:8080 -- sh -c "mkdir -p /srv/www && head -c 4096 /dev/zero >/srv/www/index.html &&
		printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' 'index-file.names = (\"index.html\")' >/etc/lt.conf &&
		exec lighttpd -D -f /etc/lt.conf" >/dev/null
}
