#!/usr/bin/env bash
# Three simulated hosts come up, each answers hsctl status, and down leaves
# nothing behind: no namespace, mount or process.
source "$(dirname "$0")/../lib.sh"

base_links() { ip -o link | awk -F': ' '{print $2}' | sort; }
links_before=$(base_links)
sim up "$HSD_SOURCE/deploy/examples/three.json"
check "the machine's own interfaces are untouched by the underlay" [ "$(base_links)" = "$links_before" ]
# A second simulation of the same file at the same time: nothing collides.
T2=${T_ID}x
on_exit "$SIM --id $T2 down >/dev/null 2>&1"
check "a second simulation of the same file comes up beside the first" "$SIM" --id "$T2" up "$HSD_SOURCE/deploy/examples/three.json"
check "both simulations answer, each with its own hsd" \
	[ "$(on a cat /run/hsd/hsd.pid)" != "$("$SIM" --id "$T2" exec a -- cat /run/hsd/hsd.pid)" ]
"$SIM" --id "$T2" down
check "taking the second down leaves the first running" on a hsctl status
check "nothing of the second is left" bash -c "! ip netns list | grep -q 'hs-$T2-' && [ ! -e /var/lib/hs-sim/$T2 ]"
pids=()
for h in a b c; do
	json=$(on "$h" hsctl --json status)
	check "status of $h names it" [ "$(jq -r .host <<<"$json")" = "$h" ]
	check "status of $h names the cluster" [ "$(jq -r .cluster <<<"$json")" = three ]
	check "status of $h counts 3 hosts" [ "$(jq -r .hosts <<<"$json")" = 3 ]
	pids+=("$(sim pid "$h")")
done
check "hosts have their own network namespace" \
	[ "$(on a readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ]
check "hosts have their own mount namespace" \
	[ "$(on a readlink /proc/self/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
check "hosts do not see each other's run dir" \
	[ "$(on a cat /run/hsd/hsd.pid)" != "$(on b cat /run/hsd/hsd.pid)" ]
check "underlay reaches the other hosts" on a ping -c1 -W2 192.0.2.3
# exec runs in the caller's directory: relative paths work; where the host
# has no such directory (its own /run), in its /.
check "exec runs in the caller's directory" [ "$(cd "$HSD_SOURCE/deploy" && "$SIM" --id "$T_ID" exec a -- pwd)" = "$HSD_SOURCE/deploy" ]
check "... so a relative path works there" bash -c "cd $HSD_SOURCE && $SIM --id $T_ID exec a -- hsctl bundle sign deploy/bundles/aide-1 --key \$($SIM --id $T_ID key) --out $T_DIR/rel.sig"
mkdir -p /run/hs-test-$T_ID
on_exit "rmdir /run/hs-test-$T_ID"
check "... and in / where the host has no such directory" [ "$(cd /run/hs-test-$T_ID && "$SIM" --id "$T_ID" exec a -- pwd)" = / ]
check "... with the command's exit status" bash -c "$SIM --id $T_ID exec a -- sh -c 'exit 3'; [ \$? = 3 ]"
check "underlay has no route out" bash -c "! $SIM --id $T_ID exec a -- ip route get 1.1.1.1 >/dev/null 2>&1"

# Spaces outlive their hsd (it re-adopts them); down ends them too.
on a hsctl space create idle --kind server -- sleep infinity >/dev/null
on c hsctl space create idle --kind audit -- sleep infinity >/dev/null
space_pids=("$(on a hsctl --json space show idle | jq -r .pid)" "$(on c hsctl --json space show idle | jq -r .pid)")
check "the spaces run" [ -d "/proc/${space_pids[0]}" -a -d "/proc/${space_pids[1]}" ]
check "a sees every host reachable over the mesh" wait_until 30 bash -c "$SIM --id $T_ID exec a -- hsctl --json status | jqe '[.fleet[].reachable] | all'"
status=$(on a hsctl status)
check "plain status names the host" grep -qx 'host: *a' <<<"$status"
check "plain status names the cluster and its size" grep -qx 'cluster: *three (3 hosts)' <<<"$status"
check "plain status counts the space" grep -qx 'spaces: *1' <<<"$status"
check "plain status shows the uptime" grep -qE '^uptime: +0d 00:[0-9]{2}:[0-9]{2}$' <<<"$status"
for h in a b c; do
	check "plain status lists host $h as reachable" grep -qE "^$h +yes" <<<"$status"
done
check "json status counts the space and uptime" bash -c "$SIM --id $T_ID exec c -- hsctl --json status | jqe '.spaces == 1 and .instances == 0 and .uptime_s >= 0'"

# A host whose hsd crashed is still cleaned up.
kill -KILL "${pids[1]}"
sim down
check "down is idempotent" sim down
check "no namespace left" bash -c "! ip netns list | grep -q 'hs-$T_ID-'"
check "no mount left" bash -c "! grep -q 'hs-sim/$T_ID' /proc/self/mounts"
# (a zombie awaiting the machine's init counts as gone: it runs nothing)
for p in "${pids[@]}"; do
	check "hsd $p is gone" bash -c "[ ! -d /proc/$p ] || grep -q '^State:.*zombie' /proc/$p/status"
done
for p in "${space_pids[@]}"; do
	check "space init $p is gone" bash -c "[ ! -d /proc/$p ] || grep -q '^State:.*zombie' /proc/$p/status"
done
check "no state left" [ ! -e "/var/lib/hs-sim/$T_ID" ]
t_done
