/* test_syslog_sender.c - the syslog relay names a sender by the kernel's
 * ids (through the SCM_PIDFD beside each datagram), never by the
 * SCM_CREDENTIALS the sender chose:
 *
 *   actor (forked; root may forge) --> relay.sock --copy----> rcv.sock  (audit reader)
 *                                                 --forward-> dest.sock (base syslog)
 *                                  --> plain.sock (SO_PASSCRED only: the control)
 *
 * An actor is a child doing one command at a time (set its ids, send
 * honestly, send with forged credentials, exit), so each datagram is
 * relayed and checked before the next.  plain.sock is what a reader
 * without hsd's checks sees: a forged claim passes there as the kernel's,
 * which is the attack.  Tests that set ids or forge need root.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "syslog_relay.h"
#include "syslog_sender.h"
#include "syslog_test.h"

#define BASE 1073741824u /* a space's user namespace: its root is this host uid */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

static char dir[64], relay_path[128], dest_path[128], rcv_path[128], plain_path[128];
static int dest = -1, rcv = -1, plain = -1;
static struct syslog_relay *relay;
static char err[HS_ERRLEN];

static void ok(int rc)
{
	cr_assert_eq(rc, HS_OK, "%s", err);
}

static int bound(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un sa = sun_of(path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
		     strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	return fd;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hsd-sysid-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* Actors with other uids reach the 0666 relay socket through it. */
	cr_assert_eq(chmod(dir, 0711), 0);
	snprintf(relay_path, sizeof(relay_path), "%s/relay.sock", dir);
	snprintf(dest_path, sizeof(dest_path), "%s/dest.sock", dir);
	snprintf(rcv_path, sizeof(rcv_path), "%s/rcv.sock", dir);
	snprintf(plain_path, sizeof(plain_path), "%s/plain.sock", dir);
	dest = bound(dest_path);
	rcv = bound(rcv_path);
	plain = bound(plain_path);
	/* plain.sock must take a uid-1234 sender's datagram. */
	chmod(plain_path, 0666);
}

static void teardown(void)
{
	syslog_relay_close(relay);
	relay = NULL;
	int *fds[] = {&dest, &rcv, &plain};
	for (size_t i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	const char *paths[] = {relay_path, dest_path, rcv_path, plain_path};
	for (size_t i = 0; i < 4; i++)
		unlink(paths[i]);
	rmdir(dir);
}

TestSuite(sysid, .init = setup, .fini = teardown, .timeout = 60);

static void open_relay(const char *forward)
{
	ok(syslog_relay_open(relay_path, "web", forward, &relay, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, NULL, rcv_path, err, sizeof(err)));
}

static void pump(void)
{
	struct pollfd p = {syslog_relay_fd(relay), POLLIN, 0};
	if (poll(&p, 1, 1000) > 0)
		ok(syslog_relay_handle(relay, err, sizeof(err)));
}

/* The audit reader's next copy must be exactly the formatted text. */
__attribute__((format(printf, 1, 2))) static void expect_copy(const char *fmt, ...)
{
	char want[512], got[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	cr_assert_gt(take(rcv, got, sizeof(got), NULL), 0, "no copy for: %s", want);
	cr_assert_str_eq(got, want);
}

/* The next datagram at the normal destination: its credentials. */
static struct ucred forwarded(void)
{
	char got[512];
	struct ucred c = {0};
	cr_assert_gt(take(dest, got, sizeof(got), &c), 0, "nothing forwarded");
	return c;
}

/* pid in its own PID namespace (last NSpid field), while it exists. */
static long nspid_of(pid_t pid)
{
	char path[40], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	long v = -1;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, "NSpid:", 6) == 0) {
			char *t = strrchr(buf, '\t');
			v = strtol(t ? t + 1 : buf + 6, NULL, 10);
		}
	fclose(f);
	cr_assert_gt(v, 0);
	return v;
}

static struct syslog_relay_stats stats(void)
{
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	return st;
}

/* ---- the actor ---- */

struct cmd {
	char op;       /* r R h f b q: see actor_main */
	uint32_t uid, gid; /* r R: ids; f: the claim; b: how many datagrams */
	char path[108];
	char msg[64];
};

struct actor {
	pid_t pid;
	int cmd, ack;
};

/* Send c->msg to c->path; with op 'f' attach SCM_CREDENTIALS naming
 * ourselves as uid c->uid, gid c->gid (root may claim anything). */
static int actor_send(const struct cmd *c)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, c->path, strlen(c->path));
	struct iovec iov = {(void *)c->msg, strlen(c->msg)};
	struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			   .msg_iovlen = 1};
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	if (c->op == 'f') {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_CREDENTIALS;
		h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		struct ucred u = {getpid(), c->uid, c->gid};
		memcpy(CMSG_DATA(h), &u, sizeof(u));
	}
	int rc = sendmsg(fd, &m, 0) == (ssize_t)iov.iov_len ? 0 : errno;
	close(fd);
	return rc;
}

