/* store_alerts.h - alerts, and how far each instance's console was read. */
#ifndef HS_STORE_ALERTS_H
#define HS_STORE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Store one alert line (len bytes, NULs and all) of instance on host. */
int store_alert_add(struct store *st, const char *host, const char *instance,
		    const char *line, size_t len, char *err, size_t errlen);

/* Instance id's console was handled up to byte offset. */
int store_instance_offset(struct store *st, int64_t id, int64_t offset, char *err,
			  size_t errlen);

#endif
