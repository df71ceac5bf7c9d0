/* inventory.c - what every host runs and stores, in the fleet database.
 *
 * Each hsd writes its own row: its IDS instances (state, since when, last
 * verified) and its bundles (id, content hash, operator signatures), whenever
 * they change and at least every INV_REFRESH_MS, so a row's age tells
 * when its host last spoke.  `hsctl inventory` on any host reads every
 * row, and the rollouts under way (their claims), through the Raft
 * leader; without a quorum it gets the last rows
 * this hsd read, marked stale with their time (docs/fleetdb.md,
 * "Inventory").
 */
#include "inventory.h"
#include "daemon.h"
#include "done.h"
#include "err.h"
#include "fleetdb.h"
#include "log.h"
#include "rpc.h"
#include "store_bundles.h"
#include "store_instances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INV_TICK_MS 5000
#define INV_REFRESH_MS 60000

struct inventory {
	uv_timer_t tick;
	char *written;       /* the row last written (NULL: none yet) */
	uint64_t written_ms; /* uv_now() then */
	bool busy;           /* a write in flight */
	json_t *last;        /* the last fleet read, for a stale answer */
	int64_t last_ms;     /* its time (unix ms) */
};

/* --- this host's row --------------------------------------------------------- */

static json_t *own_row(struct hsd *d)
{
	struct store_instance *iv = NULL;
	struct store_bundle *bv = NULL;
	size_t ni = 0, nb = 0;
	char err[HS_ERRLEN];
	json_t *insts = json_array(), *bundles = json_array();

	if (store_instance_list(d->store, true, &iv, &ni, err, sizeof(err)) ||
	    store_bundle_list(d->store, &bv, &nb, err, sizeof(err))) {
		log_warn("inventory: not written: %s", err);
		free(iv);
		json_decref(insts);
		json_decref(bundles);
		return NULL;
	}
	for (size_t i = 0; i < ni; i++)
		json_array_append_new(insts, json_pack("{s:s, s:s, s:I, s:I}", "instance", iv[i].space,
						       "state", iv[i].state, "since",
						       (json_int_t)iv[i].started_at, "verified",
						       (json_int_t)iv[i].verified_at));
	for (size_t i = 0; i < nb; i++) {
		struct store_sig *sv = NULL;
		size_t ns = 0;
		json_t *sigs = json_array();
		if (!store_bundle_sigs(d->store, bv[i].id, &sv, &ns, err, sizeof(err)))
			for (size_t k = 0; k < ns; k++)
				json_array_append_new(sigs, json_pack("{s:s, s:s}", "key", sv[k].key,
								      "sig", sv[k].sig));
		free(sv);
		json_array_append_new(bundles, json_pack("{s:s, s:s, s:o}", "id", bv[i].id, "hash",
							 bv[i].hash, "sigs", sigs));
	}
	free(iv);
	free(bv);
	return json_pack("{s:o, s:o}", "instances", insts, "bundles", bundles);
}

