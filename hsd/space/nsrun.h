/* nsrun.h - run a function in a forked child, for work inside other
 * namespaces.  setns(CLONE_NEWNS) is refused to threaded processes and hsd's
 * own namespaces must never move, so such work always happens in a child;
 * its one-line error comes back through a pipe. */
#ifndef HS_NSRUN_H
#define HS_NSRUN_H

#include <stddef.h>
#include <sys/types.h>

/* fn runs in the child, returns 0 or an hs_rc with its message in err. */
int nsrun(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
	  size_t errlen);
/* Enter the namespaces (CLONE_NEW* flags) of pid, for use inside fn (or
 * any single-threaded child).  With CLONE_NEWUSER the caller becomes root
 * of that user namespace (ids 0, no groups) and is not dumpable; its
 * capabilities are then those of the space's root until it drops them. */
int nsrun_enter(pid_t pid, int nstypes, char *err, size_t errlen);
/* The same through a pidfd the caller holds. */
int nsrun_enter_fd(int pidfd, int nstypes, char *err, size_t errlen);

#endif
