/* alerts.h - hsctl alerts: this host's alerts, held replies for --follow,
 * and the whole fleet's for --all (alerts.c). */
#ifndef HS_ALERTS_H
#define HS_ALERTS_H

#include <jansson.h>
#include <stddef.h>

#include "done.h"

struct hsd;

/* A held request ("wait") is answered at the latest after this long, with
 * what there is (maybe nothing); the caller asks again. */
#define ALERTS_WAIT_MS 10000

/* This host's alerts: args "after", "last", "probes" (alerts.c has the
 * reply's shape; docs/json.md). */
int alerts_local(struct hsd *d, json_t *args, json_t **result, char *err, size_t errlen);

/* As alerts_local; with "wait": true and "after", a reply that would be
 * empty is held (RPC_DEFERRED, answered through dn) until an alert
 * is stored or ALERTS_WAIT_MS pass. */
int alerts_serve(struct hsd *d, json_t *args, const struct done *dn, json_t **result,
		 char *err, size_t errlen);

/* Every host's alerts (args "last", "probes"), gathered over the mesh;
 * always answers through dn (RPC_DEFERRED). */
int alerts_fleet(struct hsd *d, json_t *args, const struct done *dn, char *err, size_t errlen);

/* An alert was stored: answer the held requests it is news for. */
void alerts_added(struct hsd *d);

/* hsd is stopping: answer every held request. */
void alerts_stop(struct hsd *d);

#endif
