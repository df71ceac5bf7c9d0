# tests/lib.sh - shared helpers for integration tests (sourced).
#
# Every test gets a unique simulation id and a scratch directory, and
# cleans both up on exit, whether it passed or failed.
set -Eeuo pipefail

HSD_SOURCE=${HSD_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HSD_BUILD=${HSD_BUILD:-$HSD_SOURCE/build}
export HSD_BUILD HSD_SOURCE
HSD=$HSD_BUILD/hsd/hsd
HSCTL=$HSD_BUILD/hsd/hsctl
SIM=$HSD_SOURCE/deploy/sim

# Unique per run: pid plus a random suffix, short enough for interface names.
T_ID=t$(printf '%x' $$)$(head -c2 /dev/urandom | od -An -tx1 | tr -d ' \n')
T_DIR=$(mktemp -d "/tmp/hs-test-$T_ID.XXXXXX")
T_FAILS=0
T_CHECKS=0
T_CLEANUP=()

t_cleanup() {
	local rc=$?
	# A failed run keeps the end of every hsd's log in the test output:
	# down removes the logs with the rest.
	if [ "$rc" -ne 0 ] && [ -f "/var/lib/hs-sim/$T_ID/hosts" ]; then
		for h in $(cat "/var/lib/hs-sim/$T_ID/hosts"); do
			echo "--- hsd log of $h: the last warnings and errors, then its end"
			grep -E 'hsd\[(warn|error)\]' "/var/lib/hs-sim/$T_ID/$h/hsd.log" 2>/dev/null | tail -30 || true
			tail -10 "/var/lib/hs-sim/$T_ID/$h/hsd.log" 2>/dev/null || true
		done
	fi
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[i]}" || true; done
	"$SIM" --id "$T_ID" down >/dev/null 2>&1 || true
	rm -rf "$T_DIR"
	exit $rc
}
trap t_cleanup EXIT
on_exit() { T_CLEANUP+=("$*"); }

# sim ARGS: deploy/sim on the test's simulation.  After "up", hsctl signs
# the rollouts and deploys the test asks for with the simulation's operator
# key (HSD_OPERATOR_KEY, which the hosts' commands inherit).
sim() {
	"$SIM" --id "$T_ID" "$@" || return
	if [ "$1" = up ]; then
		HSD_OPERATOR_KEY=$("$SIM" --id "$T_ID" key) && export HSD_OPERATOR_KEY
	fi
}
on() { local h=$1; shift; sim exec "$h" -- "$@"; }

