/* test_timefmt.c - times for people: ISO 8601 UTC with Z, durations. */
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

static void dur(int64_t ms, const char *want)
{
	char out[16];
	cr_assert_eq(timefmt_duration(ms, out, sizeof(out)), 0);
	cr_assert_str_eq(out, want, "%lld ms: got %s, want %s", (long long)ms, out, want);
}

Test(timefmt, durations)
{
	dur(-5, "0s");
	dur(999, "0s");
	dur(42000, "42s");
	dur(185000, "3m05s");
	dur(7620000, "2h07m");
	dur(273600000, "3d04h");
	char small[3];
	cr_assert_eq(timefmt_duration(185000, small, sizeof(small)), HS_EINPUT);
}
