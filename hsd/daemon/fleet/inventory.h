/* inventory.h - every host's IDS instances and bundles in the fleet
 * database: this host's row kept written, every row read (inventory.c). */
#ifndef HS_INVENTORY_H
#define HS_INVENTORY_H

#include <stddef.h>

struct hsd;
struct done;

int inventory_init(struct hsd *d, char *err, size_t errlen);
void inventory_free(struct hsd *d);
/* The control command inventory: RPC_DEFERRED, dn hears every host's row
 * (or, without a quorum, the last read, marked stale). */
int inventory_read(struct hsd *d, const struct done *dn, char *err, size_t errlen);

#endif
