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

/* Write text to an existing file (a /proc or /sys knob) in one write:
 * 0, or HS_ESYS naming the path and, for a refused write, the text. */
int fs_write_str(const char *path, const char *text, char *err, size_t errlen);

/* path under the directory root (AT_FDCWD: the current one) with no
 * symlink followed on any component and no ".." out of it: openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS, or, where openat2 is missing (a
 * kernel before 5.6, valgrind), the same walk one component at a time
 * with O_NOFOLLOW.  The result is O_PATH | flags (O_DIRECTORY, say): an
 * fd, or -1 with errno set. */
int fs_open_in_root(int root, const char *path, int flags);

/* Copy src to dst (replaced atomically) with mode. */
int fs_copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen);

#endif
