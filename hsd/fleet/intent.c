/* intent.c - operator-signed intents (intent.h, docs/intents.md). */
#include "intent.h"
#include "err.h"
#include "jmsg.h"
#include "opkey.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const envelope_keys[] = { "intent", "key", "sig" };
static const char *const intent_keys[] = { "kind", "cluster", "id", "bundle", "hash",
					   "canary", "hosts", "issued", "expires" };

static int only_keys(const json_t *o, const char *const *keys, size_t n, const char *what,
		     char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	char q[48];

	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;
		while (i < n && strcmp(k, keys[i]))
			i++;
		if (i == n) /* a peer's bytes: quoted, one line */
			return err_set(err, errlen, HS_EINPUT, "%s: unknown key \"%s\"", what,
				       jmsg_quote(k, q, sizeof(q)));
	}
	return HS_OK;
}

/* Names and ids: 1..max of [A-Za-z0-9._-], not starting with '-'. */
static bool word_ok(const char *s, size_t max)
{
	return s[0] != '-' && bundle_word_ok(s, max);
}

static int get_word(const json_t *o, const char *key, char *dst, size_t max, bool empty_ok,
		    char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || (!(empty_ok && !*s) && !word_ok(s, max)))
		return err_set(err, errlen, HS_EINPUT,
			       "intent.%s: want 1-%zu of A-Z a-z 0-9 '.' '_' '-'%s", key, max,
			       empty_ok ? ", or \"\"" : "");
	snprintf(dst, max + 1, "%s", s);
	return HS_OK;
}

static int parse_hosts(const json_t *v, struct intent *it, char *err, size_t errlen)
{
	size_t i;
	json_t *h;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > CLUSTER_HOSTS_MAX)
		return err_set(err, errlen, HS_EINPUT, "intent.hosts: want 1-%d host names",
			       CLUSTER_HOSTS_MAX);
	if (!(it->hosts = calloc(json_array_size(v), sizeof(*it->hosts))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	json_array_foreach(v, i, h) {
		const char *s = json_string_value(h);
		if (!s || !word_ok(s, CLUSTER_NAME_MAX))
			return err_set(err, errlen, HS_EINPUT, "intent.hosts[%zu]: not a host name",
				       i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(it->hosts[j], s))
				return err_set(err, errlen, HS_EINPUT,
					       "intent.hosts[%zu]: \"%s\" twice", i, s);
		snprintf(it->hosts[i], sizeof(it->hosts[i]), "%s", s);
		it->nhosts = i + 1;
	}
	return HS_OK;
}

static int get_time(const json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > ((json_int_t)1 << 40))
		return err_set(err, errlen, HS_EINPUT, "intent.%s: want unix seconds", key);
	*out = json_integer_value(v);
	return HS_OK;
}

/* The form of the signed object, nothing about keys or time. */
static int intent_parse(const json_t *o, struct intent *it, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *hash = json_string_value(json_object_get(o, "hash"));
	int rc;

	if (!json_is_object(o))
		return err_set(err, errlen, HS_EINPUT, "intent: not a JSON object");
	if ((rc = only_keys(o, intent_keys, sizeof(intent_keys) / sizeof(*intent_keys),
			    "intent", err, errlen)))
		return rc;
	if (kind && !strcmp(kind, "deploy"))
		it->kind = INTENT_DEPLOY;
	else if (kind && !strcmp(kind, "rollout"))
		it->kind = INTENT_ROLLOUT;
	else
		return err_set(err, errlen, HS_EINPUT, "intent.kind: want \"deploy\" or \"rollout\"");
	if (!id || !bundle_hex_ok(id, INTENT_ID_HEX))
		return err_set(err, errlen, HS_EINPUT, "intent.id: want %d lower-case hex digits",
			       INTENT_ID_HEX);
	snprintf(it->id, sizeof(it->id), "%s", id);
	if (!hash || !bundle_hex_ok(hash, BUNDLE_HASH_HEX))
		return err_set(err, errlen, HS_EINPUT, "intent.hash: want %d lower-case hex digits",
			       BUNDLE_HASH_HEX);
	snprintf(it->hash, sizeof(it->hash), "%s", hash);
	if ((rc = get_word(o, "cluster", it->cluster, CLUSTER_NAME_MAX, false, err, errlen)) ||
	    (rc = get_word(o, "bundle", it->bundle, BUNDLE_ID_MAX, false, err, errlen)) ||
	    (rc = get_word(o, "canary", it->canary, CLUSTER_NAME_MAX, true, err, errlen)) ||
	    (rc = parse_hosts(json_object_get(o, "hosts"), it, err, errlen)) ||
	    (rc = get_time(o, "issued", &it->issued, err, errlen)) ||
	    (rc = get_time(o, "expires", &it->expires, err, errlen)))
		return rc;
	if (!strchr(it->bundle, '-'))
		return err_set(err, errlen, HS_EINPUT, "intent.bundle: want NAME-VERSION");
	if (it->expires <= it->issued || it->expires - it->issued > INTENT_TTL_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "intent.expires: want after issued, by at most %d s",
			       INTENT_TTL_MAX);
	return HS_OK;
}

