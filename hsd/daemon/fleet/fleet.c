/* fleet.c - what one hsd asks of another (and of itself) in the fleet.
 *
 * These handlers serve the hsd-to-hsd protocol (peer.c) and, for the
 * coordinator's own host, are called directly: fleet_call() is the same
 * request either way, so the rollout treats every host alike.
 */
#include "fleet.h"
#include "alerts.h"
#include "bundles.h"
#include "control.h"
#include "daemon.h"
#include "disk.h"
#include "err.h"
#include "instances.h"
#include "intents.h"
#include "log.h"
#include "peer.h"
#include "spaces.h"
#include "store_instances.h"

#include <limits.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fl_status(struct hsd *d, const struct rpc_req *req, const struct done *dn, json_t **result,
		     char *err, size_t errlen)
{
	struct store_instance *inst;
	size_t ninst;
	char why[HS_ERRLEN];
	int rc;

	(void)req;
	(void)dn;
	if ((rc = store_instance_list(d->store, true, &inst, &ninst, err, errlen)))
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < ninst; i++) {
		const struct store_instance *r = &inst[i];
		bool running = spaces_is_running(d, r->space);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b}",
			"bundle", r->bundle, "version", r->version, "instance", r->space,
			"state", r->state, "verified_ms", (json_int_t)r->verified_at,
			"last_probe", r->last_probe, "running", running));
	}
	free(inst);
	/* The running server spaces: what a new instance here would watch
	 * (none, and its probe has nothing to go through: rollout plan says
	 * so before a rollout fails on it).  The instances are still worth
	 * answering without them: logged, not failed. */
	struct space_row *rows;
	size_t nrows;
	json_t *servers = json_array();
	if (store_space_list(d->store, &rows, &nrows, why, sizeof(why))) {
		log_error("status: server spaces not listed: %s", why);
	} else {
		for (size_t i = 0; i < nrows; i++)
			if (!strcmp(rows[i].kind, "server") && spaces_is_running(d, rows[i].name))
				json_array_append_new(servers, json_string(rows[i].name));
		space_rows_free(rows, nrows);
	}
	*result = json_pack("{s:s, s:o, s:o}", "host", d->cluster.hosts[d->self].name, "instances", arr,
			    "servers", servers);
	return 0;
}

static int fl_bundle_has(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	json_t *args = req->args;
	const char *id = json_string_value(json_object_get(args, "id"));
	const char *hash = json_string_value(json_object_get(args, "hash"));
	struct bundle b;

	(void)dn;
	if (!id || !hash)
		return err_set(err, errlen, HS_EINPUT, "args: id and hash wanted");
	int rc = bundles_load(d, id, &b, err, errlen);
	bool has = !rc && strcmp(b.hash, hash) == 0;
	/* "No" makes the asker send the bundle: harmless, but a store or
	 * file failure behind it is logged (HS_EINPUT is the plain "unknown"). */
	if (rc && rc != HS_EINPUT)
		log_warn("bundle.has: answered no: %s", err);
	bundle_free(&b); /* also one whose hash differs */
	*result = json_pack("{s:b}", "has", has);
	return 0;
}

int fleet_bundle_put(struct hsd *d, const char *id, const char *hash, const char *sig_text,
		     size_t sig_len, struct bundle_files *f, json_t **result, char *err,
		     size_t errlen)
{
	struct bundle_sig bs;
	char dir[PATH_MAX], dst[PATH_MAX];
	struct bundle b;
	int rc;

	bundles_dir(d, NULL, dir, sizeof(dir));
	bundles_dir(d, id, dst, sizeof(dst));
	bool had = access(dst, F_OK) == 0;
	/* From another host, which may be compromised: the signature of the
	 * id and hash the message claims must be an operator's before
	 * anything is written, and the files must then hash to exactly that
	 * hash before bundle.json is even parsed. */
	if ((rc = bundles_check_sig(d, id, hash, sig_text, sig_len,
				    sig_text ? NULL : "none sent with bundle.put", &bs, err, errlen)) ||
	    (rc = disk_admit(d, err, errlen)) ||
	    (rc = fs_mkdir_bundles(d, err, errlen)) ||
	    (rc = bundle_unpack_files(id, hash, f, dir, &b, err, errlen)))
		return rc;
	if (strcmp(b.id, id) || strcmp(b.hash, hash))
		rc = err_set(err, errlen, HS_EINPUT, "bundle message: stored %s %s is not what was signed",
			     b.id, b.hash);
	else
		rc = bundles_record(d, &b, &bs, err, errlen);
	if (rc && !had)
		bundle_rm_tree(dst); /* no files without their row */
	if (!rc)
		*result = json_pack("{s:s, s:s}", "id", b.id, "hash", b.hash);
	bundle_free(&b);
	return rc;
}

/* The coordinator's own host: the message it built (the route engine
 * decodes other hosts' into files, peer.c). */
static int fl_bundle_put(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	json_t *args = req->args;
	json_t *sig = json_object_get(args, "sig");
	char id[BUNDLE_ID_MAX + 2], hash[BUNDLE_HASH_HEX + 1];
	struct bundle_files f;
	int rc;

	(void)dn;
	if (sig && !json_is_string(sig))
		return err_set(err, errlen, HS_EINPUT, "sig: expected a signature's text");
	if ((rc = bundle_msg_decode(json_object_get(args, "bundle"), id, hash, &f, err, errlen)))
		return rc;
	rc = fleet_bundle_put(d, id, hash, json_string_value(sig), json_string_length(sig), &f,
			      result, err, errlen);
	bundle_files_free(&f);
	return rc;
}

