/* test_syslog_relay.c - the /dev/log relay with real unix sockets under a
 * private temporary directory:
 *
 *   sender (own PID ns) -> relay.sock --forward--> dest.sock  (the "base syslog")
 *                                     --copy-----> rcv1.sock  (audit reader)
 *                                     --copy-----> rcv2.sock  (never read)
 *                                     --copy-----> absent.sock (nobody)
 *
 * The normal destination must get every datagram (the relay waits for it);
 * copies never wait.  An audit receiver is named by a root directory and a
 * path under it, resolved with no symlink followed.  The header's ids (real
 * versus claimed, user namespaces) are tested in test_syslog_sender.c.
 *
 * PID namespaces need root; without it those tests are skipped.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "syslog_relay.h"
#include "syslog_test.h"

static char dir[64], relay_path[128], dest_path[128], rcv1_path[128], rcv2_path[128],
	absent_path[128];
static int dest = -1, rcv1 = -1, rcv2 = -1;
static struct syslog_relay *relay;
static char err[HS_ERRLEN];

static void ok(int rc)
{
	cr_assert_eq(rc, HS_OK, "%s", err);
}

static int bound(const char *path, int rcvbuf)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un sa = sun_of(path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
		     strerror(errno));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	return fd;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hsd-syslog-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(relay_path, sizeof(relay_path), "%s/relay.sock", dir);
	snprintf(dest_path, sizeof(dest_path), "%s/dest.sock", dir);
	snprintf(rcv1_path, sizeof(rcv1_path), "%s/rcv1.sock", dir);
	snprintf(rcv2_path, sizeof(rcv2_path), "%s/rcv2.sock", dir);
	snprintf(absent_path, sizeof(absent_path), "%s/absent.sock", dir);
	dest = bound(dest_path, 0);
	rcv1 = bound(rcv1_path, 0);
	rcv2 = bound(rcv2_path, 1); /* the kernel rounds up to its minimum */
}

static void teardown(void)
{
	syslog_relay_close(relay);
	relay = NULL;
	int *fds[] = {&dest, &rcv1, &rcv2};
	for (size_t i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	const char *paths[] = {relay_path, dest_path, rcv1_path, rcv2_path, absent_path};
	for (size_t i = 0; i < 5; i++)
		unlink(paths[i]);
	rmdir(dir);
}

TestSuite(syslog, .init = setup, .fini = teardown, .timeout = 60);

static void open_relay(const char *forward)
{
	ok(syslog_relay_open(relay_path, "web", forward, &relay, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, NULL, rcv1_path, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, NULL, rcv2_path, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, NULL, absent_path, err, sizeof(err)));
}

/* What hsd's loop polls: the relay socket, or while a datagram waits for
 * the normal destination, the forward socket's room. */
static struct pollfd relay_pollfd(void)
{
	if (syslog_relay_waiting(relay))
		return (struct pollfd){syslog_relay_forward_fd(relay), POLLOUT, 0};
	return (struct pollfd){syslog_relay_fd(relay), POLLIN, 0};
}

/* Wait for the relay to have work, then relay. */
static void pump(int ms)
{
	struct pollfd p = relay_pollfd();
	if (poll(&p, 1, ms) > 0)
		ok(syslog_relay_handle(relay, err, sizeof(err)));
}

static int send_to(const char *path, const void *msg, size_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = sun_of(path);
	ssize_t n = sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)len ? 0 : -1;
}

static void drain(int fd)
{
	char b[512];
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		;
}

/* ---- a sender inside its own PID namespace, as in a server space ---- */

struct sender {
	pid_t child;   /* in our namespace */
	int go;        /* closing it lets the sender exit */
	pid_t host_pid; /* the sending process as we number it */
};

/* The sender is PID 1 of a new PID namespace; it sends msg and stays alive
 * until sender_end(), so the relay can still look it up. */
static void sender_start(struct sender *s, const char *msg)
{
	int go[2], ready[2];
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWPID) < 0)
			_exit(2);
		pid_t g = fork();
		if (g < 0)
			_exit(3);
		if (g == 0) {
			char b;
			int rc = send_to(relay_path, msg, strlen(msg)) == 0 ? 0 : 4;
			pid_t me = getpid(); /* 1 here */
			if (write(ready[1], &me, sizeof(me)) != (ssize_t)sizeof(me))
				rc = 5;
			if (read(go[0], &b, 1) < 0)
				rc = 6;
			_exit(rc);
		}
		close(ready[1]);
		int st;
		waitpid(g, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 7);
	}
	close(go[0]);
	close(ready[1]);
	pid_t inner;
	cr_assert_eq(read(ready[0], &inner, sizeof(inner)), (ssize_t)sizeof(inner),
		     "sender did not start");
	close(ready[0]);
	cr_assert_eq(inner, 1);
	s->child = c;
	s->go = go[1];
}

