/* rollout_claim.c - one rollout of an IDS at a time in the whole fleet.
 *
 * With a fleet database (cluster.json names voters), a rollout begins
 * only once it holds its IDS's claim there: a row keyed by the IDS's name,
 * written through the Raft leader, so of two operators starting rollouts
 * of one IDS on two hosts at once exactly one gets it and the other is
 * refused with the holder's name.  Without a quorum no rollout begins.
 * The claim goes back when the rollout ends, and is retried until the
 * fleet database takes it (fleetdb_release).  A claim whose release was
 * lost with hsd goes when hsd starts again (rollout_fleetdb.c).
 */
#include "rollout_int.h"
#include "done.h"
#include "fleetdb.h"
#include "log.h"
#include "textesc.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct claim {
	struct rollout *ro;
	struct done dn;
};

const char *ro_intent_id(const struct rollout *ro)
{
	const char *id = json_string_value(json_object_get(json_object_get(ro->intent, "intent"), "id"));
	return id ? id : "";
}

static void request_of(const struct rollout *ro, uint16_t op, struct fleetdb_request *req)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	snprintf(req->ids, sizeof(req->ids), "%s", ro->b.name);
	snprintf(req->target, sizeof(req->target), "%s", ro->bundle);
	snprintf(req->intent, sizeof(req->intent), "%s", ro_intent_id(ro));
}

/* Refused: who holds it, in words hsctl prints. */
static void held_text(struct hsd *d, const struct rollout *ro, const struct fleetdb_reply *rep,
		      char *err, size_t errlen)
{
	char since[TIMEFMT_ISO8601_LEN] = "?", target[4 * sizeof(rep->holder_target)];
	/* The row came from another host through the leader: only a host
	 * of our cluster file is named as such. */
	const char *holder = cluster_host_index(&d->cluster, rep->holder) >= 0 ? rep->holder
										: "an unknown host";
	timefmt_iso8601(rep->holder_since * 1000, since, sizeof(since), NULL, 0);
	textesc_encode(target, sizeof(target), rep->holder_target, strlen(rep->holder_target),
		       TEXTESC_TERM);
	err_set(err, errlen, HS_ESTATE,
		"rollout: %s is already being rolled out, to %s, by host %s since %s; "
		"one rollout of an IDS at a time (wait for it, or abort it there)",
		ro->b.name, target, holder, since);
}

static void on_claim(void *arg, const struct fleetdb_reply *rep)
{
	struct claim *c = arg;
	struct rollout *ro = c->ro;
	struct hsd *d = ro->d;
	char err[HS_ERRLEN], text[FLEETDB_ERR_LEN];
	json_t *result = NULL;
	int rc = rep->rc;

	if (d->stopping) {
		rc = err_set(err, sizeof(err), HS_ESYS, "hsd is stopping");
		if (rep->rc == 0)
			fleetdb_release(d, ro->b.name, ro_intent_id(ro));
		ro_discard(ro);
	} else if (rc == HS_ESTATE && rep->holder[0]) {
		held_text(d, ro, rep, err, sizeof(err));
		ro_discard(ro);
	} else if (rc) {
		err_set(err, sizeof(err), rc, "rollout: not started: %s", fleetdb_escape(rep->text, text));
		ro_discard(ro);
	} else {
		char ids[sizeof(ro->b.name)], intent[72];
		snprintf(ids, sizeof(ids), "%s", ro->b.name);
		snprintf(intent, sizeof(intent), "%s", ro_intent_id(ro));
		/* Its state is replicated from its first step on, fenced by
		 * the claim's epoch (rollout_fleetdb.c). */
		ro->epoch = rep->epoch ? rep->epoch : 1;
		/* ro_commit frees ro when it fails: the claim goes back then. */
		if ((rc = ro_commit(ro, &result, err, sizeof(err))))
			fleetdb_release(d, ids, intent);
	}
	if (rc)
		log_info("%s", err);
	done_fire(&c->dn, rc, result, err);
	free(c);
}

int rollout_claim(struct rollout *ro, const struct done *dn, char *err, size_t errlen)
{
	struct fleetdb_request req;
	struct claim *c = calloc(1, sizeof(*c));

	if (!c) {
		ro_discard(ro);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	c->ro = ro;
	c->dn = *dn;
	request_of(ro, FLEETDB_OP_CLAIM, &req);
	fleetdb_call(ro->d, &req, on_claim, c);
	return RPC_DEFERRED;
}

void rollout_claim_release(const struct rollout *ro)
{
	if (fleetdb_enabled(ro->d))
		fleetdb_release(ro->d, ro->b.name, ro_intent_id(ro));
}
