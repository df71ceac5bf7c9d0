/* store_rollouts.h - rollouts, where each host stands in them, and their
 * timelines (tables rollouts, rollout_hosts, rollout_steps). */
#ifndef HS_STORE_ROLLOUTS_H
#define HS_STORE_ROLLOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One rollout.  Read: borrowed for the callback (every string valid until
 * it returns).  Written by store_rollout_insert, which takes bundle, name,
 * state, canary, max_parallel, soak_s and intent and ignores the rest. */
struct store_rollout {
	int64_t id;
	const char *bundle, *name, *state, *canary, *error;
	int max_parallel, soak_s;
	int64_t created_ms;
	int64_t finished_ms; /* -1: still open */
	const char *intent;  /* the signed envelope (JSON); NULL before migration 008 */
	bool undo;           /* store_rollout_foreach only: a fleet-wide "undo" step */
};

/* Where one host stands in a rollout, borrowed for the callback. */
struct store_rollout_host {
	const char *host, *state, *old_instance, *new_instance;
	int64_t verified_ms, old_stopped_ms; /* -1: not yet */
};

/* One step of a timeline, borrowed for the callback. */
struct store_rollout_step {
	int64_t id, at_ms;
	const char *host, *step, *detail;
};

/* The moment a host row's write records besides its state: named here so
 * no column name travels from the daemon into SQL. */
enum store_ro_stamp { STORE_STAMP_NONE, STORE_STAMP_VERIFIED, STORE_STAMP_OLD_STOPPED };

/* What an undo goes back to: an instance the last rollout that ended
 * "done" or "partial" replaced ("" if it replaced none), its canary and
 * parallelism. */
struct store_rollout_undo {
	char old_instance[80];
	char canary[40];
	int max_parallel;
};

/* Callbacks return 0 to go on, or an hs_rc with err, which is returned. */
typedef int (*store_rollout_fn)(void *ctx, const struct store_rollout *r, char *err,
				size_t errlen);
typedef int (*store_rollout_host_fn)(void *ctx, const struct store_rollout_host *h,
				     char *err, size_t errlen);
typedef int (*store_rollout_step_fn)(void *ctx, const struct store_rollout_step *s,
				     char *err, size_t errlen);

/* Insert a rollout created now (intent may be NULL); *id is its id. */
int store_rollout_insert(struct store *st, const struct store_rollout *r, int64_t *id,
			 char *err, size_t errlen);
/* Set rollout id's state and error; finished stamps its end now.
 * HS_ENOENT if there is no such rollout. */
int store_rollout_set_state(struct store *st, int64_t id, const char *state,
			    const char *error, bool finished, char *err, size_t errlen);
/* Insert or update where host stands in rollout (and stamp that moment).
 * HS_ENOENT if there is no such rollout. */
int store_rollout_host_set(struct store *st, int64_t rollout, const char *host,
			   const char *state, const char *old_instance, const char *new_instance,
			   enum store_ro_stamp stamp, char *err, size_t errlen);
/* Append a step (host "*": the whole fleet) to rollout's timeline, now.
 * HS_ENOENT if there is no such rollout. */
int store_rollout_step_add(struct store *st, int64_t rollout, const char *host,
			   const char *step, const char *detail, char *err, size_t errlen);
/* The same at a given time (a step copied from the fleet database). */
int store_rollout_step_add_at(struct store *st, int64_t rollout, int64_t at_ms,
			      const char *host, const char *step, const char *detail, char *err,
			      size_t errlen);

/* Rollout id: 1 and fn called if there is one, 0 if not (or fn's error). */
int store_rollout_get(struct store *st, int64_t id, store_rollout_fn fn, void *ctx,
		      char *err, size_t errlen);
/* The newest rollout not finished, as store_rollout_get. */
int store_rollout_get_open(struct store *st, store_rollout_fn fn, void *ctx, char *err,
			   size_t errlen);
/* Every rollout, oldest first, with its undo flag. */
int store_rollout_foreach(struct store *st, store_rollout_fn fn, void *ctx, char *err,
			  size_t errlen);
/* The highest rollout id, 0 when there is none (ids start at 1). */
int store_rollout_last_id(struct store *st, int64_t *id, char *err, size_t errlen);
/* 1 and *out filled if a rollout ended "done" or "partial", 0 if none did. */
int store_rollout_last_done(struct store *st, struct store_rollout_undo *out, char *err,
			    size_t errlen);

/* The hosts of rollout, by name. */
int store_rollout_hosts_each(struct store *st, int64_t rollout, store_rollout_host_fn fn,
			     void *ctx, char *err, size_t errlen);
/* The timeline of rollout, in the order it was written. */
int store_rollout_steps_each(struct store *st, int64_t rollout, store_rollout_step_fn fn,
			     void *ctx, char *err, size_t errlen);

#endif