say() { printf '%s\n' "$*"; }
pass() { T_CHECKS=$((T_CHECKS + 1)); say "ok   $*"; }
fail() { T_CHECKS=$((T_CHECKS + 1)); T_FAILS=$((T_FAILS + 1)); say "FAIL $*"; }
check() { # check "description" command...
	local what=$1; shift
	if "$@" >/dev/null; then pass "$what"; else fail "$what"; fi
}
# expect_fail CODE "description" command...: exits with CODE, one-line stderr
# naming PATTERN (given in $T_PATTERN when set).
expect_exit() {
	local code=$1 what=$2; shift 2
	local out rc=0
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" -ne "$code" ]; then fail "$what: exit $rc, want $code ($out)"; return; fi
	if [ "$(printf '%s' "$out" | wc -l)" -ne 0 ]; then fail "$what: error is not one line: $out"; return; fi
	if [ -n "${T_PATTERN:-}" ] && ! grep -q -- "$T_PATTERN" <<<"$out"; then
		fail "$what: error does not mention \"$T_PATTERN\": $out"; return
	fi
	pass "$what ($out)"
}
# jqe FILTER...: jq -e, except that no input at all is a failure (jq -e
# accepts it), so a check cannot pass because a command printed nothing.
jqe() {
	local in
	in=$(cat)
	[ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null
}
export -f jqe

# t_peer_call HOST [hs_peer_call options] FROM_ADDR TO_ADDR CMD ARGS_JSON:
# root on HOST speaks the peer protocol by hand, sealed with HOST's own
# WireGuard key (tests/tools/hs_peer_call.c), as a compromised host can.
t_peer_call() {
	local h=$1; shift
	on "$h" nsenter --net=/run/hsd/mesh.netns -- "$HSD_BUILD/tests/tools/hs_peer_call" \
		--key "/var/lib/hs-sim/$T_ID/$h/state/private.key" \
		--cluster "/var/lib/hs-sim/$T_ID/cluster.json" "$@"
}

# t_alerts HOST [ARGS]: HOST's stored alerts (hsctl alerts, the last 10000).
t_alerts() { local h=$1; shift; "$SIM" --id "$T_ID" exec "$h" -- hsctl alerts --last 10000 "$@"; }
# t_alert_on HOST REGEX [SECONDS]: one of HOST's alerts matches REGEX
# within SECONDS (15).
t_alert_on() {
	wait_until "${3:-15}" bash -c "$SIM --id $T_ID exec $1 -- hsctl alerts --last 10000 | grep -qE -- '$2'"
}

# t_web HOST: on HOST a server space "web" whose lighttpd serves "hello
# from HOST" on the host's published port 80.
t_web() {
	on "$1" hsctl space create web --kind server --publish 80:8080 -- sh -c "
		mkdir -p /srv/www && echo 'hello from $1' >/srv/www/index.html &&
		printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' \
			'index-file.names = (\"index.html\")' >/etc/lt.conf &&
		exec lighttpd -D -f /etc/lt.conf" >/dev/null
}

# t_sign DIR: sign the bundle DIR with the simulation's operator key into a
# new file under $T_DIR (never into the repository); prints its path, for
# "hsctl bundle add DIR --sig $(t_sign DIR)".
t_sign() {
	local out
	out=$(mktemp "$T_DIR/sig-XXXXXX")
	"$HSCTL" bundle sign "$1" --key "$(sim key)" --out "$out" >/dev/null && echo "$out"
}
# t_det_bundle DIR VERSION: write "det", a quick shell IDS that reports each
# new content of a probe file in the servers it watches, once (its probe is
# a file probe), as the bundle det-VERSION in DIR.
t_det_bundle() {
	mkdir -p "$1"
	cat >"$1/run.sh" <<'EOF'
touch seen
while :; do
	for f in /.serverfs/*/var/lib/hsd-probe/*; do
		[ -f "$f" ] || continue
		sig="$f $(cksum <"$f")"
		grep -qxF "$sig" seen || { echo "$sig" >>seen; echo "ALERT $f"; }
	done
	sleep 0.2
done
EOF
	jq -n --arg v "$2" '{name: "det", version: $v, description: "test detector",
		command: ["sh", "run.sh"], files: ["run.sh"], monitors: ["serverfs"],
		alert: {pattern: "^ALERT "}, probe: {kind: "file", deadline_s: 6}}' >"$1/bundle.json"
}
# t_runs_only HOST BUNDLE VERSION: the host's running instances of BUNDLE
# are of VERSION only.
t_runs_only() {
	"$SIM" --id "$T_ID" exec "$1" -- hsctl --json instance list |
		jqe --arg b "$2" --arg v "$3" '[.instances[] | select(.stopped_ms == 0 and .bundle == $b) | .version] == [$v]'
}
# t_echo_bundle DIR NAME SUBDIR READER: write NAME-1 in DIR, a shell IDS
# that reports hsd's probe file ("ALERT NAME probe PATH") and prints
# "ALERT NAME " then READER's output (e.g. "head -1", "cat") for each new
# file under /SUBDIR of a watched server: whoever controls the server
# chooses that text, as with an IDS that logs a payload.
t_echo_bundle() {
	mkdir -p "$1"
	cat >"$1/run.sh" <<EOF
touch seen
while :; do
	for f in /.serverfs/*/var/lib/hsd-probe/* /.serverfs/*/$3/*; do
		[ -f "\$f" ] || continue
		sig="\$f \$(cksum <"\$f")"
		grep -qxF "\$sig" seen && continue
		echo "\$sig" >>seen
		case \$f in
		*/hsd-probe/*) echo "ALERT $2 probe \$f" ;;
		*) printf 'ALERT $2 '; $4 "\$f" ;;
		esac
	done
	sleep 0.2
done
EOF
	jq -n --arg n "$2" '{name: $n, version: "1", description: "prints what it finds", command: ["sh", "run.sh"],
		files: ["run.sh"], monitors: ["serverfs"], alert: {pattern: "^ALERT "},
		probe: {kind: "file", deadline_s: 20}}' >"$1/bundle.json"
}
# wait_until SECONDS command...: poll every 0.1 s.
wait_until() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
# t_mesh_up HOST...: each host routes to every host given (its own prefix
# included): one check per host that its route count is the number of
# hosts given, so give every running host of the cluster.
t_mesh_up() {
	local h n=$# before=$T_FAILS
	for h in "$@"; do
		check "mesh of $h is up" wait_until "${T_MESH_WAIT:-20}" bash -c \
			"[ \$($SIM --id $T_ID exec $h -- hsctl --json routes | jq '.routes | length') = $n ]"
	done
	[ "$T_FAILS" = "$before" ] || t_mesh_diag
}
# t_mesh_diag: every host's links as hsd and WireGuard see them and its
# last route changes, compact (CI shows a test's output in part only).
t_mesh_diag() {
	local h
	for h in $(sim list); do
		say "--- mesh of $h: routes; links (alive, hello age, handshake, bytes, route packets, wireguard-go)"
		on "$h" hsctl --json routes 2>&1 | jq -c '[.routes[] | "\(.prefix) via \(.via)"]' 2>&1 || true
		on "$h" hsctl --json peers 2>&1 | jq -c '(.peers[] | [.host, .alive, .hello_age_ms,
			.last_handshake_ms, .rx_bytes, .tx_bytes, .route_pkts_in, .route_pkts_out,
			.route_drops, .wg_pid, .wg_restarts]), {engine, route_socket}' 2>&1 || true
		sim log "$h" | grep -E 'mesh: (route|link)|wireguard' | tail -5 | cut -c1-90 || true
		# A link with no handshake: what its wireguard-go said last.
		on "$h" hsctl --json peers 2>/dev/null | jq -r '.peers[] | select(.last_handshake_ms == 0) | .host' |
			while read -r p; do
				say "wireguard-go of $h's link to $p:"
				on "$h" sh -c 'tail -q -n 400 /run/wireguard/hsm*.log' 2>/dev/null |
					grep -iE 'handshake|invalid|fail|error' | tail -6 | cut -c1-110 || true
			done
	done
}
# Stop every hsd the test started (SIGTERM: a sanitizer build checks for
# leaks at exit) and fail on any sanitizer report in their logs.
t_sanitizer_check() {
	local h
	if [ -d "/var/lib/hs-sim/$T_ID" ]; then
		# All at once: each stop waits for its hsd's exit (and leak check).
		local stops=()
		for h in $(sim list); do sim stop "$h" & stops+=($!); done
		for h in "${stops[@]}"; do wait "$h" || true; done
		for h in $(sim list); do
			if sim log "$h" | grep -q -E 'Sanitizer|runtime error:'; then
				fail "sanitizer report in hsd on $h:"; sim log "$h" | grep -A30 -E 'Sanitizer|runtime error:' | head -60
			fi
		done
	fi
	for f in "$T_DIR"/*.log; do
		[ -f "$f" ] || continue
		if grep -q -E 'Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in $f:"; grep -A30 -E 'Sanitizer|runtime error:' "$f" | head -60
		fi
	done
}
t_done() {
	t_sanitizer_check
	say "$((T_CHECKS - T_FAILS)) passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ]
}
