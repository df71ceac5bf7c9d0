/* test_trace_bpf.c - the trace broker's eBPF backend against real
 * processes in fresh PID namespaces:
 *
 *   test ── helper (unshare CLONE_NEWPID) ── init (pid 1) ── worker (pid 2)
 *     │                                  [nested: init unshares again: worker pid 1 there]
 *     ├── outsider (our namespace): opens its own marker the same way
 *     └── session child: trace_session_run(-1, sv[1], init) <══> sv[0] (the reader)
 *
 * The worker loops: open(PATH) and close, open(PATH.missing) (ENOENT).
 * Checks: events with the syscall, the path, the return value and pids
 * as the space sees them (also from a nested namespace); nothing from
 * outside the space (the outsider, a sibling nested space); the worker
 * never stopped or traced; ring-buffer and queue drops counted; ptrace
 * still chosen when asked; the session's seccomp filter refuses new BPF
 * programs.  Skipped when hsd was built without eBPF.  Not run under
 * valgrind (tests/unit/no-valgrind.list).  Needs root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "trace.h"
#include "trace_test.h"

struct shared {
	volatile uint64_t iters, outside_iters;
};

static struct shared *shm;
static pid_t helper = -1, init_pid = -1, worker = -1, session = -1, outsider = -1;
static pid_t sib_helper = -1, sib_init = -1, sib_child = -1;
static int reader = -1;
static char path[64], missing[80], outpath[80];
static struct frame_reader fr;

static void open_close(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

static void loop_on(const char *p, const char *p2, volatile uint64_t *iters)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		open_close(p);
		if (p2)
			open_close(p2);
		++*iters;
	}
}

/* The space's child (pid 2 there): the worker, ... */
static void busy_child(const char *arg)
{
	(void)arg;
	loop_on(path, missing, &shm->iters);
}

/* ... one that opens arg in a loop (a sibling space's process), ... */
static void marker_child(const char *arg)
{
	loop_on(arg, NULL, &shm->outside_iters);
}

/* ... or one that, on SIGUSR1, forks a child (pid 3) opening arg in a
 * loop: a process that appears after the reader started. */
static volatile sig_atomic_t fork_now;
static void on_usr1(int sig)
{
	(void)sig;
	fork_now = 1;
}

static void forker_child(const char *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGUSR1, on_usr1);
	while (!fork_now)
		pause();
	if (fork() == 0)
		marker_child(arg);
	idle();
}

/* A space: helper unshares, forks init; init (in a further namespace if
 * nested) forks the child, which runs child(arg). */
static void spawn_space(bool nested, void (*child)(const char *), const char *arg, pid_t *h,
			pid_t *in, pid_t *c)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	*h = fork();
	cr_assert_geq(*h, 0);
	if (*h == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		pid_t i = fork();
		if (i == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (nested && unshare(CLONE_NEWPID))
				_exit(1);
			if (fork() == 0)
				child(arg);
			idle();
		}
		if (write(p[1], &i, sizeof(i)) != sizeof(i))
			_exit(1);
		waitpid(i, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], in, sizeof(*in)), (ssize_t)sizeof(*in));
	close(p[0]);
	*c = child_of(*in);
	cr_assert_gt(*c, 0);
}