static void on_written(void *arg, const struct fleetdb_reply *rep)
{
	struct hsd *d = arg;
	struct inventory *inv = d->inventory;

	if (!inv)
		return; /* hsd stops */
	inv->busy = false;
	if (rep->rc) { /* no quorum: the next tick tries again */
		free(inv->written);
		inv->written = NULL;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct hsd *d = t->data;
	struct inventory *inv = d->inventory;
	uint64_t now = uv_now(d->loop);
	struct fleetdb_request *req;
	json_t *row;
	char *text;

	if (d->stopping || inv->busy || !fleetdb_enabled(d) || !(row = own_row(d)))
		return;
	text = json_dumps(row, JSON_COMPACT);
	json_decref(row);
	if (!text)
		return;
	if (inv->written && !strcmp(text, inv->written) && now - inv->written_ms < INV_REFRESH_MS) {
		free(text);
		return;
	}
	if (strlen(text) >= sizeof(req->snap) || !(req = calloc(1, sizeof(*req)))) {
		log_warn("inventory: this host's row (%zu bytes) not written", strlen(text));
		free(text);
		return;
	}
	req->op = FLEETDB_OP_INVENTORY;
	memcpy(req->snap, text, strlen(text) + 1);
	free(inv->written);
	inv->written = text;
	inv->written_ms = now;
	inv->busy = true;
	fleetdb_call(d, req, on_written, d);
	free(req);
}

/* --- the fleet's rows ---------------------------------------------------- */

/* Another host's row, as written: only the fields hsd writes, every text
 * escaped. */
static json_t *host_entry(const char *host, json_int_t at, json_t *row)
{
	json_t *insts = json_array(), *bundles = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(row, "instances"), i, v)
		json_array_append_new(insts, json_pack("{s:o, s:o, s:I, s:I}", "instance",
			fleetdb_text(json_string_value(json_object_get(v, "instance"))), "state",
			fleetdb_text(json_string_value(json_object_get(v, "state"))), "since",
			json_integer_value(json_object_get(v, "since")), "verified",
			json_integer_value(json_object_get(v, "verified"))));
	json_array_foreach(json_object_get(row, "bundles"), i, v) {
		json_t *sigs = json_array(), *g;
		size_t j;
		json_array_foreach(json_object_get(v, "sigs"), j, g)
			json_array_append_new(sigs, json_pack("{s:o, s:o}", "key",
				fleetdb_text(json_string_value(json_object_get(g, "key"))), "sig",
				fleetdb_text(json_string_value(json_object_get(g, "sig")))));
		json_array_append_new(bundles, json_pack("{s:o, s:o, s:o}", "id",
			fleetdb_text(json_string_value(json_object_get(v, "id"))), "hash",
			fleetdb_text(json_string_value(json_object_get(v, "hash"))), "sigs", sigs));
	}
	return json_pack("{s:s, s:I, s:o, s:o}", "host", host, "at", at, "instances", insts,
			 "bundles", bundles);
}

/* Each bundle id with the hosts holding each content of it: two contents
 * under one id is a conflict (a host was given other files). */
static json_t *bundle_summary(json_t *hosts)
{
	json_t *by_id = json_object(), *out = json_array(), *h, *b, *contents;
	size_t i, j;
	const char *id;

	json_array_foreach(hosts, i, h) {
		json_array_foreach(json_object_get(h, "bundles"), j, b) {
			const char *bid = json_string_value(json_object_get(b, "id"));
			const char *hash = json_string_value(json_object_get(b, "hash"));
			if (!(contents = json_object_get(by_id, bid)))
				json_object_set_new(by_id, bid, contents = json_object());
			json_t *list = json_object_get(contents, hash);
			if (!list)
				json_object_set_new(contents, hash, list = json_array());
			json_array_append(list, json_object_get(h, "host"));
		}
	}
	json_object_foreach(by_id, id, contents) {
		json_t *arr = json_array(), *list;
		const char *hash;
		json_object_foreach(contents, hash, list)
			json_array_append_new(arr, json_pack("{s:s, s:O}", "hash", hash, "hosts", list));
		json_array_append_new(out, json_pack("{s:s, s:o, s:b}", "id", id, "contents", arr,
						     "conflict", json_array_size(arr) > 1));
	}
	json_decref(by_id);
	return out;
}

/* The rollouts under way: the claims, of hosts of the cluster only. */
static json_t *rollouts_of(struct hsd *d, const struct fleetdb_reply *rep)
{
	json_t *out = json_array();

	for (size_t i = 0; i < rep->nclaims; i++) {
		const struct fleetdb_claim_row *c = &rep->claims[i];
		if (cluster_host_index(&d->cluster, c->host) < 0)
			continue;
		json_array_append_new(out, json_pack("{s:o, s:o, s:s, s:I}", "ids", fleetdb_text(c->ids),
						     "target", fleetdb_text(c->target), "driver", c->host,
						     "epoch", (json_int_t)c->epoch));
	}
	return out;
}

