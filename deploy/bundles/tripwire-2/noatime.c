/* noatime.c - run a command with O_NOATIME taken off its open calls.
 *
 *   noatime COMMAND [ARG]...
 *
 * Tripwire opens every file and directory it scans with O_NOATIME, which
 * the kernel allows only to the file's owner or to a holder of CAP_FOWNER.
 * In an audit space the files of /.serverfs belong to the server's ids,
 * and the space has no CAP_FOWNER (docs/security.md), so every open fails
 * with EPERM and Tripwire sees nothing.  The flag is pointless there
 * anyway: /.serverfs is mounted read-only, so a read never changes an
 * access time.  Debian's tripwire is linked statically, so no preload can
 * reach its calls; this program traces it instead.  The child installs a
 * seccomp filter that hands exactly the open and openat calls with
 * O_NOATIME to its tracer (SECCOMP_RET_TRACE; everything else runs
 * untraced), and the tracer clears the flag in the registers before the
 * call goes on.  Nothing here needs a privilege the audit space lacks: a
 * process may trace its own child and filter its own system calls.
 *
 * Built by run.sh at start with the system's cc.  Exit status: the
 * command's, 128+N if it was killed by signal N, 127 if it could not start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))

/* Trace call SYSNO when the low word of its argument ARGNO has O_NOATIME;
 * leaves the call's number loaded again for the next test. */
#define TRACE_IF_NOATIME(sysno, argno)                                         \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 4),                    \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(argno)),                     \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_NOATIME, 0, 1),                 \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),                          \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

static int child(char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		TRACE_IF_NOATIME(SYS_open, 1),
		TRACE_IF_NOATIME(SYS_openat, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (ptrace(PTRACE_TRACEME, 0, 0, 0) || raise(SIGSTOP) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "noatime: setting up: %s\n", strerror(errno));
		return 127;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "noatime: %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: noatime COMMAND [ARG]...\n", stderr);
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("noatime: fork");
		return 127;
	}
	if (pid == 0)
		_exit(child(argv + 1));

	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
		fputs("noatime: the child did not stop\n", stderr);
		return 127;
	}
	/* EXITKILL: the command never runs on untraced (its calls would fail
	 * with ENOSYS if the tracer were gone); its children are traced too. */
	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK |
			   PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)) {
		perror("noatime: PTRACE_SETOPTIONS");
		kill(pid, SIGKILL);
		return 127;
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (;;) {
		pid_t t = waitpid(-1, &st, __WALL);
		if (t < 0) {
			if (errno == EINTR)
				continue;
			return 127;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (t == pid)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st), deliver = 0;
		if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_SECCOMP) {
			struct user_regs_struct r;
			if (ptrace(PTRACE_GETREGS, t, 0, &r) == 0) {
				if (r.orig_rax == SYS_openat)
					r.rdx &= ~(unsigned long long)O_NOATIME;
				else
					r.rsi &= ~(unsigned long long)O_NOATIME;
				ptrace(PTRACE_SETREGS, t, 0, &r);
			}
		} else if (sig == SIGTRAP && (st >> 16) != 0) {
			/* fork, clone, exec events: nothing to pass on */
		} else if (sig == SIGSTOP && (st >> 16) == 0) {
			/* the first stop of a new traced child */
		} else {
			deliver = sig;
		}
		ptrace(PTRACE_CONT, t, 0, deliver);
	}
}
