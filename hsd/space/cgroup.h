/* cgroup.h - resource limits of a space: memory and pids, through the
 * cgroup v2 controller where the host has it there, else through v1. */
#ifndef HS_CGROUP_H
#define HS_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct space_limits {
	int64_t memory; /* bytes, 0 = none */
	int64_t pids;   /* 0 = none */
};

#define CGROUP_MAX_DIRS 3

/* The groups a space's processes join (one per hierarchy used). */
struct cgroup_dirs {
	char dir[CGROUP_MAX_DIRS][PATH_MAX];
	size_t n;
};

/* Can these limits be enforced here?  HS_EINPUT naming the option when a
 * controller is missing from both cgroup v2 and v1. */
int cgroup_check(const struct space_limits *lim, char *err, size_t errlen);
/* Create GROUP (a path below each hierarchy's root, e.g. "hsd/<id>/web")
 * with the limits; the directories to join into out. */
int cgroup_create(const char *group, const struct space_limits *lim,
		  struct cgroup_dirs *out, char *err, size_t errlen);
/* Remove it from every hierarchy once empty; absent is fine. */
int cgroup_remove(const char *group, char *err, size_t errlen);
/* Move pid into the group at dir. */
int cgroup_join(const char *dir, pid_t pid, char *err, size_t errlen);
/* Move who into every hsd group that like is in (a command run in a
 * space counts against the space's limits). */
int cgroup_join_like(pid_t like, pid_t who, char *err, size_t errlen);

#endif
