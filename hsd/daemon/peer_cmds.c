/* peer_cmds.c - the commands other hsds may call on us: the fleet's
 * (fleet.c), whose handlers answer through a done; here each is bridged to
 * the peer protocol's deferred call. */
#include "peer.h"
#include "control.h"
#include "done.h"
#include "fleet.h"

static void peer_done_fn(void *arg, int rc, json_t *result, const char *err)
{
	peer_finish(arg, rc, result, err);
}

static int peer_fleet(const char *cmd, struct hsd *d, json_t *args, struct peer_call *call,
		      json_t **result, char *err, size_t errlen)
{
	struct done dn = { peer_done_fn, call };
	int rc = fleet_cmd_find(cmd)->fn(d, args, &dn, result, err, errlen);
	return rc == CONTROL_DEFERRED ? PEER_DEFERRED : rc;
}

#define PEER_FLEET(fn, cmd)                                                                \
	static int fn(struct hsd *d, int from_host, json_t *args, struct peer_call *call,  \
		      json_t **result, char *err, size_t errlen)                           \
	{                                                                                  \
		(void)from_host;                                                           \
		return peer_fleet(cmd, d, args, call, result, err, errlen);                \
	}
PEER_FLEET(pc_status, "status")
PEER_FLEET(pc_alerts, "alerts")
PEER_FLEET(pc_bundle_has, "bundle.has")
PEER_FLEET(pc_bundle_put, "bundle.put")
PEER_FLEET(pc_instance_start, "instance.start")
PEER_FLEET(pc_instance_verify, "instance.verify")
PEER_FLEET(pc_instance_stop, "instance.stop")

const struct peer_cmd peer_cmds[] = {
	{ "status", pc_status },
	{ "alerts", pc_alerts },
	{ "bundle.has", pc_bundle_has },
	{ "bundle.put", pc_bundle_put },
	{ "instance.start", pc_instance_start },
	{ "instance.verify", pc_instance_verify },
	{ "instance.stop", pc_instance_stop },
	{ NULL, NULL },
};
