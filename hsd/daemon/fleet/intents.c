/* intents.c - operator-signed intents in hsd (intents.h, docs/intents.md). */
#include "intents.h"
#include "bundles.h"
#include "daemon.h"
#include "err.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int intents_plan(struct hsd *d, const char *kind, const char *bundle, const char *canary,
		 int ttl_s, json_t **out, char *err, size_t errlen)
{
	struct intent it = { 0 };
	struct bundle b;
	uint8_t id[INTENT_ID_HEX / 2];
	int rc;

	*out = NULL;
	if (!kind || (strcmp(kind, "deploy") && strcmp(kind, "rollout")))
		return err_set(err, errlen, HS_EINPUT, "kind: want \"deploy\" or \"rollout\"");
	if (ttl_s < 1 || ttl_s > INTENT_TTL_MAX)
		return err_set(err, errlen, HS_EINPUT, "--ttl: want 1..%d seconds", INTENT_TTL_MAX);
	if (canary && *canary && cluster_host_index(&d->cluster, canary) < 0)
		return err_set(err, errlen, HS_EINPUT, "--canary: \"%s\" is not a host of the cluster",
			       canary);
	if ((rc = bundles_load(d, bundle, &b, err, errlen))) {
		bundle_free(&b);
		return rc;
	}
	it.kind = strcmp(kind, "deploy") ? INTENT_ROLLOUT : INTENT_DEPLOY;
	snprintf(it.cluster, sizeof(it.cluster), "%s", d->cluster.name);
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(it.id, sizeof(it.id), id, sizeof(id));
	snprintf(it.bundle, sizeof(it.bundle), "%s", b.id);
	snprintf(it.hash, sizeof(it.hash), "%s", b.hash);
	bundle_free(&b);
	snprintf(it.canary, sizeof(it.canary), "%s", canary ? canary : "");
	it.nhosts = d->cluster.nhosts;
	if (!(it.hosts = calloc(it.nhosts, sizeof(*it.hosts))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t i = 0; i < it.nhosts; i++)
		snprintf(it.hosts[i], sizeof(it.hosts[i]), "%s", d->cluster.hosts[i].name);
	it.issued = time(NULL);
	it.expires = it.issued + ttl_s;
	*out = intent_to_json(&it);
	intent_free(&it);
	return *out ? HS_OK : err_set(err, errlen, HS_ESYS, "out of memory");
}

int intents_verify(struct hsd *d, const json_t *env, struct intent *out, char *err,
		   size_t errlen)
{
	return intent_verify(env, (const uint8_t(*)[CLUSTER_KEY_LEN])d->cluster.operators,
			     d->cluster.noperators, d->cluster.name, time(NULL), out, err, errlen);
}

int intents_allow(struct hsd *d, const json_t *args, enum intent_step step,
		  const struct intent_target *t, char *err, size_t errlen)
{
	struct intent it;
	int rc = intents_verify(d, json_object_get(args, "intent"), &it, err, errlen);
	if (!rc)
		rc = intent_allows(&it, d->cluster.hosts[d->self].name, step, t, err, errlen);
	intent_free(&it);
	return rc;
}
