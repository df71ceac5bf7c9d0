/* rollout_fleet_status.c - hsctl rollout status --fleet: a rollout under
 * way anywhere in the fleet, read from the fleet database on any host:
 * its driver and epoch, its state, its hosts and its whole timeline, as
 * replicated (rollout_fleetdb.c).  Without a quorum, the last one read
 * here, marked stale (docs/fleetdb.md, "Reading from any host").
 */
#include "rollout.h"
#include "rollout_int.h"
#include "done.h"
#include "fleetdb.h"
#include "rpc.h"
#include "textesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fstat {
	struct hsd *d;
	struct done dn;
	char ids[64], intent[72]; /* the claim's: the timeline's key */
	uint32_t seq, after; /* the timeline's last step, and the last copied */
	json_t *res;         /* being built */
};

/* Answer with what was read; or, failing, with the last read of that
 * IDS, marked stale; or the error. */
static void finish(struct fstat *f, int rc, const char *why)
{
	struct rollouts *rs = f->d->rollouts;
	json_t *fl;

	if (!rc) {
		fl = json_object_get(f->res, "fleet");
		json_object_set_new(fl, "as_of", json_integer((json_int_t)time(NULL) * 1000));
		json_object_set_new(fl, "stale", json_false());
		json_decref(rs->fleet_last);
		rs->fleet_last = json_deep_copy(f->res);
		done_fire(&f->dn, 0, json_incref(f->res), NULL);
	} else if (rc != HS_EINPUT && rc != HS_ENOENT && rs->fleet_last &&
		   (!f->ids[0] || !strcmp(f->ids, json_string_value(json_object_get(
				json_object_get(rs->fleet_last, "fleet"), "ids"))))) {
		json_t *last = json_deep_copy(rs->fleet_last);
		fl = json_object_get(last, "fleet");
		json_object_set_new(fl, "stale", json_true());
		json_object_set_new(fl, "error", json_string(why));
		done_fire(&f->dn, 0, last, NULL);
	} else {
		done_fire(&f->dn, rc, NULL, why);
	}
	json_decref(f->res);
	free(f);
}

static void fail_rep(struct fstat *f, const struct fleetdb_reply *rep)
{
	char text[FLEETDB_ERR_LEN], why[HS_ERRLEN];

	snprintf(why, sizeof(why), "rollout status --fleet: %.400s", fleetdb_escape(rep->text, text));
	finish(f, rep->rc, why);
}

static void ask(struct fstat *f, uint16_t op, fleetdb_cb cb);

static void on_steps(void *arg, const struct fleetdb_reply *rep)
{
	struct fstat *f = arg;
	json_t *tl = json_object_get(f->res, "timeline");

	if (rep->rc) {
		fail_rep(f, rep);
		return;
	}
	for (uint32_t i = 0; i < rep->nsteps; i++) {
		const struct fleetdb_step *s = &rep->steps[i];
		if (s->seq <= f->after || s->seq > f->seq)
			break; /* out of order: the rest is not read */
		f->after = s->seq;
		json_array_append_new(tl, json_pack("{s:I, s:o, s:o, s:o}", "at_ms",
						    (json_int_t)s->at_ms, "host", fleetdb_text(s->host), "step",
						    fleetdb_text(s->step), "detail", fleetdb_text(s->detail)));
	}
	if (rep->nsteps == FLEETDB_STEPS_MAX && f->after < f->seq)
		ask(f, FLEETDB_OP_STEPS, on_steps);
	else
		finish(f, 0, NULL);
}

/* The replicated state as rollout status shows a rollout: its row, its
 * hosts (names of the cluster only), every text escaped. */
