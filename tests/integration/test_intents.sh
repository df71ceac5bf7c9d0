#!/usr/bin/env bash
# Operator-signed intents on three simulated hosts: a rollout or deploy
# needs an operator's signature, and a compromised host (root on b, with
# b's WireGuard key and mesh address) cannot start, stop or replace an IDS
# instance on c: not without an intent, not with one it signed itself, not
# by changing a signed one, not against the last verified instance, and not
# by replaying one after it expired.  Each refusal has its control: the same
# request with a valid intent is taken.
source "$(dirname "$0")/../lib.sh"

CLUSTER=$HSD_SOURCE/deploy/examples/three.json
sim up "$CLUSTER" >/dev/null
export HSD_OPERATOR_KEY
HSD_OPERATOR_KEY=$(sim key)
for h in a b c; do
	on "$h" hsctl space create web --kind server -- sleep infinity >/dev/null
done
t_mesh_up a b c

mkbundle() {
	local dir=$T_DIR/det-$1
	t_det_bundle "$dir" "$1"
	for h in a b; do
		on "$h" hsctl bundle add "$dir" --sig "$(t_sign "$dir")" >/dev/null
	done
}
mkbundle 1
mkbundle 2
runs() { # runs HOST INSTANCE
	on "$1" hsctl --json space list | jqe --arg s "$2" '.spaces[] | select(.name == $s and .state == "running")' >/dev/null
}
none_of() { # none_of INSTANCE: runs nowhere
	! runs a "$1" && ! runs b "$1" && ! runs c "$1"
}
export -f runs none_of on sim
export SIM T_ID

# --- hsctl signs; hsd checks the signature before anything starts --------
(
	unset HSD_OPERATOR_KEY
	T_PATTERN="--key: an operator key signs" \
		expect_exit 2 "a deploy without an operator key is refused by hsctl" on a hsctl deploy det-1
)
rogue=$T_DIR/rogue.key
"$HSCTL" keygen --operator "$rogue" >/dev/null
T_PATTERN="is not an operator of cluster three" \
	expect_exit 2 "a deploy signed by a key that is not an operator's is refused" \
	on a hsctl deploy det-1 --key "$rogue"
T_PATTERN='--ttl: "0" is not a number in 1..604800' \
	expect_exit 2 "an intent that would be expired at once is refused" on a hsctl deploy det-1 --ttl 0
check "... and nothing of them started" none_of det@1
check "control: the operator's deploy of det-1 runs everywhere" on a hsctl deploy det-1
check "... det@1 runs on c" runs c det@1

# --- root on b speaks to c's hsd itself ---------------------------------
# from b's mesh address, as b's hsd would; c's own checks are what stands.
as_b() { # as_b CMD ARGS_JSON: c's reply to a request b made by hand
	t_peer_call b 10.99.2.1 10.99.3.1 "$@"
}
refused() { # refused "what" PATTERN CMD ARGS_JSON
	local what=$1 pat=$2 out; shift 2
	if out=$(as_b "$@" 2>&1); then
		fail "$what: c took it: $out"
	elif jq -e --arg p "$pat" '.ok == false and (.error | contains($p))' <<<"$out" >/dev/null 2>&1; then
		pass "$what ($(jq -r .error <<<"$out"))"
	else
		fail "$what: want an error with \"$pat\": $out"
	fi
}
stop1='{"instance": "det@1"}'
refused "b cannot stop c's IDS without an intent" "intent: missing" instance.stop "$stop1"
refused "b cannot start a bundle on c without an intent" "intent: missing" \
	instance.start '{"bundle": "det-1"}'
check "... det@1 still runs on c" runs c det@1

# An intent b signs with its own key (it has no operator's).
selfsigned=$(jq -c -n \
	'{kind: "rollout", cluster: "three", id: "0123456789abcdef0123456789abcdef", bundle: "det-2",
	  hash: ("0" * 64), canary: "", hosts: ["a","b","c"], issued: now | floor,
	  expires: ((now | floor) + 600)}')
b_key=$T_DIR/b.key
"$HSCTL" keygen --operator "$b_key" >/dev/null
b_env=$("$HSD_BUILD/tests/tools/hs_intent_sign" "$b_key" <<<"$selfsigned")
refused "b cannot stop c's IDS with an intent b signed itself" "is not an operator of cluster three" \
	instance.stop "$(jq -c --argjson i "$b_env" '{instance: "det@1", intent: $i}' <<<'{}')"

# A real rollout, coordinated by b with a short-lived intent: b now holds a
# valid operator intent in its store, as a compromised coordinator would.
check "the operator's rollout to det-2, coordinated by b, completes" \
	on b hsctl rollout det-2 --max-parallel 3 --ttl 25 --wait
check "... det@2 runs on c" runs c det@2
check "... det@1 was retired on c" bash -c '! runs c det@1' 
intent=$(sqlite3 "/var/lib/hs-sim/$T_ID/b/state/hsd.db" "SELECT intent FROM rollouts ORDER BY id DESC LIMIT 1")
check "b's store holds the signed intent" jqe '.intent.bundle == "det-2"' <<<"$intent"
expires=$(jq .intent.expires <<<"$intent")
with() { jq -c --argjson i "$intent" ". + {intent: \$i}" <<<"$1"; }
verify2=$(with '{"instance": "det@2"}')
stop2=$(with '{"instance": "det@2"}')

check "control: replayed before it expires, a step it allows is taken (verify det@2 on c)" \
	as_b instance.verify "$verify2"
refused "replayed, it cannot stop the last verified instance on c" "last verified instance" \
	instance.stop "$stop2"
forged=$(jq -c '.intent.bundle = "det-1"' <<<"$intent")
refused "changed by b, it verifies no more" "signature does not match" \
	instance.start "$(jq -c --argjson i "$forged" '{bundle: "det-1", intent: $i}' <<<'{}')"
wait_until 40 bash -c "[ \$(date +%s) -ge $expires ]"
refused "replayed after it expired, even that step is refused" "expired" \
	instance.verify "$verify2"
check "det@2 still runs on every host" bash -c 'runs a det@2 && runs b det@2 && runs c det@2' 

t_done
