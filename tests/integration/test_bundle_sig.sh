#!/usr/bin/env bash
# Operators sign bundles; every host verifies (docs/security.md, "Fleet
# trust").  On two simulated hosts b and c: an unsigned bundle, one signed
# by a key that is not an operator, one changed after signing and one with
# a malformed signature are refused and store nothing; the same bundle
# signed by the operator is stored, travels to c and runs there.  Then b is
# compromised (root on b: its cluster.json, its store, its hsd): a bundle
# b's attacker signs with a key of their own, pushed from b, is neither
# stored nor started on c; a bundle whose files were changed in b's store
# is not started or pushed; bundle.put messages b's root sends c by hand
# (no, forged or mismatched signature, changed files) store nothing; and a
# revoked operator's bundles stop being startable.
source "$(dirname "$0")/../lib.sh"

cat >"$T_DIR/pair.json" <<'JSON'
{
  "cluster": "pair",
  "overlay": "10.96.0.0/16",
  "hosts": [
    {"name": "b", "endpoint": "192.0.2.2:51820", "public_key": "", "prefix": "10.96.2.0/24"},
    {"name": "c", "endpoint": "192.0.2.3:51820", "public_key": "", "prefix": "10.96.3.0/24"}
  ]
}
JSON
sim up "$T_DIR/pair.json" >/dev/null
for h in b c; do
	on "$h" hsctl space create web --kind server -- sh -c 'exec sleep infinity' >/dev/null
