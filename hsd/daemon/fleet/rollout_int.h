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
#include "fleetdb_msg.h"
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

/* An action of the engine waiting to be carried out: with a fleet
 * database, until the state it leads to is replicated (write-ahead). */
struct ro_pend {
	struct ro_action a;
	/* A step: where, what, when and its number; a step's or the
	 * rollout's state's text.  All taken when it was decided. */
	const char *host, *name;  /* static, or the cluster's */
	int64_t at_ms;
	uint32_t seq;
	char text[256];
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
	struct ro_pend *pend;     /* decided, not yet carried out */
	size_t npend, pend_cap;
	/* With a fleet database (rollout_fleetdb.c): the claim's epoch (0:
	 * not replicated), a SAVE in flight covering the first save_n of
	 * pend, and when the last one committed. */
	uint64_t gen;             /* this engine's number: no two the same while hsd runs */
	uint64_t epoch;
	uint32_t step_seq;        /* the last step's number (the replicated timeline's) */
	bool save_busy, in_save;
	size_t save_n;
	uint64_t saved_ms;
	/* A SAVE failed: dropped by ro_run (ro_drop), after the event under
	 * way; moved: another host holds the claim now. */
	enum { RO_KEEP = 0, RO_DROP_UNREACH, RO_DROP_MOVED } drop;
	char drop_why[256];
	struct hsd *d;
};

/* The lease watch of the Raft leader's hsd: a claim whose SAVEs stopped. */
struct ro_watch {
	char ids[64], host[CLUSTER_NAME_MAX + 1], intent[72];
	uint64_t epoch, beat;
	uint64_t since_ms; /* when this hsd first saw these values */
};

struct ro_waiter;
struct rollouts {
	struct rollout *cur;
	uv_timer_t timer;           /* the engine's next wakeup */
	uint64_t seq;               /* moves on whenever a rollout is written */
	uv_timer_t wake;            /* wakes the waiters once per burst of writes */
	struct ro_waiter *waiters;
	bool claiming;              /* a rollout waits for its fleet claim (rollout_claim.c) */
	uint64_t gen;               /* the last struct rollout's number */
	/* rollout_fleetdb.c */
	uv_timer_t tick;            /* the lease: SAVEs, and the leader's watch */
	int64_t unloaded;           /* an open rollout in the store not driven here (-1: none) */
	char unloaded_intent[72];   /* its intent's id */
	bool busy;                  /* a CLAIMS or TAKE in flight */
	struct ro_watch watch[FLEETDB_CLAIMS_MAX];
	size_t nwatch;
	uint64_t warned_ms;         /* the last "cannot take over" line */
	json_t *fleet_last;         /* rollout_fleet_status.c: the last read, for a stale answer */
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
const char *ro_hname(const struct rollout *ro, uint32_t host);
const char *ro_state(const struct rollout *ro);
void ro_event(struct hsd *d, const char *kind, const char *subject, const char *detail);
void ro_changed(struct hsd *d); /* a rollout was written: wake the watchers */
void ro_step_at(struct rollout *ro, int64_t at_ms, const char *host, const char *step,
		const char *detail);
void ro_free(struct rollout *ro);
void ro_unload(struct hsd *d); /* drop cur undone: the store keeps it open */
/* The store's open rollout id, of intent, is not driven here (-1: none). */
void ro_set_unloaded(struct rollouts *rs, int64_t id, const char *intent);
/* Load the open rollout of the store and resume it (a restart, or a
 * fleet database's takeover); epoch: its claim's (0: none), seq: its
 * replicated timeline's last step. */
int ro_resume(struct hsd *d, uint64_t epoch, uint32_t seq, char *err, size_t errlen);
/* The options of rollout_check (rollout.h), without the open rollout. */
int ro_check_options(struct hsd *d, const char *canary, int max_parallel, int soak_s, char *err,
		     size_t errlen);

/* rollout_apply.c: an event's actions (ro_apply), kept with their texts
 * and carried out now or once replicated (ro_exec: the first n kept); a
 * fleet-wide step of hsd's own (ro_note, a static step name), the same
 * way; one event from outside an answer (ro_feed); the queued answers,
 * then the end of an ended rollout (ro_run). */
typedef int (*ro_event_fn)(struct ro_engine *, uint64_t now, struct ro_actions *);
void ro_apply(struct rollout *ro, int rc, struct ro_actions *acts);
void ro_exec(struct rollout *ro, size_t n);
void ro_note(struct rollout *ro, const char *step, const char *detail);
int ro_feed(struct rollout *ro, ro_event_fn fn);
void ro_run(struct hsd *d);

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
const char *ro_intent_id(const struct rollout *ro); /* its signed intent's id ("": none) */

/* rollout_fleetdb.c: a rollout's state replicated in the fleet database,
 * written ahead of its actions (ro_save), the lease, and the takeover by
 * the Raft leader's hsd of a rollout whose host stopped renewing it. */
void ro_save(struct rollout *ro);
void ro_drop(struct hsd *d); /* cur, whose SAVE failed: unloaded, or closed as moved */
int rollout_fleetdb_init(struct hsd *d, char *err, size_t errlen);
void rollout_fleetdb_free(struct hsd *d);
/* An upper bound of the replicated state's size for ro, checked at start. */
int ro_snap_fits(const struct rollout *ro, char *err, size_t errlen);

#endif
