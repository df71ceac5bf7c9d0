/* err.c - error message helpers. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int err_sys(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, ": %s", strerror(saved));
	}
	errno = saved;
	return HS_ESYS;
}

int err_exit_code(int rc)
{
	switch (rc) {
	case HS_OK:
		return 0;
	case HS_EINPUT:
	case HS_ENOENT:
		return 2;
	case HS_ESTATE:
		return 3;
	default:
		return 1;
	}
}
