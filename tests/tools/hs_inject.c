/* hs_inject.c - make a running process call open or socket, as code an
 * attacker got into it would: the integration tests' way to attack a
 * sandbox from inside without a bug to exploit.
 *
 *   hs_inject PID open PATH     openat(AT_FDCWD, PATH, O_RDONLY)
 *   hs_inject PID socket        socket(AF_INET, SOCK_DGRAM, 0)
 *
 * Attaches with ptrace (the caller is root), points the stopped thread at
 * the syscall instruction it is blocked behind, single-steps it, and puts
 * everything back.  Prints "returned N" (N >= 0 or -errno), or "killed by
 * signal S" when the kernel ended the process for the call (seccomp).
 * x86_64 only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#if !defined(__x86_64__)
int main(void)
{
	fprintf(stderr, "hs_inject: x86_64 only\n");
	return 77;
}
#else
static int fail(const char *what)
{
	fprintf(stderr, "hs_inject: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Wait for the next stop; 1 if the process ended (and say how). */
static int wait_stop(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, __WALL) < 0) {
		fail("waitpid");
		return -1;
	}
	if (WIFSIGNALED(st)) {
		printf("killed by signal %d\n", WTERMSIG(st));
		return 1;
	}
	if (WIFEXITED(st)) {
		printf("exited %d\n", WEXITSTATUS(st));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[2], "open") == 0) != (argc == 4)) {
		fprintf(stderr, "usage: hs_inject PID open PATH | hs_inject PID socket\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	struct user_regs_struct saved, r;
	int rc;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return fail("attach");
	if ((rc = wait_stop(pid)))
		return rc < 0;
	if (ptrace(PTRACE_GETREGS, pid, 0, &saved))
		return fail("getregs");
	r = saved;
	/* Blocked in a call: the two bytes before rip are "syscall". */
	errno = 0;
	long word = ptrace(PTRACE_PEEKTEXT, pid, saved.rip - 2, 0);
	if (errno || (word & 0xffff) != 0x050f) {
		fprintf(stderr, "hs_inject: the process is not stopped behind a syscall\n");
		return 1;
	}
	r.rip = saved.rip - 2;
	r.orig_rax = (unsigned long long)-1; /* no restart of the old call */
	if (!strcmp(argv[2], "open")) {
		/* The path goes on the stack, well below the red zone. */
		uint64_t at = (saved.rsp - 4096) & ~(uint64_t)15;
		size_t len = strlen(argv[3]) + 1;
		for (size_t off = 0; off < len; off += sizeof(long)) {
			long v = 0;
			memcpy(&v, argv[3] + off, len - off < sizeof(long) ? len - off : sizeof(long));
			if (ptrace(PTRACE_POKEDATA, pid, at + off, v))
				return fail("pokedata");
		}
		r.rax = SYS_openat;
		r.rdi = (unsigned long long)AT_FDCWD;
		r.rsi = at;
		r.rdx = O_RDONLY;
		r.r10 = 0;
	} else {
		r.rax = SYS_socket;
		r.rdi = AF_INET;
		r.rsi = SOCK_DGRAM;
		r.rdx = 0;
	}
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) || ptrace(PTRACE_SINGLESTEP, pid, 0, 0))
		return fail("setregs");
	if ((rc = wait_stop(pid)))
		return rc < 0;
	if (ptrace(PTRACE_GETREGS, pid, 0, &r))
		return fail("getregs");
	printf("returned %lld\n", (long long)r.rax);
	/* Back as it was: the interrupted call restarts. */
	if (ptrace(PTRACE_SETREGS, pid, 0, &saved) || ptrace(PTRACE_DETACH, pid, 0, 0))
		return fail("restore");
	return 0;
}
#endif
