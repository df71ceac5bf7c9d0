/* cmd_fleet.c - deploy, instance verification and alerts. */
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "instances.h"
#include "rollout.h"

#include <string.h>

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
	return rollout_start(d, bundle, NULL, (int)d->cluster.nhosts, 0, result, err, errlen);
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

/* Without "after": the latest "last" alerts (default 1000).  With it: the
 * oldest "last" after that id, so a follower never skips any.  Both in
 * id order. */
int alerts_local(struct hsd *d, json_t *args, json_t **result, char *err, size_t errlen)
{
	json_int_t after = -1, last = 1000;
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
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int64(q, 2, last);
	json_t *arr = json_array();
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:s}",
			"id", (json_int_t)sqlite3_column_int64(q, 0),
			"at_ms", (json_int_t)sqlite3_column_int64(q, 1),
			"host", (const char *)sqlite3_column_text(q, 2),
			"instance", (const char *)sqlite3_column_text(q, 3),
			"line", (const char *)sqlite3_column_text(q, 4)));
	sqlite3_finalize(q);
	*result = json_pack("{s:o}", "alerts", arr);
	return 0;
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
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
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
