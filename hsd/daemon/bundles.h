/* bundles.h - the IDS bundles stored on this host. */
#ifndef HS_BUNDLES_H
#define HS_BUNDLES_H

#include <stddef.h>

#include "bundle.h"

struct hsd;

/* STATE/bundles or STATE/bundles/ID. */
void bundles_dir(const struct hsd *d, const char *id, char *out, size_t len);
/* Check src and store it; *out is the stored bundle. */
int bundles_add_dir(struct hsd *d, const char *src, struct bundle *out, char *err,
		    size_t errlen);
/* A stored bundle by id; HS_EINPUT naming it when unknown. */
int bundles_load(struct hsd *d, const char *id, struct bundle *out, char *err,
		 size_t errlen);

/* Record a bundle already in STATE/bundles (e.g. received from a peer). */
int bundles_record(struct hsd *d, const struct bundle *b, char *err, size_t errlen);
int fs_mkdir_bundles(struct hsd *d, char *err, size_t errlen);

#endif
