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
#include <stdint.h>
#include <sys/types.h>

#define SPACE_NAME_MAX 32
#define SPACE_CHAIN_MAX 64 /* ancestors; flatten before going deeper */

enum space_kind { SPACE_SERVER, SPACE_AUDIT };

struct space_launch {
	const char *name;           /* also the hostname */
	enum space_kind kind;
	const char *dir;            /* its layer directory: upper, work, base (the
				     * mask, basemask.h), root, stage */
	const char *lowers[SPACE_CHAIN_MAX]; /* ancestors' upper layers, nearest first; the mask and "/" are implied below */
	size_t nlowers;
	int userns;                 /* the space's user namespace (userns.h) */
	uint32_t uid_base;          /* the host id of its root */
	uint64_t tmpfs_size;        /* bytes for each of /tmp, /run and /dev/shm */
	const char *const *cgroups; /* cgroup directories to join first, NULL-terminated, or NULL */
	int hsinit;                 /* fd of the hsinit executable (a sealed copy) */
	char *const *argv;          /* the space's command */
	int console_fd;             /* stdout and stderr of init and the command */
};

struct space_proc {
	pid_t pid;                  /* init, in our PID namespace */
	unsigned long long start;   /* its start time (clock ticks), against pid reuse */
	int pidfd;
	int go_fd;                  /* write end of the go pipe; -1 once released */
	int status_fd;              /* read end of the status pipe (hsinit.c), non-blocking; -1: none */
};

/* The status pipe's ends in init (hsinit --status-fd, --status-keep). */
#define SPACE_STATUS_WFD 4
#define SPACE_STATUS_RFD 5
#define SPACE_STR_(x) #x
#define SPACE_STR(x) SPACE_STR_(x)

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

/* The capabilities a space of kind keeps in its own user namespace
 * (caps.c says why each one). */
uint64_t caps_of(enum space_kind kind);
/* Keep only keep (a mask of CAP_*): every other capability leaves every set
 * and the bounding set, so no exec regains it.  0 for hsd's probes. */
int caps_limit(uint64_t keep, char *err, size_t errlen);

/* Refuse (HS_ESYS naming what is missing) on a kernel that cannot
 * confine spaces: user namespaces, idmapped mounts of the root filesystem,
 * Landlock ABI 6, the seccomp filter.  uid_base: a range to try with. */
int space_features_check(uint32_t uid_base, char *err, size_t errlen);

/* A sealed in-memory copy of the executable at path, as an fd to exec:
 * a space whose init was exec'd from it finds no file of the host behind
 * /proc/1/exe to overwrite (as in CVE-2019-5736). */
int space_exe_seal(const char *path, int *fd, char *err, size_t errlen);

/* The path of hsd's helper name: $env when set, else the file name beside
 * hsd's own executable (where cmake --install puts them all). */
void space_exe_beside(const char *env, const char *name, char *path, size_t len);

/* Name rule: [a-z0-9][a-z0-9_.-]{0,31}, no slash, not "." or "..". */
int space_name_check(const char *name, char *err, size_t errlen);

#endif
