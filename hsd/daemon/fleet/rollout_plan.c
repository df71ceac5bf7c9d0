/* rollout_plan.c - hsctl rollout plan: what a rollout would do, host by
 * host, before anything is signed or started.
 *
 * The checks are rollout_start's (an open rollout, the options, the bundle
 * and its signature, the disk), and each host is asked the rollout's own
 * first question, `status`, with the same timeout: so a host the plan sees
 * unreachable is one the rollout would defer, and a host the plan sees
 * running the target version is one the rollout would leave "current".
 * Nothing is written: no intent, no rollout row, no step.
 */
#include "rollout.h"
#include "rollout_int.h"
#include "control.h"
#include "disk.h"
#include "done.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct plan {
	struct hsd *d;
	struct done dn;
	json_t *result;
	json_t **hosts;    /* each host's answer, by cluster index */
	size_t waiting;
	char name[BUNDLE_NAME_MAX + 1], version[BUNDLE_VERSION_MAX + 1];
	char canary[CLUSTER_NAME_MAX + 1];
};

struct plan_part {
	struct plan *p;
	int host;
};

/* What the rollout's on_status (rollout_host.c) would make of this answer:
 * "none" when the target version runs already, else "start" beside the
 * instance of another version it would replace. */
static void plan_host_status(struct plan *p, json_t *h, json_t *res)
{
	const char *target = NULL, *other = NULL;
	json_t *v, *servers = json_object_get(res, "servers");
	size_t i;

	json_array_foreach(json_object_get(res, "instances"), i, v) {
		const char *b = json_string_value(json_object_get(v, "bundle"));
		const char *ver = json_string_value(json_object_get(v, "version"));
		const char *inst = json_string_value(json_object_get(v, "instance"));
		if (!b || !ver || !inst || strcmp(b, p->name))
			continue;
		if (!strcmp(ver, p->version))
			target = inst;
		else if (!other)
			other = inst;
	}
	json_object_set_new(h, "action", json_string(target ? "none" : "start"));
	json_object_set_new(h, "old_instance", json_string(target ? "" : other ? other : ""));
	json_object_set_new(h, "current", json_string(target ? target : ""));
	/* An older hsd does not say: null, and the plan cannot tell.  Only
	 * names are passed on: the answer is another host's word. */
	json_t *names = json_is_array(servers) ? json_array() : json_null();
	json_array_foreach(servers, i, v)
		if (json_is_string(v))
			json_array_append(names, v);
	json_object_set_new(h, "servers", names);
	if (!target && json_is_array(servers) && json_array_size(names) == 0)
		json_object_set_new(h, "error", json_string(
			"no running server space to watch: the new instance's probe would fail here"));
}

static void plan_done(struct plan *p)
{
	json_t *hosts = json_array(), *unreach = json_array(), *failing = json_array();
	size_t starts = 0, n = p->d->cluster.nhosts;

	/* In the order the rollout takes them: the canary, then cluster order. */
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			json_t *h = p->hosts[i];
			bool canary = json_is_true(json_object_get(h, "canary"));
			if (!h || canary != (pass == 0))
				continue;
			const char *action = json_string_value(json_object_get(h, "action"));
			const char *name = json_string_value(json_object_get(h, "host"));
			if (!strcmp(action, "deferred"))
				json_array_append_new(unreach, json_string(name));
			else if (!strcmp(action, "fail") || json_object_get(h, "error"))
				json_array_append_new(failing, json_string(name));
			starts += !strcmp(action, "start");
			json_array_append(hosts, h);
		}
	json_object_set_new(p->result, "hosts", hosts);
	json_object_set_new(p->result, "starts", json_integer((json_int_t)starts));
	json_object_set_new(p->result, "unreachable", unreach);
	json_object_set_new(p->result, "failing", failing);
	for (size_t i = 0; i < n; i++)
		json_decref(p->hosts[i]);
	free(p->hosts);
	done_fire(&p->dn, 0, p->result, NULL);
	free(p);
}

