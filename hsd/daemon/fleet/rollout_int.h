/* rollout_int.h - what rollout.c (the rollout: store, timer, operator) and
 * rollout_host.c (the engine's requests to hosts) share.  Not for other
 * files: they use rollout.h.  The decisions are the pure engine's
 * (hsd/fleet/ro_engine.h); these two files only carry them out. */
#ifndef HS_ROLLOUT_INT_H
#define HS_ROLLOUT_INT_H

#include "bundles.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "ro_engine.h"

#include <stdbool.h>
#include <stdint.h>

#define RO_CALL_MS 15000       /* one step's answer; a probe may take its deadline */
/* A host's first step (and each retry of a deferred one) only asks what it
 * runs, a store read answered at once (hsctl status gives the same call
 * 3 s): no answer in this time, and the host is deferred, not 15 s later. */
#define RO_STATUS_MS 5000
#define RO_RETRY_MS 2000       /* next try of a deferred host or a failed stop */
#define RO_STOP_TRIES 5        /* answered stop failures before the host counts as stuck */
#define RO_DRAIN_PROBES 2      /* old-instance probes before its stop */
/* The engine's own deadline of a request is this much later than the
 * call's: the transport's timeout, with its message, comes first. */
#define RO_SLACK_MS 1000

/* What the daemon knows of one host beyond the engine's state: instance
 * names, and the text of its last answer for the timeline. */
struct ro_host {
	char old_inst[72];        /* the instance the new version replaces ("": none) */
	char target_inst[72];     /* the target version's instance that status found */
	char text[256];           /* the last answer: its error, or what it reported */
};

struct rollout {
	int64_t id;
	char bundle[72], canary[40], error[256];
	char new_inst[72];        /* NAME@VERSION: what is started on every host */
	struct bundle b;
	struct ro_host *h;
	size_t nh;
	json_t *intent;           /* the operator-signed envelope; goes with every step */
	int max_parallel, soak_s;
	bool undo;                /* history shows it as an undo */
	struct ro_engine *e;
	/* Answers that came while a batch of actions was carried out (our own
	 * host answers at once) wait here, so the engine's events stay in
	 * order: one batch is carried out whole before the next event. */
	struct ro_call *queue, **queue_tail;
	bool applying;
	bool ended;               /* the engine ended it: freed after the batch */
	int reply_host;           /* the host whose answer is being handled, or -1 */
	struct hsd *d;
};

/* One request in flight.  It names its rollout by id, not by pointer: the
 * engine may have given up on it (its deadline) and the rollout may be
 * gone when the transport answers. */
struct ro_call {
	struct hsd *d;
	int64_t rollout;
	uint32_t host;
	uint64_t req_id;
	enum ro_req req;
	enum ro_inst inst;
	/* the answer, when it waits in the queue */
	int rc;
	json_t *res;
	char err[HS_ERRLEN];
	struct ro_call *next;
};

/* rollout.c */
struct rollout *ro_current(struct hsd *d); /* the open rollout, or NULL */
void ro_apply(struct rollout *ro, int rc, struct ro_actions *acts);
void ro_step(struct rollout *ro, const char *host, const char *step, const char *detail);
void ro_run(struct hsd *d); /* the queued answers, then the end of an ended rollout */

/* rollout_host.c */
void ro_send(struct rollout *ro, const struct ro_action *a);
void ro_answer(struct rollout *ro, struct ro_call *c);
void ro_call_free(struct ro_call *c);

/* The start of a prepared rollout (rollout.c): stored, begun and its
 * result made; or, when its claim was refused, discarded (freed). */
int ro_commit(struct rollout *ro, json_t **result, char *err, size_t errlen);
void ro_discard(struct rollout *ro);

/* rollout_claim.c: take the fleet database's claim on the rollout's IDS,
 * then ro_commit (RPC_DEFERRED; dn hears the outcome); and give it back
 * when the rollout has ended. */
struct done;
int rollout_claim(struct rollout *ro, const struct done *dn, char *err, size_t errlen);
void rollout_claim_release(const struct rollout *ro);
/* At start: give back every claim of this host but open's (NULL: all). */
void rollout_claim_reconcile(struct hsd *d, const struct rollout *open);

#endif
