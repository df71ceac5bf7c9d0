/* cmd_rollout.c - the rollout.* control commands and their views. */
#include "control.h"
#include "daemon.h"
#include "done.h"
#include "err.h"
#include "intents.h"
#include "fleetdb.h"
#include "rollout.h"
#include "store_rollouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a status request with "since" is held when nothing changes: the
 * asker then asks again, so a connection that died unseen is let go. */
#define ROLLOUT_HOLD_MS 10000

static int cmd_rollout(struct hsd *d, const struct rpc_req *req, const struct done *dn,
		       json_t **result, char *err, size_t errlen)
{
	json_t *a = req->args;
	const char *bundle = json_string_value(json_object_get(a, "bundle"));
	json_t *cv = json_object_get(a, "canary");
	/* "canary": HOST, or true for this host (hsctl rollout --canary). */
	const char *canary = json_is_true(cv) ? d->cluster.hosts[d->self].name : json_string_value(cv);
	json_t *mp = json_object_get(a, "max_parallel"), *soak = json_object_get(a, "soak");

	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	if (cv && !json_is_string(cv) && !json_is_boolean(cv))
		return err_set(err, errlen, HS_EINPUT, "canary: must be a host name or true");
	struct rollout_req rq = { .bundle = bundle, .canary = canary && *canary ? canary : NULL,
				  .max_parallel = mp ? (int)json_integer_value(mp) : 1,
				  .soak_s = soak ? (int)json_integer_value(soak) : 0,
				  .intent = json_object_get(a, "intent"), .kind = INTENT_ROLLOUT };
	return rollout_start(d, &rq, dn, result, err, errlen);
}

/* The views keep the shape they had as rows of SQL: a NULL time is null,
 * and a text that is not UTF-8 leaves its key out. */
static void put_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v));
}

static void put_int(json_t *o, const char *k, int64_t v)
{
	json_object_set_new(o, k, json_integer(v));
}

static void put_ms(json_t *o, const char *k, int64_t ms)
{
	json_object_set_new(o, k, ms < 0 ? json_null() : json_integer(ms));
}

static int push(json_t *arr, json_t *o, char *err, size_t errlen)
{
	if (!o || json_array_append_new(arr, o))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	return 0;
}

static int status_rollout(void *ctx, const struct store_rollout *r, char *err, size_t errlen)
{
	json_t *o = json_object();

	if (o) {
		put_int(o, "id", r->id);
		put_str(o, "bundle", r->bundle);
		put_str(o, "name", r->name);
		put_str(o, "state", r->state);
		put_str(o, "canary", r->canary);
		put_int(o, "max_parallel", r->max_parallel);
		put_int(o, "soak_s", r->soak_s);
		put_int(o, "created_ms", r->created_ms);
		put_ms(o, "finished_ms", r->finished_ms);
		put_str(o, "error", r->error);
	}
	return push(ctx, o, err, errlen);
}

static int status_host(void *ctx, const struct store_rollout_host *h, char *err, size_t errlen)
{
	json_t *o = json_object();

	if (o) {
		put_str(o, "host", h->host);
		put_str(o, "state", h->state);
		put_str(o, "old_instance", h->old_instance);
		put_str(o, "new_instance", h->new_instance);
		put_ms(o, "verified_ms", h->verified_ms);
		put_ms(o, "old_stopped_ms", h->old_stopped_ms);
	}
	return push(ctx, o, err, errlen);
}

static int status_step(void *ctx, const struct store_rollout_step *s, char *err, size_t errlen)
{
	json_t *o = json_object();

	if (o) {
		put_int(o, "at_ms", s->at_ms);
		put_str(o, "host", s->host);
		put_str(o, "step", s->step);
		put_str(o, "detail", s->detail);
	}
	return push(ctx, o, err, errlen);
}

/* Rollout id's status: the rollout, its hosts, its timeline, and "seq",
 * which a watcher sends back as "since" to be answered at the next change. */
static int status_json(struct hsd *d, json_int_t id, json_t **result, char *err, size_t errlen)
{
	json_t *ro = json_array(), *hosts = json_array(), *steps = json_array();
	int rc;

	*result = NULL;
	if (!ro || !hosts || !steps)
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	else if ((rc = store_rollout_get(d->store, id, status_rollout, ro, err, errlen)) == 0 && !id)
		rc = err_set(err, errlen, HS_EINPUT, "rollout: none coordinated by this host%s",
			     fleetdb_enabled(d) ? " (the fleet's: hsctl rollout status --fleet)" : "");
	else if (rc == 0)
		rc = err_set(err, errlen, HS_EINPUT, "id: no rollout %lld", (long long)id);
	else if (rc > 0 &&
		 !(rc = store_rollout_hosts_each(d->store, id, status_host, hosts, err, errlen)) &&
		 !(rc = store_rollout_steps_each(d->store, id, status_step, steps, err, errlen))) {
		*result = json_pack("{s:O, s:O, s:O, s:I}", "rollout", json_array_get(ro, 0),
				    "hosts", hosts, "timeline", steps, "seq",
				    (json_int_t)rollout_seq(d));
		if (!*result)
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
	}
	json_decref(ro);
	json_decref(hosts);
	json_decref(steps);
	return rc;
}

