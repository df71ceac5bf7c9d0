/* monitors.h - audit spaces watching server spaces. */
#ifndef HS_MONITORS_H
#define HS_MONITORS_H

#include <stddef.h>

struct hsd;

/* Is server a server space that audit (NULL: a space being created) may
 * monitor?  HS_EINPUT naming --monitor otherwise. */
int monitors_check(struct hsd *d, const char *audit, const char *server,
		   char *err, size_t errlen);
/* Record that audit monitors server and attach the views if both run. */
int monitors_add(struct hsd *d, const char *audit, const char *server,
		 char *err, size_t errlen);
/* A space (re)started: attach the views it takes part in. */
void monitors_space_started(struct hsd *d, const char *name);
/* A server space is being destroyed: remove its views from audit spaces. */
void monitors_server_gone(struct hsd *d, const char *server);

#endif
