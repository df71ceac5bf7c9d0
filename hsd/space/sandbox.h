/* sandbox.h - the last restrictions a space process takes on before exec:
 * a seccomp deny-list (with no_new_privs) and a Landlock scope domain.
 *
 * Both are inherited by every descendant and can never be lifted, so the
 * launcher applies them to a space's PID 1 and to each `hsctl space exec`
 * command, each in a domain of its own.
 */
#ifndef HS_SANDBOX_H
#define HS_SANDBOX_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seccomp_asm.h"

/* Room for the generated seccomp program (seccomp_asm.h's). */
#define SANDBOX_PROG_CAP SECCOMP_ASM_CAP

/* Generate the space seccomp program into prog (cap instructions) and set
 * *len.  Pure: installs nothing.  Exposed so tests can inspect and run it.
 * Returns 0 or HS_ESYS (program does not fit or a jump is out of range). */
int sandbox_seccomp_build(struct sock_filter *prog, size_t cap, size_t *len,
			  char *err, size_t errlen);

/* Set no_new_privs and install the space seccomp filter on the calling
 * (single-threaded) process.  Returns 0 or HS_ESYS with err filled. */
int sandbox_seccomp(char *err, size_t errlen);

/* A second filter, for audit spaces: every uid and gid set*id() switches
 * to must be below limit (or -1, "unchanged").  Sets no_new_privs. */
int sandbox_seccomp_ids(uint32_t limit, char *err, size_t errlen);

/* An allow-list for hsd's unprivileged helpers (hsengine, hsfleetdb).
 * Any call not allowed, or from another architecture, kills the process. */
struct sandbox_allow {
	const uint32_t *calls; /* allowed whatever their arguments */
	size_t ncalls;
	/* clone only for a thread (CLONE_THREAD, no namespace flag); clone3
	 * fails with ENOSYS, so that libc falls back to clone */
	bool threads;
	const uint32_t *families; /* socket() only for these (none: no socket) */
	size_t nfamilies;
	/* and then only SOCK_STREAM with protocol 0 or IPPROTO_TCP: Landlock's
	 * port rules bind TCP alone, not UDP, MPTCP or SCTP */
	bool tcp_only;
	const uint32_t *ioctls; /* ioctl() only for these requests (none: no ioctl) */
	size_t nioctls;
};

/* Install al on the calling process; who names it in err.  clone,
 * clone3, socket and ioctl are refused in calls (the options above say
 * how they are allowed).  Requires no_new_privs; threads created
 * afterwards inherit it. */
int sandbox_seccomp_allow(const struct sandbox_allow *al, const char *who, char *err,
			  size_t errlen);

/* The rest of a helper's confinement, after no_new_privs: not dumpable,
 * a Landlock domain (dirfd < 0: sandbox_landlock_nothing, else
 * sandbox_landlock_beneath(dirfd, port)), the allow-list al, and then its
 * stderr, inherited from hsd (its journal stream), becomes /dev/null, so
 * that a compromised helper speaks only through its channel, which hsd
 * escapes and rate-limits.  Call it before any thread is made. */
int sandbox_helper(const struct sandbox_allow *al, int dirfd, uint16_t port, const char *who,
		   char *err, size_t errlen);

/* Enter a new Landlock domain that only *scopes* (LANDLOCK_SCOPE_SIGNAL |
 * LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, Landlock ABI >= 6, kernel 6.12+): a
 * process in the domain cannot ptrace, signal, or reach the abstract unix
 * sockets of any process outside it or in a sibling domain.  Requires
 * no_new_privs or CAP_SYS_ADMIN.  Returns HS_ESYS naming the ABI found when
 * the kernel lacks it. */
int sandbox_landlock_scope(char *err, size_t errlen);

/* Enter a Landlock domain that grants nothing: no file access of any kind,
 * no TCP bind or connect (ABI >= 4), scoped as above (ABI >= 6); what the
 * kernel's ABI lacks is left out.  For hsengine (hsd/engine/), which needs
 * only the descriptors it was given.  Requires no_new_privs. */
int sandbox_landlock_nothing(char *err, size_t errlen);

/* Enter a Landlock domain that grants every file right but execute
 * beneath the directory dirfd and nothing else, TCP bind and connect on
 * port only (ABI >= 4), scoped as above (ABI >= 6).  For hsfleetdb
 * (hsd/fleetdb/): its data directory and Raft's port.  Requires
 * no_new_privs.  Threads created afterwards inherit the domain. */
int sandbox_landlock_beneath(int dirfd, uint16_t port, char *err, size_t errlen);

/* The running kernel's Landlock ABI version (0: none). */
int sandbox_landlock_abi(void);

#endif
