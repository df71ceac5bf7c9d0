/* test_seccomp_fleetdb.c - hsfleetdb's seccomp allow-list, attacked.
 *
 * hsfleetdb parses Raft and dqlite bytes from other hosts, so it is
 * written off as compromisable.  A child takes the allow-list alone (no
 * Landlock, so each layer is shown on its own) and then does what code
 * running in a compromised hsfleetdb would to reach more of the kernel:
 * run a program, make a process or a namespace, open a packet, netlink,
 * unix, UDP or MPTCP socket, trace, load BPF, set up io_uring, use the keyring,
 * mount, type into a terminal.  Each kills it (SIGSYS).  The same child without the filter is
 * the control: there every call comes back.  What hsfleetdb itself needs
 * (threads, TCP sockets, files, the clock) still works under the filter;
 * test_fleetdb.sh runs the real node under it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fdb_sandbox.h"

/* hsfleetdb takes no filter in sanitized builds (fdb_sandbox.c): the
 * sanitizer's runtime makes calls of its own. */
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_IF_SANITIZED() cr_skip_test("a sanitized build runs hsfleetdb unconfined")
#else
#define SKIP_IF_SANITIZED() ((void)0)
#endif

static void *thread_main(void *arg)
{
	return arg;
}

/* A Raft snapshot's metadata: one write of two buffers at an offset
 * (libuv's pwritev), read back the same way. */
static int two_buffers(void)
{
	char path[] = "/tmp/hs-fdbsc-XXXXXX", a[4] = "abc", b[4] = "def", c[8] = "";
	int fd = mkstemp(path);
	struct iovec out[2] = { { a, 3 }, { b, 3 } }, in[1] = { { c, 6 } };
	int bad = fd < 0 || pwritev(fd, out, 2, 0) != 6 || preadv(fd, in, 1, 0) != 6 ||
		  memcmp(c, "abcdef", 6) != 0;
	if (fd >= 0) {
		unlink(path);
		close(fd);
	}
	return bad;
}

/* What hsfleetdb does: 0 when every call works. */
static int needed(void)
{
	pthread_t t;
	void *r = NULL;
	struct timespec ts;
	struct timeval tv;
	char buf[8];
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (s < 0 || s6 < 0 || fd < 0 || read(fd, buf, sizeof(buf)) <= 0 ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) || pthread_create(&t, NULL, thread_main, buf) ||
	    pthread_join(t, &r) || r != buf || two_buffers() ||
	    /* the kernel's own, as the vDSO calls them for a clock it cannot read */
	    syscall(__NR_gettimeofday, &tv, NULL) || syscall(__NR_time, NULL) <= 0 ||
	    syscall(__NR_clock_getres, CLOCK_MONOTONIC, &ts))
		return 1;
	close(s);
	close(s6);
	close(fd);
	return 0;
}

enum attack { A_EXEC, A_FORK, A_USERNS, A_CLONE_NS, A_PACKET, A_NETLINK, A_UNIX, A_UDP,
	      A_MPTCP, A_PTRACE, A_BPF, A_URING, A_KEYCTL, A_MOUNT, A_TIOCSTI, A_N };
static const char *const attack_names[A_N] = { "execve", "fork", "unshare(CLONE_NEWUSER)",
	"clone(CLONE_THREAD | CLONE_NEWUSER)", "socket(AF_PACKET)", "socket(AF_NETLINK)",
	"socket(AF_UNIX)", "socket(AF_INET, SOCK_DGRAM)", "socket(AF_INET, IPPROTO_MPTCP)",
	"ptrace", "bpf", "io_uring_setup", "keyctl", "mount", "ioctl(TIOCSTI)" };