static _Noreturn void actor_main(int cmd, int ack, bool userns)
{
	int rc = 0;
	if (userns && unshare(CLONE_NEWUSER) < 0)
		rc = errno;
	if (write(ack, &rc, sizeof(rc)) != (ssize_t)sizeof(rc) || rc)
		_exit(1);
	struct cmd c;
	while (read(cmd, &c, sizeof(c)) == (ssize_t)sizeof(c)) {
		rc = 0;
		switch (c.op) {
		case 'r': /* real ids only: the effective uid stays 0, so it may forge */
			if (setresgid(c.gid, (gid_t)-1, (gid_t)-1) ||
			    setresuid(c.uid, (uid_t)-1, (uid_t)-1))
				rc = errno;
			break;
		case 'R': /* all ids: an ordinary user */
			if (setresgid(c.gid, c.gid, c.gid) || setresuid(c.uid, c.uid, c.uid))
				rc = errno;
			break;
		case 'h':
		case 'f':
			rc = actor_send(&c);
			break;
		case 'b': /* c.uid honest datagrams, blocking like syslog(3) */
			c.op = 'h';
			for (uint32_t i = 0; i < c.uid && rc == 0; i++)
				rc = actor_send(&c);
			break;
		case 'q':
			_exit(0);
		default:
			rc = EINVAL;
		}
		if (write(ack, &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
			_exit(2);
	}
	_exit(0);
}

static void actor_start(struct actor *a, bool userns)
{
	int cmd[2], ack[2];
	cr_assert_eq(pipe2(cmd, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ack, O_CLOEXEC), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(cmd[1]);
		close(ack[0]);
		actor_main(cmd[0], ack[1], userns);
	}
	close(cmd[0]);
	close(ack[1]);
	a->pid = c;
	a->cmd = cmd[1];
	a->ack = ack[0];
	int rc = -1;
	cr_assert_eq(read(a->ack, &rc, sizeof(rc)), (ssize_t)sizeof(rc), "actor did not start");
	cr_assert_eq(rc, 0, "actor: unshare(CLONE_NEWUSER): %s", strerror(rc));
}

static void actor_post(struct actor *a, char op, uint32_t uid, uint32_t gid, const char *path,
		       const char *msg)
{
	struct cmd c = {.op = op, .uid = uid, .gid = gid};
	snprintf(c.path, sizeof(c.path), "%s", path ? path : "");
	snprintf(c.msg, sizeof(c.msg), "%s", msg ? msg : "");
	cr_assert_eq(write(a->cmd, &c, sizeof(c)), (ssize_t)sizeof(c));
}

static void actor_wait(struct actor *a, char op)
{
	int rc = -1;
	cr_assert_eq(read(a->ack, &rc, sizeof(rc)), (ssize_t)sizeof(rc), "actor died at %c", op);
	cr_assert_eq(rc, 0, "actor %c: %s", op, strerror(rc));
}

static void actor_do(struct actor *a, char op, uint32_t uid, uint32_t gid, const char *path,
		     const char *msg)
{
	actor_post(a, op, uid, gid, path, msg);
	actor_wait(a, op);
}

/* Let it exit; reap it (reap false: leave it a zombie, still readable). */
static void actor_quit(struct actor *a, bool reap)
{
	actor_post(a, 'q', 0, 0, NULL, NULL);
	siginfo_t si;
	cr_assert_eq(waitid(P_PID, (id_t)a->pid, &si, WEXITED | (reap ? 0 : WNOWAIT)), 0);
	cr_assert(si.si_code == CLD_EXITED && si.si_status == 0, "actor failed");
	close(a->cmd);
	close(a->ack);
}

/* ---- tests ---- */

/* The attack: root in a server space sends "Accepted password" claiming
 * another uid.  The control socket shows the claim as if it were the
 * kernel's; the relay's copy shows the real ids and the claim beside them,
 * and the normal syslog is given the real ids. */
Test(sysid, forged_credentials_show_as_claims_beside_the_real_ids)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to forge and set ids)");
	const char *msg = "<38>sshd: Accepted password for admin";
	open_relay(dest_path);
	struct actor a;
	actor_start(&a, false);
	actor_do(&a, 'r', 500, 600, NULL, NULL); /* real 500/600, still root */

	actor_do(&a, 'f', 1234, 1234, plain_path, msg);
	char got[512];
	struct ucred pc = {0};
	cr_assert_gt(take(plain, got, sizeof(got), &pc), 0);
	cr_assert_eq(pc.uid, 1234, "control: the forged uid did not pass (uid %u)", pc.uid);
	cr_assert_eq(pc.gid, 1234);
	cr_assert_eq(pc.pid, a.pid);

	actor_do(&a, 'f', 1234, 1234, relay_path, msg);
	pump();
	expect_copy("hsd-src space=web pid=%d uid=500 gid=600 nspid=%ld claimed_uid=1234 "
		    "claimed_gid=1234\n%s",
		    (int)a.pid, nspid_of(a.pid), msg);
	struct ucred fc = forwarded();
	cr_assert_eq(fc.uid, 500, "forwarded with uid %u", fc.uid);
	cr_assert_eq(fc.gid, 600);
	cr_assert_eq(fc.pid, a.pid);
	cr_assert_eq(stats().forged, 1);
	cr_assert_eq(stats().unverified, 0);
	actor_quit(&a, true);
}