static int from_snap(struct fstat *f, const struct fleetdb_reply *rep, char *err, size_t errlen)
{
	json_t *snap = json_loads(rep->snap, 0, NULL), *hosts = json_array(), *h;
	const char *bundle = json_string_value(json_object_get(snap, "bundle")), *key;
	const char *at = bundle ? strrchr(bundle, '-') : NULL;
	char new_inst[160];

	if (!json_is_object(snap) || !at) {
		json_decref(snap);
		json_decref(hosts);
		return err_set(err, errlen, HS_EINPUT,
			       "rollout status --fleet: the state of %s's rollout is malformed", f->ids);
	}
	snprintf(new_inst, sizeof(new_inst), "%.*s@%s", (int)(at - bundle), bundle, at + 1);
	json_object_foreach(json_object_get(snap, "hosts"), key, h) {
		if (cluster_host_index(&f->d->cluster, key) < 0)
			continue;
		json_array_append_new(hosts, json_pack("{s:s, s:o, s:o, s:o}", "host", key, "state",
			fleetdb_text(json_string_value(json_object_get(h, "state"))), "old_instance",
			fleetdb_text(json_string_value(json_object_get(h, "old"))), "new_instance",
			fleetdb_text(json_is_true(json_object_get(h, "new")) ? new_inst : "")));
	}
	const char *driver = cluster_host_index(&f->d->cluster, rep->holder) >= 0 ? rep->holder : "?";
	f->res = json_pack("{s:{s:i, s:o, s:o, s:o, s:o, s:I, s:I}, s:o, s:[], s:{s:s, s:s, s:I}}",
			   "rollout", "id", 0, "bundle", fleetdb_text(bundle), "state",
			   fleetdb_text(json_string_value(json_object_get(snap, "state"))), "canary",
			   fleetdb_text(json_string_value(json_object_get(snap, "canary"))), "error",
			   fleetdb_text(json_string_value(json_object_get(snap, "error"))), "max_parallel",
			   json_integer_value(json_object_get(snap, "max_parallel")), "soak_s",
			   json_integer_value(json_object_get(snap, "soak_s")), "hosts", hosts,
			   "timeline", "fleet", "ids", f->ids, "driver", driver, "epoch",
			   (json_int_t)rep->epoch);
	json_object_set_new(json_object_get(f->res, "fleet"), "intent", fleetdb_text(rep->holder_intent));
	json_decref(snap);
	return f->res ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
}

static void on_read(void *arg, const struct fleetdb_reply *rep)
{
	struct fstat *f = arg;
	char err[HS_ERRLEN];

	if (rep->rc) {
		fail_rep(f, rep);
		return;
	}
	if (from_snap(f, rep, err, sizeof(err))) {
		finish(f, HS_EINPUT, err);
		return;
	}
	f->seq = rep->seq;
	snprintf(f->intent, sizeof(f->intent), "%s", rep->holder_intent);
	ask(f, FLEETDB_OP_STEPS, on_steps);
}

/* Without an IDS named: the one under way, or which ones to name. */
static void on_claims(void *arg, const struct fleetdb_reply *rep)
{
	struct fstat *f = arg;
	char err[HS_ERRLEN] = "", *p = err;

	if (rep->rc) {
		fail_rep(f, rep);
		return;
	}
	if (rep->nclaims == 1) {
		snprintf(f->ids, sizeof(f->ids), "%s", rep->claims[0].ids);
		ask(f, FLEETDB_OP_READ, on_read);
		return;
	}
	if (!rep->nclaims) {
		finish(f, HS_ENOENT, "rollout status --fleet: no rollout is under way in the fleet");
		return;
	}
	p += snprintf(p, sizeof(err), "rollout status --fleet: %u rollouts under way; name the IDS of one:",
		      rep->nclaims);
	for (size_t i = 0; i < rep->nclaims && p < err + sizeof(err) - 80; i++) {
		char ids[4 * sizeof(rep->claims[i].ids)];
		textesc_encode(ids, sizeof(ids), rep->claims[i].ids, strlen(rep->claims[i].ids),
			       TEXTESC_TERM);
		p += snprintf(p, (size_t)(err + sizeof(err) - p), " %.60s", ids);
	}
	finish(f, HS_EINPUT, err);
}

static void ask(struct fstat *f, uint16_t op, fleetdb_cb cb)
{
	struct fleetdb_request *req = calloc(1, sizeof(*req));

	if (!req) {
		finish(f, HS_ESYS, "out of memory");
		return;
	}
	req->op = op;
	req->after = f->after;
	snprintf(req->ids, sizeof(req->ids), "%s", f->ids);
	snprintf(req->intent, sizeof(req->intent), "%s", f->intent);
	fleetdb_call(f->d, req, cb, f);
	free(req);
}

int rollout_fleet_status(struct hsd *d, const char *ids, const struct done *dn, char *err,
			 size_t errlen)
{
	struct fstat *f;

	if (!fleetdb_enabled(d))
		return err_set(err, errlen, HS_EINPUT,
			       "rollout status --fleet: there is no fleet database (cluster.json "
			       "names no voters)");
	if (ids && (!*ids || strlen(ids) >= sizeof(f->ids)))
		return err_set(err, errlen, HS_EINPUT, "ids: not an IDS name");
	if (!(f = calloc(1, sizeof(*f))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	f->d = d;
	f->dn = *dn;
	if (ids) {
		snprintf(f->ids, sizeof(f->ids), "%s", ids);
		ask(f, FLEETDB_OP_READ, on_read);
	} else {
		ask(f, FLEETDB_OP_CLAIMS, on_claims);
	}
	return RPC_DEFERRED;
}
