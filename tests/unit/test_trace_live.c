/* test_trace_live.c - the trace broker against a real process in a fresh
 * PID namespace, like a server space:
 *
 *   test process ── helper (unshare CLONE_NEWPID) ── init (ns pid 1) ── worker (ns pid 2)
 *        │                                                         loop: open(PATH); close; ++iters
 *        └── session child: trace_session_run(-1, sv[1], init) <══socketpair══> sv[0] (the "reader")
 *
 * Everything started here is killed by pid in .fini (killing init ends
 * the namespace, so the worker goes with it).  Needs root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fdpass.h"
#include "frame.h"
#include "trace.h"

struct shared {
	volatile uint64_t iters;
};

static struct shared *shm;
static pid_t helper = -1, init_pid = -1, worker = -1, session = -1;
static int reader = -1;
static char path[64];
static struct frame_reader fr;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void worker_loop(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		shm->iters++;
	}
}

/* helper: unshare, fork init; init forks the worker and waits. */
static void start_space(void)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	helper = fork();
	cr_assert_geq(helper, 0);
	if (helper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		pid_t i = fork();
		if (i == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (fork() == 0)
				worker_loop();
			for (;;)
				pause(); /* ns init: the worker's parent */
		}
		if (write(p[1], &i, sizeof(i)) != sizeof(i))
			_exit(1);
		waitpid(i, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &init_pid, sizeof(init_pid)), (ssize_t)sizeof(init_pid));
	close(p[0]);
	/* the worker: init's only child */
	char cpath[64], buf[64] = "";
	snprintf(cpath, sizeof(cpath), "/proc/%d/task/%d/children", init_pid, init_pid);
	for (int i = 0; i < 200 && !buf[0]; i++) {
		FILE *f = fopen(cpath, "re");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (!buf[0])
			usleep(10000);
	}
	worker = atoi(buf);
	cr_assert_gt(worker, 0);
	uint64_t before = shm->iters;
	for (int i = 0; i < 200 && shm->iters == before; i++)
		usleep(10000);
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(shm, MAP_FAILED);
	snprintf(path, sizeof(path), "/tmp/hs-trace-test.%d", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	frame_reader_init(&fr, TRACE_FRAME_MAX);
	start_space();
}

static void reap(pid_t *p)
{
	if (*p > 0) {
		kill(*p, SIGKILL);
		waitpid(*p, NULL, 0);
	}
	*p = -1;
}

static void teardown(void)
{
	if (reader >= 0)
		close(reader);
	reader = -1;
	reap(&session);
	if (init_pid > 0)
		kill(init_pid, SIGKILL); /* ends the namespace: the worker dies too */
	init_pid = worker = -1;
	reap(&helper);
	frame_reader_free(&fr);
	if (path[0])
		unlink(path);
	if (shm && shm != MAP_FAILED)
		munmap(shm, sizeof(*shm));
	shm = NULL;
}

TestSuite(trace_live, .init = setup, .fini = teardown, .timeout = 120);

/* Fork the session with limits lim and send req as the first frame. */
static void start_session(const char *req, size_t queue_max)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	session = fork();
	cr_assert_geq(session, 0);
	if (session == 0) {
		struct trace_limits lim;
		char err[HS_ERRLEN];
		close(sv[0]);
		trace_limits_default(&lim);
		if (queue_max)
			lim.queue_max = queue_max;
		lim.stats_ms = 200;
		int rc = trace_session_run(-1, sv[1], init_pid, &lim, err, sizeof(err));
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

static void send_frame(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	cr_assert_eq(frame_write_fd(reader, j, TRACE_FRAME_MAX, NULL, 0), 0);
	json_decref(j);
}

/* Next frame on fd (read through f) within ms, or NULL. */
static json_t *next_frame_on(int fd, struct frame_reader *f, int ms)
{
	int64_t end = mono_ms() + ms;
	uint8_t buf[16384];
	for (;;) {
		json_t *m;
		int rc = frame_reader_next(f, &m, NULL, 0);
		cr_assert_geq(rc, 0);
		if (rc == 1)
			return m;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = end - mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return NULL;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return NULL;
		cr_assert_eq(frame_reader_feed(f, buf, (size_t)n, NULL, 0), 0);
	}
}

static json_t *next_frame(int ms)
{
	return next_frame_on(reader, &fr, ms);
}

/* Skip frames until one has key; NULL on timeout or EOF. */
static json_t *frame_with_on(int fd, struct frame_reader *f, const char *key, int ms)
{
	int64_t end = mono_ms() + ms;
	json_t *m;
	while ((m = next_frame_on(fd, f, (int)(end - mono_ms() > 0 ? end - mono_ms() : 0)))) {
		if (json_object_get(m, key))
			return m;
		json_decref(m);
	}
	return NULL;
}

static json_t *frame_with(const char *key, int ms)
{
	return frame_with_on(reader, &fr, key, ms);
}

static bool is_our_openat(const json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "syscall"));
	const json_t *p = json_object_get(json_array_get(json_object_get(ev, "args"), 1), "str");
	return name && strcmp(name, "openat") == 0 && p && strcmp(json_string_value(p), path) == 0;
}

