/* fdb_members.c - finding the leader, and keeping the Raft membership to
 * cluster.json's voters.
 *
 * Raft changes its configuration one member at a time, through the
 * leader.  So a voter that is not yet a member asks the leader to add it
 * and then to make it a voter; the leader's hsfleetdb removes a member
 * cluster.json no longer lists, one per tick, itself last (Raft's leader
 * steps down once the configuration without it is committed).
 */
#include "fdb.h"
#include "err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

void fdb_leader_drop(struct fdb *f)
{
	fdb_close(&f->leader);
	f->leader_addr[0] = 0;
	f->schema_ok = false;
}

/* Ask one node who leads; 0 and addr, or an error. */
static int ask_leader(const char *node, char leader[FDB_ADDR_MAX], char *err, size_t errlen)
{
	struct fdb_conn c = { .fd = -1 };
	uint64_t id = 0;
	int rc = fdb_connect(&c, node, FDB_CONNECT_MS, err, errlen);

	if (!rc)
		rc = fdb_leader(&c, &id, leader, err, errlen);
	fdb_close(&c);
	if (!rc && (!id || !leader[0]))
		rc = err_set(err, errlen, HS_EUNREACH, "fleet db: %s knows no leader", node);
	return rc;
}

int fdb_leader_conn(struct fdb *f, struct fdb_conn **out, char *err, size_t errlen)
{
	char node[FDB_ADDR_MAX], leader[FDB_ADDR_MAX], why[HS_ERRLEN] = "no voters";
	uint64_t id;
	int rc;

	*out = NULL;
	if (f->leader.fd >= 0) {
		/* Still the leader?  A deposed one answers with the new one. */
		if (fdb_leader(&f->leader, &id, leader, why, sizeof(why)) == 0 && id &&
		    strcmp(leader, f->leader_addr) == 0) {
			*out = &f->leader;
			return 0;
		}
		fdb_leader_drop(f);
	}
	for (size_t i = 0; i < f->cfg.nvoters; i++) {
		fdb_addr(f->cfg.voters[i].addr, node);
		if (ask_leader(node, leader, why, sizeof(why)))
			continue;
		if ((rc = fdb_connect(&f->leader, leader, FDB_CONNECT_MS, why, sizeof(why))))
			continue;
		/* Only a leader's own answer counts: it knows it leads. */
		if (fdb_leader(&f->leader, &id, node, why, sizeof(why)) || strcmp(node, leader)) {
			fdb_close(&f->leader);
			continue;
		}
		snprintf(f->leader_addr, sizeof(f->leader_addr), "%s", leader);
		if ((rc = fdb_open(&f->leader, FDB_DB_NAME, why, sizeof(why)))) {
			fdb_leader_drop(f);
			continue;
		}
		*out = &f->leader;
		return 0;
	}
	return err_set(err, errlen, HS_EUNREACH, "fleet db: no quorum: no voter reachable knows a leader (%s)",
		       why);
}

static bool listed(const struct fdb *f, const char *addr)
{
	char a[FDB_ADDR_MAX];
	for (size_t i = 0; i < f->cfg.nvoters; i++) {
		fdb_addr(f->cfg.voters[i].addr, a);
		if (strcmp(a, addr) == 0)
			return true;
	}
	return false;
}

void fdb_members_tick(struct fdb *f)
{
	struct fdb_node nodes[FLEETDB_MEMBERS_MAX];
	char err[HS_ERRLEN], self[FDB_ADDR_MAX];
	struct fdb_conn *c;
	size_t n = 0;

	if (!f->node)
		return; /* agents hold no membership */
	if (fdb_leader_conn(f, &c, err, sizeof(err)) ||
	    fdb_cluster(c, nodes, FLEETDB_MEMBERS_MAX, &n, err, sizeof(err))) {
		fdb_leader_drop(f);
		return;
	}
	fdb_addr(f->cfg.self.addr, self);
	const struct fdb_node *me = NULL;
	for (size_t i = 0; i < n; i++)
		if (nodes[i].id == f->node_id)
			me = &nodes[i];
	int rc = 0;
	if (!me) {
		rc = fdb_add(c, f->node_id, self, err, sizeof(err));
		if (!rc)
			fdb_log(f, LOG_INFO, "fleet db: joined as node %" PRIu64, f->node_id);
	} else if (me->role != FDB_VOTER && listed(f, self)) {
		rc = fdb_assign(c, f->node_id, FDB_VOTER, err, sizeof(err));
		if (!rc)
			fdb_log(f, LOG_INFO, "fleet db: node %" PRIu64 " is a voter", f->node_id);
	}
	/* The leader's own work: one member cluster.json dropped, itself
	 * after every other. */
	if (!rc && strcmp(f->leader_addr, self) == 0) {
		const struct fdb_node *gone = NULL;
		for (size_t i = 0; i < n; i++)
			if (!listed(f, nodes[i].addr) && (!gone || gone->id == f->node_id))
				gone = &nodes[i];
		if (gone) {
			rc = fdb_remove(c, gone->id, err, sizeof(err));
			if (!rc)
				fdb_log(f, LOG_INFO, "fleet db: removed node %" PRIu64 " (%s), no longer a voter",
					gone->id, gone->addr);
		}
	}
	/* Refused changes (another in progress) are tried again next tick. */
	if (rc)
		fdb_log(f, LOG_DEBUG, "fleet db: membership: %s", err);
	if (rc == HS_EUNREACH)
		fdb_leader_drop(f);
}
