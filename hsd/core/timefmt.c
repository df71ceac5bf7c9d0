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

int timefmt_duration(int64_t ms, char *out, size_t outlen)
{
	long long s = ms > 0 ? (long long)(ms / 1000) : 0;
	int n;

	/* Two units at most: a rollout of hours is not read to the second. */
	if (s < 60)
		n = snprintf(out, outlen, "%llds", s);
	else if (s < 3600)
		n = snprintf(out, outlen, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		n = snprintf(out, outlen, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		n = snprintf(out, outlen, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	return n < 0 || (size_t)n >= outlen ? HS_EINPUT : 0;
}