/* No explicit credentials: the kernel's default is the real ids, so there
 * is nothing to flag, also for a process whose effective uid differs. */
Test(sysid, an_honest_sender_has_no_claims)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to set ids)");
	open_relay(dest_path);
	struct actor a;
	actor_start(&a, false);
	actor_do(&a, 'r', 500, 600, NULL, NULL); /* like a setuid-root program */
	actor_do(&a, 'h', 0, 0, relay_path, "honest 1");
	pump();
	expect_copy("hsd-src space=web pid=%d uid=500 gid=600 nspid=%ld\nhonest 1", (int)a.pid,
		    nspid_of(a.pid));
	actor_do(&a, 'R', 500, 600, NULL, NULL);
	actor_do(&a, 'h', 0, 0, relay_path, "honest 2");
	pump();
	expect_copy("hsd-src space=web pid=%d uid=500 gid=600 nspid=%ld\nhonest 2", (int)a.pid,
		    nspid_of(a.pid));
	struct ucred fc = forwarded();
	cr_assert_eq(fc.uid, 500);
	cr_assert_eq(fc.pid, a.pid);
	cr_assert_eq(stats().forged, 0);
	cr_assert_eq(stats().unverified, 0);
	actor_quit(&a, true);
}

static void write_map(pid_t pid, const char *which)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	int n = snprintf(line, sizeof(line), "0 %u 65536\n", BASE);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, line, (size_t)n), n, "%s: %s", path, strerror(errno));
	close(fd);
}

