#!/usr/bin/env bash
# The escape suite (issue 10, "Confinement"): root inside a server space
# and inside an audit space tries every way out we know of, each attempt
# one run of tests/escape/hs_escape (exit 0: it worked, 1: refused).  Each
# refusal is paired with a positive control: the same attempt succeeds
# where that boundary is absent (host root on the simulated host, a
# process outside the space's Landlock domain or seccomp filter, a space's
# own file), so no check passes because the attempt could never work.
source "$(dirname "$0")/../lib.sh"

ESC=$HSD_BUILD/tests/escape/hs_escape
SOCK=/run/hs_escape.sock
state=/var/lib/hsd # as host a sees its state dir
A_IP=192.0.2.1
B_IP=192.0.2.2
t0=$SECONDS

# Host files the spaces must never see, planted before they start (the
# mask is built at start), removed at exit.  They live on the machine's
# root, which is every simulated host's root.
MARK=/root/hsesc-$T_ID
PLANTED=("$MARK" "/etc/hsesc-$T_ID-before" "/etc/ssh/ssh_host_hsesc${T_ID}_key"
	"/etc/wireguard/hsesc-$T_ID.conf" "/home/hsesc-$T_ID" "/var/log/hsesc-$T_ID.log"
	"/etc/hsesc-$T_ID-after")
for f in "${PLANTED[@]}"; do on_exit "rm -f '$f'"; done
plant() { mkdir -p "$(dirname "$1")" && (umask 077 && echo "host-secret-$T_ID" >"$1") && chmod "$2" "$1"; }
for f in "${PLANTED[@]:0:4}"; do plant "$f" 600; done
plant "/home/hsesc-$T_ID" 644        # world-readable, but /home is not the space's
plant "/var/log/hsesc-$T_ID.log" 644 # likewise the host's logs

sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
ctl() { on a hsctl "$@"; }

# Each space's own command also runs "hs_escape serve": attempts made
# through it run inside the space's Landlock domain, as a compromised
# server or IDS would; hsctl space exec alone runs outside it.
AGENT="(while [ ! -x /tmp/hs_escape ]; do sleep 0.1; done; exec /tmp/hs_escape serve $SOCK)"
web_cmd="mkdir -p /srv/www /var/log/lt && echo web > /srv/www/index.html &&
	printf '%s\n' 'server.document-root = \"/srv/www\"' 'server.port = 8080' 'index-file.names = (\"index.html\")' \
		'server.errorlog = \"/var/log/lt/error.log\"' >/etc/lt.conf && exec lighttpd -D -f /etc/lt.conf"
ctl space create web --kind server --publish 80:8080 --disk 64M -- sh -c "$AGENT & $web_cmd" >/dev/null
ctl space create other --kind server --memory 128M -- sh -c "$AGENT &
	mkdir -p /srv && echo other-secret > /srv/other-secret &&
	exec socat TCP-LISTEN:9090,fork,reuseaddr SYSTEM:'echo other'" >/dev/null
ctl space create ids --kind audit --monitor web -- sh -c "$AGENT; exit 1" >/dev/null
plant "/etc/hsesc-$T_ID-after" 600 # after the spaces started

# The binary goes in through exec's stdin pipe, renamed into place whole.
for s in web other ids; do
	ctl space exec "$s" -- sh -c 'cat >/tmp/hs_escape.new && chmod 755 /tmp/hs_escape.new &&
		mv /tmp/hs_escape.new /tmp/hs_escape' <"$ESC"
done
for s in web other ids; do
	check "the attacker runs inside $s's domain" wait_until 10 \
		on a hsctl space exec "$s" -- /tmp/hs_escape call $SOCK /tmp/hs_escape envhas PATH
done
check "web answers at $A_IP:80 from host b" wait_until 10 \
	bash -c "[ \"\$($SIM --id $T_ID exec b -- curl -s --max-time 2 http://$A_IP/)\" = web ]"

show() { ctl --json space show "$1" | jq -r ".$2"; }
WEB_INIT=$(show web pid)
OTHER_INIT=$(show other pid)
WEB_ADDR=$(show web address)
OTHER_ADDR=$(show other address)

