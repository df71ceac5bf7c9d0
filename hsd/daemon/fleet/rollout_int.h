/* rollout_int.h - what rollout.c (the whole rollout) and rollout_host.c
 * (one host's steps) share.  Not for other files: they use rollout.h. */
#ifndef HS_ROLLOUT_INT_H
#define HS_ROLLOUT_INT_H

#include "bundles.h"
#include "daemon.h"
#include "fleet.h"
#include "store_rollouts.h"

#include <stdbool.h>
#include <stdint.h>

#define RO_TICK_MS 250
#define RO_CALL_MS 15000       /* one step's answer; a probe may take its deadline */
/* A host's first step (and each retry of a deferred one) only asks what it
 * runs, a store read answered at once (hsctl status gives the same call
 * 3 s): no answer in this time, and the host is deferred, not 15 s later. */
#define RO_STATUS_MS 5000
#define RO_RETRY_MS 2000       /* next try of a deferred host or a failed stop */
#define RO_STOP_TRIES 5        /* answered stop failures before the host counts as stuck */
#define RO_DRAIN_PROBES 2      /* see ro_retire */

/* CURRENT: the target version already ran there before this rollout; it is
 * left as it is (never stopped by a rollback).  BEHIND: after the commit
 * the host could not complete the switch; it keeps its old instance. */
enum ro_state { RO_PENDING, RO_STARTING, RO_VERIFYING, RO_SOAKING, RO_VERIFIED, RO_RETIRING,
		RO_RETIRED, RO_DEFERRED, RO_FAILED, RO_ROLLING_BACK, RO_ROLLED_BACK, RO_CURRENT,
		RO_BEHIND, RO_NSTATES };
extern const char *const ro_names[RO_NSTATES];

struct ro_host {
	struct rollout *ro;
	int host;
	enum ro_state state;
	char old_inst[72], new_inst[72]; /* new_inst is written before the start is sent */
	bool busy;
	bool stuck;               /* the last retire/stop attempt could not reach the host,
				   or it failed RO_STOP_TRIES times in a row */
	int stop_fails;           /* consecutive stop failures the host answered */
	int drained;              /* probes the old instance reported since the commit */
	uint64_t wait_until;      /* soak end, or next try of a deferred host */
};

struct rollout {
	int64_t id;
	char bundle[72], name[40], state[16], canary[40], error[256];
	int max_parallel, soak_s;
	struct bundle b;
	struct ro_host *h;
	size_t nh;
	bool committed;
	json_t *intent;           /* the operator-signed envelope; goes with every step */
	struct hsd *d;
};

/* rollout.c: the store.  A write that fails is logged, and the rollout goes
 * on from what it holds in memory. */
void ro_step(struct rollout *ro, const char *host, const char *step, const char *detail);
void ro_host_save(struct ro_host *h, enum store_ro_stamp stamp);
void ro_set(struct ro_host *h, enum ro_state s, const char *step, const char *detail,
	    enum store_ro_stamp stamp);
const char *ro_hname(const struct ro_host *h);

/* rollout_host.c: one host's steps, each an asynchronous call that sets
 * h->busy until its answer. */
void ro_begin_host(struct ro_host *h);   /* status, push, start, verify */
void ro_verify(struct ro_host *h);       /* the new instance, again after a soak */
void ro_retire(struct ro_host *h);       /* drain then stop the old instance */
void ro_stop_new(struct ro_host *h);     /* stop the new instance (rollback) */

#endif