static void setup_common(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
#ifndef HSD_EBPF
	cr_skip_test("hsd built without the eBPF backend (cmake said why)");
#endif
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(shm, MAP_FAILED);
	snprintf(path, sizeof(path), "/tmp/hs-trace-bpf.%d", (int)getpid());
	snprintf(missing, sizeof(missing), "%s.missing", path);
	snprintf(outpath, sizeof(outpath), "%s.outside", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	frame_reader_init(&fr, TRACE_FRAME_MAX);
}

/* The worker's space, and the outsider in ours opening outpath (and
 * path itself: the same calls as the worker's, from outside). */
static void setup(void)
{
	setup_common();
	spawn_space(false, busy_child, NULL, &helper, &init_pid, &worker);
	outsider = fork();
	cr_assert_geq(outsider, 0);
	if (outsider == 0)
		loop_on(outpath, path, &shm->outside_iters);
}

static void setup_nested(void)
{
	setup_common();
	spawn_space(true, busy_child, NULL, &helper, &init_pid, &worker);
	spawn_space(true, marker_child, outpath, &sib_helper, &sib_init, &sib_child);
}

/* The space's pid 2 forks only when told; worker is that process. */
static void setup_forker(void)
{
	setup_common();
	spawn_space(false, forker_child, outpath, &helper, &init_pid, &worker);
}

static void teardown(void)
{
	if (reader >= 0)
		close(reader);
	reader = -1;
	for (int i = 0; session > 0 && i < 500; i++) {
		if (waitpid(session, NULL, WNOHANG) == session)
			session = -1;
		else
			usleep(10000);
	}
	reap(&session);
	if (init_pid > 0)
		kill(init_pid, SIGKILL);
	if (sib_init > 0)
		kill(sib_init, SIGKILL);
	init_pid = worker = sib_init = sib_child = -1;
	reap(&helper);
	reap(&sib_helper);
	reap(&outsider);
	frame_reader_free(&fr);
	if (path[0])
		unlink(path);
	if (shm && shm != MAP_FAILED)
		munmap(shm, sizeof(*shm));
	shm = NULL;
}

TestSuite(trace_bpf, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(trace_bpf_nested, .init = setup_nested, .fini = teardown, .timeout = 60);
TestSuite(trace_bpf_fork, .init = setup_forker, .fini = teardown, .timeout = 60);

static void start_session_lim(const char *req, const struct trace_limits *lim)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	session = fork();
	cr_assert_geq(session, 0);
	if (session == 0) {
		char err[HS_ERRLEN];
		close(sv[0]);
		int rc = trace_session_run(-1, sv[1], init_pid, lim, err, sizeof(err));
		close(sv[1]);
		_exit(rc == 0 ? 0 : rc == HS_EINPUT ? 2 : 1);
	}
	close(sv[1]);
	reader = sv[0];
	json_t *j = json_loads(req, 0, NULL);
	cr_assert_not_null(j);
	cr_assert_eq(frame_write_fd(reader, j, TRACE_FRAME_MAX, NULL, 0), 0);
	json_decref(j);
}

static void start_session(const char *req)
{
	struct trace_limits lim;
	trace_limits_default(&lim);
	lim.stats_ms = 200;
	start_session_lim(req, &lim);
}

static json_t *next_frame(int ms)
{
	return next_frame_on(reader, &fr, ms);
}

static json_t *frame_with(const char *key, int ms)
{
	return frame_with_on(reader, &fr, key, ms);
}

/* The ok frame's backend. */
static void expect_ok(const char *backend)
{
	json_t *ok = frame_with("ok", 5000);
	cr_assert_not_null(ok, "no ok frame");
	cr_expect_str_eq(json_string_value(json_object_get(ok, "backend")), backend);
	cr_expect_gt(json_integer_value(json_object_get(ok, "threads")), 0);
	json_decref(ok);
}

static const char *openat_path(const json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "syscall"));
	if (!name || strcmp(name, "openat") != 0)
		return NULL;
	return json_string_value(json_object_get(json_array_get(json_object_get(ev, "args"), 1), "str"));
}

/* State and TracerPid of pid, from /proc/PID/status. */
static void proc_state(pid_t pid, char *state, int *tracer)
{
	char p[64], line[256];
	*state = '?';
	*tracer = -1;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "State: %c", state);
		sscanf(line, "TracerPid: %d", tracer);
	}
	fclose(f);
}

struct seen {
	int ours_ok, ours_enoent, outside, wrong_pid;
	json_int_t pid;
	int max_state_t, max_tracer; /* samples of the worker in tracing stop / traced */
};