/* A space in its own user namespace: its root is host uid BASE.  Without
 * a map the header shows host numbers; with it, the space's own, so a rule
 * written for "uid 33" means the space's www-data; a process from outside
 * the space shows as host:N. */
Test(sysid, a_user_namespace_is_shown_in_its_own_numbers)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (user namespace maps)");
	open_relay(dest_path);
	struct actor a;
	actor_start(&a, true);
	write_map(a.pid, "uid_map");
	write_map(a.pid, "gid_map");
	/* unshare keeps the host ids; becoming the space's root is a setuid,
	 * as a space's init does. */
	actor_do(&a, 'R', 0, 0, NULL, NULL);
	long ns = nspid_of(a.pid);

	/* Root of the space claims to be its uid 33 (it may: CAP_SETUID in
	 * its namespace).  No map yet: host numbers. */
	actor_do(&a, 'f', 33, 44, relay_path, "as 33");
	pump();
	expect_copy("hsd-src space=web pid=%d uid=%u gid=%u nspid=%ld claimed_uid=%u "
		    "claimed_gid=%u\nas 33",
		    (int)a.pid, BASE, BASE, ns, BASE + 33, BASE + 44);

	ok(syslog_relay_set_idmap(relay, BASE, BASE, 65536, err, sizeof(err)));
	actor_do(&a, 'f', 33, 44, relay_path, "as 33");
	pump();
	expect_copy("hsd-src space=web pid=%d uid=0 gid=0 nspid=%ld claimed_uid=33 "
		    "claimed_gid=44\nas 33",
		    (int)a.pid, ns);

	actor_do(&a, 'R', 33, 44, NULL, NULL);
	actor_do(&a, 'h', 0, 0, relay_path, "www-data");
	pump();
	expect_copy("hsd-src space=web pid=%d uid=33 gid=44 nspid=%ld\nwww-data", (int)a.pid, ns);
	/* The normal syslog is in the base: host numbers. */
	struct ucred fc = forwarded();
	cr_assert_eq(fc.uid, BASE);
	forwarded();
	fc = forwarded();
	cr_assert_eq(fc.uid, BASE + 33);
	cr_assert_eq(fc.gid, BASE + 44);
	actor_quit(&a, true);

	/* We are outside the space's range. */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = sun_of(relay_path);
	cr_assert_eq(sendto(fd, "probe", 5, 0, (struct sockaddr *)&sa, sizeof(sa)), 5);
	close(fd);
	pump();
	expect_copy("hsd-src space=web pid=%d uid=host:%u gid=host:%u nspid=%ld\nprobe",
		    (int)getpid(), (unsigned)getuid(), (unsigned)getgid(), nspid_of(getpid()));
}

