/* fdb_serve.c - hsd's requests: status; a rollout's claim on its IDS,
 * with its replicated state and timeline; the inventory (docs/fleetdb.md). */
#include "fdb.h"
#include "err.h"
#include "store_fleetdb.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint32_t addr_of(const char *hostport)
{
	char a[FDB_ADDR_MAX];
	struct in_addr in;
	snprintf(a, sizeof(a), "%s", hostport);
	char *colon = strrchr(a, ':');
	if (colon)
		*colon = 0;
	return inet_pton(AF_INET, a, &in) == 1 ? ntohl(in.s_addr) : 0;
}

/* The schema in place on the leader's connection c (once per connection). */
static int schema(struct fdb *f, struct fdb_conn *c, char *err, size_t errlen)
{
	int rc = f->schema_ok ? 0 : store_fleetdb_schema(c, err, errlen);
	f->schema_ok = !rc;
	return rc;
}

/* The leader's connection with the schema in place, or an error. */
static int ready(struct fdb *f, struct fdb_conn **c, char *err, size_t errlen)
{
	int rc = fdb_leader_conn(f, c, err, errlen);
	if (!rc)
		rc = schema(f, *c, err, errlen);
	if (rc)
		fdb_leader_drop(f);
	return rc;
}

static void status(struct fdb *f, struct fleetdb_reply *rep)
{
	struct fdb_node nodes[FLEETDB_MEMBERS_MAX];
	char leader[FDB_ADDR_MAX];
	struct fdb_conn *c;
	size_t n = 0;

	rep->self_voter = f->cfg.voter;
	if (ready(f, &c, rep->text, sizeof(rep->text)) ||
	    fdb_leader(c, &rep->leader_id, leader, rep->text, sizeof(rep->text)) ||
	    fdb_cluster(c, nodes, FLEETDB_MEMBERS_MAX, &n, rep->text, sizeof(rep->text))) {
		fdb_leader_drop(f);
		return; /* rc 0: the status is "no quorum", with the reason */
	}
	rep->leader_addr = addr_of(leader);
	rep->nmembers = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		rep->members[i] = (struct fleetdb_member){ .node_id = nodes[i].id,
							   .addr = addr_of(nodes[i].addr),
							   .role = (uint8_t)nodes[i].role };
	/* A leader cut off from the others still believes it leads for an
	 * election timeout: only a committed write proves a quorum. */
	if (store_fleetdb_seen(c, f->cfg.self.name, (int64_t)time(NULL), rep->text,
			       sizeof(rep->text)) == 0)
		rep->quorum = 1;
	else
		fdb_leader_drop(f);
}

/* Claims as listed for hsd: the lease watch of the leader's hsd. */
static int list_claims(struct fdb *f, struct fdb_conn *c, struct fleetdb_reply *rep, char *err,
		       size_t errlen)
{
	struct store_fleetdb_row rows[FLEETDB_CLAIMS_MAX];
	char self[FDB_ADDR_MAX];
	size_t n = 0;
	int rc = store_fleetdb_claims(c, rows, FLEETDB_CLAIMS_MAX, &n, err, errlen);

	if (rc)
		return rc;
	rep->nclaims = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		struct fleetdb_claim_row *r = &rep->claims[i];
		_Static_assert(sizeof(r->ids) == sizeof(rows[i].ids) &&
				       sizeof(r->host) == sizeof(rows[i].host) &&
				       sizeof(r->intent) == sizeof(rows[i].intent) &&
				       sizeof(r->target) == sizeof(rows[i].target),
			       "a claim's fields as the store's");
		memcpy(r->ids, rows[i].ids, sizeof(r->ids));
		memcpy(r->host, rows[i].host, sizeof(r->host));
		memcpy(r->intent, rows[i].intent, sizeof(r->intent));
		memcpy(r->target, rows[i].target, sizeof(r->target));
		r->epoch = rows[i].epoch;
		r->beat = rows[i].beat;
	}
	fdb_addr(f->cfg.self.addr, self);
	rep->self_leader = strcmp(f->leader_addr, self) == 0;
	return 0;
}

