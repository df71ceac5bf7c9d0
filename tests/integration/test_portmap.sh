#!/usr/bin/env bash
# test_portmap.sh - port-space translation end to end, plus proof that the
# host was left alone.
#
# The real work is tests/unit/test_net_live.c (criterion): it builds its own
# namespaces (fake base, two server spaces, a client), publishes ports with
# nftables and checks DNAT, source addresses, the output hook, masquerade,
# duplicates, port-in-use and flush.  Here it runs once more as a whole and
# the host's interfaces, nftables ruleset, named netns and ip_forward are
# compared before and after: nothing may differ.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LIVE=$HSD_BUILD/tests/test_net_live
if [ "$(id -u)" -ne 0 ]; then
	say "skipped: needs root"
	exit 0
fi
check "test_net_live is built" test -x "$LIVE"

snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sort
	ip netns list 2>/dev/null | sort
	nft list ruleset 2>/dev/null | md5sum
	cat /proc/sys/net/ipv4/ip_forward
}
snapshot >"$T_DIR/before"

check "live namespace tests pass" "$LIVE" --jobs 1
# A second run must behave the same: nothing left over from the first.
check "live namespace tests pass again" "$LIVE" --jobs 1 --filter 'live/client_*'

snapshot >"$T_DIR/after"
check "host interfaces, netns, nftables and ip_forward unchanged" \
	diff -u "$T_DIR/before" "$T_DIR/after"
check "no hsd test table in the host" bash -c '! nft list tables 2>/dev/null | grep -q hsd_test'
t_done