static void sender_end(struct sender *s)
{
	close(s->go);
	int st;
	cr_assert_eq(waitpid(s->child, &st, 0), s->child);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender failed: %d", st);
}

/* ---- tests ---- */

Test(syslog, copies_carry_the_header_and_the_original_goes_on_unchanged)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (PID namespace)");
	open_relay(dest_path);
	const char *msg = "<13>Jan  1 00:00:00 web: hsd-relay-marker-1";
	struct sender s;
	sender_start(&s, msg);
	pump(1000);

	char got[512];
	struct ucred cred = {0};
	cr_assert_eq(take(dest, got, sizeof(got), &cred), (ssize_t)strlen(msg));
	cr_assert_str_eq(got, msg);
	/* The normal destination sees the sender's credentials, not hsd's. */
	cr_assert_neq(cred.pid, getpid());
	cr_assert_gt(cred.pid, 1);

	/* pid as hsd numbers it (what the destination got), nspid as the
	 * sender's own namespace does: it is that namespace's init. */
	char want[512];
	snprintf(want, sizeof(want), "hsd-src space=web pid=%d uid=%u gid=%u nspid=1\n%s",
		 (int)cred.pid, (unsigned)getuid(), (unsigned)getgid(), msg);
	cr_assert_gt(take(rcv1, got, sizeof(got), NULL), 0);
	cr_assert_str_eq(got, want);
	cr_assert_gt(take(rcv2, got, sizeof(got), NULL), 0);
	cr_assert_str_eq(got, want);
	sender_end(&s);

	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.received, 1);
	cr_assert_eq(st.forwarded, 1);
	cr_assert_eq(st.forward_dropped, 0);
	cr_assert_eq(st.nreceivers, 3);
	cr_assert_eq(st.receivers[0].sent, 1);
	cr_assert_eq(st.receivers[1].sent, 1);
	cr_assert_eq(st.receivers[2].sent, 0);
	cr_assert_eq(st.receivers[2].dropped, 1, "absent receiver not counted");
	cr_assert_str_eq(st.receivers[2].path, absent_path);
}

/* Reaped before the relay reads: its pidfd names no process any more, so
 * its real ids are unknown and its claim (here the honest default) is
 * shown as a claim, never as the real ids.  Only the kernel's pid number
 * is still exact.  (Forged claims of gone senders: test_syslog_sender.c.) */
Test(syslog, a_sender_that_is_gone_is_relayed_with_its_ids_unknown)
{
	open_relay(dest_path);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0)
		_exit(send_to(relay_path, "gone", 4) == 0 ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pump(1000);
	char got[256], want[160];
	snprintf(want, sizeof(want),
		 "hsd-src space=web pid=%d uid=? gid=? nspid=? claimed_uid=%u claimed_gid=%u\ngone",
		 (int)c, (unsigned)getuid(), (unsigned)getgid());
	cr_assert_gt(take(rcv1, got, sizeof(got), NULL), 0);
	cr_assert_str_eq(got, want);
	/* Its credentials could not be passed on; the message still was. */
	cr_assert_eq(take(dest, got, sizeof(got), NULL), 4);
	cr_assert_str_eq(got, "gone");
	struct syslog_relay_stats sst;
	syslog_relay_stats(relay, &sst);
	cr_assert_eq(sst.unverified, 1);
	cr_assert_eq(sst.forged, 0);
}

static long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

