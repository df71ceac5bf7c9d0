/* test_timefmt.c - ISO 8601 UTC times for people (timefmt.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "timefmt.h"

static const char *fmt(int64_t ms)
{
	static char buf[TIMEFMT_ISO8601_LEN];
	char err[HS_ERRLEN];
	cr_assert_eq(timefmt_iso8601(ms, buf, sizeof(buf), err, sizeof(err)), 0, "%s", err);
	return buf;
}

Test(timefmt, epoch_and_known_dates)
{
	cr_assert_str_eq(fmt(0), "1970-01-01T00:00:00Z");
	/* 2026-12-06T07:02:11Z, 20793 days and 25331 s after the epoch. */
	cr_assert_str_eq(fmt(1796540531000LL), "2026-12-06T07:02:11Z");
	cr_assert_str_eq(fmt(951782400000LL), "2000-02-29T00:00:00Z"); /* a leap day */
}

Test(timefmt, milliseconds_round_down)
{
	cr_assert_str_eq(fmt(1999), "1970-01-01T00:00:01Z");
	cr_assert_str_eq(fmt(-1), "1969-12-31T23:59:59Z");
}

Test(timefmt, refuses_small_buffer_and_absurd_years)
{
	char buf[TIMEFMT_ISO8601_LEN - 1], big[64], err[HS_ERRLEN];
	cr_assert_eq(timefmt_iso8601(0, buf, sizeof(buf), err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(timefmt_iso8601(INT64_MAX, big, sizeof(big), err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "years"), "%s", err);
}