/* Makes the call; whatever the kernel answers, the child goes on. */
static void attack(enum attack a)
{
	union bpf_attr attr;
	char params[120];

	switch (a) {
	case A_EXEC:
		execl("/bin/true", "true", (char *)NULL);
		break;
	case A_FORK: {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		if (c > 0)
			waitpid(c, NULL, 0);
		break;
	}
	case A_USERNS:
		unshare(CLONE_NEWUSER);
		break;
	case A_CLONE_NS: /* a thread may not ask for one: EINVAL without the filter */
		syscall(__NR_clone, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWUSER, 0, 0, 0, 0);
		break;
	case A_PACKET:
		close(socket(AF_PACKET, SOCK_RAW, 0));
		break;
	case A_NETLINK:
		close(socket(AF_NETLINK, SOCK_RAW, 0));
		break;
	case A_UNIX: /* hsd's control socket is one */
		close(socket(AF_UNIX, SOCK_STREAM, 0));
		break;
	case A_UDP: /* Landlock's port rules bind TCP only */
		close(socket(AF_INET, SOCK_DGRAM, 0));
		break;
	case A_MPTCP: /* falls back to TCP on the wire, outside Landlock's rules */
		close(socket(AF_INET, SOCK_STREAM, 262 /* IPPROTO_MPTCP */));
		break;
	case A_PTRACE:
		ptrace(PTRACE_PEEKDATA, 1, NULL, NULL); /* (getppid is not allowed) */
		break;
	case A_BPF:
		memset(&attr, 0, sizeof(attr));
		syscall(__NR_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof(attr));
		break;
	case A_URING:
		memset(params, 0, sizeof(params));
		close((int)syscall(__NR_io_uring_setup, 1, params));
		break;
	case A_KEYCTL:
		syscall(__NR_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
		break;
	case A_MOUNT:
		mount("none", "/nonexistent-hs", "tmpfs", 0, NULL);
		break;
	case A_TIOCSTI: { /* typing into a terminal (the filter reads only the request) */
		char c = 'x';
		ioctl(-1, TIOCSTI, &c);
		break;
	}
	case A_N:
		break;
	}
}

/* A child: the filter (when filtered), then body(arg), whose result is
 * its exit status.  Its pid. */
static pid_t spawn(bool filtered, int (*body)(int), int arg)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char err[HS_ERRLEN];
		if (filtered && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || fdb_seccomp(err, sizeof(err)))) {
			fprintf(stderr, "%s\n", err);
			_exit(2);
		}
		_exit(body(arg));
	}
	return pid;
}

/* The signal that ended the child (0: it exited), its exit status in
 * *status (-1: none). */
static int reap(pid_t pid, int *status)
{
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static int needed_body(int unused)
{
	(void)unused;
	return needed();
}

static int attack_body(int what)
{
	attack((enum attack)what);
	return 0;
}

static int clone3_body(int unused)
{
	(void)unused;
	return syscall(__NR_clone3, NULL, 0) == -1 && errno == ENOSYS ? 0 : 1;
}

static int ready[2] = { -1, -1 };

/* Says it is about to sleep, then sleeps ms in poll. */
static int sleep_body(int ms)
{
	if (write(ready[1], "s", 1) != 1)
		return 1;
	poll(NULL, 0, ms);
	return 0;
}

Test(fleetdb_seccomp, what_hsfleetdb_needs_works_under_it)
{
	SKIP_IF_SANITIZED();
	int status;
	cr_assert_eq(reap(spawn(true, needed_body, 0), &status), 0, "killed by what hsfleetdb needs");
	cr_assert_eq(status, 0, "a call hsfleetdb needs failed under the filter");
}

Test(fleetdb_seccomp, without_it_every_call_comes_back)
{
	for (int a = 0; a < A_N; a++) {
		int status;
		cr_expect_eq(reap(spawn(false, attack_body, a), &status), 0, "control: %s ended the child",
			     attack_names[a]);
	}
}

Test(fleetdb_seccomp, every_attack_is_killed)
{
	SKIP_IF_SANITIZED();
	for (int a = 0; a < A_N; a++) {
		int status;
		cr_expect_eq(reap(spawn(true, attack_body, a), &status), SIGSYS, "%s was not killed (exit %d)",
			     attack_names[a], status);
	}
}

Test(fleetdb_seccomp, clone3_answers_enosys_so_threads_use_clone)
{
	SKIP_IF_SANITIZED();
	int status;
	cr_assert_eq(reap(spawn(true, clone3_body, 0), &status), 0);
	cr_assert_eq(status, 0, "clone3 did not answer ENOSYS");
}

/* A stop and continue while hsfleetdb sleeps in poll: the kernel goes on
 * with restart_syscall, which must not kill it (test_fleetdb.sh met it
 * when hosts were stopped). */
Test(fleetdb_seccomp, a_sleep_stopped_and_continued_goes_on)
{
	SKIP_IF_SANITIZED();
	struct timespec t = { 0, 100 * 1000 * 1000 };
	int status;
	char c;
	cr_assert_eq(pipe(ready), 0);
	pid_t pid = spawn(true, sleep_body, 400);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child did not get to its sleep");
	nanosleep(&t, NULL);
	kill(pid, SIGSTOP);
	nanosleep(&t, NULL);
	kill(pid, SIGCONT);
	int sig = reap(pid, &status);
	cr_assert(sig == 0 && status == 0, "the child ended by signal %d (exit %d)", sig, status);
}