# How an attempt is run: in a space's domain (as the space's own
# processes), by hsctl space exec (outside the domain), on host a.
dom() { local s=$1; shift; on a hsctl space exec "$s" -- /tmp/hs_escape call $SOCK /tmp/hs_escape "$@"; }
dom_cmd() { local s=$1; shift; on a hsctl space exec "$s" -- /tmp/hs_escape call $SOCK "$@"; }
xin() { local s=$1; shift; on a hsctl space exec "$s" -- /tmp/hs_escape "$@"; }
host() { on a "$ESC" "$@"; }
host_ns() { on a unshare -m --propagation private "$@"; } # a mount namespace of its own
# verdict WANT CMD...: CMD exits WANT (0: succeeded, 1: refused); its
# verdict line goes to the log.
verdict() {
	local want=$1 rc=0 out; shift
	out=$("$@" 2>&1) || rc=$?
	# The verdict line (a pty may add echoed control characters around it).
	printf '       %s\n' "$(tr -d '\r' <<<"$out" | grep -E ': (SUCCEEDED|refused|setup):' | tail -n1)" >&2
	[ "$rc" -eq "$want" ]
}
refused() { verdict 1 "$@"; }
works() { verdict 0 "$@"; }
# eperm CMD...: CMD (not hs_escape) fails saying "Operation not permitted".
eperm() { local out; out=$("$@" 2>&1) || true; grep -q 'Operation not permitted' <<<"$out"; }

say "== hsctl space exec: what the space can do to an operator's command (space other)"
check "server: OPERATOR_SECRET in hsctl's environment does not reach the command" \
	refused on a env OPERATOR_SECRET=hsesc-op hsctl space exec other -- /tmp/hs_escape envhas OPERATOR_SECRET
check "control: a variable passed with --env does" \
	works on a hsctl space exec --env OPERATOR_SECRET=x other -- /tmp/hs_escape envhas OPERATOR_SECRET
# A long-running operator command: the target of the attempts below.
on a env OPERATOR_SECRET=hsesc-op hsctl space exec other -- /tmp/hs_escape sleeper 120 /tmp/execpid-$T_ID >/dev/null 2>&1 &
sleeper_job=$!
on_exit "kill $sleeper_job 2>/dev/null"
wait_until 10 on a hsctl space exec other -- test -s /tmp/execpid-$T_ID
EXECPID=$(ctl space exec other -- cat /tmp/execpid-$T_ID)
# The same process as host a numbers it (pgrep only finds it).
EXEC_HOSTPID=$(on a pgrep -f "^/tmp/hs_escape sleeper 120 /tmp/execpid-$T_ID")
for a in ptrace-attach ptrace-seize; do
	check "server: $a of the exec'd command refused" refused dom other $a "$EXECPID"
	check "control: $a of it works from outside the domain (another exec)" works xin other $a "$EXECPID"
done
check "server: /proc/EXECPID/environ unreadable" refused dom other read "/proc/$EXECPID/environ"
check "control: readable from another exec" works xin other read "/proc/$EXECPID/environ"
check "server: /proc/EXECPID/mem unreadable" refused dom other memread "$EXECPID"
check "control: readable from another exec" works xin other memread "$EXECPID"
check "server: /proc/EXECPID/fd/1 not writable" refused dom other write "/proc/$EXECPID/fd/1"
# Another exec cannot either: the pipe is hsctl's, owned by host root,
# which the space's user namespace does not map.  Host root can.
check "control: host root writes to it" works host write "/proc/$EXEC_HOSTPID/fd/1"
check "server: pidfd_getfd of its fd 1 refused" refused dom other getfd "$EXECPID" 1
check "control: pidfd_getfd works from another exec" works xin other getfd "$EXECPID" 1
check "server: /proc/EXECPID/exe not openable for writing" refused dom other openw "/proc/$EXECPID/exe"
check "control: it is from another exec (ETXTBSY counts)" works xin other openw "/proc/$EXECPID/exe"
check "server: TIOCSTI into the exec's terminal (exec -t) refused" \
	refused on a script -qec "hsctl space exec -t other -- /tmp/hs_escape tiocsti" /dev/null </dev/null
check "control: TIOCSTI works in a pty on the host" \
	works on a script -qec "$ESC tiocsti" /dev/null </dev/null
check "server: TIOCLINUX on the exec's terminal refused" \
	refused on a script -qec "hsctl space exec -t other -- /tmp/hs_escape tioclinux" /dev/null </dev/null
check "control: TIOCLINUX reaches the kernel in a pty on the host" \
	works on a script -qec "$ESC tioclinux" /dev/null </dev/null

say "== host secrets (space web)"
for f in /etc/shadow /etc/gshadow "${PLANTED[@]}"; do
	check "server: $f unreadable" refused dom web read "$f"
	check "control: host root reads $f" works host read "$f"
