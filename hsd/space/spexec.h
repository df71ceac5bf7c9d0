/* spexec.h - run a command inside a running space for an operator
 * (hsctl space exec), so that the space gains nothing from it.
 *
 * The command runs as the space's root in all of its namespaces and its
 * cgroups, with the space's capabilities, seccomp filter and no_new_privs,
 * in a new session, with exactly the environment given, and holds no fd
 * but its stdio: pipes, or with a terminal a pty created inside the space
 * (its master is handed out).  The operator's terminal, fds and
 * environment never enter the space; hsctl relays.  Every process of the
 * space is in the space's Landlock domain and this one in none, so the
 * space can neither trace it (ptrace, /proc/PID/mem, /proc/PID/environ,
 * /proc/PID/fd) nor signal it, though both run as the same user, while it
 * may still manage the space's processes.  What it leaves running keeps
 * that standing: long-lived servers belong in the space's own command.
 */
#ifndef HS_SPEXEC_H
#define HS_SPEXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "space.h"

struct spexec_req {
	pid_t init;                 /* the space's init and its start time */
	unsigned long long start;
	enum space_kind kind;
	char *const *argv;
	char *const *envp;          /* the whole environment */
	bool tty;
};

struct spexec_proc {
	pid_t pid;       /* our child outside the space: it exits as the command */
	pid_t command;   /* the command, as this PID namespace numbers it */
	int in, out, err; /* without tty: our ends of its stdio pipes, else -1 */
	int pty;          /* with tty: the pty's master, else -1 */
};

/* Start it; on error nothing is left running. */
int spexec_start(const struct spexec_req *r, struct spexec_proc *out, char *err,
		 size_t errlen);
/* Close what spexec_start handed out (fds already closed are -1). */
void spexec_close(struct spexec_proc *p);

#endif
