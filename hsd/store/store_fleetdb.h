/* store_fleetdb.h - the replicated fleet database's tables and statements
 * (docs/fleetdb.md), run through a connection to the Raft leader.
 *
 * Unlike the local store, every write here is a Raft entry: it commits
 * on a majority of the voters or fails, and the leader serialises them,
 * so of two hosts inserting the same claim exactly one succeeds.
 */
#ifndef HS_STORE_FLEETDB_H
#define HS_STORE_FLEETDB_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "fdb_client.h"

struct store_fleetdb_claim {
	char host[CLUSTER_NAME_MAX + 1];
	char intent[72];
	char target[96];
	int64_t since; /* unix seconds */
};

/* Create the tables if they are not there (idempotent). */
int store_fleetdb_schema(struct fdb_conn *c, char *err, size_t errlen);

/* Take ids's rollout claim for host's rollout of intent: 0 when taken (or
 * already this rollout's), HS_ESTATE with *held filled when another holds
 * it. */
int store_fleetdb_claim(struct fdb_conn *c, const char *ids, const char *host, const char *intent,
			const char *target, int64_t now, struct store_fleetdb_claim *held,
			char *err, size_t errlen);

/* Give it back: 0 also when it was not held (any more). */
int store_fleetdb_release(struct fdb_conn *c, const char *ids, const char *host,
			  const char *intent, char *err, size_t errlen);

/* Give back every claim host holds but the one for intent ("": all). */
int store_fleetdb_release_others(struct fdb_conn *c, const char *host, const char *intent,
				 char *err, size_t errlen);

/* host was heard now: a write that commits only with a quorum. */
int store_fleetdb_seen(struct fdb_conn *c, const char *host, int64_t now, char *err,
		       size_t errlen);

#endif
