/* bench_trace.c - what tracing costs a busy server, side by side in one
 * run: the syscall rate of a process doing open+close in a loop (in a PID
 * namespace of its own, like a server space), untraced, then for each
 * backend (ptrace, eBPF) traced with a reader that keeps up and with a
 * reader that sleeps per event (the broker drops instead of waiting).
 *
 *   bench_trace [SECONDS]      (needs root: ptrace, bpf, namespaces)
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
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
#include "frame.h"
#include "trace.h"

static volatile uint64_t *iters;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The loop runs as pid 1 of a new PID namespace: the eBPF backend's
 * kernel filter then has a space to tell apart from the rest of the
 * machine, as in hsd.  Returns its pid (ours); *helper is its parent. */
static pid_t start_busy(pid_t *helper)
{
	int p[2];
	pid_t busy = -1;
	if (pipe(p))
		return -1;
	*helper = fork();
	if (*helper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		pid_t c = fork();
		if (c == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;) {
				int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
				if (fd >= 0)
					close(fd);
				(*iters)++;
			}
		}
		if (write(p[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		waitpid(c, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	if (*helper < 0 || read(p[0], &busy, sizeof(busy)) != sizeof(busy))
		busy = -1;
	close(p[0]);
	return busy;
}

struct result {
	double rate; /* syscalls/s of the busy process (2 per iteration) */
	long long events, dropped;
};

/* slow_ms < 0: untraced. */
static struct result measure(pid_t busy, const char *backend, int slow_ms, double secs)
{
	struct result r = {0, 0, 0};
	int sv[2] = {-1, -1};
	pid_t sess = -1;
	struct frame_reader fr;
	frame_reader_init(&fr, TRACE_FRAME_MAX);
	if (slow_ms >= 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			return r;
		sess = fork();
		if (sess == 0) {
			char err[HS_ERRLEN];
			close(sv[0]);
			int rc = trace_session_run(-1, sv[1], busy, NULL, err, sizeof(err));
			if (rc)
				fprintf(stderr, "session: %s\n", err);
			_exit(rc ? 1 : 0);
		}
		close(sv[1]);
		char req[128];
		snprintf(req, sizeof(req),
			 "{\"v\":1,\"op\":\"trace\",\"target\":\"space\",\"backend\":\"%s\"}",
			 backend);
		json_t *j = json_loads(req, 0, NULL);
		frame_write_fd(sv[0], j, TRACE_FRAME_MAX, NULL, 0);
		json_decref(j);
		usleep(200000);
	}
	uint64_t i0 = *iters;
	double t0 = now_s(), end = t0 + secs;
	uint8_t buf[65536];
	bool draining = false;
	for (;;) {
		double t = now_s();
		if (!draining && t >= end) {
			r.rate = 2.0 * (double)(*iters - i0) / (t - t0);
			if (sess < 0)
				break;
			shutdown(sv[0], SHUT_WR); /* ask for the final stats */
			draining = true;
		}
		if (sess < 0) {
			usleep(10000);
			continue;
		}
		json_t *m;
		int rc;
		bool fin = false;
		while ((rc = frame_reader_next(&fr, &m, NULL, 0)) == 1) {
			json_t *st = json_object_get(m, "stats");
			if (st) {
				r.events = json_integer_value(json_object_get(st, "events"));
				r.dropped = json_integer_value(json_object_get(st, "dropped"));
				fin = json_is_true(json_object_get(m, "final"));
			}
			json_decref(m);
			if (slow_ms > 0 && !draining)
				usleep((useconds_t)slow_ms * 1000);
		}
		if (fin || rc < 0)
			break;
		struct pollfd p = {.fd = sv[0], .events = POLLIN};
		if (poll(&p, 1, 3000) <= 0)
			break;
		/* a slow reader takes one small bite at a time */
		ssize_t n = read(sv[0], buf, slow_ms > 0 && !draining ? 256 : sizeof(buf));
		if (n <= 0 || frame_reader_feed(&fr, buf, (size_t)n, NULL, 0))
			break;
	}
	if (sess > 0) {
		close(sv[0]);
		waitpid(sess, NULL, 0);
	}
	frame_reader_free(&fr);
	return r;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	if (secs <= 0)
		secs = 2.0;
	iters = mmap(NULL, sizeof(*iters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (iters == MAP_FAILED)
		return 1;
	pid_t helper;
	pid_t busy = start_busy(&helper);
	if (busy < 0)
		return 1;
	usleep(100000);
	struct result un = measure(busy, NULL, -1, secs);
	struct result pf = measure(busy, "ptrace", 0, secs);
	struct result ps = measure(busy, "ptrace", 5, secs);
	struct result ef = measure(busy, "ebpf", 0, secs);
	struct result es = measure(busy, "ebpf", 5, secs);
	kill(busy, SIGKILL);
	kill(helper, SIGKILL);
	waitpid(helper, NULL, 0);

	printf("bench_trace: open+close loop, %.1f s each, queue 4096 events\n", secs);
	printf("%-34s %14s %12s %12s\n", "", "syscalls/s", "events", "dropped");
	printf("%-34s %14.0f %12s %12s\n", "untraced", un.rate, "-", "-");
	printf("%-34s %14.0f %12lld %12lld\n", "ptrace, fast reader", pf.rate, pf.events, pf.dropped);
	printf("%-34s %14.0f %12lld %12lld\n", "ptrace, slow reader (5ms)", ps.rate, ps.events,
	       ps.dropped);
	printf("%-34s %14.0f %12lld %12lld\n", "ebpf, fast reader", ef.rate, ef.events, ef.dropped);
	printf("%-34s %14.0f %12lld %12lld\n", "ebpf, slow reader (5ms)", es.rate, es.events,
	       es.dropped);
	printf("ratios to untraced: ptrace %.3f, ebpf %.3f; slow/fast reader: ptrace %.2f, ebpf %.2f\n",
	       un.rate > 0 ? pf.rate / un.rate : 0, un.rate > 0 ? ef.rate / un.rate : 0,
	       pf.rate > 0 ? ps.rate / pf.rate : 0, ef.rate > 0 ? es.rate / ef.rate : 0);
	return 0;
}
