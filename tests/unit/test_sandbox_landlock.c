/* test_sandbox_landlock.c - the Landlock scope of space processes, attacked.
 *
 * hsd puts every process of a space in one Landlock domain and a command
 * run by `hsctl space exec` in a sibling domain.  Here a victim process
 * (listening on an abstract unix socket) and an attacker process are
 * forked by a holder, each in the domain a scenario gives it, and the
 * attacker tries what root in a space would try against the operator's
 * process: ptrace, /proc/PID/mem, kill, connecting to its abstract socket.
 * Both run as root in one user namespace, and Yama is not relied on, so
 * only Landlock stands between them: the scenarios without a domain
 * between attacker and victim are the controls that show every attack
 * works when the boundary is missing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sandbox.h"
#include "valgrind_test.h"

#define SETUP_FAILED 250 /* exit status: the child never got to the attack */
#define N(a) (sizeof(a) / sizeof((a)[0]))

TestSuite(landlock, .timeout = 60);

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the scenarios compare root against root");
}

static const char *errname(int e)
{
	return e ? strerror(e) : "success";
}

static int wait_ok(pid_t pid, int code)
{
	int st;
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/* Run probe in a forked child; its exit status (0: as expected). */
static int in_child(int (*probe)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(probe());
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

static void need_scopes(void)
{
	int abi = sandbox_landlock_abi();
	if (abi < 6 && RUNNING_ON_VALGRIND)
		cr_skip_test("valgrind does not know the Landlock syscalls; run natively");
	if (abi < 6)
		cr_skip_test("Landlock ABI %d here; scopes need ABI 6 (Linux 6.12+)", abi);
}

struct ll_result {
	int ptrace_err, mem_err, kill_err, unix_err;
};

enum ll_mode {
	LL_NONE,    /* no domain anywhere (control) */
	LL_SAME,    /* attacker and victim in one domain (control) */
	LL_INTO,    /* attacker outside any domain, like hsd; victim in one */
	LL_SIBLING, /* attacker and victim in sibling domains */
	LL_OUTSIDE, /* attacker in a domain, victim in none */
};

static void enter_domain(void)
{
	char err[HS_ERRLEN];
	if (sandbox_landlock_scope(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		_exit(SETUP_FAILED);
	}
}

static socklen_t abstract_addr(struct sockaddr_un *sa, pid_t holder)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "hs-sandbox-%d", (int)holder);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Everything root in a space would try against the operator's process. */
static void attack(pid_t victim, pid_t holder, struct ll_result *r)
{
	char path[64];
	r->ptrace_err = ptrace(PTRACE_SEIZE, victim, 0, 0) < 0 ? errno : 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)victim);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	r->mem_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	r->kill_err = kill(victim, 0) < 0 ? errno : 0;
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, holder);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r->unix_err = s < 0 ? errno : connect(s, (struct sockaddr *)&sa, len) < 0 ? errno : 0;
	if (s >= 0)
		close(s);
}

/* The holder forks the victim (which listens on an abstract socket and
 * waits for EOF on `hold`) and then the attacker, each entering a domain
 * as the mode says, and reports the attacker's results on `out`. */
static void holder(enum ll_mode mode, int out)
{
	int ready[2], hold[2], res[2];
	struct ll_result r;
	char c;

	if (mode == LL_SAME)
		enter_domain();
	if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		_exit(SETUP_FAILED);
	pid_t self = getpid();
	pid_t victim = fork();
	if (victim == 0) {
		struct sockaddr_un sa;
		socklen_t len = abstract_addr(&sa, self);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (mode == LL_SIBLING || mode == LL_INTO)
			enter_domain();
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&sa, len) || listen(s, 4) ||
		    write(ready[1], "r", 1) != 1)
			_exit(SETUP_FAILED);
		close(hold[1]);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : SETUP_FAILED);
	}
	close(ready[1]);
	close(hold[0]);
	if (victim < 0 || read(ready[0], &c, 1) != 1)
		_exit(SETUP_FAILED);
	pid_t attacker = fork();
	if (attacker == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (mode == LL_SIBLING || mode == LL_OUTSIDE)
			enter_domain();
		attack(victim, self, &r);
		_exit(write(res[1], &r, sizeof(r)) == sizeof(r) ? 0 : SETUP_FAILED);
	}
	close(res[1]);
	bool got = attacker > 0 && read(res[0], &r, sizeof(r)) == sizeof(r);
	close(hold[1]); /* the victim's EOF */
	bool clean = attacker > 0 && wait_ok(attacker, 0);
	clean &= wait_ok(victim, 0);
	_exit(got && clean && write(out, &r, sizeof(r)) == sizeof(r) ? 0 : SETUP_FAILED);
}

