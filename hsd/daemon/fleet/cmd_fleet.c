/* cmd_fleet.c - deploy, instance verification and alerts (alerts.c). */
#include "alerts.h"
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "instances.h"
#include "rollout.h"
#include "store_instances.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Start the bundle on every host: a rollout with no canary wait and every
 * host at once (where an older version runs, it is replaced with no gap). */
static int cmd_deploy(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	const char *bundle = json_string_value(json_object_get(req->args, "bundle"));

	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	struct rollout_req rq = { .bundle = bundle, .max_parallel = (int)d->cluster.nhosts,
				  .intent = json_object_get(req->args, "intent"),
				  .kind = INTENT_DEPLOY };
	return rollout_start(d, &rq, dn, result, err, errlen);
}

static int cmd_verify(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	const char *name = json_string_value(json_object_get(req->args, "name"));

	(void)result;
	if (!name)
		return err_set(err, errlen, HS_EINPUT, "name: missing");
	return instances_verify(d, name, dn, err, errlen);
}

/* Another host's answer, passed on as ours (fleet_call lends result). */
static void alerts_relay(void *arg, int rc, json_t *result, const char *err)
{
	struct done *dn = arg;

	done_fire(dn, rc, json_incref(result), err);
	free(dn);
}

static int cmd_alerts(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	const char *host = json_string_value(json_object_get(req->args, "host"));
	json_t *all = json_object_get(req->args, "all");

	/* Whichever host serves them reads the query only. */
	json_t *args = json_deep_copy(req->args);
	int rc;
	if (!args)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	json_object_del(args, "host");
	json_object_del(args, "all");
	if (json_is_true(all)) {
		rc = host ? err_set(err, errlen, HS_EINPUT, "--all: not with --host")
			  : alerts_fleet(d, args, dn, err, errlen);
	} else if (host && strcmp(host, d->cluster.hosts[d->self].name)) {
		/* Each host keeps its own alerts: ask it over the mesh, long
		 * enough for it to hold the request when asked to wait. */
		int h = cluster_host_index(&d->cluster, host);
		struct done *relay = NULL;
		if (h < 0) {
			rc = err_set(err, errlen, HS_EINPUT, "--host: \"%s\" is not a host of the cluster", host);
		} else if (!(relay = malloc(sizeof(*relay)))) {
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
		} else {
			*relay = *dn;
			bool wait = json_is_true(json_object_get(args, "wait"));
			fleet_call(d, h, "alerts", args, wait ? ALERTS_WAIT_MS + 5000 : 5000, alerts_relay,
				   relay); /* args stolen */
			return RPC_DEFERRED;
		}
	} else {
		rc = alerts_serve(d, args, dn, result, err, errlen);
	}
	json_decref(args);
	return rc;
}

static int cmd_instances(struct hsd *d, const struct rpc_req *req,
			 const struct done *dn, json_t **result, char *err,
			 size_t errlen)
{
	struct store_instance *v;
	size_t n;
	int rc;

	(void)req;
	(void)dn;
	if ((rc = store_instance_list(d->store, false, &v, &n, err, errlen)))
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}",
			"bundle", v[i].bundle, "version", v[i].version, "space", v[i].space,
			"state", v[i].state, "started_ms", (json_int_t)v[i].started_at,
			"verified_ms", (json_int_t)v[i].verified_at,
			"stopped_ms", (json_int_t)v[i].stopped_at, "last_probe", v[i].last_probe));
	free(v);
	*result = json_pack("{s:o}", "instances", arr);
	return 0;
}

static const struct rpc_arg args_cmd_deploy[] = {
	{ "bundle", RPC_STR },
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_verify[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_alerts[] = {
	{ "host", RPC_STR },
	{ "all", RPC_BOOL },
	{ "last", RPC_INT },
	{ "probes", RPC_BOOL },
	{ "after", RPC_INT },
	{ "wait", RPC_BOOL },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_instance_cmds[] = {
	{ "deploy", cmd_deploy, args_cmd_deploy },
	{ "instance.verify", cmd_verify, args_cmd_verify },
	{ "instance.list", cmd_instances, NULL },
	{ "alerts", cmd_alerts, args_cmd_alerts },
	{ NULL, NULL, NULL },
};
