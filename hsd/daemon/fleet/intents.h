/* intents.h - hsd's side of operator-signed intents (hsd/fleet/intent.h):
 * the plan hsctl signs, the check of a rollout's intent before it begins,
 * and the check of every fleet step against the intent it carries. */
#ifndef HS_INTENTS_H
#define HS_INTENTS_H

#include <jansson.h>
#include <stddef.h>

#include "intent.h"

struct hsd;

#define INTENTS_TTL_DEFAULT 3600 /* seconds: a rollout's usual length, with room */

/* The unsigned intent for kind ("deploy" or "rollout") of bundle, stored
 * here: its content hash, every host of the cluster, canary ("" for none),
 * this host's clock, a fresh id.  *out is a new object. */
int intents_plan(struct hsd *d, const char *kind, const char *bundle, const char *canary,
		 int ttl_s, json_t **out, char *err, size_t errlen);

/* Verify env for this cluster, now, against its operators (intent_free
 * out, also after a failure). */
int intents_verify(struct hsd *d, const json_t *env, struct intent *out, char *err,
		   size_t errlen);

/* May this host take step on t?  args.intent must verify and allow it. */
int intents_allow(struct hsd *d, const json_t *args, enum intent_step step,
		  const struct intent_target *t, char *err, size_t errlen);

#endif
