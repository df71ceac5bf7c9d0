/* fsutil.h - small filesystem helpers. */
#ifndef HS_FSUTIL_H
#define HS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with mode for the directories it creates. */
int fs_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);

/* Take an exclusive lock on path (created 0600) and write our pid into it.
 * Returns the held fd (>= 0), or HS_ESTATE naming the holder's pid. */
int fs_lock_pidfile(const char *path, const char *what, char *err,
		    size_t errlen);

/* Read a whole small file into a malloc'd NUL-terminated buffer. */
int fs_read_file(const char *path, size_t max, char **out, size_t *len,
		 char *err, size_t errlen);

/* path under the directory root as an O_PATH fd (plus flags), following
 * no symlink on any component and never leaving root: a space owns every
 * name below its root, and an absolute symlink would otherwise resolve in
 * hsd's namespace.  -1 with errno set; ELOOP: a symlink is on the way. */
int fs_open_beneath(int root, const char *path, int flags);

#endif
