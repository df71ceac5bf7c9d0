/* fdb_sandbox.c - what hsfleetdb may still do once it runs (fdb_sandbox.h).
 *
 * hsfleetdb parses Raft and dqlite bytes from other hosts, so it is
 * written off as compromisable.  hsd starts it as a uid of its own with
 * no capability (hsd/daemon/fleet/fleetdb.c); here it takes away the
 * rest before dqlite makes its threads, so every thread is in it:
 *  - not dumpable: no core dump or ptrace of its memory by its own uid;
 *  - no_new_privs;
 *  - a Landlock domain with its data directory (no execute) and Raft's
 *    TCP port, nothing else;
 *  - a seccomp allow-list of the calls of its loop, dqlite's node
 *    (libuv, Raft's disk I/O) and its threads.  Any other call (execve,
 *    a process or a namespace, ptrace, bpf, io_uring, the keyring, mount,
 *    a socket but TCP's, an ioctl but two, ...) kills it, and hsd starts
 *    it again;
 *  - stderr, hsd's own, replaced by /dev/null: what it says goes through
 *    the channel.
 * Landlock does not cover a path's metadata (stat, access, O_PATH), so a
 * compromised node can see that a host file exists, never read it.
 * The list is what hsfleetdb called under strace through test_fleetdb.sh
 * (elections, a voter replaced, a leader lost, rollouts), plus a few
 * calls of the same paths' error and rare branches (unlinkat, renameat,
 * ftruncate, fstatfs, mremap, preadv/pwritev, the clock calls the vDSO
 * makes when it cannot read the clock); a review found the snapshot's
 * pwritev, which no test run had reached.  tests/unit/
 * test_seccomp_fleetdb.c attacks it.
 */
#include "fdb_sandbox.h"
#include "err.h"
#include "fleetdb_msg.h"
#include "sandbox.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const uint32_t fdb_allowed[] = {
	/* our loop: hsd's channel, the clock (the vDSO's calls, for clocks
	 * it cannot read itself), stderr put away */
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_poll, __NR_ppoll,
	__NR_clock_gettime, __NR_clock_getres, __NR_gettimeofday, __NR_time,
	__NR_clock_nanosleep, __NR_nanosleep, __NR_dup2,
	/* libuv's loops in dqlite's threads */
	__NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_wait, __NR_epoll_pwait,
	__NR_eventfd2, __NR_pipe2,
	/* Raft's and dqlite's TCP (socket: families below; ioctl: requests below) */
	__NR_bind, __NR_listen, __NR_accept4, __NR_connect, __NR_shutdown,
	__NR_setsockopt, __NR_getsockopt, __NR_getsockname, __NR_getpeername,
	__NR_recvfrom, __NR_sendto, __NR_recvmsg, __NR_sendmsg,
	/* the data directory (Landlock keeps every path in it): Raft's
	 * segments and snapshots (a snapshot's metadata is one write of two
	 * buffers: libuv's pwritev), written directly and by kernel AIO.
	 * io_setup draws on the host's whole pool (fs.aio-max-nr), which a
	 * compromised node could empty: Raft 0.15 cannot do without it. */
	__NR_openat, __NR_close, __NR_fcntl, __NR_lseek, __NR_pread64, __NR_pwrite64,
	__NR_preadv, __NR_pwritev,
	__NR_fsync, __NR_fdatasync, __NR_fallocate, __NR_ftruncate, __NR_fstat,
	__NR_newfstatat, __NR_statx, __NR_fstatfs, __NR_getdents64, __NR_access,
	__NR_unlink, __NR_unlinkat, __NR_rename, __NR_renameat,
	__NR_io_setup, __NR_io_destroy, __NR_io_submit, __NR_io_getevents,
	/* threads (clone: sandbox_allow.threads) and memory */
	__NR_set_robust_list, __NR_rseq, __NR_futex, __NR_sched_yield, __NR_prlimit64,
	__NR_mmap, __NR_munmap, __NR_mremap, __NR_mprotect, __NR_madvise, __NR_brk,
	__NR_getrandom,
	/* signals (a sleep stopped and continued goes on by restart_syscall),
	 * abort() and the end */
	__NR_restart_syscall, __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn,
	__NR_getpid, __NR_gettid, __NR_tgkill, __NR_exit, __NR_exit_group,
};

/* Raft's and dqlite's TCP over IPv4 (and IPv6, for an overlay of it). */
static const uint32_t fdb_families[] = { AF_INET, AF_INET6 };
/* libuv's non-blocking sockets, stdio's "is it a terminal?" */
static const uint32_t fdb_ioctls[] = { FIONBIO, TCGETS };

static const struct sandbox_allow fdb_allow = {
	.calls = fdb_allowed,
	.ncalls = sizeof(fdb_allowed) / sizeof(fdb_allowed[0]),
	.threads = true,
	.families = fdb_families,
	.nfamilies = sizeof(fdb_families) / sizeof(fdb_families[0]),
	.tcp_only = true,
	.ioctls = fdb_ioctls,
	.nioctls = sizeof(fdb_ioctls) / sizeof(fdb_ioctls[0]),
};

int fdb_seccomp(char *err, size_t errlen)
{
	return sandbox_seccomp_allow(&fdb_allow, "hsfleetdb", err, errlen);
}

int fdb_confine(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return err_sys(err, errlen, "hsfleetdb: prctl(PR_SET_NO_NEW_PRIVS)");
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer's leak check reads /proc/self/maps and ptraces the
	 * process at its end: sanitized builds test the code, not the
	 * confinement (as hsengine's). */
	(void)err;
	(void)errlen;
	return 0;
#else
	int dfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, errlen, "hsfleetdb: open the data directory");
	int rc = sandbox_helper(&fdb_allow, dfd, FLEETDB_PORT, "hsfleetdb", err, errlen);
	close(dfd);
	return rc;
#endif
}
