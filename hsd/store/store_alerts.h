/* store_alerts.h - alerts, and how far each instance's console was read. */
#ifndef HS_STORE_ALERTS_H
#define HS_STORE_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Store one alert line (len bytes, NULs and all) of instance on host;
 * probe: it is the line that verified hsd's own pending probe (the caller
 * decides, from the token it waits for, never from the text alone). */
int store_alert_add(struct store *st, const char *host, const char *instance,
		    const char *line, size_t len, bool probe, char *err, size_t errlen);

/* One stored alert, borrowed for the call: host, instance and line are
 * raw bytes of the given lengths (an IDS's output, maybe not text). */
struct store_alert {
	int64_t id, at_ms;
	const void *host, *instance, *line;
	size_t host_len, instance_len, line_len;
	bool probe;
};

/* Calls fn for alerts in id order: with after >= 0 the oldest `last`
 * with an id above after, else the latest `last`; probe alerts only when
 * probes.  fn returns 0 to go on, 1 to stop there (*stopped set), or an
 * hs_rc with err, which is returned. */
int store_alerts_each(struct store *st, int64_t after, int64_t last, bool probes,
		      int (*fn)(void *ctx, const struct store_alert *a, char *err, size_t errlen),
		      void *ctx, bool *stopped, char *err, size_t errlen);

/* Instance id's console was handled up to byte offset. */
int store_instance_offset(struct store *st, int64_t id, int64_t offset, char *err,
			  size_t errlen);

#endif
