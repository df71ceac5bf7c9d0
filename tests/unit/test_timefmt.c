/* test_timefmt.c - times for people: ISO 8601 UTC with Z, durations. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "timefmt.h"

static void iso(int64_t ms, const char *want)
{
	char out[TIMEFMT_ISO8601_LEN];
	cr_assert_eq(timefmt_iso8601(ms, out, sizeof(out)), 0, "%lld", (long long)ms);
	cr_assert_str_eq(out, want);
}

Test(timefmt, iso8601_utc_z)
{
	iso(0, "1970-01-01T00:00:00Z");
	/* 2026-12-06T07:02:11.999Z: cut to the second, never rounded up. */
	iso(1796540531999LL, "2026-12-06T07:02:11Z");
	iso(951782400000LL, "2000-02-29T00:00:00Z"); /* a leap day */
	iso(253402300799000LL, "9999-12-31T23:59:59Z");
}

Test(timefmt, iso8601_refuses_what_it_cannot_show)
{
	char out[TIMEFMT_ISO8601_LEN], small[8];
	cr_assert_eq(timefmt_iso8601(-1, out, sizeof(out)), HS_EINPUT);
	cr_assert_str_eq(out, "-");
	cr_assert_eq(timefmt_iso8601(253402300800000LL, out, sizeof(out)), HS_EINPUT);
	cr_assert_eq(timefmt_iso8601(0, small, sizeof(small)), HS_EINPUT);
	cr_assert_str_eq(small, "-");
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