done
t_mesh_up b c
KEY=$(sim key)
CF=/var/lib/hs-sim/$T_ID/cluster.json
nbundles() { on "$1" hsctl --json bundle list | jq '.bundles | length'; }
# mkbundle DIR VERSION: a detector that reports every file probe.
mkbundle() {
	mkdir -p "$1"
	cat >"$1/run.sh" <<'EOF'
while :; do
	for f in /.serverfs/*/var/lib/hsd-probe/*; do [ -e "$f" ] && echo "ALERT $f"; done
	sleep 0.2
done
EOF
	jq -n --arg v "$2" '{name: "det", version: $v, command: ["sh", "run.sh"], files: ["run.sh"],
		monitors: ["serverfs"], alert: {pattern: "^ALERT "}, probe: {kind: "file", deadline_s: 20}}' \
		>"$1/bundle.json"
}
D1=$T_DIR/b1/det-1
mkbundle "$D1" 1

# --- hsctl bundle add refuses, storing nothing
T_PATTERN="bundle det-1: signature: no signature ($D1/bundle.sig)" \
	expect_exit 2 "an unsigned bundle is refused" on b hsctl bundle add "$D1"
"$HSCTL" keygen --operator "$T_DIR/rogue.key" >"$T_DIR/rogue.pub"
ROGUE=$(cat "$T_DIR/rogue.pub")
"$HSCTL" bundle sign "$D1" --key "$T_DIR/rogue.key" --out "$T_DIR/rogue.sig" >/dev/null
T_PATTERN="bundle det-1: signature: key $ROGUE is not an operator of cluster pair" \
	expect_exit 2 "a bundle signed by a key that is not an operator is refused" \
	on b hsctl bundle add "$D1" --sig "$T_DIR/rogue.sig"
sig=$(t_sign "$D1")
echo "# one more line" >>"$D1/run.sh"
T_PATTERN="bundle det-1: signature does not match content hash" \
	expect_exit 2 "a bundle changed after it was signed is refused" on b hsctl bundle add "$D1" --sig "$sig"
echo '{"key": "x"' >"$T_DIR/broken.sig"
T_PATTERN="bundle det-1: signature: not JSON" \
	expect_exit 2 "a malformed signature file is refused" on b hsctl bundle add "$D1" --sig "$T_DIR/broken.sig"
check "nothing was stored on b" [ "$(nbundles b)" = 0 ]
check "... not even the files" bash -c "[ -z \"\$(ls /var/lib/hs-sim/$T_ID/b/state/bundles 2>/dev/null)\" ]"
# Positive control: the changed bundle, signed by the operator as it is now.
check "signed by the operator, it is stored" on b hsctl bundle add "$D1" --sig "$(t_sign "$D1")"
opshort=$(jq -r '.operators[0]' "$CF" | cut -c1-11)
check "bundle list shows who signed it" bash -c "$SIM --id $T_ID exec b -- hsctl bundle list | grep '^det ' | grep -qF ' $opshort...'"
check "its signature travels with it: deploy from b runs it on c too" on b hsctl deploy det-1
check "c stored det-1 with the operator's signature" bash -c "$SIM --id $T_ID exec c -- hsctl --json bundle list |
	jqe --arg k \"\$(jq -r '.operators[0]' $CF)\" '.bundles[] | select(.id == \"det-1\") | .signers == [{key: \$k, operator: true}]'"

# --- b is compromised.  Its attacker makes b trust a key of their own (b's
# cluster.json; c, not reloaded, keeps the real file's operators) ...
cp "$CF" "$T_DIR/cluster.orig"
jq --arg k "$ROGUE" '.operators += [$k]' "$T_DIR/cluster.orig" >"$CF"
kill -HUP "$(sim pid b)"
check "b reloads with the attacker's key as an operator" wait_until 10 bash -c "$SIM --id $T_ID log b | grep -q 'operators changed'"
cp "$T_DIR/cluster.orig" "$CF"
# ... and signs with it a bundle that c does not have.
D6=$T_DIR/evil/det-6
mkbundle "$D6" 6
"$HSCTL" bundle sign "$D6" --key "$T_DIR/rogue.key" --out "$T_DIR/evil.sig" >/dev/null
check "b (compromised) stores the attacker's bundle" on b hsctl bundle add "$D6" --sig "$T_DIR/evil.sig"
on b hsctl deploy det-6 >/dev/null 2>&1 || true
check "the rollout from b failed on c, naming the key" bash -c "$SIM --id $T_ID exec b -- hsctl --json rollout status |
	jqe '.rollout.state != \"committed\" and (.rollout.error | test(\"is not an operator of cluster pair\"))'"
check "c stored nothing of det-6" bash -c "$SIM --id $T_ID exec c -- hsctl --json bundle list | jqe '[.bundles[].id] == [\"det-1\"]'"
check "... and has no det-6 files" [ ! -e "/var/lib/hs-sim/$T_ID/c/state/bundles/det-6" ]
check "... and runs no det@6" bash -c "! $SIM --id $T_ID exec c -- hsctl --json space list | jqe '.spaces[] | select(.name == \"det@6\")'"

# The attacker changes a bundle in b's store that the operator signed: b's
# hsd neither starts nor pushes it, and c keeps running its own copy.
D2=$T_DIR/b2/det-2
mkbundle "$D2" 2
on b hsctl bundle add "$D2" --sig "$(t_sign "$D2")" >/dev/null
echo 'echo owned' >>"/var/lib/hs-sim/$T_ID/b/state/bundles/det-2/run.sh"
T_PATTERN="bundle det-2: signature does not match content hash" \
	expect_exit 2 "a bundle changed in b's store is not rolled out" on b hsctl deploy det-2
check "c got nothing of det-2" [ ! -e "/var/lib/hs-sim/$T_ID/c/state/bundles/det-2" ]

# Root on b also speaks the peer protocol itself (from b's mesh address,
# as b's hsd would, with t_peer_call): bundle.put messages built
# by hand, so c's own checks are what stands.  python3 -c "$PUT" DIR
# SIGFILE|- CLAIMED_HASH|-: the args of a bundle.put of DIR (hash as
# claimed, or the content's).
PUT='import base64, hashlib, json, os, struct, sys
d, sigfile, claim = sys.argv[1:4]
man = json.load(open(os.path.join(d, "bundle.json")))
paths = ["bundle.json"] + man["files"]
files = {p: open(os.path.join(d, p), "rb").read() for p in paths}
h = hashlib.sha256()
for p in sorted(paths, key=lambda p: p.encode()):
    h.update(p.encode() + b"\0" + struct.pack(">Q", len(files[p])) + files[p])
msg = {"id": man["name"] + "-" + man["version"], "hash": h.hexdigest() if claim == "-" else claim,
       "files": {p: base64.b64encode(v).decode() for p, v in files.items()}}
args = {"bundle": msg}
if sigfile != "-":
    args["sig"] = open(sigfile).read()
print(json.dumps(args))'
put() {
	t_peer_call b 10.96.2.1 10.96.3.1 bundle.put "$(python3 -c "$PUT" "$@")"
}
# answered WHAT OK PATTERN ARGS...: c's reply has ok == OK and, when it
# refuses, an error matching PATTERN.
answered() {
	local what=$1 ok=$2 pat=$3 out; shift 3
	out=$(put "$@" 2>&1) || true
	if jq -e --argjson ok "$ok" --arg p "$pat" \
		'.ok == $ok and (.ok or (.error | test($p)))' <<<"$out" >/dev/null 2>&1; then
		pass "$what ($(jq -c 'if .ok then .result else .error end' <<<"$out"))"
	else
		fail "$what: $out"
	fi
}
D7=$T_DIR/b7/det-7
mkbundle "$D7" 7
signed7=$(jq -r .hash <<<"$("$HSCTL" --json bundle sign "$D7" --key "$KEY" --out "$T_DIR/det-7.sig")")
"$HSCTL" bundle sign "$D7" --key "$T_DIR/rogue.key" --out "$T_DIR/rogue7.sig" >/dev/null
jq --arg k "$(jq -r '.operators[0]' "$CF")" '.key = $k' "$T_DIR/rogue7.sig" >"$T_DIR/claimed7.sig"
cp -r "$D7" "$T_DIR/det-7.orig"
echo 'echo owned' >>"$D7/run.sh"
answered "a put from b without a signature is refused by c" false "det-7: signature: no signature" "$D7" - -
answered "a put from b of changed files under the operator's signature, claiming their hash, is refused" \
	false "det-7: signature does not match content hash" "$D7" "$T_DIR/det-7.sig" -
answered "... claiming the signed hash, is refused" false "content hashes to .* message says $signed7" \
	"$D7" "$T_DIR/det-7.sig" "$signed7"
answered "a put from b of the signed files with the attacker's signature under the operator's key is refused" \
	false "det-7: signature does not match content hash $signed7" "$T_DIR/det-7.orig" "$T_DIR/claimed7.sig" -
answered "... and with the attacker's own key" false "det-7: signature: key ${ROGUE//+/\\+} is not an operator" \
	"$T_DIR/det-7.orig" "$T_DIR/rogue7.sig" -
check "c stored none of it" bash -c "$SIM --id $T_ID exec c -- hsctl --json bundle list | jqe '[.bundles[].id] == [\"det-1\"]' &&
	[ ! -e /var/lib/hs-sim/$T_ID/c/state/bundles/det-7 ]"
answered "control: the same put of the files the operator signed, with the operator's signature, is stored on c" \
	true "" "$T_DIR/det-7.orig" "$T_DIR/det-7.sig" -
check "... and listed with the operator as its signer" bash -c "$SIM --id $T_ID exec c -- hsctl --json bundle list |
	jqe '.bundles[] | select(.id == \"det-7\") | .hash == \"$signed7\" and .signers[0].operator'"

# --- every start checks again: a file changed in c's store stops det-1
# starting there; put back, it starts (control).
run=/var/lib/hs-sim/$T_ID/c/state/bundles/det-1/run.sh
on c hsctl space destroy det@1 >/dev/null
cp "$run" "$T_DIR/run.keep"
echo 'echo owned' >>"$run"
T_PATTERN="bundle det-1: signature does not match content hash" \
	expect_exit 2 "c refuses to start a bundle changed in its store" on c hsctl deploy det-1
check "... and runs no det@1" bash -c "! $SIM --id $T_ID exec c -- hsctl --json space list | jqe '.spaces[] | select(.name == \"det@1\")'"
cp "$T_DIR/run.keep" "$run"

# --- revocation: a reload that drops the operator's key; its bundles stop
# being startable on c.
jq --arg k "$ROGUE" '.operators = [$k]' "$T_DIR/cluster.orig" >"$CF"
kill -HUP "$(sim pid c)"
check "c reloads without the operator's key" wait_until 10 bash -c "$SIM --id $T_ID log c | grep -q 'operators changed'"
T_PATTERN="is not an operator of cluster pair" \
	expect_exit 2 "after revocation, det-1 does not start on c" on c hsctl deploy det-1
# Asked by a peer: b (which still lists the key) coordinates, c has det-1
# with the same hash, so only c's instance.start can refuse: the intent
# b's rollout carries is signed by the same revoked key, and is refused
# first (the bundle's own signature is checked after it).
on b hsctl deploy det-1 >/dev/null 2>&1 || true
check "... nor when b's rollout asks c to start it" bash -c "$SIM --id $T_ID exec b -- hsctl --json rollout status |
	jqe '.rollout.state != \"committed\" and (.rollout.error | test(\"(det-1: signature|intent [0-9a-f]+): key .* is not an operator\"))'"
check "... and c runs no det@1" bash -c "! $SIM --id $T_ID exec c -- hsctl --json space list | jqe '.spaces[] | select(.name == \"det@1\")'"
cp "$T_DIR/cluster.orig" "$CF"
kill -HUP "$(sim pid c)"
check "c reloads with the operator's key back" wait_until 10 bash -c "[ \$($SIM --id $T_ID log c | grep -c 'operators changed') = 2 ]"
check "control: with the key back, det-1 starts on c again" on c hsctl deploy det-1
t_done