Test(sysid, a_bad_idmap_is_refused_and_changes_nothing)
{
	open_relay(dest_path);
	uint32_t u = (uint32_t)getuid(), g = (uint32_t)getgid();
	cr_assert_lt(u, 100000, "the test's uid must lie below the map");
	ok(syslog_relay_set_idmap(relay, 100000, 200000, 65536, err, sizeof(err)));
	cr_assert_eq(syslog_relay_set_idmap(relay, UINT32_MAX - 5, 0, 65536, err, sizeof(err)),
		     HS_EINPUT);
	cr_assert_not_null(strstr(err, "uid_base"), "%s", err);
	cr_assert_eq(syslog_relay_set_idmap(relay, 0, 1, UINT32_MAX, err, sizeof(err)), HS_EINPUT);
	cr_assert_not_null(strstr(err, "gid_base"), "%s", err);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = sun_of(relay_path);
	cr_assert_eq(sendto(fd, "a", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	pump();
	long ns = nspid_of(getpid());
	expect_copy("hsd-src space=web pid=%d uid=host:%u gid=host:%u nspid=%ld\na", (int)getpid(),
		    u, g, ns);
	/* The whole id space but (uid_t)-1 is a valid range; count 0 is none. */
	ok(syslog_relay_set_idmap(relay, 0, 0, UINT32_MAX, err, sizeof(err)));
	ok(syslog_relay_set_idmap(relay, 0, 0, 0, err, sizeof(err)));
	cr_assert_eq(sendto(fd, "b", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	close(fd);
	pump();
	expect_copy("hsd-src space=web pid=%d uid=%u gid=%u nspid=%ld\nb", (int)getpid(), u, g, ns);
}

/* A forger that exits before the relay reads.  Reaped: nothing real is
 * left to read, so uid=? and the claim stays a claim (and the normal
 * syslog gets hsd's own credentials, not the claim).  A zombie still has
 * its ids: they are shown, with the claim beside them. */
Test(sysid, a_gone_sender_is_never_shown_with_its_claim_as_real)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to forge)");
	open_relay(dest_path);
	struct actor a;
	actor_start(&a, false);
	actor_do(&a, 'f', 1234, 1234, relay_path, "reaped");
	actor_quit(&a, true);
	pump();
	char got[512];
	cr_assert_gt(take(rcv, got, sizeof(got), NULL), 0);
	cr_assert_null(strstr(got, " uid=1234"), "the claim shown as real: %s", got);
	char want[256];
	snprintf(want, sizeof(want),
		 "hsd-src space=web pid=%d uid=? gid=? nspid=? claimed_uid=1234 "
		 "claimed_gid=1234\nreaped",
		 (int)a.pid);
	cr_assert_str_eq(got, want);
	struct ucred fc = forwarded();
	cr_assert_neq(fc.uid, 1234);
	cr_assert_eq(fc.pid, getpid(), "forwarded as someone else than hsd");

	struct actor z;
	actor_start(&z, false);
	actor_do(&z, 'r', 500, 600, NULL, NULL);
	actor_do(&z, 'f', 1234, 1234, relay_path, "zombie");
	actor_quit(&z, false);
	long ns = nspid_of(z.pid);
	pump();
	expect_copy("hsd-src space=web pid=%d uid=500 gid=600 nspid=%ld claimed_uid=1234 "
		    "claimed_gid=1234\nzombie",
		    (int)z.pid, ns);
	fc = forwarded();
	cr_assert_eq(fc.uid, 500);
	cr_assert_eq(fc.pid, z.pid);
	cr_assert_eq(waitpid(z.pid, NULL, 0), z.pid);
	cr_assert_eq(stats().unverified, 1);
	cr_assert_eq(stats().forged, 1);
}

/* Each datagram brings a pidfd into hsd; each must be closed, also when
 * the datagram is lost on the normal path (no syslog here). */
Test(sysid, the_pidfd_of_every_datagram_is_closed)
{
	enum { N = 1000 };
	char nowhere[160];
	snprintf(nowhere, sizeof(nowhere), "%s/no-syslog.sock", dir);
	open_relay(nowhere);
	struct actor a;
	actor_start(&a, false);
	int before = count_fds();
	actor_post(&a, 'b', N, 0, relay_path, "<14>burst");
	bool done = false;
	for (int spins = 0; spins < 100000 && !(done && stats().received == N); spins++) {
		struct pollfd p[3] = {{syslog_relay_fd(relay), POLLIN, 0}, {a.ack, POLLIN, 0},
				      {rcv, POLLIN, 0}};
		poll(p, 3, 100);
		ok(syslog_relay_handle(relay, err, sizeof(err)));
		if (!done && (p[1].revents & POLLIN)) {
			actor_wait(&a, 'b');
			done = true;
		}
		char b[256];
		while (recv(rcv, b, sizeof(b), MSG_DONTWAIT) >= 0)
			;
	}
	cr_assert(done, "the actor did not finish");
	struct syslog_relay_stats st = stats();
	cr_assert_eq(st.received, N);
	cr_assert_eq(st.forward_dropped, N);
	/* Every one was identified, so every one came with a pidfd. */
	cr_assert_eq(st.unverified, 0);
	cr_assert_eq(count_fds(), before, "pidfds left open");
	actor_quit(&a, true);
}

/* The kernel puts SCM_PIDFD after any fds a sender attaches: with room for
 * fewer than the most it may attach (SCM_MAX_FD, 253), a sender could push
 * its pidfd out of the control buffer and go unidentified.  The fds are
 * closed, as always. */
Test(sysid, a_sender_cannot_push_its_pidfd_out_with_many_fds)
{
	enum { NFD = 253 };
	open_relay(dest_path);
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	int before = count_fds();
	union {
		char b[CMSG_SPACE(NFD * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct sockaddr_un sa = sun_of(relay_path);
	struct iovec iov = {"many", 4};
	struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			   .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(NFD * sizeof(int));
	for (int i = 0; i < NFD; i++)
		memcpy(CMSG_DATA(c) + (size_t)i * sizeof(int), &p[0], sizeof(int));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(sendmsg(fd, &m, 0), 4, "sendmsg: %s", strerror(errno));
	close(fd);
	pump();
	expect_copy("hsd-src space=web pid=%d uid=%u gid=%u nspid=%ld\nmany", (int)getpid(),
		    (unsigned)getuid(), (unsigned)getgid(), nspid_of(getpid()));
	cr_assert_eq(stats().unverified, 0);
	cr_assert_eq(count_fds(), before, "passed fds or the pidfd left open");
	close(p[0]);
	close(p[1]);
}

/* The actor's pidfd, taken as the relay takes one (SCM_PIDFD), since
 * valgrind 3.19 does not know pidfd_open. */
static int actor_pidfd(struct actor *a)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/pidfd.sock", dir);
	int s = bound(path);
	int one = 1;
	chmod(path, 0666);
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)), 0,
		     "SO_PASSPIDFD: %s", strerror(errno));
	actor_do(a, 'h', 0, 0, path, "x");
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char buf[8];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			   .msg_controllen = sizeof(ctl.b)};
	cr_assert_eq(recvmsg(s, &m, MSG_CMSG_CLOEXEC), 1);
	int pidfd = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_PIDFD)
			memcpy(&pidfd, CMSG_DATA(h), sizeof(pidfd));
	close(s);
	unlink(path);
	cr_assert_geq(pidfd, 0, "no SCM_PIDFD");
	return pidfd;
}