static json_t *parse_rows(struct hsd *d, const char *text, bool more)
{
	json_t *hosts = json_array();
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		char host[CLUSTER_NAME_MAX + 1];
		long long at;
		int off = 0;
		if (!end)
			break;
		if (sscanf(line, "%32[^\t]\t%lld\t%n", host, &at, &off) == 2 && off > 0 &&
		    cluster_host_index(&d->cluster, host) >= 0) {
			json_t *row = json_loadb(line + off, (size_t)(end - line - off), 0, NULL);
			if (json_is_object(row))
				json_array_append_new(hosts, host_entry(host, at, row));
			json_decref(row);
		}
		line = end + 1;
	}
	return json_pack("{s:o, s:o, s:b}", "bundles", bundle_summary(hosts), "hosts", hosts,
			 "more", more);
}

struct inv_read {
	struct hsd *d;
	struct done dn;
};

static void on_read(void *arg, const struct fleetdb_reply *rep)
{
	struct inv_read *r = arg;
	struct hsd *d = r->d;
	struct inventory *inv = d->inventory;
	char text[FLEETDB_ERR_LEN], err[HS_ERRLEN];
	json_t *res;

	if (!inv) {
		done_fire(&r->dn, HS_ESYS, NULL, "hsd is stopping");
	} else if (rep->rc == 0) {
		res = parse_rows(d, rep->snap, rep->more);
		json_object_set_new(res, "rollouts", rollouts_of(d, rep));
		json_decref(inv->last);
		inv->last = json_deep_copy(res);
		inv->last_ms = (int64_t)time(NULL) * 1000;
		json_object_set_new(res, "stale", json_false());
		json_object_set_new(res, "as_of", json_integer(inv->last_ms));
		done_fire(&r->dn, 0, res, NULL);
	} else {
		fleetdb_escape(rep->text, text);
		if (inv->last) { /* the last rows read, marked stale */
			res = json_deep_copy(inv->last);
			json_object_set_new(res, "stale", json_true());
			json_object_set_new(res, "as_of", json_integer(inv->last_ms));
			json_object_set_new(res, "error", json_string(text));
			done_fire(&r->dn, 0, res, NULL);
		} else {
			err_set(err, sizeof(err), rep->rc, "inventory: %s (and none read before)",
				text);
			done_fire(&r->dn, rep->rc, NULL, err);
		}
	}
	free(r);
}

int inventory_read(struct hsd *d, const struct done *dn, char *err, size_t errlen)
{
	struct fleetdb_request req;
	struct inv_read *r;

	if (!fleetdb_enabled(d))
		return err_set(err, errlen, HS_EINPUT,
			       "inventory: there is no fleet database (cluster.json names no voters)");
	if (!(r = calloc(1, sizeof(*r))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	r->d = d;
	r->dn = *dn;
	memset(&req, 0, sizeof(req));
	req.op = FLEETDB_OP_FLEET;
	fleetdb_call(d, &req, on_read, r);
	return RPC_DEFERRED;
}

int inventory_init(struct hsd *d, char *err, size_t errlen)
{
	if (!(d->inventory = calloc(1, sizeof(*d->inventory))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	uv_timer_init(d->loop, &d->inventory->tick);
	d->inventory->tick.data = d;
	uv_timer_start(&d->inventory->tick, on_tick, 1000, INV_TICK_MS);
	return 0;
}

static void on_tick_closed(uv_handle_t *h)
{
	free(h); /* the tick is the first member */
}

void inventory_free(struct hsd *d)
{
	struct inventory *inv = d->inventory;

	if (!inv)
		return;
	d->inventory = NULL;
	free(inv->written);
	json_decref(inv->last);
	uv_close((uv_handle_t *)&inv->tick, on_tick_closed);
}
