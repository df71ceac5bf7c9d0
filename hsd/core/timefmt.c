/* timefmt.c - times for people (timefmt.h). */
#include "timefmt.h"
#include "err.h"

#include <stdio.h>
#include <time.h>

/* 9999-12-31T23:59:59Z: a wider year would not fit the fixed format. */
#define TIMEFMT_MAX_MS 253402300799999LL

int timefmt_iso8601(int64_t unix_ms, char *out, size_t outlen)
{
	struct tm tm;
	time_t t;

	if (!out || outlen == 0)
		return HS_EINPUT;
	if (unix_ms < 0 || unix_ms > TIMEFMT_MAX_MS || outlen < TIMEFMT_ISO8601_LEN) {
		snprintf(out, outlen, "-");
		return HS_EINPUT;
	}
	/* Whole seconds, cut rather than rounded: a step at .999 happened in
	 * that second, not the next. */
	t = (time_t)(unix_ms / 1000);
	if (!gmtime_r(&t, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(out, outlen, "-");
		return HS_EINPUT;
	}
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
