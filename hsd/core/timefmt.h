/* timefmt.h - times for people: ISO 8601 in UTC, to the second.
 *
 * hsd keeps and sends times as integer milliseconds since the epoch
 * (docs/json.md); only hsctl's human output turns them into text, here,
 * so every command shows the same form: 2026-12-06T07:02:11Z.  UTC with
 * the Z, never local time: hosts of a fleet may sit in different zones,
 * and an operator compares alerts across them.
 */
#ifndef HS_TIMEFMT_H
#define HS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SSZ" plus its NUL. */
#define TIMEFMT_ISO8601_LEN 21

/* Writes ms (since the epoch, rounded down to the second) into buf as
 * ISO 8601 UTC.  0 on success; HS_EINPUT with err when buf is too small
 * or the time is outside years 0000..9999 (a stored value gone wrong:
 * shown as such rather than as a plausible date). */
int timefmt_iso8601(int64_t ms, char *buf, size_t len, char *err, size_t errlen);

/* Write a duration of ms milliseconds for people, to the second, two units
 * at most: "0s", "42s", "3m05s", "2h07m", "3d04h".  Negative counts as 0.
 * Returns 0, or HS_EINPUT when out is too small. */
int timefmt_duration(int64_t ms, char *out, size_t outlen);

#endif
