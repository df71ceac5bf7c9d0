/* spaces_limits.c - what a space may use (docs/security.md, "Limits"):
 * a request's limits checked against the least that works, and a
 * record's limits read back. */
#include "spaces.h"
#include "spaces_int.h"
#include "err.h"

#include <stdbool.h>

/* Defaults for what the request leaves at 0, then the bounds: a limit too
 * small to start anything is a mistake, not a choice. */
int space_limits_resolve(const struct space_spec_limits *in,
			 struct space_spec_limits *out, char *err, size_t errlen)
{
	static const struct {
		const char *opt;
		int64_t min;
		bool none_ok; /* 0 ("max") means no limit */
	} bound[] = {
		{ "--memory", 16ll << 20, true }, { "--pids", 16, true },
		{ "--disk", 64ll << 20, false }, { "--tmpfs", 1ll << 20, false },
		{ "--log-size", 64ll << 10, false },
	};
	*out = (struct space_spec_limits)SPACE_LIMITS_DEFAULT;
	const int64_t want[] = { in->memory, in->pids, in->disk, in->tmpfs, in->log };
	int64_t *have[] = { &out->memory, &out->pids, &out->disk, &out->tmpfs, &out->log };

	for (size_t i = 0; i < sizeof(bound) / sizeof(*bound); i++) {
		if (want[i] == 0)
			continue;
		if (want[i] == SPACE_LIMIT_NONE && bound[i].none_ok) {
			*have[i] = 0;
			continue;
		}
		if (want[i] < bound[i].min)
			return err_set(err, errlen, HS_EINPUT, "%s: %lld is below the least that works (%lld)%s",
				       bound[i].opt, (long long)want[i], (long long)bound[i].min,
				       bound[i].none_ok ? "; \"max\" for no limit" : "");
		*have[i] = want[i];
	}
	if (out->disk > (16ll << 40))
		return err_set(err, errlen, HS_EINPUT, "--disk: %lld is above 16T", (long long)out->disk);
	return 0;
}

/* The limits a record asks for: its own, or the defaults for what it
 * does not say (records older than the defaults had no limits key). */
void space_limits_of(const struct space_row *row, struct space_spec_limits *out)
{
	json_t *lim = json_object_get(row->spec, "limits");
	*out = (struct space_spec_limits)SPACE_LIMITS_DEFAULT;
	if (!lim) {
		json_int_t m = json_integer_value(json_object_get(row->spec, "memory"));
		json_int_t p = json_integer_value(json_object_get(row->spec, "pids"));
		out->memory = m > 0 ? m : out->memory;
		out->pids = p > 0 ? p : out->pids;
		out->disk = 0; /* an older space: it lives on the shared image */
		return;
	}
	out->memory = json_integer_value(json_object_get(lim, "memory"));
	out->pids = json_integer_value(json_object_get(lim, "pids"));
	out->disk = json_integer_value(json_object_get(lim, "disk"));
	out->tmpfs = json_integer_value(json_object_get(lim, "tmpfs"));
	out->log = json_integer_value(json_object_get(lim, "log"));
}
