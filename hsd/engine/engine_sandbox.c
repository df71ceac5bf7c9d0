/* engine_sandbox.c - what hsengine may still do once it runs: an allow-list.
 *
 * The engine parses route packets from other hosts, so it is written off
 * as compromisable.  hsd starts it as a uid of its own with no capability
 * (engine_sup.c); here it takes away the rest: no core dumps or ptrace by
 * its uid (not dumpable), no_new_privs, a Landlock domain that grants no
 * file and no TCP port, and a seccomp allow-list of the calls its loop
 * makes on the descriptors it was given.  Anything else (open, socket,
 * connect, execve, clone, ptrace, bpf, ...) kills it, and hsd restarts it.
 */
#include "engine.h"
#include "err.h"
#include "sandbox.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define ENGINE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ENGINE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "hsengine: no seccomp allow-list for this architecture"
#endif

static const unsigned engine_allowed[] = {
	/* the loop: the channel, the route socket, the clock */
	__NR_read, __NR_write, __NR_recvmsg, __NR_recvfrom, __NR_sendmsg, __NR_sendto,
	__NR_ppoll, __NR_clock_gettime, __NR_gettimeofday,
#ifdef __NR_poll
	__NR_poll,
#endif
	/* the peer listener: connections, and bundle files handed to hsd */
	__NR_accept4, __NR_memfd_create, __NR_fcntl, __NR_pread64,
	/* hsd's calls: the connect's outcome on the socket hsd made */
	__NR_getsockopt,
	/* memory (malloc) */
	__NR_brk, __NR_mmap, __NR_munmap, __NR_mremap, __NR_madvise, __NR_mprotect,
	__NR_getrandom,
	/* stdio on stderr, the end, and abort() */
	__NR_writev, __NR_newfstatat, __NR_fstat, __NR_lseek, __NR_close, __NR_exit,
	__NR_exit_group, __NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_getpid,
	__NR_gettid, __NR_tgkill, __NR_futex,
};

static int engine_seccomp(char *err, size_t errlen)
{
	enum { N = sizeof(engine_allowed) / sizeof(engine_allowed[0]) };
	/* arch check, then one compare per call jumping to ALLOW, KILL last */
	struct sock_filter prog[4 + N + 2];
	size_t k = 0;

	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ENGINE_AUDIT_ARCH, 1, 0);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < N; i++)
		prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, engine_allowed[i],
							 (uint8_t)(N - i), 0);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	struct sock_fprog fprog = { .len = (unsigned short)k, .filter = prog };
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
		return err_sys(err, errlen, "engine: install seccomp filter");
	return 0;
}

int engine_sandbox(char *err, size_t errlen)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, errlen, "engine: prctl(PR_SET_NO_NEW_PRIVS)");
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer's runtime reads /proc/self/maps and stops the process
	 * with ptrace when it ends (the leak check): not dumpable, Landlock
	 * or the allow-list would make that fail.  Sanitized builds are for
	 * tests of the engine's code, not of its confinement. */
	(void)rc;
	(void)engine_seccomp;
	return 0;
#else
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_sys(err, errlen, "engine: prctl(PR_SET_DUMPABLE)");
	if ((rc = sandbox_landlock_nothing(err, errlen)))
		return rc;
	return engine_seccomp(err, errlen);
#endif
}
