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

/* Write all len bytes (retrying short writes and EINTR): 0, or -1 with
 * errno set. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Copy src to dst (replaced atomically) with mode. */
int fs_copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen);

#endif
