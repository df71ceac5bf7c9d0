#!/usr/bin/env bash
# systemd's Type=notify (deploy/hsd.service): hsd sends READY=1 once its
# control socket answers, RELOADING=1 then READY=1 around a SIGHUP reload,
# STOPPING=1 when it stops; to a socket path or an abstract name, as
# $NOTIFY_SOCKET says.
source "$(dirname "$0")/../lib.sh"

cat >"$T_DIR/one.json" <<'JSON'
{
  "cluster": "solo",
  "overlay": "10.92.0.0/16",
  "hosts": [{"name": "a", "endpoint": "192.0.2.1:51820", "public_key": "", "prefix": "10.92.1.0/24"}]
}
JSON
# recv ADDRESS OUT: a stand-in for systemd's notify socket (a path, or
# @name for an abstract one): each datagram, then a line "--".  OUT.bound
# appears once it listens.
cat >"$T_DIR/recv.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind("\0" + a[1:] if a.startswith("@") else a)
open(sys.argv[2] + ".bound", "w").close()
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(4096) + b"\n--\n")
PY
listen() { # listen ADDRESS OUT
	python3 "$T_DIR/recv.py" "$1" "$2" & on_exit "kill $!"
	wait_until 20 test -e "$2.bound"
}
N=$T_DIR/notify.sock
listen "$N" "$T_DIR/notify.out"
NOTIFY_SOCKET=$N sim up "$T_DIR/one.json" >/dev/null
pid=$(sim pid a)
check "READY=1 with hsd's pid as MAINPID" \
	wait_until 10 grep -qx "MAINPID=$pid" "$T_DIR/notify.out"
check "... and the control socket answers" \
	bash -c "grep -qx READY=1 $T_DIR/notify.out && $SIM --id $T_ID exec a -- hsctl status >/dev/null"
check "... with a status line naming host and cluster" grep -qx 'STATUS=host a of cluster solo' "$T_DIR/notify.out"
: >"$T_DIR/notify.out"
kill -HUP "$pid"
check "a reload says RELOADING=1, then READY=1" \
	wait_until 10 bash -c "[ \"\$(grep -v -- -- $T_DIR/notify.out | tr '\n' ' ')\" = 'RELOADING=1 READY=1 ' ]"
: >"$T_DIR/notify.out"
sim stop a
check "a stop says STOPPING=1" wait_until 10 grep -qx STOPPING=1 "$T_DIR/notify.out"

# An abstract name lives in a network namespace: the listener runs in a's.
A=@hs-notify-$T_ID
on a sh -c "python3 $T_DIR/recv.py $A $T_DIR/abstract.out >/dev/null 2>&1 & echo \$! >$T_DIR/abstract.pid"
on_exit "kill \$(cat $T_DIR/abstract.pid) 2>/dev/null"
wait_until 20 test -e "$T_DIR/abstract.out.bound"
NOTIFY_SOCKET=$A sim start a
check "an abstract \$NOTIFY_SOCKET gets READY=1 too" wait_until 10 grep -qx READY=1 "$T_DIR/abstract.out"
check "control: without \$NOTIFY_SOCKET nothing more arrives" bash -c "
	: >$T_DIR/notify.out; : >$T_DIR/abstract.out
	$SIM --id $T_ID stop a && env -u NOTIFY_SOCKET $SIM --id $T_ID start a && sleep 1 &&
	! grep -q READY $T_DIR/notify.out $T_DIR/abstract.out"
t_done
