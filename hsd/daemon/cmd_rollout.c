/* cmd_rollout.c - the rollout.* control commands and their views. */
#include "control.h"
#include "daemon.h"
#include "done.h"
#include "err.h"
#include "intents.h"
#include "rollout.h"

#include <stdlib.h>
#include <string.h>

/* How long a status request with "since" is held when nothing changes: the
 * asker then asks again, so a connection that died unseen is let go. */
#define ROLLOUT_HOLD_MS 10000

static int cmd_rollout(struct hsd *d, const struct ctl_request *req, struct control_call *call,
		       json_t **result, char *err, size_t errlen)
{
	json_t *a = req->args;
	const char *bundle = json_string_value(json_object_get(a, "bundle"));
	json_t *cv = json_object_get(a, "canary");
	/* "canary": HOST, or true for this host (hsctl rollout --canary). */
	const char *canary = json_is_true(cv) ? d->cluster.hosts[d->self].name : json_string_value(cv);
	json_t *mp = json_object_get(a, "max_parallel"), *soak = json_object_get(a, "soak");

	(void)call;
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	if (cv && !json_is_string(cv) && !json_is_boolean(cv))
		return err_set(err, errlen, HS_EINPUT, "canary: must be a host name or true");
	return rollout_start(d, bundle, canary && *canary ? canary : NULL,
			     mp ? (int)json_integer_value(mp) : 1,
			     soak ? (int)json_integer_value(soak) : 0, json_object_get(a, "intent"),
			     INTENT_ROLLOUT, result, err, errlen);
}

static json_t *rows_json(sqlite3_stmt *q)
{
	json_t *arr = json_array();
	while (sqlite3_step(q) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int c = 0; c < sqlite3_column_count(q); c++) {
			const char *k = sqlite3_column_name(q, c);
			switch (sqlite3_column_type(q, c)) {
			case SQLITE_INTEGER:
				json_object_set_new(o, k, json_integer(sqlite3_column_int64(q, c)));
				break;
			case SQLITE_NULL:
				json_object_set_new(o, k, json_null());
				break;
			default:
				json_object_set_new(o, k, json_string((const char *)sqlite3_column_text(q, c)));
			}
		}
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(q);
	return arr;
}

static json_t *query(struct hsd *d, const char *sql, json_int_t id)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(d->store->db, sql, -1, &q, NULL))
		return json_array();
	if (id >= 0)
		sqlite3_bind_int64(q, 1, id);
	return rows_json(q);
}

/* Rollout id's status: the rollout, its hosts, its timeline, and "seq",
 * which a watcher sends back as "since" to be answered at the next change. */
