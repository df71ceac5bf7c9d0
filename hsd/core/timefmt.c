/* timefmt.c - times for people: ISO 8601 in UTC (timefmt.h). */
#include "timefmt.h"
#include "err.h"

#include <stdio.h>
#include <time.h>

int timefmt_iso8601(int64_t ms, char *buf, size_t len, char *err, size_t errlen)
{
	/* Floor, not truncation toward zero: -1 ms is 1969-12-31T23:59:59Z. */
	int64_t s = ms / 1000 - (ms % 1000 < 0);
	time_t t = (time_t)s;
	struct tm tm;

	if (len < TIMEFMT_ISO8601_LEN)
		return err_set(err, errlen, HS_EINPUT, "time: buffer of %zu bytes is too small", len);
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return err_set(err, errlen, HS_EINPUT, "time: %lld ms is outside years 0..9999",
				(long long)ms);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}
