#!/usr/bin/env bash
# A rollout across 20 simulated hosts of a sparse topology: a ring with
# four chords, so every host has two or three links and the farthest host
# is five hops away.  The mesh routes every prefix everywhere; the bundle
# travels over it from the one host that has it; the rollout (a canary,
# then five at a time) ends with det-2 verified on every host and det-1
# gone; and a sampler asking the whole fleet twice a second never finds a
# host without a running, verified instance of det.
source "$(dirname "$0")/../lib.sh"

N=20
hosts=$(for i in $(seq $N); do printf 'h%02d ' "$i"; done)
CLUSTER=$T_DIR/fleet20.json
# Keys are the simulator's to fill in; these placeholders only parse.
jq -n --argjson n $N '
	def name(i): "h" + (if i < 10 then "0" else "" end) + (i | tostring);
	{cluster: "fleet20", overlay: "10.99.0.0/16",
	 operators: ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
	 hosts: [range(1; $n + 1) | {name: name(.), endpoint: "192.0.2.\(.):51820",
		public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", prefix: "10.99.\(.).0/24"}],
	 links: ([range(1; $n + 1) | [name(.), name(. % $n + 1)]]
		+ [1, 6, 11, 16 | [name(.), name((. + 4) % $n + 1)]])}' >"$CLUSTER"
t0=$SECONDS
sim up "$CLUSTER" >/dev/null
say "20 hosts up in $((SECONDS - t0)) s"
for h in $hosts; do
	on "$h" hsctl space create web --kind server -- sleep infinity >/dev/null || fail "web on $h"
done
T_MESH_WAIT=60 t_mesh_up $hosts

t_det_bundle "$T_DIR/det-1" 1
t_det_bundle "$T_DIR/det-2" 2
for v in 1 2; do
	on h01 hsctl bundle add "$T_DIR/det-$v" --sig "$(t_sign "$T_DIR/det-$v")" >/dev/null
done
check "h01 deploys det-1 to every host" on h01 hsctl deploy det-1
# rollout status exits 0 once the deploy is done (docs/cli.md).
check "... and it is done" wait_until 240 on h01 hsctl rollout status
# verified_hosts FILE: how many hosts of the fleet status in FILE answered
# and run a verified det.
verified_hosts() {
	jq '[.fleet[] | select(.reachable and ([.instances[] |
		select(.bundle == "det" and .running and .state == "verified")] | length > 0))] | length' "$1"
}
on h01 hsctl --json status >"$T_DIR/before.json"
check "every host runs det-1, verified" [ "$(verified_hosts "$T_DIR/before.json")" = $N ]

# The sampler: the whole fleet's status, as often as it answers, while the
# rollout runs.  A sample in which a reachable host has no verified det is
# a gap; one in which a host does not answer is counted apart.
: >"$T_DIR/samples"
(
	while [ ! -e "$T_DIR/stop" ]; do
		if on h01 hsctl --json status >"$T_DIR/s.json" 2>/dev/null; then
			printf '%s %s\n' "$(verified_hosts "$T_DIR/s.json")" \
				"$(jq '[.fleet[] | select(.reachable | not)] | length' "$T_DIR/s.json")" >>"$T_DIR/samples"
		fi
		sleep 0.5
	done
) &
sampler=$!
on_exit "kill $sampler 2>/dev/null"
t0=$SECONDS
rc=0
on h01 hsctl rollout det-2 --canary h11 --max-parallel 5 --wait >"$T_DIR/rollout.out" 2>&1 || rc=$?
took=$((SECONDS - t0))
touch "$T_DIR/stop"
wait "$sampler" || true
check "the rollout of det-2 across 20 hosts is done (exit $rc, $took s)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -20 "$T_DIR/rollout.out"
st=$(on h01 hsctl --json rollout status --timeline)
check "... h11 was the canary: verified before any other host took a step" jqe '
	([.timeline[] | select(.host == "h11" and .step == "verified")][0].at_ms) as $c |
	$c != null and ([.timeline[] | select(.host != "h11" and .host != "*") | .at_ms] | all(. > $c))' \
	<<<"$st"
check "... every host retired det-1" jqe "[.hosts[] | select(.state == \"retired\")] | length == $N" <<<"$st"
samples=$(wc -l <"$T_DIR/samples")
gaps=$(awk -v n=$N '$1 + $2 < n' "$T_DIR/samples" | wc -l)
check "the sampler saw the fleet $samples times during the rollout" [ "$samples" -ge 5 ]
check "... and never a reachable host without a verified det ($gaps gaps)" [ "$gaps" = 0 ]
on h01 hsctl --json status >"$T_DIR/after.json"
check "every host runs det-2, verified, and no det-1" jqe "
	[.fleet[] | select(.reachable and ([.instances[] | select(.bundle == \"det\" and .running)]
		| (length == 1 and .[0].version == \"2\" and .[0].state == \"verified\")))] | length == $N" \
	<"$T_DIR/after.json"
t_done