/* Read events for ms, sampling the worker's state between frames. */
static void watch(int ms, const char *outside_marker, struct seen *s)
{
	int64_t end = mono_ms() + ms;
	memset(s, 0, sizeof(*s));
	while (mono_ms() < end) {
		char st;
		int tracer;
		proc_state(worker, &st, &tracer);
		s->max_state_t += st == 't';
		s->max_tracer += tracer != 0;
		json_t *ev = next_frame(100);
		if (!ev)
			continue;
		const char *p = openat_path(ev);
		json_int_t pid = json_integer_value(json_object_get(ev, "pid"));
		json_int_t ret = json_integer_value(json_object_get(ev, "ret"));
		const char *err = json_string_value(json_object_get(ev, "err"));
		if (p && !strcmp(p, outside_marker))
			s->outside++;
		if (p && !strcmp(p, path) && ret >= 0 && !err) {
			s->ours_ok++;
			s->pid = pid;
		}
		if (p && !strcmp(p, missing) && ret == -ENOENT && err && !strcmp(err, "ENOENT"))
			s->ours_enoent++;
		if (json_object_get(ev, "syscall") && pid != 2 && pid != 1)
			s->wrong_pid++;
		json_decref(ev);
	}
}

Test(trace_bpf, events_of_the_space_only_and_never_stopped)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":\"space\","
		      "\"syscalls\":[\"openat\"],\"backend\":\"ebpf\"}");
	expect_ok("ebpf");
	uint64_t out0 = shm->outside_iters;
	struct seen s;
	watch(1500, outpath, &s);
	cr_expect_gt(shm->outside_iters, out0 + 10, "the outsider did not run");
	cr_expect_gt(s.ours_ok, 0, "no openat of %s returning an fd", path);
	cr_expect_gt(s.ours_enoent, 0, "no openat of %s returning -ENOENT", missing);
	cr_expect_eq(s.pid, 2, "pid %lld, want 2 (the space's)", (long long)s.pid);
	cr_expect_eq(s.outside, 0, "%d events of a process outside the space", s.outside);
	cr_expect_eq(s.wrong_pid, 0, "%d events with a pid not of the space", s.wrong_pid);
	cr_expect_eq(s.max_state_t, 0, "worker seen in tracing stop");
	cr_expect_eq(s.max_tracer, 0, "worker seen traced");
}

Test(trace_bpf, auto_is_ebpf_and_pid_target)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":2,\"syscalls\":[\"openat\",\"close\"]}");
	expect_ok("ebpf");
	struct seen s;
	watch(800, outpath, &s);
	cr_expect_gt(s.ours_ok, 0);
	cr_expect_eq(s.wrong_pid, 0);
	cr_expect_eq(s.outside, 0);
}

/* A PID target follows children born after the reader started, through
 * the kernel's fork records (the eBPF backend has no ptrace fork events). */
Test(trace_bpf_fork, pid_target_follows_a_child_forked_later)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":2,\"syscalls\":[\"openat\"]}");
	expect_ok("ebpf");
	cr_assert_eq(kill(worker, SIGUSR1), 0);
	int64_t end = mono_ms() + 3000;
	int from_child = 0;
	while (!from_child && mono_ms() < end) {
		json_t *ev = next_frame(100);
		if (!ev)
			continue;
		const char *p = openat_path(ev);
		from_child = p && !strcmp(p, outpath) &&
			     json_integer_value(json_object_get(ev, "pid")) == 3;
		json_decref(ev);
	}
	cr_assert(from_child, "no openat of %s from the child (pid 3) born after the start",
		  outpath);
}

Test(trace_bpf, ptrace_still_chosen_when_asked)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":\"space\","
		      "\"syscalls\":[\"openat\"],\"backend\":\"ptrace\"}");
	expect_ok("ptrace");
	struct seen s;
	watch(800, outpath, &s);
	cr_expect_gt(s.ours_ok, 0);
	cr_expect_eq(s.pid, 2);
	/* the positive control of the TracerPid check above */
	cr_expect_gt(s.max_tracer, 0, "ptrace backend but the worker never traced");
}

Test(trace_bpf, ebpf_refused_by_a_ptrace_only_session)
{
	struct trace_limits lim;
	trace_limits_default(&lim);
	lim.backend = TRACE_BACKEND_PTRACE;
	start_session_lim("{\"v\":1,\"op\":\"trace\",\"target\":\"space\",\"backend\":\"ebpf\"}", &lim);
	json_t *e = frame_with("error", 5000);
	cr_assert_not_null(e);
	cr_expect_not_null(strstr(json_string_value(json_object_get(e, "error")), "ebpf"));
	json_decref(e);
	int st;
	cr_assert_eq(waitpid(session, &st, 0), session);
	session = -1;
	cr_expect_eq(WEXITSTATUS(st), 1);
}

