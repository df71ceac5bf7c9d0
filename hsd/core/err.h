/* err.h - error codes and caller-provided error messages.
 *
 * Every fallible function returns 0 on success or a negative HS_E* code,
 * and fills a caller-provided buffer (char *err, size_t errlen) with one
 * line that names what was wrong.  Only main() turns codes into exits.
 */
#ifndef HS_ERR_H
#define HS_ERR_H

#include <stddef.h>

#define HS_ERRLEN 512

enum hs_rc {
	HS_OK = 0,
	HS_ESYS = -1,   /* the system failed us: exit 1 */
	HS_EINPUT = -2, /* the caller's input is wrong: exit 2, nothing changed */
	HS_ESTATE = -3, /* stored state forbids it (locked, corrupt, too new) */
	HS_ENOENT = -4, /* the named thing (space, instance) does not exist: exit 2 */
	HS_EUNREACH = -5, /* a peer did not answer: no connection, no reply in time */
};

/* Format into err (if non-NULL) and return rc. */
int err_set(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Like err_set(HS_ESYS), appending ": strerror(errno)" for the saved errno. */
int err_sys(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map an hs_rc to a process exit status. */
int err_exit_code(int rc);

#endif
