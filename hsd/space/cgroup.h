/* cgroup.h - resource limits of a space through cgroup v2. */
#ifndef HS_CGROUP_H
#define HS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct space_limits {
	int64_t memory; /* bytes, 0 = none */
	int64_t pids;   /* 0 = none */
};

/* Can these limits be enforced here?  HS_EINPUT naming the option and
 * saying what the host offers when not (hybrid hierarchies often leave the
 * v2 tree without memory or pids). */
int cgroup_check(const struct space_limits *lim, char *err, size_t errlen);
/* Create GROUP (a path below the v2 root, e.g. "hsd/<id>/web") with the
 * limits; its absolute path into out. */
int cgroup_create(const char *group, const struct space_limits *lim, char *out,
		  size_t outlen, char *err, size_t errlen);
/* Remove it once empty; absent is fine. */
int cgroup_remove(const char *group, char *err, size_t errlen);

#endif