static int tracer_of(pid_t pid)
{
	char p[64], line[256];
	int tracer = -1;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

/* The worker is untraced and still looping (within 2 s). */
static void expect_detached_and_running(void)
{
	int tracer = -1;
	for (int i = 0; i < 200 && (tracer = tracer_of(worker)) != 0; i++)
		usleep(10000);
	cr_expect_eq(tracer, 0, "worker still traced by %d", tracer);
	cr_expect_eq(tracer_of(init_pid), 0);
	uint64_t before = shm->iters;
	usleep(100000);
	cr_expect_gt(shm->iters, before, "worker stopped running");
}

Test(trace_live, whole_space_openat_decoded)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":\"space\"}", 0);
	json_t *ok = frame_with("ok", 5000);
	cr_assert_not_null(ok, "no ok frame");
	cr_expect_eq(json_integer_value(json_object_get(ok, "threads")), 2); /* init + worker */
	json_decref(ok);
	json_t *ev;
	bool found = false;
	for (int i = 0; i < 2000 && !found && (ev = frame_with("syscall", 5000)); i++) {
		if (is_our_openat(ev)) {
			found = true;
			/* pids as the server space sees them: the worker is 2 */
			cr_expect_eq(json_integer_value(json_object_get(ev, "pid")), 2);
			cr_expect_geq(json_integer_value(json_object_get(ev, "ret")), 0);
			cr_expect_str_eq(json_string_value(json_array_get(json_object_get(ev, "args"), 2)),
					 "O_RDONLY|O_CLOEXEC");
		}
		json_decref(ev);
	}
	cr_expect(found, "no openat of %s seen", path);
	close(reader);
	reader = -1;
	int st;
	cr_assert_eq(waitpid(session, &st, 0), session);
	session = -1;
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_detached_and_running();
}

Test(trace_live, pid_target_and_filter)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":2,\"syscalls\":[\"openat\"]}", 0);
	json_t *ok = frame_with("ok", 5000);
	cr_assert_not_null(ok);
	cr_expect_eq(json_integer_value(json_object_get(ok, "threads")), 1);
	json_decref(ok);
	for (int i = 0; i < 20; i++) {
		json_t *ev = frame_with("syscall", 5000);
		cr_assert_not_null(ev);
		cr_expect(is_our_openat(ev));
		cr_expect_eq(json_integer_value(json_object_get(ev, "pid")), 2);
		json_decref(ev);
	}
}

Test(trace_live, unknown_pid_refused)
{
	/* the worker's base pid means nothing inside the space */
	char req[128];
	snprintf(req, sizeof(req), "{\"v\":1,\"op\":\"trace\",\"target\":%d}", (int)worker);
	start_session(req, 0);
	json_t *m = frame_with("error", 5000);
	cr_assert_not_null(m);
	cr_expect(strstr(json_string_value(json_object_get(m, "error")), "no process"));
	json_decref(m);
	int st;
	cr_assert_eq(waitpid(session, &st, 0), session);
	session = -1;
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	cr_expect_eq(tracer_of(worker), 0);
}

