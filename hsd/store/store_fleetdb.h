/* store_fleetdb.h - the replicated fleet database's tables and statements
 * (docs/fleetdb.md), run through a connection to the Raft leader.
 *
 * Unlike the local store, every write here is a Raft entry: it commits
 * on a majority of the voters or fails, and the leader serialises them,
 * so of two hosts inserting the same claim exactly one succeeds.
 */
#ifndef HS_STORE_FLEETDB_H
#define HS_STORE_FLEETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "fdb_client.h"
#include "fleetdb_msg.h"

struct store_fleetdb_claim {
	char host[CLUSTER_NAME_MAX + 1];
	char intent[72];
	char target[96];
	int64_t since; /* unix seconds */
	uint64_t epoch; /* CLAIM taken: its epoch */
};

/* A claim as listed: whose, at which epoch, and how many SAVEs so far. */
struct store_fleetdb_row {
	char ids[64];
	char host[CLUSTER_NAME_MAX + 1];
	char intent[72];
	char target[96];
	uint64_t epoch, beat;
};

/* What a takeover gets: the new epoch, the last saved state into snap,
 * the last step's seq. */
struct store_fleetdb_take {
	uint64_t epoch;
	uint32_t seq;
	char *snap;
	size_t cap;
};

/* Create the tables if they are not there (idempotent). */
int store_fleetdb_schema(struct fdb_conn *c, char *err, size_t errlen);

/* Take ids's rollout claim for host's rollout of intent: 0 when taken (or
 * already this rollout's), HS_ESTATE with *held filled when another holds
 * it.  held->epoch is the claim's epoch either way. */
int store_fleetdb_claim(struct fdb_conn *c, const char *ids, const char *host, const char *intent,
			const char *target, int64_t now, struct store_fleetdb_claim *held,
			char *err, size_t errlen);

/* Give it back, and its timeline with it: 0 also when it was not held
 * (any more). */
int store_fleetdb_release(struct fdb_conn *c, const char *ids, const char *host,
			  const char *intent, char *err, size_t errlen);

/* host was heard now: a write that commits only with a quorum. */
int store_fleetdb_seen(struct fdb_conn *c, const char *host, int64_t now, char *err,
		       size_t errlen);

/* The holder writes its rollout's state, then appends steps to its
 * timeline: 0, or HS_ESTATE when the claim is no longer host's at epoch
 * (taken over, or given back). */
int store_fleetdb_save(struct fdb_conn *c, const char *ids, const char *host, const char *intent,
		       uint64_t epoch, const char *snap, const struct fleetdb_step *steps,
		       size_t nsteps, char *err, size_t errlen);

/* At most max steps of intent's timeline after seq, in order. */
int store_fleetdb_steps(struct fdb_conn *c, const char *intent, uint32_t after,
			struct fleetdb_step *steps, size_t max, uint32_t *n, char *err,
			size_t errlen);

/* This host's row of the inventory: what it runs and stores (JSON). */
int store_fleetdb_inventory_put(struct fdb_conn *c, const char *host, int64_t now,
				const char *json, char *err, size_t errlen);

/* Every host's row as lines "HOST\tAT\tJSON\n" into out (cap bytes, NUL
 * ended); *more when some did not fit. */
int store_fleetdb_inventory(struct fdb_conn *c, char *out, size_t cap, bool *more, char *err,
			    size_t errlen);

/* ids's claim as it stands: its holder in *held, its epoch, state and
 * last step's seq in *out; HS_ENOENT when there is none. */
int store_fleetdb_read(struct fdb_conn *c, const char *ids, struct store_fleetdb_take *out,
		       struct store_fleetdb_claim *held, char *err, size_t errlen);

/* At most max claims, oldest first. */
int store_fleetdb_claims(struct fdb_conn *c, struct store_fleetdb_row *rows, size_t max,
			 size_t *n, char *err, size_t errlen);

/* host takes ids's claim of intent from from, if it is still at epoch:
 * 0 with out's new epoch and last saved state (out->snap, out->cap
 * set by the caller), or HS_ESTATE. */
int store_fleetdb_take(struct fdb_conn *c, const char *ids, const char *from, const char *intent,
		       uint64_t epoch, const char *host, struct store_fleetdb_take *out,
		       char *err, size_t errlen);

#endif
