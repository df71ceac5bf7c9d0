"""relay.py - feed Sagan the syslog copy of the watched server spaces.

    python3 relay.py SOCKET FIFO "SERVER..." -- SAGAN_COMMAND...

hsd sends an audit space one datagram per message a server space logs, to
the unix datagram socket SOCKET (/run/hsd-syslog.sock), each as a header
line and the message as the server sent it (docs/monitors-net-syslog.md):

    hsd-src space=web pid=812 uid=0 gid=0 nspid=31
    <36>Dec  6 13:55:21 sshd[4242]: Failed password for root from ...

Sagan 1.2.0 reads one line per message from a named pipe, in the format
of its rsyslog template:

    HOST|FACILITY|PRIORITY|LEVEL|TAG|DATE|TIME|PROGRAM|MESSAGE

This program binds SOCKET, runs Sagan (SAGAN_COMMAND) as its child and
writes each datagram to FIFO as such a line.  HOST is the server space as
an address Sagan accepts, 127.1.X.Y for the Nth server of the list
(N = 256 * X + Y, from 1); report.awk turns it back into the name.

It supervises Sagan because the two must start over together: Debian's
glibc keeps a stream at end of file once it got there, so a Sagan whose
writer went away never reads again, and a Sagan that died must not take
the socket's queue of copies with it.  When Sagan exits (or closes the
pipe) the relay keeps the socket and its queue, starts Sagan again and
writes the line it could not deliver first.  When the relay ends (an
error, SIGTERM), it stops Sagan; run.sh stops a Sagan left behind by a
relay that was killed outright.

Sagan 1.2.0 hands each line to an idle worker thread and drops it when
every worker slot is taken (its "worker_thread_exhaustion" counter), so a
burst written at once loses lines beyond max-threads.  The relay therefore
writes at most one line per PACE seconds; copies wait in the socket's
queue meanwhile (512 datagrams in an audit space).
"""

import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import time

PACE = 0.002           # seconds between two lines to Sagan
MESSAGE_MAX = 8000     # bytes of a message kept (Sagan's buffer is larger)
FACILITIES = ("kern user mail daemon auth syslog lpr news uucp cron authpriv "
              "ftp ntp security console solaris-cron local0 local1 local2 "
              "local3 local4 local5 local6 local7").split()
SEVERITIES = "emerg alert crit err warning notice info debug".split()

PRI = re.compile(r"<([0-9]{1,3})>")
# "Dec  6 13:55:21 " (RFC 3164, what syslog(3) and logger write locally)
BSD_TIME = re.compile(r"[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ")
# "1 2026-12-06T13:55:21.670625+00:00 HOST APP PROCID MSGID " (RFC 5424)
RFC5424 = re.compile(r"1 (\S+) (\S+) (\S+) (\S+) (\S+) ")
# "sshd[4242]: " or "hsd-probe: "
TAG = re.compile(r"([^\s:\[\]|]{1,64})(\[[^\]\s|]{0,32}\])?: ?")
CONTROL = {c: " " for c in range(32)}


def log(*words):
    print("sagan-relay:", *words, flush=True)