static int status_json(struct hsd *d, json_int_t id, json_t **result, char *err, size_t errlen)
{
	json_t *ro = query(d, "SELECT id, bundle, name, state, canary, max_parallel, soak_s, "
			      "created_at AS created_ms, finished_at AS finished_ms, error FROM rollouts WHERE id = ?", id);
	if (json_array_size(ro) == 0) {
		json_decref(ro);
		return err_set(err, errlen, HS_EINPUT, "id: no rollout %lld", (long long)id);
	}
	*result = json_pack("{s:O, s:o, s:o, s:I}", "rollout", json_array_get(ro, 0),
		"hosts", query(d, "SELECT host, state, old_instance, new_instance, verified_at AS verified_ms, "
				  "old_stopped_at AS old_stopped_ms FROM rollout_hosts WHERE rollout = ? ORDER BY host", id),
		"timeline", query(d, "SELECT at AS at_ms, host, step, detail FROM rollout_steps WHERE rollout = ? "
				     "ORDER BY id", id),
		"seq", (json_int_t)rollout_seq(d));
	json_decref(ro);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
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

static int cmd_rollout_status(struct hsd *d, const struct ctl_request *req,
			      struct control_call *call, json_t **result, char *err,
			      size_t errlen)
{
	json_t *idv = json_object_get(req->args, "id"), *since = json_object_get(req->args, "since");
	json_int_t id = json_integer_value(idv);
	struct status_hold *sh;
	int rc;

	if (!idv) {
		json_t *last = query(d, "SELECT max(id) AS id FROM rollouts", -1);
		id = json_integer_value(json_object_get(json_array_get(last, 0), "id"));
		json_decref(last);
	}
	if (since && !json_is_integer(since))
		return err_set(err, errlen, HS_EINPUT, "since: want the seq of an earlier reply");
	/* Held only while there is something to wait for: the open rollout,
	 * unchanged since the asker's last reply.  A finished one, or a
	 * change the asker has not seen, is answered at once. */
	if (!since || id != rollout_open_id(d) || (uint64_t)json_integer_value(since) != rollout_seq(d))
		return status_json(d, id, result, err, errlen);
	if (!(sh = calloc(1, sizeof(*sh))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	sh->id = id;
	sh->dn = done_control(call);
	if ((rc = rollout_wait(d, ROLLOUT_HOLD_MS, status_wake, sh, err, errlen))) {
		free(sh);
		return rc;
	}
	return CONTROL_DEFERRED;
}

/* What a row of history was: an undo (its timeline says so), else what
 * its intent was signed for; NULL for rollouts from before intents
 * (migration 008), which nothing tells apart. */
static const char *kind_of(json_t *row, bool undo)
{
	const char *text = json_string_value(json_object_get(row, "intent"));
	json_t *env = text ? json_loads(text, 0, NULL) : NULL;
	const char *k = json_string_value(json_object_get(json_object_get(env, "intent"), "kind"));
	const char *kind = undo ? "undo" : !k ? NULL : !strcmp(k, "deploy") ? "deploy" : "rollout";

	json_decref(env);
	return kind;
}

static int cmd_rollout_history(struct hsd *d, const struct ctl_request *req,
			       struct control_call *call, json_t **result, char *err,
			       size_t errlen)
{
	json_t *rows, *row;
	size_t i;

	(void)req;
	(void)call;
	rows = query(d, "SELECT id, bundle, state, canary, created_at AS created_ms, finished_at AS finished_ms, "
			"error, intent, "
			"EXISTS (SELECT 1 FROM rollout_steps s WHERE s.rollout = r.id AND s.host = '*' "
			"AND s.step = 'undo') AS undo FROM rollouts r ORDER BY id", -1);
	json_array_foreach(rows, i, row) {
		const char *kind = kind_of(row, json_integer_value(json_object_get(row, "undo")) != 0);
		json_t *end = json_object_get(row, "finished_ms");
		json_object_set_new(row, "kind", kind ? json_string(kind) : json_null());
		/* Finished rows only: a running rollout's length is not known. */
		json_object_set_new(row, "duration_ms", json_is_integer(end)
			? json_integer(json_integer_value(end) -
				       json_integer_value(json_object_get(row, "created_ms")))
			: json_null());
		json_object_del(row, "intent"); /* status shows no intent either */
		json_object_del(row, "undo");
	}
	*result = json_pack("{s:o}", "rollouts", rows);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
}

#define RO_CTL(fn, what)                                                                \
	static int fn(struct hsd *d, const struct ctl_request *req, struct control_call *call, \
		      json_t **result, char *err, size_t errlen)                        \
	{                                                                               \
		(void)req;                                                              \
		(void)call;                                                             \
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
	json_t *last = query(d, "SELECT r.id, r.name, r.canary, r.max_parallel, "
			        "(SELECT old_instance FROM rollout_hosts h WHERE h.rollout = r.id "
			        " AND old_instance != '' LIMIT 1) AS old FROM rollouts r "
			        "WHERE state IN ('done', 'partial') ORDER BY id DESC LIMIT 1", -1);
	json_t *row = json_array_get(last, 0);
	const char *old = json_string_value(json_object_get(row, "old"));

	if (!row || !old || !strchr(old, '@')) {
		json_decref(last);
		return err_set(err, errlen, HS_EINPUT, "rollout: no finished rollout with a version to go back to");
	}
	snprintf(bundle, 80, "%s", old);
	*strchr(bundle, '@') = '-';
	snprintf(canary, 40, "%s", json_string_value(json_object_get(row, "canary")));
	*max_parallel = (int)json_integer_value(json_object_get(row, "max_parallel"));
	json_decref(last);
	return 0;
}

/* Undo the last finished rollout: roll out the version it replaced. */
static int cmd_rollout_undo(struct hsd *d, const struct ctl_request *req,
			    struct control_call *call, json_t **result, char *err,
			    size_t errlen)
{
	char bundle[80], canary[40];
	int max_parallel, rc;

	(void)call;
	if ((rc = undo_target(d, bundle, canary, &max_parallel, err, errlen)) ||
	    (rc = rollout_start(d, bundle, canary, max_parallel, 0,
				json_object_get(req->args, "intent"), INTENT_ROLLOUT, result, err,
				errlen)))
		return rc;
	/* The intent of an undo is a rollout's; this step is what tells
	 * history it was an undo. */
	rollout_note(d, "undo", bundle);
	return 0;
}

/* The intent an operator's hsctl signs for a rollout, deploy or undo
 * ("undo": true; the bundle is the one undo_target finds). */
static int cmd_intent_plan(struct hsd *d, const struct ctl_request *req,
			   struct control_call *call, json_t **result, char *err,
			   size_t errlen)
{
	json_t *a = req->args, *cv = json_object_get(a, "canary"), *ttl = json_object_get(a, "ttl");
	const char *kind = json_string_value(json_object_get(a, "kind"));
	const char *bundle = json_string_value(json_object_get(a, "bundle"));
	const char *canary = json_is_true(cv) ? d->cluster.hosts[d->self].name : json_string_value(cv);
	char undo_bundle[80], undo_canary[40];
	json_t *obj;
	int max_parallel, rc;

	(void)call;
	if (json_is_true(json_object_get(a, "undo"))) {
		if ((rc = undo_target(d, undo_bundle, undo_canary, &max_parallel, err, errlen)))
			return rc;
		bundle = undo_bundle;
		canary = undo_canary;
	}
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
		    json_integer_value(ttl) > INTENT_TTL_MAX))
		return err_set(err, errlen, HS_EINPUT, "--ttl: want 1..%d seconds", INTENT_TTL_MAX);
	rc = intents_plan(d, kind, bundle, canary, ttl ? (int)json_integer_value(ttl)
			  : INTENTS_TTL_DEFAULT, &obj, err, errlen);
	if (!rc)
		*result = json_pack("{s:o}", "intent", obj);
	return rc;
}

const struct control_cmd control_rollout_cmds[] = {
	{ "rollout", cmd_rollout },
	{ "rollout.status", cmd_rollout_status },
	{ "rollout.history", cmd_rollout_history },
	{ "rollout.pause", cmd_rollout_pause },
	{ "rollout.resume", cmd_rollout_resume },
	{ "rollout.abort", cmd_rollout_abort },
	{ "rollout.undo", cmd_rollout_undo },
	{ "rollout.plan", rollout_plan },
	{ "intent.plan", cmd_intent_plan },
	{ NULL, NULL },
};