done
check "server: /etc/wireguard lists nothing" refused dom web read /etc/wireguard
check "control: the host's /etc/wireguard lists the planted file" works host read /etc/wireguard
check "server: hsd's store (/var/lib/hsd/hsd.db) unreadable" refused dom web read $state/hsd.db
check "control: host root reads it" works host read $state/hsd.db
check "server: hsd's private key unreadable" refused dom web read $state/private.key
check "control: host root reads it" works host read $state/private.key
check "server: hsd's control socket (/run/hsd/hsd.sock) unreachable" refused dom web unixconn /run/hsd/hsd.sock
check "control: host root connects to it" works host unixconn /run/hsd/hsd.sock
check "server: the host's /var/log content unreadable (dpkg.log)" refused dom web read /var/log/dpkg.log
check "control: host root reads it" works host read /var/log/dpkg.log

say "== devices (space web)"
disk=$(findmnt -no SOURCE / | head -1)
maj=$((16#$(stat -c %t "$disk"))) min=$((16#$(stat -c %T "$disk")))
# This machine's own sandbox lets not even host root open its disk: the
# control opens the loop device that holds web's layer (a disk of the
# host's all the same), which the space also tries.
loopdev=$(on a findmnt -no MAJ:MIN -T "$state/layers/web" | head -1 | tr -d ' ')
check "server: mknod of the host disk ($disk, $maj:$min) and open refused" refused dom web mknod-blk $maj $min /tmp
check "server: mknod of its layer's loop device ($loopdev) and open refused" refused dom web mknod-blk ${loopdev%:*} ${loopdev#*:} /tmp
check "control: host root makes and opens that loop device in a host tmp dir" works host mknod-blk ${loopdev%:*} ${loopdev#*:} "$T_DIR"
check "server: /dev holds no block device" refused dom web devdisk
check "control: the host's /dev does" works host devdisk
# A device node put in the space's layer from outside cannot be opened:
# the overlay is nodev.  The same node in a host tmp dir opens.
on a mknod "$state/layers/web/upper/hsesc-null" c 1 3
mknod "$T_DIR/hsesc-null" c 1 3
check "server: a char device in its layer cannot be opened (nodev)" refused dom web open /hsesc-null
check "control: the same device opens in a host tmp dir" works host open "$T_DIR/hsesc-null"
check "server: a setuid-root copy run by uid 1000 keeps euid 1000 (nosuid)" refused dom web suid /
check "control: on the host it gets euid 0" works host suid /tmp

say "== the kernel's surface (space web)"
# Attempts that, on the host, work without changing anything global.
for a in unshare-user clone3-user addkey userkeyring bpf perf uffd kexec initmod finitmod \
	iouring fsopen syslog persona reboot; do
	check "server: $a refused" refused dom web $a
	check "control: $a works (or reaches the kernel) on the host" works host $a
done
check "server: setns (into its own uts namespace) refused" refused dom web setns /proc/self/ns/uts
check "control: setns works on the host" works host setns /proc/self/ns/uts
check "server: open_by_handle_at (forged handle) refused" refused dom web obh /
check "control: open_by_handle_at works on the host" works host obh /
"$ESC" keyhold "hsesc-$T_ID" 100 >/dev/null & # the host's kernel keyring: a key anybody may view
key_job=$!
on_exit "kill $key_job 2>/dev/null"
check "control: a process on the host sees the host's key" wait_until 5 host keyfind "hsesc-$T_ID"
check "server: the host's key is not visible" refused dom web keyfind "hsesc-$T_ID"
for m in proc tmpfs bind; do
	check "server: mount $m refused" refused dom web mount $m
	check "control: mount $m works on the host (private mount namespace)" works host_ns "$ESC" mount $m
done
check "server: umount of the mask over /proc/keys refused" refused dom web umount /proc/keys
check "control: the same umount works on the host" \
	works host_ns sh -c "mount --bind /dev/null /proc/keys && exec $ESC umount /proc/keys"
check "server: umount of the read-only /proc/sys refused" refused dom web umount /proc/sys
check "control: the same umount works on the host" \
	works host_ns sh -c "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec $ESC umount /proc/sys"
check "server: cgroup v1 mount + release_agent refused" refused dom web cgv1
check "control: it works on the host (private mount namespace)" works host_ns "$ESC" cgv1
for f in /proc/sysrq-trigger /proc/sys/kernel/core_pattern; do
	if ! on a test -e $f; then say "skip $f: this kernel has none"; continue; fi
	check "server: $f not openable for writing" refused dom web openw $f
	check "control: host root opens it for writing (writes nothing)" works host openw $f
done
sysfile=
for f in /sys/kernel/uevent_helper /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/profiling; do
	if on a test -w "$f"; then sysfile=$f; break; fi
done
check "server: $sysfile not openable for writing" refused dom web openw "$sysfile"
check "control: host root opens it for writing (writes nothing)" works host openw "$sysfile"
check "server: the double-chroot escape ends at the space's root (no $MARK)" refused dom web chroot "$MARK"
check "control: on the host the same escape reaches $MARK" works host chroot "$MARK"
# Only where this kernel has the feature: else the attempt is moot.
for a in kcore; do
	if host $a >/dev/null 2>&1; then
		check "server: $a refused" refused dom web $a
		check "control: $a works on the host" works host $a
	else
		say "skip $a: this kernel does not offer it to host root either"
	fi
done

say "== CVE-2019-5736 and the space's init (space other)"
check "server: /proc/1/exe (hsinit) not openable for writing" refused dom other openw /proc/1/exe
check "control: host root opens the init's exe for writing (ETXTBSY counts)" works host openw "/proc/$OTHER_INIT/exe"
check "server: ptrace of hsinit (PID 1) refused" refused dom other ptrace-seize 1
check "control: host root can ptrace it" works host ptrace-seize "$OTHER_INIT"
check "server: /proc/1/mem of hsinit unreadable" refused dom other memread 1
check "control: host root reads it" works host memread "$OTHER_INIT"

say "== other spaces (web against other)"
check "server: other's init (host pid $OTHER_INIT) is invisible (kill -0)" refused dom web kill0 "$OTHER_INIT"
check "control: the host sees it" works host kill0 "$OTHER_INIT"
check "server: process_vm_readv of other's init refused" refused dom web vmread "$OTHER_INIT"
check "control: host root reads it" works host vmread "$OTHER_INIT"
check "server: other's file through its upper layer path unreadable" \
	refused dom web read "$state/layers/other/upper/srv/other-secret"
check "control: host root reads it there" works host read "$state/layers/other/upper/srv/other-secret"
check "server: other's file through /proc/PID/root unreadable" \
	refused dom web read "/proc/$OTHER_INIT/root/srv/other-secret"
check "control: host root reads it there" works host read "/proc/$OTHER_INIT/root/srv/other-secret"

say "== network (space web)"
gw=$(ctl space exec web -- ip -4 route show default | awk '{print $3; exit}')
hport=$((20000 + RANDOM % 10000))
ip netns exec "hs-$T_ID-a" socat TCP-LISTEN:$hport,bind=0.0.0.0,reuseaddr,fork SYSTEM:'echo host' & # execs: $! is socat
host_srv=$!
on_exit "kill $host_srv 2>/dev/null"
wait_until 5 on a ss -Htln "sport = :$hport"
check "server: the host's service on 0.0.0.0:$hport unreachable through the gateway $gw" refused dom web tcp "$gw" $hport 1500
check "control: the host itself reaches it at $gw" works host tcp "$gw" $hport 1500
check "server: ... nor at the host's address $A_IP" refused dom web tcp $A_IP $hport 1500
check "control: host b reaches it at $A_IP" works on b "$ESC" tcp $A_IP $hport 1500
check "server: other's unpublished port $OTHER_ADDR:9090 unreachable" refused dom web tcp "$OTHER_ADDR" 9090 1500
check "control: the host reaches it" works host tcp "$OTHER_ADDR" 9090 1500
check "server: raw socket refused" refused dom web rawsock
check "control: host root opens one" works host rawsock
check "server: ip addr add of other's address refused" eperm dom_cmd web ip addr add "$OTHER_ADDR/32" dev eth0
check "control: ip addr add works in a network namespace of the host's" \
	on a unshare -n ip addr add "$OTHER_ADDR/32" dev lo
# Even with raw sockets in web's network namespace (host root entering only
# it), a datagram with other's source dies at the base; the same datagram
# with web's own source reaches host b.
uport=$((30000 + RANDOM % 10000))
spoof_seen() { # spoof_seen SRC MARK: host b receives MARK sent from web's netns as SRC
	on b "$ESC" udprecv $uport 3 "$2" >"$T_DIR/udp" 2>&1 &
	local rx=$!
	sleep 0.3
	on a nsenter -t "$WEB_INIT" -n "$ESC" spoof "$1" $B_IP $uport "$2" >/dev/null
	local rc=0
	wait $rx || rc=$?
	cat "$T_DIR/udp"
	return $rc
}
check "server: a datagram forged with other's source ($OTHER_ADDR) never arrives" refused spoof_seen "$OTHER_ADDR" "forged-$T_ID"
check "control: the same datagram with web's own source arrives" works spoof_seen "$WEB_ADDR" "own-$T_ID"
check "server: no IPv6 address on the space's interface" refused dom web ipv6
check "control: the host has IPv6 on its interface" works host ipv6

say "== resources"
check "server: 600 processes at once stop at the default pids limit" refused dom web forkmany 600
check "control: the host forks 600" works host forkmany 600
check "the host is fine: hsd answers" ctl status
check "the host is fine: web still answers host b" \
	bash -c "[ \"\$($SIM --id $T_ID exec b -- curl -s --max-time 2 http://$A_IP/)\" = web ]"
check "server: 256 MiB of memory in other (--memory 128M) refused" refused dom other memhog 256
check "control: the host touches 256 MiB" works host memhog 256
check "server: 80 MiB in /tmp (64M tmpfs) refused" refused dom web fill /tmp/hsesc-fill 80
check "control: the host writes 80 MiB to a tmp dir" works host fill "$T_DIR/hsesc-fill" 80
check "server: 100 MiB in its layer (--disk 64M) refused" refused dom web fill /hsesc-fill 100 keep
check "control: the host writes 100 MiB" works host fill "$T_DIR/hsesc-fill" 100
check "audit: with web's layer full, ids writes its own files" works dom ids write /root/hsesc-ok
ctl space exec web -- rm -f /hsesc-fill

say "== from the audit space ids (an IDS compromised by its input)"
check "audit: open_by_handle_at on /usr/local/bin/hstrace refused" refused dom ids obh /usr/local/bin/hstrace
check "control: host root opens its copy by handle" works host obh /run/hsd/spaces/ids/hstrace
check "audit: open_by_handle_at on /.dserverfs/web refused" refused dom ids obh /.dserverfs/web
check "control: host root opens web's upper layer by handle" works host obh "$state/layers/web/upper"
check "audit: CAP_DAC_READ_SEARCH not held over the host" refused dom ids caphost
check "control: host root holds it" works host caphost
check "audit: the unmonitored server's file unreadable (no /.serverfs/other)" \
	refused dom ids read /.serverfs/other/srv/other-secret
check "audit: ... nor through its layer path" refused dom ids read "$state/layers/other/upper/srv/other-secret"
check "control: host root reads it" works host read "$state/layers/other/upper/srv/other-secret"
check "control: the server writes /srv/www/hsesc-w" works dom web write /srv/www/hsesc-w
# Writable by anyone: only the view's being read-only stops ids.
dom_cmd web chmod 666 /srv/www/hsesc-w
check "control: ids reads it through /.serverfs/web" works dom ids read /.serverfs/web/srv/www/hsesc-w
check "control: ... and through /.dserverfs/web" works dom ids read /.dserverfs/web/srv/www/hsesc-w
check "audit: writing it through /.serverfs/web refused" refused dom ids write /.serverfs/web/srv/www/hsesc-w
check "audit: writing it through /.dserverfs/web refused" refused dom ids write /.dserverfs/web/srv/www/hsesc-w
check "audit: hsd's control socket unreachable" refused dom ids unixconn /run/hsd/hsd.sock
check "audit: hsd's store unreadable" refused dom ids read $state/hsd.db
check "audit: the host's /run/hsd not visible" refused dom ids read /run/hsd
check "control: host root lists /run/hsd" works host read /run/hsd
srv_uid=$(ctl space exec ids -- stat -c %u /.serverfs/web/srv/www/index.html)
srv_gid=$(ctl space exec ids -- stat -c %g /.serverfs/web/srv/www/index.html)
check "audit: setuid to web's root as ids numbers it ($srv_uid) refused" refused dom ids setuid "$srv_uid"
check "control: setuid to an id of its own (1000) works" works dom ids setuid 1000
check "audit: setgid to web's root group ($srv_gid) refused" refused dom ids setgid "$srv_gid"
check "control: setgid 1000 works" works dom ids setgid 1000
for a in unshare-user addkey userkeyring bpf fsopen; do
	check "audit: $a refused (host control above)" refused dom ids $a
done
check "audit: mount tmpfs refused (host control above)" refused dom ids mount tmpfs
check "audit: web's init (host pid $WEB_INIT) is invisible (kill -0)" refused dom ids kill0 "$WEB_INIT"
check "control: the host sees it" works host kill0 "$WEB_INIT"
check "audit: ptrace of web's init refused" refused dom ids ptrace-seize "$WEB_INIT"
check "control: host root can ptrace a space's init (other's)" works host ptrace-seize "$OTHER_INIT"

# The operator's command ends (from outside the domain, which may signal it).
ctl space exec other -- kill "$EXECPID" || true
wait "$sleeper_job" 2>/dev/null || true
say "runtime: $((SECONDS - t0)) s"
t_done
