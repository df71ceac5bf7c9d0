#!/usr/bin/env bash
# deploy/demo, the README's first command, tells its whole story: run it
# on the build under test and check each chapter's evidence in its output.
source "$(dirname "$0")/../lib.sh"

out=$T_DIR/demo.out
rc=0
HS_DEMO_ID=$T_ID HSD_BUILD=$HSD_BUILD "$HSD_SOURCE/deploy/demo" >"$out" 2>&1 || rc=$?
check "deploy/demo exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -40 "$out"
check "every host's status is shown" bash -c "[ \$(grep -c '^cluster: *ring4 (4 hosts)' $out) = 4 ]"
check "the web server answers across hosts" grep -q '^welcome to a$' "$out"
check "deploy verifies the IDS on every host" bash -c "[ \$(grep -cE ' verified ' $out) -ge 4 ]"
check "the audit spaces ping each other over the mesh" grep -qE '2 packets transmitted, 2 received' "$out"
check "the defacement is caught by AIDE" grep -qE 'ALERT.*index.html' "$out"
check "the canary rollout commits and retires the old version" \
	bash -c "grep -qE ' commit ' $out && grep -qE ' retire ' $out && grep -qE ' done ' $out"
check "the mesh routes around the cut link" grep -q "reaches b's again after" "$out"
check "the teardown leaves no namespace" grep -qx 'namespaces of this demo left: 0' "$out"
t_done
