/* commands.c - the control commands hsd answers. */
#include "control.h"
#include "daemon.h"
#include "fleetdb.h"
#include "inventory.h"
#include "disk.h"
#include "peer.h"
#include "err.h"
#include "done.h"
#include "fleet.h"
#include "instances.h"
#include "mesh.h"
#include "metrics.h"
#include "spaces.h"
#include "watch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fleet view of status: every host's instances, asked over the mesh
 * (ours directly); a host that does not answer is shown unreachable. */
struct fleet_status {
	struct hsd *d;
	struct done dn;
	json_t *result;
	size_t waiting;
};

static void fleet_status_done(struct fleet_status *fs)
{
	if (--fs->waiting == 0) {
		done_fire(&fs->dn, 0, fs->result, NULL);
		free(fs);
	}
}

static void fleet_status_part(void *arg, int rc, json_t *res, const char *err)
{
	struct fleet_status *fs = ((void **)arg)[0];
	int host = (int)(intptr_t)((void **)arg)[1];
	json_t *h = json_pack("{s:s, s:b}", "host", fs->d->cluster.hosts[host].name, "reachable", rc == 0);

	free(arg);
	if (rc)
		json_object_set_new(h, "error", json_string(err ? err : "?"));
	else
		json_object_set(h, "instances", json_object_get(res, "instances"));
	json_array_append_new(json_object_get(fs->result, "fleet"), h);
	fleet_status_done(fs);
}

static void fleetdb_status_part(void *arg, const struct fleetdb_reply *rep)
{
	struct fleet_status *fs = arg;
	json_object_set_new(fs->result, "fleetdb", fleetdb_status_json(fs->d, rep));
	fleet_status_done(fs);
}

static int cmd_status(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	int64_t spaces, instances;
	int rc;

	if ((rc = store_count(d->store, "spaces", NULL, &spaces, err, errlen)) ||
	    (rc = store_count(d->store, "instances", "stopped_at IS NULL", &instances, err, errlen)))
		return rc;
	*result = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
			    "host", d->cluster.hosts[d->self].name,
			    "cluster", d->cluster.name,
			    "version", HSD_VERSION,
			    "pid", (json_int_t)getpid(),
			    "uptime_s", (json_int_t)((uv_now(d->loop) - d->started_ms) / 1000),
			    "hosts", (json_int_t)d->cluster.nhosts,
			    "spaces", (json_int_t)spaces,
			    "instances", (json_int_t)instances);
	if (!*result)
		return err_set(err, errlen, HS_ESYS, "status: out of memory");
	json_t *peer;
	peer_stats(d, &peer);
	json_object_set_new(*result, "peer", peer);
	json_object_set_new(*result, "monitors", watch_stats_json(d));
	json_object_set_new(*result, "alerts_syslog", instances_syslog_json(d));
	json_object_set_new(*result, "disk", disk_status_json(d));
	json_object_set_new(*result, "fastpath", spaces_fastpath_json(d));
	if (!json_is_true(json_object_get(req->args, "fleet")))
		return 0;
	struct fleet_status *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return 0;
	fs->d = d;
	fs->dn = *dn;
	fs->result = *result;
	fs->waiting = d->cluster.nhosts + 1; /* + 1 until every call is made */
	json_object_set_new(fs->result, "fleet", json_array());
	*result = NULL;
	if (fleetdb_enabled(d)) {
		struct fleetdb_request req_db = { .op = FLEETDB_OP_STATUS };
		fs->waiting++;
		fleetdb_call(d, &req_db, fleetdb_status_part, fs);
	}
	for (size_t i = 0; i < d->cluster.nhosts; i++) {
		void **arg = malloc(2 * sizeof(void *));
		if (!arg) {
			fs->waiting--;
			continue;
		}
		arg[0] = fs;
		arg[1] = (void *)(intptr_t)i;
		fleet_call(d, (int)i, "status", json_object(), 3000, fleet_status_part, arg);
	}
	fleet_status_done(fs);
	return RPC_DEFERRED;
}

static int cmd_routes(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	(void)req;
	(void)dn;
	return mesh_routes_json(d, result, err, errlen);
}

static int cmd_peers(struct hsd *d, const struct rpc_req *req,
		     const struct done *dn, json_t **result, char *err,
		     size_t errlen)
{
	(void)req;
	(void)dn;
	return mesh_peers_json(d, result, err, errlen);
}

static int cmd_metrics(struct hsd *d, const struct rpc_req *req,
		       const struct done *dn, json_t **result, char *err,
		       size_t errlen)
{
	char *text;
	int rc;

	(void)req;
	(void)dn;
	if ((rc = metrics_collect(d, &text, err, errlen)))
		return rc;
	/* One string per line: hsctl escapes control characters in every
	 * string it prints, newlines included. */
	json_t *lines = json_array();
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); lines && line;
	     line = strtok_r(NULL, "\n", &save))
		json_array_append_new(lines, json_string(line));
	free(text);
	*result = lines ? json_pack("{s:o}", "lines", lines) : NULL;
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "metrics: out of memory");
}

/* hsctl reload: SIGHUP's reload, answered.  A refusal is the reply's error
 * (one line naming the field, code 2 for a bad file), nothing changed. */
static int cmd_reload(struct hsd *d, const struct rpc_req *req,
		      const struct done *dn, json_t **result, char *err,
		      size_t errlen)
{
	(void)req;
	(void)dn;
	return hsd_reload(d, result, err, errlen);
}

static int cmd_inventory(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	(void)req;
	(void)result;
	return inventory_read(d, dn, err, errlen);
}

static const struct rpc_arg args_cmd_status[] = {
	{ "fleet", RPC_BOOL },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_cmds[] = {
	{ "status", cmd_status, args_cmd_status },
	{ "metrics", cmd_metrics, NULL },
	{ "reload", cmd_reload, NULL },
	{ "routes", cmd_routes, NULL },
	{ "peers", cmd_peers, NULL },
	{ "inventory", cmd_inventory, NULL },
	{ NULL, NULL, NULL },
};
