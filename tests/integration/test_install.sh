#!/usr/bin/env bash
# `cmake --install` gives an operator everything hsd needs to run: the four
# binaries side by side (hsd finds hsinit beside itself and hstrace beside
# hsinit), the systemd unit naming the configured prefix, the shipped
# bundles and example clusters, and the docs the unit points at.
source "$(dirname "$0")/../lib.sh"

P=$T_DIR/prefix
check "cmake --install succeeds" cmake --install "$HSD_BUILD" --prefix "$P"
for b in hsd hsctl hsinit hstrace; do
	check "sbin/$b is installed and executable" test -x "$P/sbin/$b"
done
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$HSD_BUILD/CMakeCache.txt")
unit=$P/lib/systemd/system/hsd.service
check "the unit is installed" test -f "$unit"
check "... and starts the hsd of the configured prefix ($prefix)" \
	grep -qx "ExecStart=$prefix/sbin/hsd --join /etc/hsd/cluster.json --host %H" "$unit"
check "... and points at the installed README" \
	grep -qx "Documentation=file://$prefix/share/doc/hsd/README.md" "$unit"
for f in share/doc/hsd/README.md share/doc/hsd/security.md share/hsd/bundles/aide-1/bundle.json \
	share/hsd/examples/three.json; do
	check "$f is installed" test -f "$P/$f"
done
check "the installed hsctl runs" "$P/sbin/hsctl" --version
t_done
