/* cmd_fleet.c - deploy, instance verification and alerts. */
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "frame.h"
#include "instances.h"
#include "rollout.h"
#include "textesc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* An alerts reply stays this far below the control frame limit (the
 * envelope, and a relay through another host, need a little room). */
#define ALERTS_REPLY_BUDGET (FRAME_MAX_CTL - 64 * 1024)

/* Start the bundle on every host: a rollout with no canary wait and every
 * host at once (where an older version runs, it is replaced with no gap). */
static int cmd_deploy(struct hsd *d, const struct ctl_request *req,
		      struct control_call *call, json_t **result, char *err,
		      size_t errlen)
{
	const char *bundle = json_string_value(json_object_get(req->args, "bundle"));

	(void)call;
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	return rollout_start(d, bundle, NULL, (int)d->cluster.nhosts, 0,
			     json_object_get(req->args, "intent"), INTENT_DEPLOY, result, err,
			     errlen);
}

static int cmd_verify(struct hsd *d, const struct ctl_request *req,
		      struct control_call *call, json_t **result, char *err,
		      size_t errlen)
{
	const char *name = json_string_value(json_object_get(req->args, "name"));

	(void)result;
	if (!name)
		return err_set(err, errlen, HS_EINPUT, "name: missing");
	struct done dn = done_control(call);
	return instances_verify(d, name, &dn, err, errlen);
}

int alerts_local(struct hsd *d, json_t *args, json_t **result, char *err, size_t errlen);

static void alerts_relay(void *arg, int rc, json_t *result, const char *err)
{
	control_finish(arg, rc, json_incref(result), err);
}

static int cmd_alerts(struct hsd *d, const struct ctl_request *req,
		      struct control_call *call, json_t **result, char *err,
		      size_t errlen)
{
	const char *host = json_string_value(json_object_get(req->args, "host"));

	if (host && strcmp(host, d->cluster.hosts[d->self].name)) {
		/* Each host keeps its own alerts: ask it over the mesh. */
		int h = cluster_host_index(&d->cluster, host);
		if (h < 0)
			return err_set(err, errlen, HS_EINPUT, "--host: \"%s\" is not a host of the cluster", host);
		json_t *args = json_deep_copy(req->args);
		json_object_del(args, "host");
		fleet_call(d, h, "alerts", args, 5000, alerts_relay, call);
		return CONTROL_DEFERRED;
	}
	return alerts_local(d, req->args, result, err, errlen);
}

/* An optional integer argument in [lo, hi]; absent leaves *v alone. */
static int arg_int(json_t *args, const char *key, json_int_t lo, json_int_t hi, json_int_t *v,
		   char *err, size_t errlen)
{
	json_t *j = json_object_get(args, key);
	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
		return err_set(err, errlen, HS_EINPUT, "alerts: %s: want an integer %lld..%lld", key,
			       (long long)lo, (long long)hi);
	*v = json_integer_value(j);
	return 0;
}

/* A stored column as escaped text: what an IDS printed is raw bytes
 * (instances.c), maybe not UTF-8, maybe terminal controls; jansson would
 * refuse the first and print the second. */
static int alert_col(sqlite3_stmt *q, int col, char **out, char *err, size_t errlen)
{
	const void *p = sqlite3_column_blob(q, col);
	int n = sqlite3_column_bytes(q, col);

	return textesc_dup(p ? p : "", p ? (size_t)n : 0, TEXTESC_TERM, out, err, errlen);
}

/* One alert row as JSON, and a bound on its size once encoded; NULL and
 * err when out of memory. */
static json_t *alert_json(sqlite3_stmt *q, size_t *size, char *err, size_t errlen)
{
	char *host = NULL, *inst = NULL, *line = NULL;
	json_t *a = NULL;

	if (alert_col(q, 2, &host, err, errlen) || alert_col(q, 3, &inst, err, errlen) ||
	    alert_col(q, 4, &line, err, errlen))
		goto out;
	a = json_pack("{s:I, s:I, s:s, s:s, s:s}",
		"id", (json_int_t)sqlite3_column_int64(q, 0),
		"at_ms", (json_int_t)sqlite3_column_int64(q, 1),
		"host", host, "instance", inst, "line", line);
	if (!a)
		err_set(err, errlen, HS_ESYS, "alerts: out of memory");
	/* Escaped text holds no control character, so JSON at most doubles
	 * it (backslashes, quotes); 96 covers the keys and numbers. */
	*size = 2 * (strlen(host) + strlen(inst) + strlen(line)) + 96;
out:
	free(host);
	free(inst);
	free(line);
	return a;
}

