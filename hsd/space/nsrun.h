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
/* Enter the namespaces (CLONE_NEW* flags) of pid, for use inside fn. */
int nsrun_enter(pid_t pid, int nstypes, char *err, size_t errlen);

#endif
