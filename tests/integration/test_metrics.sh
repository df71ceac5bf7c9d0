#!/usr/bin/env bash
# Metrics (docs/metrics.md): `hsctl metrics` passes promtool's lint, and a
# real Prometheus server scraping hsd --metrics on a simulated host sees
# its spaces, mesh links and peer counters, and sees them change.  The
# listener answers only GET /metrics and holds at most 16 connections,
# each for at most 5 s.
source "$(dirname "$0")/../lib.sh"

cat >"$T_DIR/pair.json" <<'JSON'
{
  "cluster": "pair",
  "overlay": "10.93.0.0/16",
  "hosts": [
    {"name": "a", "endpoint": "192.0.2.1:51820", "public_key": "", "prefix": "10.93.1.0/24"},
    {"name": "b", "endpoint": "192.0.2.2:51820", "public_key": "", "prefix": "10.93.2.0/24"}
  ]
}
JSON
HSD_ARGS="--metrics 127.0.0.1:9469" sim up "$T_DIR/pair.json" >/dev/null
t_mesh_up a b
on a hsctl space create web --kind server -- sleep 100000 >/dev/null
URL=http://127.0.0.1:9469/metrics

check "hsctl metrics passes promtool check metrics" \
	bash -c "$SIM --id $T_ID exec a -- hsctl metrics | promtool check metrics"
check "GET /metrics answers the same families" \
	bash -c "$SIM --id $T_ID exec a -- curl -sf $URL | grep -q '^hsd_spaces{kind=\"server\",state=\"running\"} 1\$'"
code() { on a curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "another path is 404" [ "$(code http://127.0.0.1:9469/)" = 404 ]
check "another method is 405" [ "$(code -X POST $URL)" = 405 ]
check "a header over 4 KiB is 431" [ "$(code -H "X-Pad: $(head -c 5000 /dev/zero | tr '\0' x)" $URL)" = 431 ]
check "a bad request line is 400" bash -c \
	"$SIM --id $T_ID exec a -- sh -c 'printf \"nonsense\\r\\n\\r\\n\" | socat -T2 - TCP:127.0.0.1:9469' | grep -q '^HTTP/1.1 400'"

# 20 idle connections: the 17th on are closed unanswered, and a scrape
# waits for the 5 s timeout of the 16 held ones.
on a bash -c 'for i in $(seq 20); do exec {fd}<>/dev/tcp/127.0.0.1/9469; done
	start=$(date +%s%N); curl -sf -o /dev/null --retry 20 --retry-delay 1 --retry-all-errors '"$URL"' || exit 1
	echo $(( ($(date +%s%N) - start) / 1000000 ))' >"$T_DIR/held" 2>/dev/null
check "with 16 connections held idle, a scrape is answered after their timeout ($(cat "$T_DIR/held") ms)" \
	bash -c "[ -s $T_DIR/held ] && [ \$(cat $T_DIR/held) -ge 3000 ]"

# --- a real Prometheus server scrapes it ------------------------------------
cat >"$T_DIR/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: hsd
    static_configs: [{targets: ["127.0.0.1:9469"]}]
EOF
on a sh -c "prometheus --config.file=$T_DIR/prom.yml --storage.tsdb.path=$T_DIR/tsdb \
	--web.listen-address=127.0.0.1:9090 >$T_DIR/prom.log 2>&1 & echo \$! >$T_DIR/prom.pid"
on_exit "kill \$(cat $T_DIR/prom.pid) 2>/dev/null"
query() { # query PROMQL: the first value Prometheus returns, or nothing
	on a curl -sf --get --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
		jq -r '.data.result[0].value[1] // empty'
}
is() { [ "$(query "$1")" = "$2" ]; }
export -f query is on sim
export SIM T_ID
check "Prometheus scrapes hsd (up == 1)" wait_until 30 bash -c 'is "up{job=\"hsd\"}" 1'
check "... one running server space" is 'hsd_spaces{kind="server",state="running"}' 1
check "... the link to b is up" is 'hsd_mesh_link_up{peer="b"}' 1
check "... hsd_info names host a of cluster pair" is 'hsd_info{host="a",cluster="pair"}' 1
on a hsctl space create web2 --kind server -- sleep 100000 >/dev/null
check "a second server space shows up in Prometheus" \
	wait_until 15 bash -c 'is "hsd_spaces{kind=\"server\",state=\"running\"}" 2'
kill -9 "$(on a hsctl --json peers | jq .engine.pid)"
check "a restart of the route engine is counted" \
	wait_until 20 bash -c 'is hsd_mesh_engine_restarts_total 1'
before=$(query 'hsd_peer_served_total')
on b hsctl status >/dev/null # asks a for its status over the mesh
check "a peer request served by a is counted (hsd_peer_served_total $before -> more)" \
	wait_until 15 bash -c "[ \"\$(query hsd_peer_served_total)\" -gt \"$before\" ]"
t_done