Test(syslog, stuck_and_absent_readers_never_slow_the_sender)
{
	open_relay(dest_path);
	/* Fill the never-reading receiver first (reading the normal
	 * destination, which the relay would otherwise wait for). */
	for (int i = 0; i < 64; i++) {
		char m[32];
		snprintf(m, sizeof(m), "fill %d", i);
		cr_assert_eq(send_to(relay_path, m, strlen(m)), 0);
		ok(syslog_relay_handle(relay, err, sizeof(err)));
		drain(dest);
	}
	drain(rcv1);
	drain(dest);
	struct syslog_relay_stats before;
	syslog_relay_stats(relay, &before);
	cr_assert_gt(before.receivers[1].dropped, 0, "rcv2 never filled up");

	/* 1000 blocking sends, like syslog(3), from a child; the child
	 * reports how long they took.  Meanwhile we relay and read rcv1 and
	 * dest, as hsd's loop and a live reader would. */
	enum { N = 1000 };
	int res[2];
	cr_assert_eq(pipe2(res, O_CLOEXEC), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(res[0]);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = sun_of(relay_path);
		long t0 = now_us();
		long worst = 0;
		for (int i = 0; i < N; i++) {
			char m[64];
			int n = snprintf(m, sizeof(m), "<14>burst message %d", i);
			long s0 = now_us();
			if (sendto(fd, m, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) != n)
				_exit(1);
			if (now_us() - s0 > worst)
				worst = now_us() - s0;
		}
		long t[2] = {now_us() - t0, worst};
		if (write(res[1], t, sizeof(t)) != (ssize_t)sizeof(t))
			_exit(2);
		_exit(0);
	}
	close(res[1]);
	long t[2] = {-1, -1};
	long deadline = now_us() + 20 * 1000000L;
	uint64_t got1 = 0;
	for (;;) {
		struct syslog_relay_stats now;
		syslog_relay_stats(relay, &now);
		/* The last datagram may still wait for the normal destination. */
		if ((now.received - before.received >= N && now.forwarded - before.forwarded >= N) ||
		    now_us() > deadline)
			break;
		struct pollfd p[2] = {relay_pollfd(), {rcv1, POLLIN, 0}};
		poll(p, 2, 100);
		ok(syslog_relay_handle(relay, err, sizeof(err)));
		char b[512];
		while (recv(rcv1, b, sizeof(b), MSG_DONTWAIT) >= 0)
			got1++;
		drain(dest);
	}
	cr_assert_eq(read(res[0], t, sizeof(t)), (ssize_t)sizeof(t));
	close(res[0]);
	int st;
	waitpid(c, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char b[512];
	while (recv(rcv1, b, sizeof(b), MSG_DONTWAIT) >= 0)
		got1++;

	struct syslog_relay_stats a;
	syslog_relay_stats(relay, &a);
	cr_log_info("1000 sends took %ld us (slowest %ld us); rcv1 got %llu, dropped %llu; "
		    "rcv2 dropped %llu; absent dropped %llu; forward dropped %llu",
		    t[0], t[1], (unsigned long long)got1,
		    (unsigned long long)(a.receivers[0].dropped - before.receivers[0].dropped),
		    (unsigned long long)(a.receivers[1].dropped - before.receivers[1].dropped),
		    (unsigned long long)(a.receivers[2].dropped - before.receivers[2].dropped),
		    (unsigned long long)(a.forward_dropped - before.forward_dropped));
	/* Not a time limit (valgrind alone makes it seconds): a relay that
	 * waited on the stuck or absent reader would never have taken all
	 * 1000 (our loop runs its handler), and the sender would not have
	 * finished within the deadline. */
	cr_assert_geq(t[0], 0, "the sender did not finish its 1000 sends within 20 s");
	cr_assert_eq(a.received - before.received, N);
	/* Every message is accounted for at every destination. */
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(a.receivers[i].sent + a.receivers[i].dropped -
				     before.receivers[i].sent - before.receivers[i].dropped,
			     N, "receiver %zu", i);
	/* ... and the normal destination got every one. */
	cr_assert_eq(a.forwarded - before.forwarded, N);
	cr_assert_eq(a.forward_dropped, 0);
	cr_assert_eq(a.receivers[1].dropped - before.receivers[1].dropped, N, "rcv2 was full");
	cr_assert_eq(a.receivers[2].dropped - before.receivers[2].dropped, N);
	cr_assert_eq(a.receivers[0].sent - before.receivers[0].sent, got1,
		     "rcv1 got what was sent to it");
	cr_assert_gt(got1, 0);
}

Test(syslog, an_absent_normal_destination_is_counted_not_fatal)
{
	char nowhere[160];
	snprintf(nowhere, sizeof(nowhere), "%s/no-syslog.sock", dir);
	open_relay(nowhere);
	cr_assert_eq(send_to(relay_path, "x", 1), 0);
	pump(1000);
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.forwarded, 0);
	cr_assert_eq(st.forward_dropped, 1);
	char got[256];
	cr_assert_gt(take(rcv1, got, sizeof(got), NULL), 0);
	cr_assert(strstr(got, "\nx"), "%s", got);
}

