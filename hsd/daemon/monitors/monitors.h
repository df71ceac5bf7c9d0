/* monitors.h - audit spaces watching server spaces. */
#ifndef HS_MONITORS_H
#define HS_MONITORS_H

#include <stddef.h>

struct hsd;

/* Follow the spaces' life (spaces_observe): attach the views and the live
 * monitors (watch.h) as spaces start, let go as they stop or go.  Before
 * spaces_adopt, so the re-adopted spaces get theirs again. */
int monitors_init(struct hsd *d, char *err, size_t errlen);
/* Record that audit monitors server and attach the views if both run. */
int monitors_add(struct hsd *d, const char *audit, const char *server,
		 char *err, size_t errlen);

#endif