/* One request through the leader (every op but STATUS; default: CLAIMS). */
static int leader_op(struct fdb *f, struct fdb_conn *c, const struct fleetdb_request *req,
		    struct fleetdb_reply *rep, struct store_fleetdb_claim *held, char *err,
		    size_t errlen)
{
	const char *host = f->cfg.self.name;

	switch (req->op) {
	case FLEETDB_OP_CLAIM: {
		int rc = store_fleetdb_claim(c, req->ids, host, req->intent, req->target,
					     (int64_t)time(NULL), held, err, errlen);
		rep->epoch = rc ? 0 : held->epoch;
		return rc;
	}
	case FLEETDB_OP_RELEASE:
		return store_fleetdb_release(c, req->ids, host, req->intent, err, errlen);
	case FLEETDB_OP_SAVE:
		return store_fleetdb_save(c, req->ids, host, req->intent, req->epoch, req->snap,
					  req->steps, req->nsteps, err, errlen);
	case FLEETDB_OP_INVENTORY:
		return store_fleetdb_inventory_put(c, host, (int64_t)time(NULL) * 1000, req->snap,
						   err, errlen);
	case FLEETDB_OP_FLEET: { /* the inventory, and the rollouts under way */
		bool more = false;
		int rc = store_fleetdb_inventory(c, rep->snap, sizeof(rep->snap), &more, err,
						 errlen);
		rep->more = more;
		return rc ? rc : list_claims(f, c, rep, err, errlen);
	}
	case FLEETDB_OP_READ: {
		struct store_fleetdb_take t = { .snap = rep->snap, .cap = sizeof(rep->snap) };
		int rc = store_fleetdb_read(c, req->ids, &t, held, err, errlen);
		rep->epoch = t.epoch;
		rep->seq = t.seq;
		snprintf(rep->holder, sizeof(rep->holder), "%s", held->host);
		snprintf(rep->holder_intent, sizeof(rep->holder_intent), "%s", held->intent);
		snprintf(rep->holder_target, sizeof(rep->holder_target), "%s", held->target);
		rep->holder_since = held->since;
		return rc;
	}
	case FLEETDB_OP_STEPS:
		return store_fleetdb_steps(c, req->intent, req->after, rep->steps,
					   FLEETDB_STEPS_MAX, &rep->nsteps, err, errlen);
	case FLEETDB_OP_TAKE: {
		struct store_fleetdb_take t = { .snap = rep->snap, .cap = sizeof(rep->snap) };
		int rc = store_fleetdb_take(c, req->ids, req->from, req->intent, req->epoch, host,
					    &t, err, errlen);
		rep->epoch = t.epoch;
		rep->seq = t.seq;
		return rc;
	}
	default:
		return list_claims(f, c, rep, err, errlen);
	}
}

static void through_leader(struct fdb *f, const struct fleetdb_request *req,
			   struct fleetdb_reply *rep)
{
	struct store_fleetdb_claim held;
	struct fdb_conn *c;
	bool wrote = false; /* the failure, if any, is a write's, not the search's */
	int rc;

	/* Twice: a leader deposed since the last request answers the first
	 * write with a failure, and the second goes to its successor. */
	for (int attempt = 0; attempt < 2; attempt++) {
		wrote = false;
		if ((rc = fdb_leader_conn(f, &c, rep->text, sizeof(rep->text))))
			break; /* its text says: no quorum */
		wrote = true;
		if (!(rc = schema(f, c, rep->text, sizeof(rep->text))))
			rc = leader_op(f, c, req, rep, &held, rep->text, sizeof(rep->text));
		if (rc != HS_ESYS && rc != HS_EUNREACH && c->fd >= 0)
			break;
		fdb_leader_drop(f);
	}
	if (rc == HS_ESTATE && req->op == FLEETDB_OP_CLAIM) {
		snprintf(rep->holder, sizeof(rep->holder), "%s", held.host);
		snprintf(rep->holder_target, sizeof(rep->holder_target), "%s", held.target);
		snprintf(rep->holder_intent, sizeof(rep->holder_intent), "%s", held.intent);
		rep->holder_since = held.since;
	} else if (rc && rc != HS_ESTATE && rc != HS_ENOENT && wrote) {
		/* The write did not commit (a leader that lost its quorum, or
		 * one deposed meanwhile): to hsd it is all the same, no quorum
		 * now. */
		char why[FLEETDB_TEXT_MAX];
		snprintf(why, sizeof(why), "%s", rep->text);
		rc = err_set(rep->text, sizeof(rep->text), HS_EUNREACH,
			     "fleet db: no quorum: the write did not commit (%s)", why);
	}
	rep->rc = rc;
}

void fdb_serve(struct fdb *f, const struct fleetdb_request *req, struct fleetdb_reply *rep)
{
	switch (req->op) {
	case FLEETDB_OP_STATUS:
		status(f, rep);
		break;
	case FLEETDB_OP_CLAIM:
	case FLEETDB_OP_RELEASE:
	case FLEETDB_OP_SAVE:
	case FLEETDB_OP_CLAIMS:
	case FLEETDB_OP_TAKE:
	case FLEETDB_OP_STEPS:
	case FLEETDB_OP_INVENTORY:
	case FLEETDB_OP_FLEET:
	case FLEETDB_OP_READ:
		through_leader(f, req, rep);
		break;
	default:
		rep->rc = err_set(rep->text, sizeof(rep->text), HS_EINPUT, "fleet db: unknown op %u", req->op);
	}
}