Test(syslog, passed_fds_are_closed_and_long_messages_cut)
{
	open_relay(dest_path);
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	int before = count_fds();
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = sun_of(relay_path);
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {"fds", 3};
	struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			   .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), p, sizeof(p));
	cr_assert_eq(sendmsg(fd, &m, 0), 3);

	size_t big = SYSLOG_RELAY_MSG_MAX + 1000;
	char *msg = malloc(big);
	memset(msg, 'a', big);
	int sb = 4 * 1024 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb));
	cr_assert_eq(sendto(fd, msg, big, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)big);
	free(msg);
	close(fd);
	pump(1000);
	cr_assert_eq(count_fds(), before, "passed fds were kept open");
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.received, 2);
	cr_assert_eq(st.truncated, 1);
	close(p[0]);
	close(p[1]);
}

Test(syslog, input_and_lifecycle)
{
	char longp[200];
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_eq(syslog_relay_open(longp, "web", NULL, &relay, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(syslog_relay_open(relay_path, "bad name", NULL, &relay, err, sizeof(err)),
		     HS_EINPUT);
	/* A regular file is not replaced. */
	int f = open(relay_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(f, 0);
	close(f);
	cr_assert_eq(syslog_relay_open(relay_path, "web", NULL, &relay, err, sizeof(err)),
		     HS_EINPUT);
	unlink(relay_path);
	/* A stale socket is. */
	int stale = bound(relay_path, 0);
	close(stale);
	ok(syslog_relay_open(relay_path, "web", dest_path, &relay, err, sizeof(err)));
	struct stat sb;
	cr_assert_eq(stat(relay_path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0666);

	ok(syslog_relay_add_receiver(relay, NULL, rcv1_path, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, "/", rcv1_path, err, sizeof(err)));
	cr_assert_eq(syslog_relay_add_receiver(relay, NULL, longp, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(syslog_relay_add_receiver(relay, longp, "/x", err, sizeof(err)), HS_EINPUT);
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.nreceivers, 1);
	ok(syslog_relay_remove_receiver(relay, NULL, rcv1_path, err, sizeof(err)));
	ok(syslog_relay_remove_receiver(relay, NULL, rcv1_path, err, sizeof(err)));
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.nreceivers, 0);
	/* Nothing registered: the message is only forwarded. */
	cr_assert_eq(send_to(relay_path, "solo", 4), 0);
	pump(1000);
	char got[64];
	cr_assert_eq(take(dest, got, sizeof(got), NULL), 4);
	cr_assert_eq(recv(rcv1, got, sizeof(got), MSG_DONTWAIT), -1);

	syslog_relay_close(relay);
	relay = NULL;
	cr_assert_neq(access(relay_path, F_OK), 0, "close left the socket file");
}

/* The normal destination is slow: for 300 ms it reads nothing, then one
 * datagram at a time.  The relay must keep the datagram it could not
 * forward, stop reading, and so make the sender's blocking sends wait, as
 * a slow syslogd would; then every datagram arrives, in order.  The copies
 * meanwhile went out at once or were dropped, never waited for. */
Test(syslog, a_slow_normal_destination_gets_every_datagram_in_order)
{
	open_relay(dest_path);
	enum { N = 2000 };
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = sun_of(relay_path);
		for (int i = 0; i < N; i++) {
			char m[64];
			int n = snprintf(m, sizeof(m), "<14>slow %d", i);
			if (sendto(fd, m, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) != n)
				_exit(1);
		}
		_exit(0);
	}
	/* Phase 1: the destination reads nothing. */
	long until = now_us() + 300000L;
	while (now_us() < until)
		pump(10);
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert(syslog_relay_waiting(relay), "the relay did not wait for the destination");
	cr_assert_gt(st.forward_waits, 0);
	cr_assert_lt(st.received, N, "the relay read everything: the sender never waited");
	cr_assert_eq(waitpid(c, NULL, WNOHANG), 0, "the sender finished: it never blocked");
	cr_assert_eq(st.forward_dropped, 0);

	/* Phase 2: one datagram at a time, as the loop hands them on. */
	int got = 0;
	long deadline = now_us() + 30 * 1000000L;
	while (got < N && now_us() < deadline) {
		struct pollfd p[2] = {relay_pollfd(), {dest, POLLIN, 0}};
		poll(p, 2, 100);
		ok(syslog_relay_handle(relay, err, sizeof(err)));
		char b[128], want[64];
		ssize_t n = recv(dest, b, sizeof(b) - 1, MSG_DONTWAIT);
		if (n < 0)
			continue;
		b[n] = '\0';
		snprintf(want, sizeof(want), "<14>slow %d", got);
		cr_assert_str_eq(b, want, "out of order or lost");
		got++;
	}
	int wst;
	cr_assert_eq(waitpid(c, &wst, 0), c);
	cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "sender failed");
	syslog_relay_stats(relay, &st);
	cr_log_info("%d datagrams through a slow destination; the relay waited %llu times",
		    got, (unsigned long long)st.forward_waits);
	cr_assert_eq(got, N);
	cr_assert_eq(st.received, N);
	cr_assert_eq(st.forwarded, N);
	cr_assert_eq(st.forward_dropped, 0);
	cr_assert(!syslog_relay_waiting(relay));
	/* The never-read and the absent receivers lost copies, never waited. */
	cr_assert_eq(st.receivers[1].sent + st.receivers[1].dropped, N);
	cr_assert_gt(st.receivers[1].dropped, 0);
	cr_assert_eq(st.receivers[2].dropped, N);
}

/* A normal destination that goes away and comes back (syslogd restarted)
 * is connected to again. */
Test(syslog, a_restarted_normal_destination_is_reconnected)
{
	open_relay(dest_path);
	cr_assert_eq(send_to(relay_path, "a", 1), 0);
	pump(1000);
	char got[64];
	cr_assert_eq(take(dest, got, sizeof(got), NULL), 1);
	close(dest);
	unlink(dest_path);
	dest = bound(dest_path, 0);
	cr_assert_eq(send_to(relay_path, "b", 1), 0);
	pump(1000);
	cr_assert_eq(take(dest, got, sizeof(got), NULL), 1);
	cr_assert_str_eq(got, "b");
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.forwarded, 2);
	cr_assert_eq(st.forward_dropped, 0);
}

/* An audit space owns every name under its root: a symlink it plants at
 * (or on the way to) its copy socket must not be followed, or an absolute
 * one would reach any socket of hsd's namespace. */
Test(syslog, a_receiver_symlink_is_never_followed)
{
	char aroot[160], run[192], sock[224], sub[192];
	snprintf(aroot, sizeof(aroot), "%s/aroot", dir);
	snprintf(run, sizeof(run), "%s/run", aroot);
	snprintf(sub, sizeof(sub), "%s/sub", aroot);
	snprintf(sock, sizeof(sock), "%s/hsd-syslog.sock", run);
	cr_assert_eq(mkdir(aroot, 0755), 0);
	cr_assert_eq(mkdir(run, 0755), 0);
	/* The victim: a socket of "hsd's namespace", outside the root. */
	cr_assert_eq(symlink(rcv1_path, sock), 0);
	cr_assert_eq(symlink(run, sub), 0); /* a symlinked directory on the way */
	/* A real socket behind that directory link: a copy reaching it
	 * would mean the link was followed. */
	char behind[240];
	snprintf(behind, sizeof(behind), "%s/real.sock", run);
	int via_link = bound(behind, 0);
	ok(syslog_relay_open(relay_path, "web", dest_path, &relay, err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, aroot, "/run/hsd-syslog.sock", err, sizeof(err)));
	ok(syslog_relay_add_receiver(relay, aroot, "/sub/real.sock", err, sizeof(err)));
	cr_assert_eq(send_to(relay_path, "secret", 6), 0);
	pump(1000);
	char got[256];
	cr_assert_eq(recv(rcv1, got, sizeof(got), MSG_DONTWAIT), -1, "a copy followed the symlink");
	cr_assert_eq(recv(via_link, got, sizeof(got), MSG_DONTWAIT), -1,
		     "a copy followed the symlinked directory");
	close(via_link);
	unlink(behind);
	struct syslog_relay_stats st;
	syslog_relay_stats(relay, &st);
	cr_assert_eq(st.receivers[0].dropped, 1);
	cr_assert_eq(st.receivers[1].dropped, 1);
	cr_assert_str_eq(st.receivers[0].root, aroot);

	/* A real socket there, named from the root, gets its copy. */
	unlink(sock);
	int real = bound(sock, 0);
	cr_assert_eq(send_to(relay_path, "hello", 5), 0);
	pump(1000);
	cr_assert_gt(take(real, got, sizeof(got), NULL), 0);
	cr_assert(strstr(got, "\nhello"), "%s", got);
	cr_assert_eq(take(dest, got, sizeof(got), NULL), 6);
	close(real);
	unlink(sock);
	unlink(sub);
	rmdir(run);
	rmdir(aroot);
}