/* A status request held until the rollout changes (--watch). */
struct status_hold {
	json_int_t id;
	struct done dn;
};

static void status_wake(struct hsd *d, void *arg, bool stopping)
{
	struct status_hold *sh = arg;
	char err[HS_ERRLEN] = "";
	json_t *r = NULL;
	int rc = stopping ? err_set(err, sizeof(err), HS_ESYS, "hsd is stopping")
			  : status_json(d, sh->id, &r, err, sizeof(err));
	done_fire(&sh->dn, rc, r, err);
	free(sh);
}

static int cmd_rollout_status(struct hsd *d, const struct rpc_req *req,
			      const struct done *dn, json_t **result, char *err,
			      size_t errlen)
{
	json_t *idv = json_object_get(req->args, "id"), *since = json_object_get(req->args, "since");
	json_int_t id = json_integer_value(idv);
	struct status_hold *sh;
	int rc;

	if (!idv) {
		int64_t last;
		if ((rc = store_rollout_last_id(d->store, &last, err, errlen)))
			return rc;
		id = last; /* 0 when there is none */
	}
	/* Held only while there is something to wait for: the open rollout,
	 * unchanged since the asker's last reply.  A finished one, or a
	 * change the asker has not seen, is answered at once. */
	if (!since || id != rollout_open_id(d) || (uint64_t)json_integer_value(since) != rollout_seq(d))
		return status_json(d, id, result, err, errlen);
	if (!(sh = calloc(1, sizeof(*sh))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	sh->id = id;
	sh->dn = *dn;
	if ((rc = rollout_wait(d, ROLLOUT_HOLD_MS, status_wake, sh, err, errlen))) {
		free(sh);
		return rc;
	}
	return RPC_DEFERRED;
}

/* What a row of history was: an undo (its timeline says so), else what
 * its intent was signed for; NULL for rollouts from before intents
 * (migration 008), which nothing tells apart. */
static const char *kind_of(const char *intent, bool undo)
{
	json_t *env = intent ? json_loads(intent, 0, NULL) : NULL;
	const char *k = json_string_value(json_object_get(json_object_get(env, "intent"), "kind"));
	const char *kind = undo ? "undo" : !k ? NULL : !strcmp(k, "deploy") ? "deploy" : "rollout";

	json_decref(env);
	return kind;
}

/* One row of history; no intent shown (status shows none either). */
static int history_row(void *ctx, const struct store_rollout *r, char *err, size_t errlen)
{
	json_t *o = json_object();
	const char *kind = kind_of(r->intent, r->undo);

	if (o) {
		put_int(o, "id", r->id);
		put_str(o, "bundle", r->bundle);
		put_str(o, "state", r->state);
		put_str(o, "canary", r->canary);
		put_int(o, "created_ms", r->created_ms);
		put_ms(o, "finished_ms", r->finished_ms);
		put_str(o, "error", r->error);
		json_object_set_new(o, "kind", kind ? json_string(kind) : json_null());
		/* Finished rows only: a running rollout's length is not known. */
		put_ms(o, "duration_ms", r->finished_ms < 0 ? -1 : r->finished_ms - r->created_ms);
	}
	return push(ctx, o, err, errlen);
}

static int cmd_rollout_history(struct hsd *d, const struct rpc_req *req,
			       const struct done *dn, json_t **result, char *err,
			       size_t errlen)
{
	json_t *rows = json_array();
	int rc;

	(void)req;
	(void)dn;
	if (!rows)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	if ((rc = store_rollout_foreach(d->store, history_row, rows, err, errlen))) {
		json_decref(rows);
		return rc;
	}
	*result = json_pack("{s:o}", "rollouts", rows);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
}

#define RO_CTL(fn, what)                                                                \
	static int fn(struct hsd *d, const struct rpc_req *req, const struct done *dn, \
		      json_t **result, char *err, size_t errlen)                        \
	{                                                                               \
		(void)req;                                                              \
		(void)dn;                                                             \
		int rc = rollout_control(d, what, err, errlen);                         \
		if (!rc)                                                                \
			*result = json_pack("{s:s}", "done", what);                     \
		return rc;                                                              \
	}
RO_CTL(cmd_rollout_pause, "pause")
RO_CTL(cmd_rollout_resume, "resume")
RO_CTL(cmd_rollout_abort, "abort")

/* What an undo rolls out: the version the last finished rollout replaced,
 * with its canary and parallelism. */
static int undo_target(struct hsd *d, char bundle[80], char canary[40], int *max_parallel,
		       char *err, size_t errlen)
{
	struct store_rollout_undo last;
	char *at;
	int rc = store_rollout_last_done(d->store, &last, err, errlen);

	if (rc < 0)
		return rc;
	snprintf(bundle, 80, "%s", last.old_instance);
	/* NAME@VERSION, the instance it replaced, is bundle NAME-VERSION. */
	if (!rc || !(at = strchr(bundle, '@')))
		return err_set(err, errlen, HS_EINPUT, "rollout: no finished rollout with a version to go back to");
	*at = '-';
	snprintf(canary, 40, "%s", last.canary);
	*max_parallel = last.max_parallel;
	return 0;
}

/* Undo the last finished rollout: roll out the version it replaced. */
static int cmd_rollout_undo(struct hsd *d, const struct rpc_req *req,
			    const struct done *dn, json_t **result, char *err,
			    size_t errlen)
{
	char bundle[80], canary[40];
	int max_parallel, rc;

	if ((rc = undo_target(d, bundle, canary, &max_parallel, err, errlen)))
		return rc;
	struct rollout_req rq = { .bundle = bundle, .canary = canary, .max_parallel = max_parallel,
				  .intent = json_object_get(req->args, "intent"),
				  .kind = INTENT_ROLLOUT, .undo = true };
	return rollout_start(d, &rq, dn, result, err, errlen);
}

/* The intent an operator's hsctl signs for a rollout, deploy or undo
 * ("undo": true; the bundle is the one undo_target finds). */
static int cmd_intent_plan(struct hsd *d, const struct rpc_req *req,
			   const struct done *dn, json_t **result, char *err,
			   size_t errlen)
{
	json_t *a = req->args, *cv = json_object_get(a, "canary"), *ttl = json_object_get(a, "ttl");
	const char *kind = json_string_value(json_object_get(a, "kind"));
	const char *bundle = json_string_value(json_object_get(a, "bundle"));
	const char *canary = json_is_true(cv) ? d->cluster.hosts[d->self].name : json_string_value(cv);
	char undo_bundle[80], undo_canary[40];
	json_t *obj;
	int max_parallel, rc;

	(void)dn;
	if (json_is_true(json_object_get(a, "undo"))) {
		if ((rc = undo_target(d, undo_bundle, undo_canary, &max_parallel, err, errlen)))
			return rc;
		bundle = undo_bundle;
		canary = undo_canary;
	}
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	if (ttl && (json_integer_value(ttl) < 1 || json_integer_value(ttl) > INTENT_TTL_MAX))
		return err_set(err, errlen, HS_EINPUT, "--ttl: want 1..%d seconds", INTENT_TTL_MAX);
	rc = intents_plan(d, kind, bundle, canary, ttl ? (int)json_integer_value(ttl)
			  : INTENTS_TTL_DEFAULT, &obj, err, errlen);
	if (!rc)
		*result = json_pack("{s:o}", "intent", obj);
	return rc;
}

static const struct rpc_arg args_cmd_rollout[] = {
	{ "bundle", RPC_STR },
	{ "canary", RPC_ANY },
	{ "max_parallel", RPC_INT },
	{ "soak", RPC_INT },
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_rollout_status[] = {
	{ "id", RPC_INT },
	{ "since", RPC_INT },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_rollout_undo[] = {
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_rollout_plan[] = {
	{ "bundle", RPC_STR },
	{ "canary", RPC_ANY },
	{ "max_parallel", RPC_INT },
	{ "soak", RPC_INT },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_intent_plan[] = {
	{ "kind", RPC_STR },
	{ "bundle", RPC_STR },
	{ "canary", RPC_ANY },
	{ "ttl", RPC_INT },
	{ "undo", RPC_BOOL },
	{ NULL, RPC_END },
};

static int cmd_rollout_fleet(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			     json_t **result, char *err, size_t errlen)
{
	(void)result;
	return rollout_fleet_status(d, json_string_value(json_object_get(req->args, "ids")), dn,
				    err, errlen);
}

static const struct rpc_arg args_cmd_rollout_fleet[] = {
	{ "ids", RPC_STR },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_rollout_cmds[] = {
	{ "rollout", cmd_rollout, args_cmd_rollout },
	{ "rollout.status", cmd_rollout_status, args_cmd_rollout_status },
	{ "rollout.fleet", cmd_rollout_fleet, args_cmd_rollout_fleet },
	{ "rollout.history", cmd_rollout_history, NULL },
	{ "rollout.pause", cmd_rollout_pause, NULL },
	{ "rollout.resume", cmd_rollout_resume, NULL },
	{ "rollout.abort", cmd_rollout_abort, NULL },
	{ "rollout.undo", cmd_rollout_undo, args_cmd_rollout_undo },
	{ "rollout.plan", rollout_plan, args_rollout_plan },
	{ "intent.plan", cmd_intent_plan, args_cmd_intent_plan },
	{ NULL, NULL, NULL },
};
