/* fdb.h - hsfleetdb's state: this host's dqlite node (voters only) and
 * its client of the replicated fleet database (docs/fleetdb.md).
 *
 * One thread of ours: a loop over hsd's channel and a one-second tick;
 * dqlite runs its node in threads of its own.  Every call to another
 * node is blocking with a timeout, so a tick or a request takes at most a
 * few seconds, and hsd keeps its own timer on each request.
 */
#ifndef HS_FDB_H
#define HS_FDB_H

#include <stdbool.h>
#include <stdint.h>

#include "fdb_client.h"
#include "fleetdb_msg.h"

#define FDB_CONNECT_MS 700
#define FDB_CALL_MS 3000
/* dqlite derives Raft's timers from it: heartbeat 1.5x, election 15x. */
#define FDB_LATENCY_MS 100
#define FDB_DB_NAME "fleet"
/* A Raft snapshot every so many entries, as many kept after it: the fleet
 * database is kilobytes, so snapshots are cheap, and taking them often
 * makes the snapshot path (its files, its syscalls under the allow-list)
 * one every node runs within minutes, not after weeks (dqlite's default
 * is 1024). */
#define FDB_SNAPSHOT_EVERY 128

struct dqlite_node;

struct fdb {
	int chan;
	const char *data_dir;
	struct fleetdb_config cfg;
	bool configured;
	bool failed; /* ends with status 1: the node did not start */
	/* the node (voters) */
	struct dqlite_node *node;
	uint64_t node_id;
	/* the client: a connection to the leader, kept while it answers */
	struct fdb_conn leader;
	char leader_addr[FDB_ADDR_MAX];
	bool schema_ok; /* the schema was ensured on this connection */
};

/* "a.b.c.d:FLEETDB_PORT" for an overlay address. */
void fdb_addr(uint32_t addr, char out[FDB_ADDR_MAX]);

/* A line to hsd's log (LOG_ERR .. LOG_DEBUG). */
void fdb_log(struct fdb *f, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* fdb_node.c: start this host's node once it is known to be a voter. */
int fdb_node_start(struct fdb *f, char *err, size_t errlen);
void fdb_node_stop(struct fdb *f);

/* fdb_members.c: the connection to the leader (found through the
 * voters), and the membership work of one tick: join as a voter, and on
 * the leader, remove one member cluster.json no longer lists. */
int fdb_leader_conn(struct fdb *f, struct fdb_conn **c, char *err, size_t errlen);
void fdb_leader_drop(struct fdb *f);
void fdb_members_tick(struct fdb *f);

/* fdb_serve.c: answer one request from hsd. */
void fdb_serve(struct fdb *f, const struct fleetdb_request *req, struct fleetdb_reply *rep);

#endif
