/* engine_sandbox.c - what hsengine may still do once it runs: an allow-list.
 *
 * The engine parses route packets from other hosts, so it is written off
 * as compromisable.  hsd starts it as a uid of its own with no capability
 * (engine_sup.c); here it takes away the rest: no core dumps or ptrace by
 * its uid (not dumpable), no_new_privs, a Landlock domain that grants no
 * file and no TCP port, and a seccomp allow-list of the calls its loop
 * makes on the descriptors it was given.  Anything else (open, socket,
 * connect, execve, clone, ptrace, bpf, ...) kills it, and hsd restarts it.
 * Its stderr, hsd's own, is replaced by /dev/null once it is confined.
 */
#include "engine.h"
#include "err.h"
#include "sandbox.h"

#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const uint32_t engine_allowed[] = {
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
	/* a poll stopped and continued goes on by restart_syscall */
	__NR_restart_syscall,
	/* stderr put away; stdio on it, the end, and abort() */
	__NR_dup2, __NR_writev, __NR_newfstatat, __NR_fstat, __NR_lseek, __NR_close, __NR_exit,
	__NR_exit_group, __NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_getpid,
	__NR_gettid, __NR_tgkill, __NR_futex,
};

int engine_sandbox(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, errlen, "engine: prctl(PR_SET_NO_NEW_PRIVS)");
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer's runtime reads /proc/self/maps and stops the process
	 * with ptrace when it ends (the leak check): not dumpable, Landlock
	 * or the allow-list would make that fail.  Sanitized builds are for
	 * tests of the engine's code, not of its confinement. */
	(void)engine_allowed;
	return 0;
#else
	const struct sandbox_allow al = {
		.calls = engine_allowed, .ncalls = sizeof(engine_allowed) / sizeof(engine_allowed[0]),
	};
	return sandbox_helper(&al, -1, 0, "engine", err, errlen);
#endif
}
