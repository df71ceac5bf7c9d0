/* space.h - a space: namespaces + an overlay root + hsinit as PID 1.
 *
 * The launcher knows nothing of the store or of networking: hsd hands it
 * the layer paths and the command, gets back a running init waiting on its
 * "go" pipe, puts the network in place, then lets it go.
 */
#ifndef HS_SPACE_H
#define HS_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPACE_NAME_MAX 32
#define SPACE_CHAIN_MAX 64 /* ancestors; flatten before going deeper */

enum space_kind { SPACE_SERVER, SPACE_AUDIT };

struct space_launch {
	const char *name;           /* also the hostname */
	enum space_kind kind;
	const char *upper, *work, *root; /* this space's layer, overlay workdir, mount point */
	const char *lowers[SPACE_CHAIN_MAX]; /* ancestors' upper layers, nearest first; "/" is implied below */
	size_t nlowers;
	const char *const *masks;   /* base paths hidden inside (state dir, run dir), NULL-terminated */
	const char *hsinit;         /* path of the hsinit binary */
	const char *cgroup;         /* cgroup directory to join first, or NULL */
	char *const *argv;          /* the space's command */
	int console_fd;             /* stdout and stderr of init and the command */
};

struct space_proc {
	pid_t pid;                  /* init, in our PID namespace */
	unsigned long long start;   /* its start time (clock ticks), against pid reuse */
	int pidfd;
	int go_fd;                  /* write end of the go pipe; -1 once released */
};

/* Start init in fresh namespaces with its root set up; it waits for
 * space_go().  On error nothing is left running. */
int space_launch(const struct space_launch *l, struct space_proc *out,
		 char *err, size_t errlen);
/* Let init start the command (after the network is in place). */
int space_go(struct space_proc *p, char *err, size_t errlen);
/* Find a running space's init again (after an hsd restart): the pid must
 * still be the same process (start time). */
int space_adopt(pid_t pid, unsigned long long start, struct space_proc *out,
		char *err, size_t errlen);
void space_proc_close(struct space_proc *p);

/* Open /proc/PID/ns/NAME of init ("net", "mnt", ...). */
int space_ns_open(const struct space_proc *p, const char *ns, char *err,
		  size_t errlen);

/* Run argv inside a running space, as its own processes run (same
 * namespaces and capabilities); waits and returns its exit status in
 * *status.  Used by hsctl space exec. */
int space_exec(pid_t pid, unsigned long long start, enum space_kind kind,
	       char *const *argv, int *status, char *err, size_t errlen);

/* A process's start time from /proc/PID/stat. */
int proc_start_time(pid_t pid, unsigned long long *out);

/* Capabilities a space keeps (the rest are dropped from every set and the
 * bounding set before init runs). */
int caps_limit(enum space_kind kind, char *err, size_t errlen);

/* Name rule: [a-z0-9][a-z0-9_.-]{0,31}, no slash, not "." or "..". */
int space_name_check(const char *name, char *err, size_t errlen);

#endif