/* The instance steps are taken only as an operator's intent allows
 * (intents.h): the host that asks is not trusted to choose them. */
static int fl_instance_start(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			     json_t **result, char *err, size_t errlen)
{
	json_t *args = req->args;
	const char *bundle = json_string_value(json_object_get(args, "bundle"));
	const char *inherit = json_string_value(json_object_get(args, "inherit"));
	struct bundle b;
	int rc;

	(void)dn;
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "args.bundle: missing");
	if (!(rc = bundles_load(d, bundle, &b, err, errlen))) {
		struct intent_target t = { .bundle = b.id, .hash = b.hash };
		rc = intents_allow(d, args, INTENT_STEP_START, &t, err, errlen);
	}
	bundle_free(&b);
	return rc ? rc : instances_start(d, bundle, inherit && *inherit ? inherit : NULL, result,
					 err, errlen);
}

static int allow_on_instance(struct hsd *d, json_t *args, enum intent_step step,
			     const char *inst, char *err, size_t errlen)
{
	struct instance_watch w;
	int rc = instances_watch(d, inst, &w, err, errlen);
	if (rc)
		return rc;
	struct intent_target t = { .bundle = w.bundle, .verified = w.verified,
				   .others_verified = w.others_verified };
	return intents_allow(d, args, step, &t, err, errlen);
}

static int fl_instance_verify(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			      json_t **result, char *err, size_t errlen)
{
	json_t *args = req->args;
	const char *inst = json_string_value(json_object_get(args, "instance"));
	int rc;

	(void)result;
	if (!inst)
		return err_set(err, errlen, HS_EINPUT, "args.instance: missing");
	if ((rc = allow_on_instance(d, args, INTENT_STEP_VERIFY, inst, err, errlen)))
		return rc;
	return instances_verify(d, inst, dn, err, errlen);
}

static int fl_instance_stop(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			    json_t **result, char *err, size_t errlen)
{
	json_t *args = req->args;
	const char *inst = json_string_value(json_object_get(args, "instance"));

	char *children = NULL;
	int rc;

	(void)result;
	if (!inst)
		return err_set(err, errlen, HS_EINPUT, "args.instance: missing");
	if ((rc = allow_on_instance(d, args, INTENT_STEP_STOP, inst, err, errlen)))
		return rc;
	/* A newer version inheriting from this one needs its layer: stop it
	 * and keep its files; otherwise nothing of it is left. */
	if ((rc = store_space_children(d->store, inst, &children, err, errlen)))
		return rc;
	bool keep = children != NULL;
	free(children);
	if (!keep)
		return spaces_destroy(d, inst, dn, err, errlen);
	if (!spaces_is_running(d, inst)) { /* stopped already: done */
		struct done copy = *dn;
		done_fire(&copy, 0, json_pack("{s:s}", "stopped", inst), NULL);
		return RPC_DEFERRED;
	}
	return spaces_stop(d, inst, dn, err, errlen);
}

static int fl_alerts(struct hsd *d, const struct rpc_req *req, const struct done *dn, json_t **result,
		     char *err, size_t errlen)
{
	return alerts_serve(d, req->args, dn, result, err, errlen);
}

static const struct rpc_arg args_fl_alerts[] = {
	{ "last", RPC_INT },
	{ "probes", RPC_BOOL },
	{ "after", RPC_INT },
	{ "wait", RPC_BOOL },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_fl_bundle_has[] = {
	{ "id", RPC_STR },
	{ "hash", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_fl_bundle_put[] = {
	{ "bundle", RPC_OBJECT },
	{ "sig", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_fl_instance_start[] = {
	{ "bundle", RPC_STR },
	{ "inherit", RPC_STR },
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_fl_instance_verify[] = {
	{ "instance", RPC_STR },
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_fl_instance_stop[] = {
	{ "instance", RPC_STR },
	{ "intent", RPC_ANY },
	{ NULL, RPC_END },
};

const struct rpc_cmd fleet_cmds[] = {
	{ "alerts", fl_alerts, args_fl_alerts },
	{ "status", fl_status, NULL },
	{ "bundle.has", fl_bundle_has, args_fl_bundle_has },
	{ "bundle.put", fl_bundle_put, args_fl_bundle_put },
	{ "instance.start", fl_instance_start, args_fl_instance_start },
	{ "instance.verify", fl_instance_verify, args_fl_instance_verify },
	{ "instance.stop", fl_instance_stop, args_fl_instance_stop },
	{ NULL, NULL, NULL },
};

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
			/* The host is unreachable now (no mesh or route
			 * yet), not wrong; bad arguments are our own bug. */
			char why[96];
			snprintf(why, sizeof(why), "peer %s: cannot send %s", d->cluster.hosts[host].name, cmd);
			fleet_req_done(r, rc == HS_EINPUT ? rc : HS_EUNREACH, NULL, why);
		}
		return;
	}
	/* Our own host: the same handler, without the network. */
	const struct rpc_cmd *c = rpc_find(fleet_cmds, cmd);
	struct rpc_req req = { cmd, args, RPC_SELF };
	struct done dn = { fleet_req_done, r };
	json_t *result = NULL;
	int rc = !c ? err_set(err, sizeof(err), HS_EINPUT, "cmd: unknown fleet command \"%s\"", cmd)
		     : rpc_args_check(c, args, err, sizeof(err));
	if (!rc)
		rc = c->fn(d, &req, &dn, &result, err, sizeof(err));
	json_decref(args);
	if (rc == RPC_DEFERRED)
		return;
	fleet_req_done(r, rc, rc ? NULL : result, err);
}
