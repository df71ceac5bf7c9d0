/* procfs.h - reading what /proc says of a process: its start time (which,
 * with the pid, names a process for good) and the "Key:\tN\tN" lines of
 * status and fdinfo files. */
#ifndef HS_PROCFS_H
#define HS_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* A small /proc file whole, NUL-terminated (proc may hand it out in
 * pieces): 0, or HS_ESYS if it cannot be read or is empty. */
int procfs_read(const char *path, char *buf, size_t len);

/* Field 22 of a /proc/PID/stat text (start time in clock ticks) and field
 * 3 (the state letter, 'Z' for a zombie) if state is not NULL: 0 or
 * HS_ESYS.  procfs_start_time reads /proc/PID/stat for it. */
int procfs_stat_parse(const char *text, unsigned long long *start, char *state);
int procfs_start_time(pid_t pid, unsigned long long *start, char *state);

/* The number at index of the line "key:\tN0\tN1..." of text (-1: the
 * last); *count, if not NULL, gets how many numbers the line has.  A line
 * cut off by the end of the buffer does not count.  0 or HS_ESYS. */
int procfs_field(const char *text, const char *key, int index, long *out, unsigned *count);

#endif
