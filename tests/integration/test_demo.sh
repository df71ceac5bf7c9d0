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
key=$(sed -n 's/^KEY=\([0-9a-f]*\).*/\1/p' "$HSD_SOURCE/deploy/bundles/snort-3.12/run.sh")
if [ -x "/usr/local/lib/hsd-snort3/$key/bin/snort" ]; then
	check "Snort 3 on the mirror catches the attack" grep -qE 'ALERT snort 9200003 .*etc/passwd' "$out"
	# the lines after the demo shows that rollout's command
	check "... and its canary rollout commits and ends done" bash -c "sed -n '/hsctl rollout snort-3.12.1/,\$p' $out |
		awk '/[*] +commit/ { c = 1 } c && /[*] +done/ { d = 1 } END { exit !d }'"
else
	check "without a Snort build the demo says how to get one" grep -q 'deploy/bundles/snort3/build' "$out"
fi
check "the mesh routes around the cut link" grep -q "reaches b's again after" "$out"
check "the teardown leaves no namespace" grep -qx 'namespaces of this demo left: 0' "$out"
t_done
