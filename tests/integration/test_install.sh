#!/usr/bin/env bash
# `cmake --install` gives an operator everything hsd needs to run: the six
# binaries side by side (hsd finds hsinit, hsengine and hsfleetdb beside itself and
# hstrace beside hsinit), the systemd unit naming where they went, man pages, bash
# completion, the shipped bundles and example clusters, and the docs.  The
# Debian package (cpack -G DEB) holds the same for /usr with its
# dependencies, and the hsd in it, unpacked into a root of the test's own,
# runs a simulated host and a space.
source "$(dirname "$0")/../lib.sh"

P=$T_DIR/prefix
check "cmake --install succeeds" cmake --install "$HSD_BUILD" --prefix "$P"
for b in hsd hsctl hsinit hstrace hsengine hsfleetdb; do
	check "sbin/$b is installed and executable" test -x "$P/sbin/$b"
done
unit=$P/lib/systemd/system/hsd.service
check "the unit is installed" test -f "$unit"
check "... and starts the hsd it was installed with" \
	grep -qx "ExecStart=$P/sbin/hsd --join /etc/hsd/cluster.json --host %H" "$unit"
check "... and points at the installed README" \
	grep -qx "Documentation=file://$P/share/doc/hsd/README.md" "$unit"
check "... and is Type=notify" grep -qx "Type=notify" "$unit"
for f in share/doc/hsd/README.md share/doc/hsd/security.md share/hsd/bundles/aide-1/bundle.json \
	share/hsd/examples/three.json share/man/man8/hsd.8 share/man/man8/hsctl.8 \
	share/bash-completion/completions/hsctl; do
	check "$f is installed" test -f "$P/$f"
done
check "the installed hsctl runs" "$P/sbin/hsctl" --version
check "man hsd renders" bash -c "man -l $P/share/man/man8/hsd.8 | grep -q -- --check"
check "bash completes hsctl's subcommands from hsctl --help" bash -c "
	PATH=$P/sbin:\$PATH; source $P/share/bash-completion/completions/hsctl
	COMP_WORDS=(hsctl sp); COMP_CWORD=1; _hsctl; [ \"\${COMPREPLY[*]}\" = space ]"

# --- the Debian package ---------------------------------------------------
check "cpack -G DEB builds the package" cpack --config "$HSD_BUILD/CPackConfig.cmake" -G DEB -B "$T_DIR/pkg"
deb=$(ls "$T_DIR"/pkg/hsd_*_amd64.deb 2>/dev/null | head -1)
check "... hsd_VERSION_amd64.deb" [ -f "$deb" ]
info=$(dpkg-deb -I "$deb" 2>/dev/null)
for dep in libuv1 libjansson4 libsqlite3-0 libsodium23 nftables wireguard-tools e2fsprogs; do
	check "it depends on $dep" grep -q "Depends:.*$dep" <<<"$info"
done
files=$(dpkg-deb -c "$deb" 2>/dev/null)
for f in usr/sbin/hsd usr/sbin/hsctl usr/sbin/hsinit usr/sbin/hstrace usr/sbin/hsengine usr/sbin/hsfleetdb usr/lib/systemd/system/hsd.service \
	usr/share/man/man8/hsd.8 usr/share/bash-completion/completions/hsctl usr/share/doc/hsd/README.md; do
	check "it holds /$f" grep -q " \./$f\$" <<<"$files"
done
root=$T_DIR/root
dpkg-deb -x "$deb" "$root"
check "its unit starts /usr/sbin/hsd" grep -qx "ExecStart=/usr/sbin/hsd --join /etc/hsd/cluster.json --host %H" \
	"$root/usr/lib/systemd/system/hsd.service"
# A build directory made of the package's binaries, for deploy/sim.
mkdir -p "$T_DIR/pkgbuild/hsd"
for b in hsd hsctl; do ln -s "$root/usr/sbin/$b" "$T_DIR/pkgbuild/hsd/$b"; done
HSD_BUILD=$T_DIR/pkgbuild sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
check "the packaged hsd runs a simulated host" on a hsctl status
check "... whose hsd is the package's" \
	[ "$(readlink -f /proc/"$(sim pid a)"/exe)" = "$(readlink -f "$root/usr/sbin/hsd")" ]
check "... and runs the route engine beside it (the package's)" \
	[ "$(on a hsctl --json peers | jq .engine.pid)" -gt 0 ]
check "... and starts a space with the package's hsinit" \
	on a hsctl space create web --kind server -- sleep 1000
check "... which runs" [ "$(on a hsctl --json space show web | jq -r .state)" = running ]
t_done