Test(trace_live, poke_refused)
{
	start_session("{\"v\":1,\"op\":\"poke\",\"target\":2,\"addr\":4096,\"data\":0}", 0);
	json_t *m = frame_with("error", 5000);
	cr_assert_not_null(m);
	cr_expect(strstr(json_string_value(json_object_get(m, "error")),
			 "refused: the broker only reads"));
	json_decref(m);
	int st;
	cr_assert_eq(waitpid(session, &st, 0), session);
	session = -1;
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	cr_expect_eq(tracer_of(worker), 0);
}

Test(trace_live, setregs_refused_mid_session)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":2,\"syscalls\":[\"openat\"]}", 0);
	json_decref(frame_with("ok", 5000));
	send_frame("{\"v\":1,\"op\":\"setregs\",\"target\":2,\"regs\":{\"rip\":0}}");
	json_t *m = frame_with("error", 5000);
	cr_assert_not_null(m);
	cr_expect(strstr(json_string_value(json_object_get(m, "error")),
			 "refused: the broker only reads"));
	json_decref(m);
	/* the session goes on */
	json_t *ev = frame_with("syscall", 5000);
	cr_expect_not_null(ev);
	json_decref(ev);
}

Test(trace_live, sigkill_session_detaches)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":\"space\"}", 0);
	json_decref(frame_with("ok", 5000));
	json_t *ev = frame_with("syscall", 5000);
	cr_assert_not_null(ev);
	json_decref(ev);
	cr_assert_gt(tracer_of(worker), 0);
	reap(&session);
	expect_detached_and_running();
}

/* Worker iterations per second while a reader of the given speed reads
 * for ms milliseconds; fills *dropped from the final stats. */
static double traced_rate(int slow_ms, int ms, long long *dropped, long long *events)
{
	start_session("{\"v\":1,\"op\":\"trace\",\"target\":2}", 256);
	json_decref(frame_with("ok", 5000));
	usleep(100000);
	uint64_t i0 = shm->iters;
	int64_t t0 = mono_ms(), end = t0 + ms;
	while (mono_ms() < end) {
		json_decref(next_frame(100));
		if (slow_ms)
			usleep((useconds_t)slow_ms * 1000);
	}
	double rate = (double)(shm->iters - i0) * 1000.0 / (double)(mono_ms() - t0);
	/* end the session and drain fast to its final stats */
	shutdown(reader, SHUT_WR);
	json_t *m;
	*dropped = *events = -1;
	while ((m = frame_with("stats", 5000))) {
		bool fin = json_is_true(json_object_get(m, "final"));
		*dropped = json_integer_value(json_object_get(json_object_get(m, "stats"), "dropped"));
		*events = json_integer_value(json_object_get(json_object_get(m, "stats"), "events"));
		json_decref(m);
		if (fin)
			break;
	}
	close(reader);
	reader = -1;
	waitpid(session, NULL, 0);
	session = -1;
	frame_reader_free(&fr);
	frame_reader_init(&fr, TRACE_FRAME_MAX);
	return rate;
}

Test(trace_live, slow_reader_does_not_slow_the_server)
{
	uint64_t i0 = shm->iters;
	usleep(500000);
	double untraced = (double)(shm->iters - i0) * 2.0;
	long long fd, fe, sd, se;
	/* Alternate rounds and keep each reader's best: a busy machine (the
	 * suite runs this under ASan too) slows one round, not all. */
	double fast = 0, slow = 0;
	fd = fe = sd = se = 0;
	for (int round = 0; round < 3; round++) {
		long long d1, e1, d2, e2;
		double f = traced_rate(0, 800, &d1, &e1), sl = traced_rate(20, 800, &d2, &e2);
		if (f > fast) {
			fast = f;
			fd = d1;
			fe = e1;
		}
		if (sl > slow) {
			slow = sl;
			sd = d2;
			se = e2;
		}
	}
	cr_log_info("iterations/s: untraced %.0f, fast reader %.0f (events %lld dropped %lld), "
		    "slow reader %.0f (events %lld dropped %lld)",
		    untraced, fast, fe, fd, slow, se, sd);
	fprintf(stderr, "trace rates/s: untraced %.0f fast %.0f slow %.0f; drops fast %lld slow %lld\n",
		untraced, fast, slow, fd, sd);
	/* ptrace itself costs (every syscall stops twice); what matters is
	 * that a lagging reader costs nothing more: its events are dropped
	 * instead of stopping the tracee.  Factor 2 leaves room for noise on a
	 * loaded machine and under valgrind. */
	cr_expect_gt(slow, fast / 2, "slow reader: %.0f/s vs fast %.0f/s", slow, fast);
	cr_expect_gt(sd, 0, "a 20 ms/event reader must lose events");
	cr_expect_geq(se, 0);
	expect_detached_and_running();
}

