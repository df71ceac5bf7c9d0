/* rollout.h - zero-gap upgrade of the distributed IDS, coordinated here. */
#ifndef HS_ROLLOUT_H
#define HS_ROLLOUT_H

#include <jansson.h>
#include <stddef.h>

#include "intent.h"

struct hsd;

int rollouts_init(struct hsd *d, char *err, size_t errlen);
void rollouts_free(struct hsd *d);
/* Begin upgrading every host to bundle (NAME-VERSION): the canary (a host
 * name; NULL or "": none) first and alone, then max_parallel at a time.
 * soak_s > 0 needs a canary.  intent, an operator-signed envelope of this
 * kind for this bundle and canary, goes with every instance step. */
int rollout_start(struct hsd *d, const char *bundle, const char *canary, int max_parallel,
		  int soak_s, const json_t *intent, enum intent_kind kind, json_t **result,
		  char *err, size_t errlen);
/* "pause", "resume" or "abort" the running rollout.  An abort before the
 * commit rolls back; after it, ends the wait for hosts not yet switched. */
int rollout_control(struct hsd *d, const char *what, char *err, size_t errlen);

#endif