static void plan_part_done(void *arg, int rc, json_t *res, const char *err)
{
	struct plan_part *pp = arg;
	struct plan *p = pp->p;
	int host = pp->host;
	const char *name = p->d->cluster.hosts[host].name;
	json_t *h = json_pack("{s:s, s:b, s:b}", "host", name, "canary", !strcmp(name, p->canary),
			      "reachable", rc != HS_EUNREACH);

	free(pp);
	if (rc == HS_EUNREACH) {
		/* The rollout defers it: it keeps its version until it answers. */
		json_object_set_new(h, "action", json_string("deferred"));
		json_object_set_new(h, "error", json_string(err ? err : "unreachable"));
	} else if (rc) {
		/* It answered with an error: the rollout would fail on it. */
		json_object_set_new(h, "action", json_string("fail"));
		json_object_set_new(h, "error", json_string(err ? err : "?"));
	} else {
		plan_host_status(p, h, res);
	}
	p->hosts[host] = h;
	if (--p->waiting == 0)
		plan_done(p);
}

int rollout_plan(struct hsd *d, const struct rpc_req *req, const struct done *dn,
		 json_t **result, char *err, size_t errlen)
{
	json_t *a = req->args, *cv = json_object_get(a, "canary");
	json_t *mp = json_object_get(a, "max_parallel"), *soak = json_object_get(a, "soak");
	const char *bundle = json_string_value(json_object_get(a, "bundle"));
	/* As cmd_rollout reads them: "canary" true is this host. */
	const char *canary = json_is_true(cv) ? d->cluster.hosts[d->self].name : json_string_value(cv);
	int max_parallel = mp ? (int)json_integer_value(mp) : 1;
	int soak_s = soak ? (int)json_integer_value(soak) : 0;
	struct plan *p;
	struct bundle b;
	int rc;

	(void)result;
	if (!bundle)
		return err_set(err, errlen, HS_EINPUT, "bundle: missing");
	if (cv && !json_is_string(cv) && !json_is_boolean(cv))
		return err_set(err, errlen, HS_EINPUT, "canary: must be a host name or true");
	if (!canary || json_is_false(cv))
		canary = "";
	if ((rc = rollout_check(d, canary, max_parallel, soak_s, err, errlen)))
		return rc;
	if ((rc = bundles_load(d, bundle, &b, err, errlen)))
		return HS_EINPUT; /* err names the bundle, as for the rollout */
	if ((rc = bundles_verify(d, &b, NULL, err, errlen)) || (rc = disk_admit(d, err, errlen))) {
		bundle_free(&b);
		return rc;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->hosts = calloc(d->cluster.nhosts, sizeof(*p->hosts)))) {
		free(p);
		bundle_free(&b);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	p->d = d;
	snprintf(p->name, sizeof(p->name), "%s", b.name);
	snprintf(p->version, sizeof(p->version), "%s", b.version);
	snprintf(p->canary, sizeof(p->canary), "%s", canary);
	p->result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "bundle", b.id, "name", b.name,
			      "version", b.version, "new_instance", "", "canary", canary,
			      "max_parallel", max_parallel, "soak_s", soak_s);
	bundle_free(&b);
	if (!p->result) {
		free(p->hosts);
		free(p);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	char inst[sizeof(p->name) + sizeof(p->version) + 1];
	snprintf(inst, sizeof(inst), "%s@%s", p->name, p->version);
	json_object_set_new(p->result, "new_instance", json_string(inst));
	p->dn = *dn;
	/* Every call is counted before the first is sent: our own host may
	 * answer at once, inside fleet_call. */
	p->waiting = d->cluster.nhosts;
	for (size_t i = 0; i < d->cluster.nhosts; i++) {
		struct plan_part *pp = malloc(sizeof(*pp));
		if (!pp) {
			p->hosts[i] = json_pack("{s:s, s:b, s:b, s:s, s:s}", "host",
						d->cluster.hosts[i].name, "canary", 0, "reachable", 0,
						"action", "fail", "error", "out of memory");
			if (--p->waiting == 0)
				plan_done(p);
			continue;
		}
		pp->p = p;
		pp->host = (int)i;
		fleet_call(d, (int)i, "status", json_object(), RO_STATUS_MS, plan_part_done, pp);
	}
	return RPC_DEFERRED;
}