/* ---- one session, several readers (as hsd runs it) ---- */

/* A connected reader passed to the session, its request sent. */
static int add_reader(int ctl, const char *req)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(fdpass_send(ctl, sv[1], 0), 0); /* as hsd does */
	close(sv[1]);
	json_t *j = json_loads(req, 0, NULL);
	cr_assert_eq(frame_write_fd(sv[0], j, TRACE_FRAME_MAX, NULL, 0), 0);
	json_decref(j);
	return sv[0];
}

static bool sees_our_openat(int fd, struct frame_reader *f)
{
	json_t *ev;
	bool found = false;
	for (int i = 0; i < 5000 && !found && (ev = frame_with_on(fd, f, "syscall", 5000)); i++) {
		found = is_our_openat(ev);
		json_decref(ev);
	}
	return found;
}

Test(trace_live, readers_of_one_space_share_the_session)
{
	int ctl[2];
	struct frame_reader f1, f2;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl), 0);
	session = fork();
	cr_assert_geq(session, 0);
	if (session == 0) {
		char err[HS_ERRLEN];
		close(ctl[0]);
		_exit(trace_session_run(ctl[1], -1, init_pid, NULL, err, sizeof(err)) ? 1 : 0);
	}
	close(ctl[1]);
	frame_reader_init(&f1, TRACE_FRAME_MAX);
	frame_reader_init(&f2, TRACE_FRAME_MAX);

	/* An old IDS version follows the whole space ... */
	int r1 = add_reader(ctl[0], "{\"v\":1,\"op\":\"trace\",\"target\":\"space\"}");
	json_t *ok = frame_with_on(r1, &f1, "ok", 5000);
	cr_assert_not_null(ok, "first reader: no ok");
	json_decref(ok);
	cr_expect(sees_our_openat(r1, &f1));
	/* ... and the new one asks while it still runs: ptrace allows one
	 * tracer per thread, so only a shared session can serve both. */
	int r2 = add_reader(ctl[0], "{\"v\":1,\"op\":\"trace\",\"target\":2,\"syscalls\":[\"openat\"]}");
	ok = frame_with_on(r2, &f2, "ok", 5000);
	cr_assert_not_null(ok, "second reader refused while the first one traces");
	cr_expect_eq(json_integer_value(json_object_get(ok, "threads")), 1); /* the worker */
	json_decref(ok);
	cr_expect(sees_our_openat(r2, &f2));
	json_t *ev = frame_with_on(r2, &f2, "syscall", 5000);
	cr_assert_not_null(ev);
	cr_expect_str_eq(json_string_value(json_object_get(ev, "syscall")), "openat", "its filter holds");
	json_decref(ev);

	/* The old one leaves with its final stats; the new one goes on. */
	shutdown(r1, SHUT_WR);
	json_t *fin = frame_with_on(r1, &f1, "final", 5000);
	cr_expect_not_null(fin, "first reader: no final stats");
	json_decref(fin);
	close(r1);
	cr_expect(sees_our_openat(r2, &f2), "second reader lost its events when the first left");

	/* hsd closing the control socket ends the session: final stats, and
	 * every tracee detached and running on. */
	close(ctl[0]);
	fin = frame_with_on(r2, &f2, "final", 5000);
	cr_expect_not_null(fin, "second reader: no final stats");
	json_decref(fin);
	int st;
	cr_assert_eq(waitpid(session, &st, 0), session);
	session = -1;
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(r2);
	frame_reader_free(&f1);
	frame_reader_free(&f2);
	expect_detached_and_running();
}
