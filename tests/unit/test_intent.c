/* test_intent.c - operator-signed intents: what verifies, what a verified
 * intent allows a host to do, and every way a forged or stale one fails. */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "intent.h"

#define NOW 1800000000LL

static struct opkey op, other;

static void keys(void)
{
	char err[HS_ERRLEN];
	cr_assert_eq(opkey_generate(&op, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opkey_generate(&other, err, sizeof(err)), 0, "%s", err);
}

TestSuite(intent, .init = keys);

static void rollout(struct intent *it)
{
	static char hosts[3][CLUSTER_NAME_MAX + 1] = { "a", "b", "c" };
	memset(it, 0, sizeof(*it));
	it->kind = INTENT_ROLLOUT;
	strcpy(it->cluster, "three");
	memset(it->id, 'a', INTENT_ID_HEX);
	strcpy(it->bundle, "aide-2");
	memset(it->hash, '7', BUNDLE_HASH_HEX);
	strcpy(it->canary, "b");
	it->hosts = hosts;
	it->nhosts = 3;
	it->issued = NOW - 10;
	it->expires = NOW + 3600;
}

static json_t *signed_by(struct intent *it, const struct opkey *k)
{
	char err[HS_ERRLEN];
	json_t *env = NULL, *obj = intent_to_json(it);
	cr_assert_not_null(obj);
	cr_assert_eq(intent_sign(obj, k, &env, err, sizeof(err)), 0, "%s", err);
	json_decref(obj);
	return env;
}

/* verify env at now with the operator list {op.pub}; returns rc, fills err. */
static int verify_at(const json_t *env, int64_t now, struct intent *out, char *err)
{
	const uint8_t(*ops)[CLUSTER_KEY_LEN] = (const uint8_t(*)[CLUSTER_KEY_LEN])op.pub;
	int rc = intent_verify(env, ops, 1, "three", now, out, err, HS_ERRLEN);
	return rc;
}

static void refused(const json_t *env, int64_t now, const char *want)
{
	struct intent got;
	char err[HS_ERRLEN] = "";
	cr_assert_eq(verify_at(env, now, &got, err), HS_EINPUT, "accepted; want \"%s\"", want);
	cr_assert(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
	intent_free(&got);
}

Test(intent, signed_by_an_operator_verifies)
{
	struct intent it, got;
	char err[HS_ERRLEN];
	rollout(&it);
	json_t *env = signed_by(&it, &op);
	cr_assert_eq(verify_at(env, NOW, &got, err), 0, "%s", err);
	cr_assert_str_eq(got.bundle, "aide-2");
	cr_assert_eq(got.nhosts, 3);
	cr_assert_str_eq(got.hosts[2], "c");
	cr_assert_eq(memcmp(got.key, op.pub, sizeof(op.pub)), 0);
	intent_free(&got);
	json_decref(env);
}

/* The positive control of the next tests: the same intent, signed by a key
 * the cluster does not list, verifies once that key is listed. */
Test(intent, a_key_that_is_not_an_operator_is_refused)
{
	struct intent it, got;
	char err[HS_ERRLEN];
	rollout(&it);
	json_t *env = signed_by(&it, &other);
	refused(env, NOW, "is not an operator of cluster three");
	const uint8_t(*ops)[CLUSTER_KEY_LEN] = (const uint8_t(*)[CLUSTER_KEY_LEN])other.pub;
	cr_assert_eq(intent_verify(env, ops, 1, "three", NOW, &got, err, sizeof(err)), 0, "%s",
		     err);
	intent_free(&got);
	json_decref(env);
}

Test(intent, every_field_is_covered_by_the_signature)
{
	static const char *const changes[][2] = {
		{ "bundle", "\"aide-3\"" }, { "hash", "\"8888888888888888888888888888888888888888888888888888888888888888\"" },
		{ "hosts", "[\"a\",\"b\",\"c\",\"d\"]" }, { "kind", "\"deploy\"" },
		{ "expires", "1800007200" }, { "canary", "\"\"" },
		{ "id", "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"" },
	};
	struct intent it;
	rollout(&it);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		json_t *env = signed_by(&it, &op);
		json_t *v = json_loads(changes[i][1], JSON_DECODE_ANY, NULL);
		cr_assert_not_null(v);
		json_object_set_new(json_object_get(env, "intent"), changes[i][0], v);
		refused(env, NOW, "signature does not match");
		json_decref(env);
	}
}

Test(intent, the_cluster_and_the_clock_bound_it)
{
	struct intent it;
	rollout(&it);
	json_t *env = signed_by(&it, &op);
	refused(env, NOW + 3600, "expired 0 s ago");
	refused(env, NOW + 7200, "expired 3600 s ago");
	refused(env, NOW - 10 - INTENT_SKEW_MAX - 1, "in the future");
	struct intent got;
	char err[HS_ERRLEN];
	const uint8_t(*ops)[CLUSTER_KEY_LEN] = (const uint8_t(*)[CLUSTER_KEY_LEN])op.pub;
	cr_assert_eq(intent_verify(env, ops, 1, "four", NOW, &got, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "for cluster three, not four"), "%s", err);
	intent_free(&got);
	json_decref(env);

	env = signed_by(&it, &op);
	json_object_set_new(json_object_get(env, "intent"), "expires",
			    json_integer(it.issued + INTENT_TTL_MAX + 1));
	refused(env, NOW, "intent.expires: want after issued, by at most");
	json_decref(env);
}

Test(intent, malformed_envelopes_name_the_field)
{
	static const char *const cases[][2] = {
		{ "{}", "intent: not a JSON object" },
		{ "{\"intent\":{},\"key\":\"x\",\"sig\":\"y\",\"more\":1}", "unknown key \"more\"" },
		{ "{\"intent\":{\"kind\":\"stop\"}}", "intent.kind" },
		{ "{\"intent\":{\"c\\nx\":1}}", "unknown key \"c\\x0ax\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *env = json_loads(cases[i][0], 0, NULL);
		cr_assert_not_null(env);
		refused(env, NOW, cases[i][1]);
		json_decref(env);
	}
	struct intent it, got;
	char err[HS_ERRLEN];
	cr_assert_eq(verify_at(NULL, NOW, &got, err), HS_EINPUT);
	cr_assert(strstr(err, "intent: missing"), "%s", err);

	rollout(&it);
	json_t *env = signed_by(&it, &op);
	json_object_set_new(env, "sig", json_string("AAAA"));
	refused(env, NOW, "intent sig: not a base64 ed25519 signature");
	json_decref(env);
	env = signed_by(&it, &op);
	json_object_set_new(json_object_get(env, "intent"), "hosts", json_pack("[s,s]", "a", "a"));
	refused(env, NOW, "intent.hosts[1]: \"a\" twice");
	json_decref(env);
	env = signed_by(&it, &op);
	json_object_set_new(json_object_get(env, "intent"), "bundle", json_string("-x"));
	refused(env, NOW, "intent.bundle");
	json_decref(env);
}

static int allows(const struct intent *it, const char *host, enum intent_step step,
		  const char *bundle, const char *hash, bool verified, int others,
		  char *err)
{
	struct intent_target t = { bundle, hash, verified, others };
	return intent_allows(it, host, step, &t, err, HS_ERRLEN);
}

Test(intent, what_a_rollout_allows)
{
	struct intent it;
	char err[HS_ERRLEN], h[BUNDLE_HASH_HEX + 1];
	rollout(&it);
	memset(h, '7', BUNDLE_HASH_HEX);
	h[BUNDLE_HASH_HEX] = 0;

	cr_assert_eq(allows(&it, "a", INTENT_STEP_START, "aide-2", h, false, 0, err), 0, "%s", err);
	cr_assert_eq(allows(&it, "d", INTENT_STEP_START, "aide-2", h, false, 0, err), HS_EINPUT);
	cr_assert(strstr(err, "does not name host d"), "%s", err);
	cr_assert_eq(allows(&it, "a", INTENT_STEP_START, "snort-3", h, false, 0, err), HS_EINPUT);
	cr_assert(strstr(err, "starts aide-2, not snort-3"), "%s", err);
	h[0] = '8';
	cr_assert_eq(allows(&it, "a", INTENT_STEP_START, "aide-2", h, false, 0, err), HS_EINPUT);
	cr_assert(strstr(err, "another content hash"), "%s", err);

	/* The old version retires once another verified instance runs; the new
	 * one rolls back while the old one still watches. */
	cr_assert_eq(allows(&it, "a", INTENT_STEP_VERIFY, "aide-1", NULL, true, 0, err), 0, "%s", err);
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "aide-1", NULL, true, 1, err), 0, "%s", err);
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "aide-2", NULL, false, 1, err), 0, "%s", err);
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "aide-1", NULL, true, 0, err), HS_EINPUT);
	cr_assert(strstr(err, "last verified instance"), "%s", err);
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "snort-3", NULL, false, 1, err), HS_EINPUT);
	cr_assert(strstr(err, "is not aide-2's to stop"), "%s", err);
	/* "aide-ng-2" is another IDS than "aide-2". */
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "aide-ng-2", NULL, false, 1, err), HS_EINPUT);

	/* A deploy that failed its probe takes its instance away again. */
	it.kind = INTENT_DEPLOY;
	cr_assert_eq(allows(&it, "a", INTENT_STEP_STOP, "aide-2", NULL, false, 0, err), 0, "%s", err);
}

Test(intent, an_operator_signs_only_a_well_formed_intent)
{
	struct intent it;
	char err[HS_ERRLEN];
	json_t *env = NULL;
	rollout(&it);
	json_t *obj = intent_to_json(&it);
	json_object_set_new(obj, "hosts", json_array());
	cr_assert_eq(intent_sign(obj, &op, &env, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "intent.hosts"), "%s", err);
	cr_assert_null(env);
	json_decref(obj);
}
