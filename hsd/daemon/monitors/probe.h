/* probe.h - harmless events an IDS instance must report (docs/bundles.md). */
#ifndef HS_PROBE_H
#define HS_PROBE_H

#include <stddef.h>

#include "bundle.h"

struct hsd;

/* Cause a probe of kind with token in every running server space that the
 * audit space `audit` monitors. */
int probe_cause(struct hsd *d, const char *audit, enum bundle_probe kind,
		const char *token, char *err, size_t errlen);

#endif
