/* fleet.c - what one hsd asks of another (and of itself) in the fleet.
 *
 * These handlers serve the hsd-to-hsd protocol (peer.c) and, for the
 * coordinator's own host, are called directly: fleet_call() is the same
 * request either way, so the rollout treats every host alike.
 */
#include "fleet.h"
#include "bundles.h"
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "instances.h"
#include "log.h"
#include "peer.h"
#include "spaces.h"
#include "spaces_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int fl_status(struct hsd *d, json_t *args, const struct done *dn, json_t **result,
		     char *err, size_t errlen)
{
	sqlite3_stmt *q;

	(void)args;
	(void)dn;
	if (sqlite3_prepare_v2(d->store->db,
		"SELECT bundle, version, space, state, coalesce(verified_at, 0), coalesce(last_probe, '') "
		"FROM instances WHERE stopped_at IS NULL ORDER BY id", -1, &q, NULL))
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	json_t *arr = json_array();
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *space = (const char *)sqlite3_column_text(q, 2);
		bool running = false;
		for (struct space_rt *r = d->spaces->running; r; r = r->next)
			running |= strcmp(r->name, space) == 0;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b}",
			"bundle", (const char *)sqlite3_column_text(q, 0),
			"version", (const char *)sqlite3_column_text(q, 1),
			"instance", space, "state", (const char *)sqlite3_column_text(q, 3),
			"verified_ms", (json_int_t)sqlite3_column_int64(q, 4),
			"last_probe", (const char *)sqlite3_column_text(q, 5), "running", running));
	}
	sqlite3_finalize(q);
	*result = json_pack("{s:s, s:o}", "host", d->cluster.hosts[d->self].name, "instances", arr);
	return 0;
}

static int fl_bundle_has(struct hsd *d, json_t *args, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *hash = json_string_value(json_object_get(args, "hash"));
	struct bundle b;

	(void)dn;
	if (!id || !hash)
		return err_set(err, errlen, HS_EINPUT, "args: id and hash wanted");
	bool has = bundles_load(d, id, &b, err, errlen) == 0 && strcmp(b.hash, hash) == 0;
	if (has)
		bundle_free(&b);
	*result = json_pack("{s:b}", "has", has);
	return 0;
}

static int fl_bundle_put(struct hsd *d, json_t *args, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct bundle b;
	int rc;

	(void)dn;
	bundles_dir(d, NULL, dir, sizeof(dir));
	/* From another host: bundle_unpack checks all of it again. */
	if ((rc = fs_mkdir_bundles(d, err, errlen)) ||
	    (rc = bundle_unpack(json_object_get(args, "bundle"), dir, &b, err, errlen)))
		return rc;
	rc = bundles_record(d, &b, err, errlen);
	if (!rc)
		*result = json_pack("{s:s, s:s}", "id", b.id, "hash", b.hash);
	bundle_free(&b);
	return rc;
}

static int fl_instance_start(struct hsd *d, json_t *args, const struct done *dn,
			     json_t **result, char *err, size_t errlen)
{
	const char *bundle = json_string_value(json_object_get(args, "bundle"));
	const char *inherit = json_string_value(json_object_get(args, "inherit"));

	(void)dn;
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "args.bundle: missing");
	return instances_start(d, bundle, inherit && *inherit ? inherit : NULL, result, err, errlen);
}

static int fl_instance_verify(struct hsd *d, json_t *args, const struct done *dn,
			      json_t **result, char *err, size_t errlen)
{
	const char *inst = json_string_value(json_object_get(args, "instance"));

	(void)result;
	if (!inst)
		return err_set(err, errlen, HS_EINPUT, "args.instance: missing");
	return instances_verify(d, inst, dn, err, errlen);
}

static int fl_instance_stop(struct hsd *d, json_t *args, const struct done *dn,
			    json_t **result, char *err, size_t errlen)
{
	const char *inst = json_string_value(json_object_get(args, "instance"));

	char *children = NULL;
	int rc;

	(void)result;
	if (!inst)
		return err_set(err, errlen, HS_EINPUT, "args.instance: missing");
	/* A newer version inheriting from this one needs its layer: stop it
	 * and keep its files; otherwise nothing of it is left. */
	if ((rc = store_space_children(d->store, inst, &children, err, errlen)))
		return rc;
	bool keep = children != NULL;
	free(children);
	if (!keep)
		return spaces_destroy(d, inst, dn, err, errlen);
	rc = spaces_stop(d, inst, dn, err, errlen);
	if (rc && strstr(err, "is not running")) {
		struct done copy = *dn;
		done_fire(&copy, 0, json_pack("{s:s}", "stopped", inst), NULL);
		return CONTROL_DEFERRED;
	}
	return rc;
}

static int fl_alerts(struct hsd *d, json_t *args, const struct done *dn, json_t **result,
		     char *err, size_t errlen)
{
	(void)dn;
	return alerts_local(d, args, result, err, errlen);
}

const struct fleet_cmd fleet_cmds[] = {
	{ "alerts", fl_alerts },
	{ "status", fl_status },
	{ "bundle.has", fl_bundle_has },
	{ "bundle.put", fl_bundle_put },
	{ "instance.start", fl_instance_start },
	{ "instance.verify", fl_instance_verify },
	{ "instance.stop", fl_instance_stop },
	{ NULL, NULL },
};

const struct fleet_cmd *fleet_cmd_find(const char *name)
{
	for (const struct fleet_cmd *c = fleet_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* --- calling a host ------------------------------------------------------- */

struct fleet_req {
	fleet_cb cb;
	void *arg;
};

static void fleet_req_done(void *arg, int rc, json_t *result, const char *err)
{
	struct fleet_req *r = arg;
	r->cb(r->arg, rc, result, err);
	json_decref(result);
	free(r);
}

static void fleet_peer_done(struct hsd *d, void *arg, int rc, json_t *result, const char *err)
{
	(void)d;
	fleet_req_done(arg, rc, json_incref(result), err);
}

void fleet_call(struct hsd *d, int host, const char *cmd, json_t *args, uint32_t timeout_ms,
		fleet_cb cb, void *arg)
{
	struct fleet_req *r = malloc(sizeof(*r));
	char err[HS_ERRLEN] = "";

	if (!r) {
		json_decref(args);
		cb(arg, HS_ESYS, NULL, "out of memory");
		return;
	}
	r->cb = cb;
	r->arg = arg;
	if (host != d->self) {
		int rc = peer_send(d, host, cmd, args, timeout_ms, fleet_peer_done, r);
		if (rc) {
			/* Worded as peer.c words its transport failures: the
			 * host is unreachable now (no route yet), not wrong. */
			char why[96];
			snprintf(why, sizeof(why), "peer %s: cannot send %s", d->cluster.hosts[host].name, cmd);
			fleet_req_done(r, rc, NULL, why);
		}
		return;
	}
	/* Our own host: the same handler, without the network. */
	const struct fleet_cmd *c = fleet_cmd_find(cmd);
	struct done dn = { fleet_req_done, r };
	json_t *result = NULL;
	int rc = c ? c->fn(d, args, &dn, &result, err, sizeof(err))
		   : err_set(err, sizeof(err), HS_EINPUT, "cmd: unknown fleet command \"%s\"", cmd);
	json_decref(args);
	if (rc == CONTROL_DEFERRED)
		return;
	fleet_req_done(r, rc, rc ? NULL : result, err);
}
