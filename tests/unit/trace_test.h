/* trace_test.h - what the trace session tests (test_trace_live.c, ptrace;
 * test_trace_bpf.c, eBPF) share: time, child processes and reading a
 * session's frames.  Static, like store_fixture.h: each test binary gets
 * its own copy. */
#ifndef HS_TRACE_TEST_H
#define HS_TRACE_TEST_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

static inline int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A child that waits to be killed, and is when the test process dies. */
static inline void idle(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

/* The only child of process p (pids as we see them), within 2 s. */
static inline pid_t child_of(pid_t p)
{
	char cpath[64], buf[64] = "";
	snprintf(cpath, sizeof(cpath), "/proc/%d/task/%d/children", p, p);
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
	return atoi(buf);
}

static inline void reap(pid_t *p)
{
	if (*p > 0) {
		kill(*p, SIGKILL);
		waitpid(*p, NULL, 0);
	}
	*p = -1;
}

/* The next frame on fd within ms; NULL on timeout or EOF. */
static inline json_t *next_frame_on(int fd, struct frame_reader *f, int ms)
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

/* Skip frames until one has key; NULL on timeout or EOF. */
static inline json_t *frame_with_on(int fd, struct frame_reader *f, const char *key, int ms)
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

#endif
