/* disk.h - hsd on a full disk: a reserve for what already runs, and a
 * refusal of new work.
 *
 * A space's layer is a sparse ext4 image in STATE/images, and the store,
 * bundles and consoles live beside it: when the file system under the
 * state directory fills, a running space's next write into its own layer
 * fails below ext4 (the image cannot grow), its journal aborts and the
 * layer turns read-only; the store refuses alerts.  So hsd keeps a
 * reserve: a preallocated file STATE/reserve (--disk-reserve MiB, default
 * 32).  A check every 250 ms that finds less than a quarter of it free
 * releases it, so running spaces, IDS consoles and the store get that much
 * room back, and from then on new work (space create, bundle add, deploy,
 * rollout, flatten, a peer's bundle.put) is refused with one line naming
 * the cause, until twice the reserve is free again and it is taken back.
 * The reserve is one-shot: whoever filled the disk may fill it again.
 * docs/fault-injection.md, "A full disk under the store".
 */
#ifndef HS_DISK_H
#define HS_DISK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct hsd;

#define DISK_RESERVE_MIB_DEFAULT 32
#define DISK_RESERVE_FILE "reserve"

/* Take the reserve (if there is room) and start watching. */
int disk_init(struct hsd *d, char *err, size_t errlen);
void disk_free(struct hsd *d);

/* 0 if new work may write to the state directory's file system; otherwise
 * HS_ESYS and "store: no space left on device (STATE: ...)". */
int disk_admit(struct hsd *d, char *err, size_t errlen);

/* For hsctl status: free bytes, the reserve, and whether it is released. */
json_t *disk_status_json(struct hsd *d);

#endif
