/* hsinit.c - PID 1 of a space.
 *
 * usage: hsinit [--go-fd N] [--status-fd W --status-keep R] -- CMD [ARGS]
 *
 * Waits until hsd writes to fd N (the space's network is in place), then
 * runs CMD as its child.  As PID 1 of the space's PID namespace it reaps
 * every orphan, forwards SIGHUP/SIGINT/SIGUSR1/SIGUSR2 to CMD, and on
 * SIGTERM stops the whole space: SIGTERM to every process, a grace period,
 * then SIGKILL.  When CMD exits the space stays up (a server that forks
 * into the background is normal); hsd stops it explicitly.  What became
 * of CMD goes to hsd on the status pipe W, one line each: "failed: exec
 * CMD: REASON" when CMD could not be run, and "exited N" or "killed SIG"
 * once CMD has ended and nothing of it (no process but this one) is left.
 * R is the pipe's read end, kept open here and never read: a restarted hsd
 * takes a copy of it (pidfd_getfd) and reads what it missed.  It is a
 * separate small binary, exec'd fresh, so no memory of hsd (keys, store)
 * is ever inside a space.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_MS 3000

static int status_fd = -1;

/* One line on the status pipe (non-blocking: hsd may be away; it has
 * room for far more than the two lines a space's command ever causes). */
static void status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void status(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (status_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(status_fd, line, (size_t)n) < 0) {
		/* nobody to tell */
	}
}

/* Goes to the space's console log: what an operator reads first. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hsinit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reap(pid_t child, int *child_done)
{
	static int cmd_status, reported;
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p != child || *child_done)
			continue;
		*child_done = 1;
		cmd_status = st;
		if (WIFEXITED(st))
			say("command exited with status %d", WEXITSTATUS(st));
		else
			say("command killed by signal %d", WTERMSIG(st));
	}
	/* The command is over, and no process it left behind runs on. */
	if (p < 0 && errno == ECHILD && *child_done && !reported) {
		reported = 1;
		if (WIFEXITED(cmd_status))
			status("exited %d", WEXITSTATUS(cmd_status));
		else
			status("killed %d", WTERMSIG(cmd_status));
	}
}

/* SIGTERM everything, wait up to GRACE_MS for the namespace to empty,
 * then SIGKILL what is left.  Returning from main ends the namespace. */
static void stop_space(int sfd, pid_t child, int *child_done)
{
	long deadline = now_ms() + GRACE_MS;

	kill(-1, SIGTERM);
	while (now_ms() < deadline) {
		reap(child, child_done);
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		struct signalfd_siginfo si;
		/* signalfd is non-blocking; a short sleep keeps this simple. */
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		usleep(20000);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

int main(int argc, char **argv)
{
	int go_fd = -1, keep_fd = -1, argi = 1, child_done = 0;
	sigset_t set;
	pid_t child;
	char c;

	for (; argi + 1 < argc && strncmp(argv[argi], "--", 2) == 0 && argv[argi][2]; argi += 2) {
		int *slot = !strcmp(argv[argi], "--go-fd") ? &go_fd
			    : !strcmp(argv[argi], "--status-fd") ? &status_fd
			    : !strcmp(argv[argi], "--status-keep") ? &keep_fd : NULL;
		if (!slot)
			break;
		*slot = atoi(argv[argi + 1]);
	}
	/* Neither end of the status pipe goes to the command (an exec that
	 * fails still reports through it). */
	if (status_fd >= 0)
		fcntl(status_fd, F_SETFD, FD_CLOEXEC);
	if (keep_fd >= 0)
		fcntl(keep_fd, F_SETFD, FD_CLOEXEC);
	if (argi >= argc || strcmp(argv[argi], "--") != 0 || argi + 1 >= argc) {
		fprintf(stderr, "usage: hsinit [--go-fd N] -- CMD [ARGS]\n");
		return 2;
	}
	argi++;
	/* Root of the space may not trace or read the memory of its init
	 * (the space's own processes become dumpable again at exec). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* exec'd from a sealed copy in memory: its name would be the fd's. */
	prctl(PR_SET_NAME, "hsinit", 0, 0, 0);
	if (getpid() != 1)
		say("warning: not PID 1 (pid %ld); orphans are not ours to reap", (long)getpid());

	sigemptyset(&set);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV && s != SIGBUS &&
		    s != SIGFPE && s != SIGILL && s != SIGTTIN && s != SIGTTOU)
			sigaddset(&set, s);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("hsinit: signalfd");
		return 1;
	}
	if (go_fd >= 0) {
		ssize_t n;
		while ((n = read(go_fd, &c, 1)) < 0 && errno == EINTR)
			;
		close(go_fd);
		if (n != 1) {
			say("hsd did not finish setting up the space; exiting");
			return 1;
		}
	}
	child = fork();
	if (child < 0) {
		perror("hsinit: fork");
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		setsid();
		execvp(argv[argi], argv + argi);
		int e = errno;
		fprintf(stderr, "hsinit: exec %s: %s\n", argv[argi], strerror(e));
		status("failed: exec %.160s: %s", argv[argi], strerror(e));
		_exit(127);
	}
	for (;;) {
		struct signalfd_siginfo si;
		fd_set rfds;

		FD_ZERO(&rfds);
		FD_SET(sfd, &rfds);
		if (select(sfd + 1, &rfds, NULL, NULL, NULL) < 0 && errno != EINTR)
			return 1;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				reap(child, &child_done);
				break;
			case SIGTERM:
			case SIGPWR:
				stop_space(sfd, child, &child_done);
				return 0;
			case SIGHUP:
			case SIGINT:
			case SIGUSR1:
			case SIGUSR2:
			case SIGWINCH:
				if (!child_done)
					kill(child, (int)si.ssi_signo);
				break;
			default:
				break;
			}
		}
	}
}
