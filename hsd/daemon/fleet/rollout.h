/* rollout.h - zero-gap upgrade of the distributed IDS, coordinated here. */
#ifndef HS_ROLLOUT_H
#define HS_ROLLOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intent.h"

struct hsd;

int rollouts_init(struct hsd *d, char *err, size_t errlen);
void rollouts_free(struct hsd *d);
/* Begin upgrading every host to bundle (NAME-VERSION): the canary (a host
 * name; NULL or "": none) first and alone, then max_parallel at a time.
 * soak_s > 0 needs a canary.  intent, an operator-signed envelope of this
 * kind for this bundle and canary, goes with every instance step. */
struct rollout_req {
	const char *bundle;
	const char *canary;
	int max_parallel, soak_s;
	const json_t *intent;
	enum intent_kind kind;
	bool undo; /* history shows it as an undo */
};
struct done;
/* 0 with *result; or, with a fleet database, RPC_DEFERRED: the rollout
 * begins once it holds its IDS's claim, and dn hears the outcome. */
int rollout_start(struct hsd *d, const struct rollout_req *rq, const struct done *dn,
		  json_t **result, char *err, size_t errlen);
/* What rollout_start refuses before it looks at the bundle or intent: a
 * rollout still open, an unknown canary, max_parallel or soak_s out of
 * range, a soak without a canary (HS_EINPUT naming the option). */
int rollout_check(struct hsd *d, const char *canary, int max_parallel, int soak_s, char *err,
		  size_t errlen);
/* "pause", "resume" or "abort" the running rollout.  An abort before the
 * commit rolls back; after it, ends the wait for hosts not yet switched. */
int rollout_control(struct hsd *d, const char *what, char *err, size_t errlen);

/* A number that changes whenever anything of any rollout is written (the
 * rollout, a host, a step); it starts from the clock at each start of hsd. */
uint64_t rollout_seq(struct hsd *d);
/* The id of the open (unfinished) rollout, or -1. */
int64_t rollout_open_id(struct hsd *d);
/* Call fn(d, arg, false) once, after the writes of the next change of a
 * rollout or after max_ms, whichever comes first; or fn(d, arg, true) if
 * hsd stops first. */
typedef void (*rollout_wake_fn)(struct hsd *d, void *arg, bool stopping);
int rollout_wait(struct hsd *d, uint32_t max_ms, rollout_wake_fn fn, void *arg, char *err,
		 size_t errlen);
/* Add a fleet-wide ("*") step to the open rollout's timeline (none: nothing). */
void rollout_note(struct hsd *d, const char *step, const char *detail);

/* rollout_fleet_status.c: the control command rollout.fleet, a rollout
 * under way anywhere, from the fleet database (RPC_DEFERRED; ids NULL:
 * the one under way). */
int rollout_fleet_status(struct hsd *d, const char *ids, const struct done *dn, char *err,
			 size_t errlen);

/* rollout_plan.c: the control command rollout.plan. */
struct rpc_req;
struct done;
int rollout_plan(struct hsd *d, const struct rpc_req *req, const struct done *dn,
		 json_t **result, char *err, size_t errlen);

#endif