/* The /proc fallback (kernels before PIDFD_GET_INFO) gives the same ids as
 * the ioctl, for a live process and a zombie, and none once the pid is
 * free for reuse. */
Test(sysid, the_proc_fallback_matches_the_ioctl)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to set ids)");
	struct actor a;
	actor_start(&a, false);
	actor_do(&a, 'r', 500, 600, NULL, NULL);
	int pidfd = actor_pidfd(&a);
	long ns = nspid_of(a.pid);
	enum syslog_sender_how how[] = {SYSLOG_SENDER_AUTO, SYSLOG_SENDER_PROC};
	struct syslog_sender s;
	for (int round = 0; round < 3; round++) {
		if (round == 1)
			actor_quit(&a, false); /* a zombie */
		if (round == 2)
			cr_assert_eq(waitpid(a.pid, NULL, 0), a.pid);
		for (size_t i = 0; i < 2; i++) {
			syslog_sender_identify(pidfd, how[i], &s);
			if (round < 2) {
				cr_assert(s.ids, "round %d how %zu: no ids", round, i);
				cr_assert_eq(s.uid, 500);
				cr_assert_eq(s.gid, 600);
				cr_assert_eq(s.pid, a.pid);
				cr_assert_eq(s.nspid, ns);
			} else {
				cr_assert(!s.ids, "how %zu: ids of a reaped process", i);
				cr_assert_eq(s.pid, 0);
			}
		}
	}
	close(pidfd);
	syslog_sender_identify(-1, SYSLOG_SENDER_AUTO, &s);
	cr_assert(!s.ids);
	cr_assert_eq(s.pid, 0);
}