/* A reader that does not read, and a session that cannot (stopped): the
 * worker runs on, and both kinds of loss are counted. */
Test(trace_bpf, drops_counted_and_worker_runs_on)
{
	struct trace_limits lim;
	trace_limits_default(&lim);
	lim.stats_ms = 200;
	lim.queue_max = 16;
	lim.ring_bytes = 4096; /* a few records */
	start_session_lim("{\"v\":1,\"op\":\"trace\",\"target\":\"space\",\"backend\":\"ebpf\"}", &lim);
	expect_ok("ebpf");
	usleep(300000); /* the reader does not read: its queue fills */
	cr_assert_eq(kill(session, SIGSTOP), 0);
	uint64_t i0 = shm->iters;
	usleep(300000); /* nobody drains the ring buffer */
	uint64_t ran = shm->iters - i0;
	char st;
	int tracer;
	proc_state(worker, &st, &tracer);
	cr_assert_eq(kill(session, SIGCONT), 0);
	cr_expect_gt(ran, 100, "the worker made %llu iterations while the session was stopped",
		     (unsigned long long)ran);
	cr_expect_neq(st, 't');
	cr_expect_eq(tracer, 0);
	long long dropped = 0, ring = 0;
	int64_t end = mono_ms() + 5000;
	json_t *m;
	while ((dropped == 0 || ring == 0) && mono_ms() < end && (m = frame_with("stats", 2000))) {
		const json_t *sj = json_object_get(m, "stats");
		dropped = json_integer_value(json_object_get(sj, "dropped"));
		ring = json_integer_value(json_object_get(sj, "ring_dropped"));
		json_decref(m);
	}
	cr_expect_gt(ring, 0, "no ring-buffer drop counted");
	cr_expect_gt(dropped, ring, "queue drops not counted (dropped %lld, ring %lld)", dropped, ring);
}

Test(trace_bpf_nested, nested_namespace_with_server_pids)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":\"space\","
		      "\"syscalls\":[\"openat\"],\"backend\":\"ebpf\"}");
	expect_ok("ebpf");
	uint64_t out0 = shm->outside_iters;
	struct seen s;
	watch(1200, outpath, &s);
	cr_expect_gt(shm->outside_iters, out0 + 10, "the sibling did not run");
	cr_expect_gt(s.ours_ok, 0);
	/* pid 1 in its own namespace, 2 in the server's */
	cr_expect_eq(s.pid, 2, "pid %lld, want 2 (as the server space numbers it)", (long long)s.pid);
	cr_expect_eq(s.outside, 0, "%d events of the sibling space", s.outside);
	cr_expect_eq(s.max_tracer, 0);
}

/* The session's filter: map access stays, no new program, map, link or
 * perf event. */
Test(trace_bpf_filter, no_new_bpf_program_after_the_filter)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		union bpf_attr a;
		char err[HS_ERRLEN];
		int bad = 0;
		if (trace_seccomp_install(err, sizeof(err)))
			_exit(10);
		memset(&a, 0, sizeof(a));
		a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		bad |= !(syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a)) < 0 && errno == EPERM) << 0;
		memset(&a, 0, sizeof(a));
		a.map_type = BPF_MAP_TYPE_ARRAY;
		a.key_size = 4;
		a.value_size = 4;
		a.max_entries = 1;
		bad |= !(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)) < 0 && errno == EPERM) << 1;
		bad |= !(syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a)) < 0 && errno == EPERM) << 2;
		bad |= !(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 && errno == EPERM) << 3;
		/* map lookups are allowed through: a bad fd gets EBADF, not EPERM */
		memset(&a, 0, sizeof(a));
		a.map_fd = 9999;
		bad |= !(syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) < 0 && errno == EBADF) << 4;
		_exit(bad);
	}
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_expect(WIFEXITED(st));
	cr_expect_eq(WEXITSTATUS(st), 0, "filter checks failed: mask %#x", WEXITSTATUS(st));
}