/* The signed bytes: a domain tag, then the object in one canonical form
 * (sorted keys, no spaces), which the verifier rebuilds from what it parsed
 * so no two texts of one intent sign differently. */
static char *signed_text(const json_t *o, size_t *len)
{
	char *body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	char *text = NULL;

	if (body && asprintf(&text, "%s%s", INTENT_SIG_DOMAIN, body) < 0)
		text = NULL;
	free(body);
	if (text)
		*len = strlen(text);
	return text;
}

json_t *intent_to_json(const struct intent *it)
{
	json_t *hosts = json_array();
	for (size_t i = 0; hosts && i < it->nhosts; i++)
		json_array_append_new(hosts, json_string(it->hosts[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "kind",
			 it->kind == INTENT_DEPLOY ? "deploy" : "rollout", "cluster", it->cluster,
			 "id", it->id, "bundle", it->bundle, "hash", it->hash, "canary",
			 it->canary, "hosts", hosts, "issued", (json_int_t)it->issued, "expires",
			 (json_int_t)it->expires);
}

int intent_sign(const json_t *obj, const struct opkey *k, json_t **out, char *err,
		size_t errlen)
{
	uint8_t sig[OPKEY_SIG_LEN];
	struct intent it = { 0 };
	size_t len;

	*out = NULL;
	/* Only a well-formed intent is signed: what hosts would refuse is
	 * refused here, before an operator's key touches it. */
	int rc = intent_parse(obj, &it, err, errlen);
	char *text = rc ? NULL : signed_text(obj, &len);
	if (!rc && !text)
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	if (!rc) {
		opkey_sign(k, text, len, sig);
		memcpy(it.key, k->pub, sizeof(it.key));
		/* The parse admits exactly what intent_to_json writes: the
		 * envelope carries the object as signed. */
		if (!(*out = intent_envelope(&it, sig)))
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
	}
	free(text);
	intent_free(&it);
	return rc;
}

int intent_decode(const json_t *envelope, struct intent *out, uint8_t sig[OPKEY_SIG_LEN],
		  char *err, size_t errlen)
{
	const char *key = json_string_value(json_object_get(envelope, "key"));
	const char *sig_b64 = json_string_value(json_object_get(envelope, "sig"));
	size_t siglen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(envelope))
		return err_set(err, errlen, HS_EINPUT, "intent: missing (an operator signs it)");
	if ((rc = only_keys(envelope, envelope_keys, 3, "intent envelope", err, errlen)) ||
	    (rc = intent_parse(json_object_get(envelope, "intent"), out, err, errlen)))
		return rc;
	if (!key || opkey_pub_parse(key, out->key))
		return err_set(err, errlen, HS_EINPUT, "intent key: not a base64 ed25519 key");
	if (!sig_b64 ||
	    sodium_base642bin(sig, OPKEY_SIG_LEN, sig_b64, strlen(sig_b64), NULL, &siglen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || siglen != OPKEY_SIG_LEN)
		return err_set(err, errlen, HS_EINPUT, "intent sig: not a base64 ed25519 signature");
	return HS_OK;
}

json_t *intent_envelope(const struct intent *it, const uint8_t sig[OPKEY_SIG_LEN])
{
	char key_b64[OPKEY_PUB_B64_LEN + 1], sig_b64[OPKEY_SIG_B64_LEN + 1];

	opkey_pub_b64(it->key, key_b64);
	sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, OPKEY_SIG_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	return json_pack("{s:o, s:s, s:s}", "intent", intent_to_json(it), "key", key_b64, "sig",
			 sig_b64);
}

int intent_check(const struct intent *it, const uint8_t sig[OPKEY_SIG_LEN],
		 const uint8_t (*ops)[CLUSTER_KEY_LEN], size_t nops, const char *cluster,
		 int64_t now, char *err, size_t errlen)
{
	char key_b64[OPKEY_PUB_B64_LEN + 1];
	size_t i = 0, len;

	while (i < nops && sodium_memcmp(ops[i], it->key, CLUSTER_KEY_LEN))
		i++;
	if (i == nops) {
		opkey_pub_b64(it->key, key_b64);
		return err_set(err, errlen, HS_EINPUT,
			       "intent %s: key %.8s... is not an operator of cluster %s", it->id,
			       key_b64, cluster);
	}
	/* The signed text is rebuilt from what was parsed: the parse admits
	 * exactly the keys intent_to_json writes, so an intent that verifies
	 * is the one its fields say. */
	json_t *o = intent_to_json(it);
	char *text = o ? signed_text(o, &len) : NULL;
	json_decref(o);
	if (!text)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	bool good = opkey_verify(it->key, text, len, sig);
	free(text);
	if (!good)
		return err_set(err, errlen, HS_EINPUT,
			       "intent %s: signature does not match its content", it->id);
	if (strcmp(it->cluster, cluster))
		return err_set(err, errlen, HS_EINPUT, "intent %s: for cluster %s, not %s",
			       it->id, it->cluster, cluster);
	if (now < it->issued - INTENT_SKEW_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "intent %s: issued %lld s in the future", it->id,
			       (long long)(it->issued - now));
	if (now >= it->expires)
		return err_set(err, errlen, HS_EINPUT, "intent %s: expired %lld s ago", it->id,
			       (long long)(now - it->expires));
	return HS_OK;
}

int intent_verify(const json_t *envelope, const uint8_t (*ops)[CLUSTER_KEY_LEN], size_t nops,
		  const char *cluster, int64_t now, struct intent *out, char *err,
		  size_t errlen)
{
	uint8_t sig[OPKEY_SIG_LEN];
	int rc = intent_decode(envelope, out, sig, err, errlen);

	return rc ? rc : intent_check(out, sig, ops, nops, cluster, now, err, errlen);
}

/* "aide-2" and "aide-1" are the same IDS: the name before the last '-'. */
static bool same_ids(const char *a, const char *b)
{
	const char *da = strrchr(a, '-'), *db = strrchr(b, '-');
	return da && db && da - a == db - b && !strncmp(a, b, (size_t)(da - a));
}

int intent_allows(const struct intent *it, const char *host, enum intent_step step,
		  const struct intent_target *t, char *err, size_t errlen)
{
	size_t i = 0;

	while (i < it->nhosts && strcmp(it->hosts[i], host))
		i++;
	if (i == it->nhosts)
		return err_set(err, errlen, HS_EINPUT, "intent %s: does not name host %s", it->id,
			       host);
	bool own = !strcmp(t->bundle, it->bundle);
	switch (step) {
	case INTENT_STEP_START:
		if (!own)
			return err_set(err, errlen, HS_EINPUT, "intent %s: starts %s, not %s",
				       it->id, it->bundle, t->bundle);
		if (!t->hash || strcmp(t->hash, it->hash))
			return err_set(err, errlen, HS_EINPUT,
				       "intent %s: %s here has another content hash than signed",
				       it->id, t->bundle);
		return HS_OK;
	case INTENT_STEP_VERIFY:
	case INTENT_STEP_STOP:
		/* Its own instance, or one of another version of the same
		 * IDS, which a rollout (and a deploy) retires. */
		if (!own && !same_ids(t->bundle, it->bundle))
			return err_set(err, errlen, HS_EINPUT,
				       "intent %s: %s is not %s's to %s", it->id, t->bundle,
				       it->bundle, step == INTENT_STEP_STOP ? "stop" : "verify");
		/* Never the last verified watcher: a host stays watched. */
		if (step == INTENT_STEP_STOP && t->verified && t->others_verified < 1)
			return err_set(err, errlen, HS_EINPUT,
				       "intent %s: %s is the last verified instance of its IDS here",
				       it->id, t->bundle);
		return HS_OK;
	}
	return err_set(err, errlen, HS_EINPUT, "intent %s: unknown step", it->id);
}

void intent_free(struct intent *it)
{
	free(it->hosts);
	it->hosts = NULL;
	it->nhosts = 0;
}