/* Without "after": the latest "last" alerts (default 1000).  With it: the
 * oldest "last" after that id, so a follower never skips any.  Both in
 * id order.  Escaping may make a line four times longer, so a reply stops
 * short of the frame limit with "truncated": true; the caller asks again
 * after the last id it got (for the latest N: with last = what is left). */
int alerts_local(struct hsd *d, json_t *args, json_t **result, char *err, size_t errlen)
{
	json_int_t after = -1, last = 1000;
	size_t used = 0, size = 0;
	bool cut = false;
	sqlite3_stmt *q;
	int rc;

	if ((rc = arg_int(args, "after", 0, INT64_MAX, &after, err, errlen)) ||
	    (rc = arg_int(args, "last", 1, CTL_ALERTS_MAX, &last, err, errlen)))
		return rc;
	if (sqlite3_prepare_v2(d->store->db, after >= 0
		? "SELECT id, at, host, instance, line FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2"
		: "SELECT * FROM (SELECT id, at, host, instance, line FROM alerts "
		  "ORDER BY id DESC LIMIT ?2) ORDER BY id",
		-1, &q, NULL))
		return err_set(err, errlen, HS_ESYS, "store: %s", store_why(d->store));
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int64(q, 2, last);
	json_t *arr = json_array();
	if (!arr) {
		sqlite3_finalize(q);
		return err_set(err, errlen, HS_ESYS, "alerts: out of memory");
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *a = alert_json(q, &size, err, errlen);
		if (!a)
			break; /* never an alert left out silently: the reply fails */
		if (used && used + size > ALERTS_REPLY_BUDGET) {
			json_decref(a);
			cut = true;
			break;
		}
		json_array_append_new(arr, a);
		used += size;
	}
	if (!cut && rc != SQLITE_DONE) {
		if (rc != SQLITE_ROW)
			err_set(err, errlen, HS_ESYS, "store: alerts: %s", store_why(d->store));
		sqlite3_finalize(q);
		json_decref(arr);
		return HS_ESYS;
	}
	sqlite3_finalize(q);
	*result = json_pack("{s:o, s:b}", "alerts", arr, "truncated", cut);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "alerts: out of memory");
}

static int cmd_instances(struct hsd *d, const struct ctl_request *req,
			 struct control_call *call, json_t **result, char *err,
			 size_t errlen)
{
	sqlite3_stmt *q;

	(void)req;
	(void)call;
	if (sqlite3_prepare_v2(d->store->db,
		"SELECT bundle, version, space, state, started_at, verified_at, stopped_at, "
		"coalesce(last_probe, '') FROM instances ORDER BY id", -1, &q, NULL))
		return err_set(err, errlen, HS_ESYS, "store: %s", store_why(d->store));
	json_t *arr = json_array();
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
			"bundle", (const char *)sqlite3_column_text(q, 0),
			"version", (const char *)sqlite3_column_text(q, 1),
			"space", (const char *)sqlite3_column_text(q, 2),
			"state", (const char *)sqlite3_column_text(q, 3),
			"started_ms", (json_int_t)sqlite3_column_int64(q, 4),
			"verified_ms", (json_int_t)sqlite3_column_int64(q, 5),
			"stopped_ms", (json_int_t)sqlite3_column_int64(q, 6),
			"last_probe", (const char *)sqlite3_column_text(q, 7)));
	sqlite3_finalize(q);
	*result = json_pack("{s:o}", "instances", arr);
	return 0;
}

const struct control_cmd control_instance_cmds[] = {
	{ "deploy", cmd_deploy },
	{ "instance.verify", cmd_verify },
	{ "instance.list", cmd_instances },
	{ "alerts", cmd_alerts },
	{ NULL, NULL },
};
