/* timefmt.h - times for people: ISO 8601 in UTC, to the second, with "Z".
 *
 * The store keeps times as unix milliseconds; hsctl shows them this way
 * (docs/cli.md) so that hosts in different time zones print the same text
 * and a reader never has to guess the zone. */
#ifndef HS_TIMEFMT_H
#define HS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-12-06T07:02:11Z" fits in this with its NUL. */
#define TIMEFMT_ISO8601_LEN 21

/* Write unix_ms (milliseconds since the epoch, UTC) as
 * YYYY-MM-DDTHH:MM:SSZ into out.  Returns 0, or HS_EINPUT when the time
 * cannot be shown (negative, past year 9999) or out is too small; out is
 * then "-" when it has room for it. */
int timefmt_iso8601(int64_t unix_ms, char *out, size_t outlen);

/* Write a duration of ms milliseconds for people, to the second:
 * "0s", "42s", "3m05s", "2h07m", "3d04h".  Negative counts as 0.
 * Returns 0, or HS_EINPUT when out is too small. */
int timefmt_duration(int64_t ms, char *out, size_t outlen);

#endif