def host_of(name, servers):
    """The address standing for server NAME in Sagan's HOST field."""
    try:
        n = servers.index(name) + 1
    except ValueError:
        n = 0  # not a watched server (report.awk prints "?")
    return "127.1.%d.%d" % (n // 256, n % 256)


def field(s):
    """A header field of Sagan's line: no separator, no control byte."""
    return s.translate(CONTROL).replace("|", "_").strip() or "-"


def parse(body):
    """(facility, severity, tag, program, message) of one syslog datagram."""
    text = body.decode("utf-8", "replace")
    fac, sev = "user", "notice"  # syslog(3)'s default, LOG_USER|LOG_NOTICE
    m = PRI.match(text)
    if m and int(m.group(1)) < 192:
        pri = int(m.group(1))
        fac = FACILITIES[pri >> 3] if (pri >> 3) < len(FACILITIES) else str(pri >> 3)
        sev = SEVERITIES[pri & 7]
        text = text[m.end():]
    tag = program = "-"
    m = RFC5424.match(text)
    if m:
        program = m.group(3)
        tag = program if m.group(4) == "-" else "%s[%s]" % (program, m.group(4))
        text = text[m.end():]
        if text.startswith("- "):
            text = text[2:]
        elif text.startswith("["):  # structured data: up to the first "] " not escaped
            m = re.match(r"(\[(?:[^\]\\]|\\.)*\])+ ?", text)
            if m:
                text = text[m.end():]
        text = text.lstrip("\ufeff")
    else:
        m = BSD_TIME.match(text)
        if m:
            text = text[m.end():]
        m = TAG.match(text)
        if m:
            program = m.group(1)
            tag = m.group(1) + (m.group(2) or "") + ":"
            text = text[m.end():]
    message = text.translate(CONTROL).encode("utf-8")[:MESSAGE_MAX].decode("utf-8", "ignore")
    return fac, sev, field(tag), field(program), message


def line_of(datagram, servers):
    head, nl, body = datagram.partition(b"\n")
    server = "?"
    if nl and head.startswith(b"hsd-src "):
        for f in head.decode("ascii", "replace").split(" ")[1:]:
            k, _, v = f.partition("=")
            if k == "space":
                server = v
    else:  # not from hsd's relay (nothing else can send here): all is message
        body = datagram
    fac, sev, tag, program, message = parse(body)
    now = time.localtime()
    return server, "%s|%s|%s|%s|%s|%s|%s|%s|%s\n" % (
        host_of(server, servers), fac, sev, sev, tag,
        time.strftime("%Y-%m-%d", now), time.strftime("%H:%M:%S", now),
        program, message)


class Sagan:
    def __init__(self, fifo, command):
        self.fifo, self.command = fifo, command
        self.proc, self.fd, self.starts = None, -1, 0

    def start(self):
        """Start Sagan and open the pipe once it reads; False if it died first."""
        if not (os.path.exists(self.fifo) and stat.S_ISFIFO(os.stat(self.fifo).st_mode)):
            if os.path.lexists(self.fifo):
                os.unlink(self.fifo)
            os.mkfifo(self.fifo, 0o600)
        self.starts += 1
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while self.proc.poll() is None:
            try:
                # Succeeds once Sagan has the pipe open for reading.
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError:
                time.sleep(0.1)
                continue
            os.set_blocking(fd, True)
            self.fd = fd
            log("sagan (pid %d) reads %s" % (self.proc.pid, self.fifo))
            return True
        return False

    def stop(self, why, again=True):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not again:
            return
        log("sagan stopped (%s, exit status %s); starting it again in 1 s"
            % (why, self.proc.returncode if self.proc else "-"))
        time.sleep(1)

    def write(self, line):
        """True if Sagan took the line."""
        data = line.encode("utf-8")
        try:
            while data:
                n = os.write(self.fd, data)
                data = data[n:]
            return True
        except OSError:
            return False


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        print("usage: relay.py SOCKET FIFO SERVERS -- SAGAN_COMMAND...", file=sys.stderr)
        return 2
    path, fifo, servers, command = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[5:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    if os.path.lexists(path):
        os.unlink(path)
    sock.bind(path)
    log("receiving the syslog copy of %s on %s" % (" ".join(servers) or "no server", path))
    sagan = Sagan(fifo, command)
    try:
        relay(sock, sagan, servers)
    finally:
        sagan.stop("the relay ends", again=False)


def relay(sock, sagan, servers):
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    pending = None   # a line Sagan did not take, sent again first
    unknown = set()
    while True:
        if sagan.fd < 0:
            if not sagan.start():
                sagan.stop("it exited while starting")
                continue
            poll.register(sagan.fd, 0)  # only POLLERR: Sagan closed the pipe
        if pending is None:
            events = dict(poll.poll())
            if sagan.fd in events:
                poll.unregister(sagan.fd)
                sagan.stop("it closed the pipe")
                continue
            if sock.fileno() not in events:
                continue
            datagram = sock.recv(70000)
            server, pending = line_of(datagram, servers)
            if server not in servers and server not in unknown:
                unknown.add(server)
                log("a message from %s, which is not a watched server" % server)
        if not sagan.write(pending):
            poll.unregister(sagan.fd)
            sagan.stop("the pipe broke")
            continue
        pending = None
        time.sleep(PACE)


if __name__ == "__main__":
    # SIGTERM ends the relay through main's "finally", which stops Sagan.
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(128 + signo))
    sys.exit(main())
