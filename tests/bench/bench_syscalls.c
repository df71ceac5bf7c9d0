/* bench_syscalls.c - syscall-bound work for bench_confine.sh: rates of
 * getpid, open+close, stat and fork+exec+wait of /bin/true, each for a
 * fixed time, printed on one line as NAME=PER_SECOND.  Run it on the host,
 * in a space's namespaces and through `hsctl space exec`; the ratios of
 * the same binary in each place are what confinement costs.
 *
 *   bench_syscalls [-s SECONDS] [-f FILE] [-S] [-L]
 *     -f FILE  what open and stat act on (default: this program)
 *     -S       first install hsd's space seccomp filter (sandbox.c)
 *     -L       first enter hsd's Landlock scope domain, as every process
 *              a space's init starts is (hsctl space exec runs in none)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "sandbox.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *target;

/* One unit of each kind of work; -1 on an error worth stopping for. */
static int do_getpid(void)
{
	/* The raw call: glibc could one day cache getpid again. */
	return syscall(SYS_getpid) > 0 ? 0 : -1;
}

static int do_open(void)
{
	int fd = open(target, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int do_stat(void)
{
	struct stat st;
	return stat(target, &st);
}

static int do_fork_exec(void)
{
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

struct work {
	const char *name;
	int (*fn)(void);
	unsigned batch; /* units between clock reads: keep the clock out of it */
};

static const struct work works[] = {
	{ "getpid", do_getpid, 4096 },
	{ "open_close", do_open, 1024 },
	{ "stat", do_stat, 1024 },
	{ "fork_exec", do_fork_exec, 4 },
};

static double rate(const struct work *w, double secs)
{
	uint64_t n = 0;
	double t0 = now_s(), t;
	do {
		for (unsigned i = 0; i < w->batch; i++)
			if (w->fn()) {
				fprintf(stderr, "bench_syscalls: %s on %s: %s\n", w->name, target,
					strerror(errno));
				exit(1);
			}
		n += w->batch;
	} while ((t = now_s()) - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	char err[HS_ERRLEN];
	double secs = 1;
	int opt, seccomp = 0, landlock = 0;

	target = "/proc/self/exe";
	while ((opt = getopt(argc, argv, "s:f:SL")) != -1) {
		switch (opt) {
		case 's': secs = atof(optarg); break;
		case 'f': target = optarg; break;
		case 'S': seccomp = 1; break;
		case 'L': landlock = 1; break;
		default:
			fprintf(stderr, "usage: bench_syscalls [-s SECONDS] [-f FILE] [-S] [-L]\n");
			return 2;
		}
	}
	if (secs <= 0 || secs > 60) {
		fprintf(stderr, "bench_syscalls: -s wants 0 < SECONDS <= 60\n");
		return 2;
	}
	/* Landlock first: restrict_self asks for no_new_privs or
	 * CAP_SYS_ADMIN, and the seccomp filter sets the former. */
	if ((landlock && sandbox_landlock_scope(err, sizeof(err))) ||
	    (seccomp && sandbox_seccomp(err, sizeof(err)))) {
		fprintf(stderr, "bench_syscalls: %s\n", err);
		return 1;
	}
	/* /proc/self/exe would be the same file but a magic link: resolve it
	 * once so every open and stat walks a real path. */
	static char self[4096];
	if (strcmp(target, "/proc/self/exe") == 0) {
		ssize_t n = readlink(target, self, sizeof(self) - 1);
		if (n <= 0) {
			perror("bench_syscalls: readlink /proc/self/exe");
			return 1;
		}
		self[n] = 0;
		target = self;
	}
	for (size_t i = 0; i < sizeof(works) / sizeof(works[0]); i++)
		printf("%s%s=%.0f", i ? " " : "", works[i].name, rate(&works[i], secs));
	printf("\n");
	return 0;
}
