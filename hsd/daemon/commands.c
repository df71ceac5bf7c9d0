/* commands.c - the control commands hsd answers. */
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "mesh.h"

#include <unistd.h>

static int cmd_status(struct hsd *d, const struct ctl_request *req,
		      struct control_call *call, json_t **result, char *err,
		      size_t errlen)
{
	int64_t spaces, instances;
	int rc;

	(void)req;
	(void)call;
	if ((rc = store_count(d->store, "spaces", &spaces, err, errlen)) ||
	    (rc = store_count(d->store, "instances", &instances, err, errlen)))
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
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "status: out of memory");
}

static int cmd_routes(struct hsd *d, const struct ctl_request *req,
		      struct control_call *call, json_t **result, char *err,
		      size_t errlen)
{
	(void)req;
	(void)call;
	return mesh_routes_json(d, result, err, errlen);
}

static int cmd_peers(struct hsd *d, const struct ctl_request *req,
		     struct control_call *call, json_t **result, char *err,
		     size_t errlen)
{
	(void)req;
	(void)call;
	return mesh_peers_json(d, result, err, errlen);
}

const struct control_cmd control_cmds[] = {
	{ "status", cmd_status },
	{ "routes", cmd_routes },
	{ "peers", cmd_peers },
	{ NULL, NULL },
};