static struct ll_result ll_run(enum ll_mode mode)
{
	int p[2];
	struct ll_result r = {-1, -1, -1, -1};
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t h = fork();
	cr_assert_geq(h, 0);
	if (h == 0) {
		close(p[0]);
		holder(mode, p[1]);
	}
	close(p[1]);
	ssize_t n = read(p[0], &r, sizeof(r));
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(h, &st, 0), h);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scenario %d: holder status %#x", mode, st);
	cr_assert_eq(n, (ssize_t)sizeof(r));
	return r;
}

static void expect_reached(enum ll_mode mode, const char *what)
{
	struct ll_result r = ll_run(mode);
	cr_expect_eq(r.ptrace_err, 0, "%s: ptrace: %s", what, errname(r.ptrace_err));
	cr_expect_eq(r.mem_err, 0, "%s: open /proc/PID/mem: %s", what, errname(r.mem_err));
	cr_expect_eq(r.kill_err, 0, "%s: kill(PID, 0): %s", what, errname(r.kill_err));
	cr_expect_eq(r.unix_err, 0, "%s: abstract unix connect: %s", what, errname(r.unix_err));
}

static void expect_walled(enum ll_mode mode, const char *what)
{
	struct ll_result r = ll_run(mode);
	cr_expect_eq(r.ptrace_err, EPERM, "%s: ptrace: %s", what, errname(r.ptrace_err));
	/* /proc/PID/mem says no with EACCES (mm_access), not EPERM */
	cr_expect_eq(r.mem_err, EACCES, "%s: open /proc/PID/mem: %s", what, errname(r.mem_err));
	cr_expect_eq(r.kill_err, EPERM, "%s: kill(PID, 0): %s", what, errname(r.kill_err));
	cr_expect_eq(r.unix_err, EPERM, "%s: abstract unix connect: %s", what, errname(r.unix_err));
}

Test(landlock, without_domains_everything_reaches)
{
	need_root();
	need_scopes();
	expect_reached(LL_NONE, "no domain (control)");
}

Test(landlock, sibling_domains_are_walled_off)
{
	need_root();
	need_scopes();
	/* the same attack with no domain at all is the control: it must work */
	expect_reached(LL_NONE, "no domain (control)");
	expect_walled(LL_SIBLING, "sibling domain");
}

Test(landlock, a_domain_cannot_reach_outside)
{
	need_root();
	need_scopes();
	expect_reached(LL_NONE, "no domain (control)");
	expect_walled(LL_OUTSIDE, "domain -> no domain");
}

Test(landlock, same_domain_can_debug_and_signal)
{
	need_root();
	need_scopes();
	expect_reached(LL_SAME, "same domain (control)");
}

Test(landlock, outside_reaches_into_a_domain)
{
	need_root();
	need_scopes();
	/* hsd, in no domain, keeps ptrace and signals over every space */
	expect_reached(LL_INTO, "no domain -> domain");
}

static int probe_no_landlock(void)
{
	/* pretend to be a kernel without Landlock: its syscall says ENOSYS */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_landlock_create_ruleset, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {.len = N(f), .filter = f};
	char err[HS_ERRLEN] = "";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp))
		return 90;
	if (sandbox_landlock_abi() != 0)
		return 91;
	int rc = sandbox_landlock_scope(err, sizeof(err));
	fprintf(stderr, "without Landlock: %s\n", err);
	return rc == HS_ESYS && strstr(err, "ABI 0") && strstr(err, "ABI 6") ? 0 : 92;
}

Test(landlock, missing_abi_is_named)
{
	cr_assert_eq(in_child(probe_no_landlock), 0);
}

static int probe_needs_nnp(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	char err[HS_ERRLEN] = "";
	if (syscall(SYS_capget, &h, d))
		return 90;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		return 91;
	if (sandbox_landlock_scope(err, sizeof(err)) != HS_ESYS || !strstr(err, "no_new_privs"))
		return 92;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return 93;
	if (sandbox_landlock_scope(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 94;
	}
	return 0;
}

Test(landlock, needs_no_new_privs_without_cap_sys_admin)
{
	need_root();
	need_scopes();
	cr_assert_eq(in_child(probe_needs_nnp), 0);
}
