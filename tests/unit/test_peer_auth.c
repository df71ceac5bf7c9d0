/* test_peer_auth.c - hsd-to-hsd messages authenticated by the hosts' keys. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "err.h"
#include "peer.h"
#include "peer_auth.h"

struct host {
	uint8_t priv[32], pub[32];
};

static struct host a, b, c;
static const int64_t now = 1800000000000;

static void mkhost(struct host *h)
{
	randombytes_buf(h->priv, 32);
	crypto_scalarmult_base(h->pub, h->priv);
}

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	mkhost(&a);
	mkhost(&b);
	mkhost(&c);
}

static void pair(const struct host *me, const struct host *peer, uint8_t key[PEER_AUTH_KEY])
{
	char err[HS_ERRLEN];
	cr_assert_eq(peer_auth_key(me->priv, me->pub, peer->pub, key, err, sizeof(err)), 0,
		     "%s", err);
}

/* A request from a to b, sealed at time t. */
static json_t *request(int64_t t, uint8_t nonce[PEER_AUTH_NONCE])
{
	uint8_t k[PEER_AUTH_KEY];
	char err[HS_ERRLEN];
	json_t *req = peer_request_new(7, "a", "instance.stop",
				       json_pack("{s:s}", "instance", "det@1"));

	pair(&a, &b, k);
	cr_assert_eq(peer_auth_seal_request(req, "b", t, k, nonce, err, sizeof(err)), 0,
		     "%s", err);
	return req;
}

/* b opens msg; returns the code and leaves the message in err. */
static int open_at_b(json_t *req, int64_t t, char *err, size_t errlen)
{
	uint8_t k[PEER_AUTH_KEY], nonce[PEER_AUTH_NONCE];

	pair(&b, &a, k);
	return peer_auth_open_request(req, "b", t, k, nonce, err, errlen);
}

TestSuite(peer_auth, .init = setup);

Test(peer_auth, both_ends_compute_the_same_key_and_no_third_host_does)
{
	uint8_t ab[32], ba[32], ac[32], cb[32];

	pair(&a, &b, ab);
	pair(&b, &a, ba);
	pair(&a, &c, ac);
	pair(&c, &b, cb);
	cr_assert_eq(memcmp(ab, ba, 32), 0);
	cr_assert_neq(memcmp(ab, ac, 32), 0);
	cr_assert_neq(memcmp(ab, cb, 32), 0);
}

Test(peer_auth, a_low_order_public_key_is_refused)
{
	uint8_t zero[32] = { 0 }, k[32];
	char err[HS_ERRLEN];

	cr_assert_eq(peer_auth_key(a.priv, a.pub, zero, k, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "low-order"), "%s", err);
}

Test(peer_auth, a_sealed_request_opens_to_the_original)
{
	uint8_t sent[PEER_AUTH_NONCE], got[PEER_AUTH_NONCE], k[32];
	char err[HS_ERRLEN];
	json_t *req = request(now, sent);
	json_t *plain = peer_request_new(7, "a", "instance.stop",
					 json_pack("{s:s}", "instance", "det@1"));
	struct peer_request pr;

	pair(&b, &a, k);
	cr_assert_eq(peer_auth_open_request(req, "b", now + 1000, k, got, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(memcmp(sent, got, sizeof(got)), 0);
	cr_assert(json_equal(req, plain), "auth is left in the request");
	cr_assert_eq(peer_request_parse(req, &pr, err, sizeof(err)), 0, "%s", err);
	json_decref(req);
	json_decref(plain);
}

Test(peer_auth, a_changed_request_does_not_verify_and_stays_as_it_was)
{
	uint8_t n[PEER_AUTH_NONCE];
	char err[HS_ERRLEN];
	json_t *req = request(now, n), *copy;

	json_object_set_new(json_object_get(req, "args"), "instance", json_string("det@2"));
	copy = json_deep_copy(req);
	cr_assert_eq(open_at_b(req, now, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "request.auth.mac: does not verify"), "%s", err);
	cr_assert(json_equal(req, copy), "a refused request was changed");
	json_decref(req);
	json_decref(copy);
}

Test(peer_auth, a_third_host_cannot_speak_for_a)
{
	uint8_t cb[32], n[PEER_AUTH_NONCE];
	char err[HS_ERRLEN];
	json_t *req = peer_request_new(1, "a", "status", NULL);

	/* c claims to be a but can only seal with its own key towards b. */
	pair(&c, &b, cb);
	cr_assert_eq(peer_auth_seal_request(req, "b", now, cb, n, err, sizeof(err)), 0);
	cr_assert_eq(open_at_b(req, now, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "auth.mac"), "%s", err);
	json_decref(req);
}

Test(peer_auth, a_request_for_another_host_is_refused)
{
	uint8_t k[32], n[PEER_AUTH_NONCE];
	char err[HS_ERRLEN];
	json_t *req = request(now, n);

	pair(&b, &a, k);
	cr_assert_eq(peer_auth_open_request(req, "c", now, k, n, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "request.auth.to"), "%s", err);
	json_decref(req);
}

Test(peer_auth, the_clock_window_holds_on_both_sides)
{
	const int64_t w = PEER_AUTH_WINDOW_MS;
	const int64_t at[] = { now - w - 1, now + w + 1, now - w, now + w };
	const int want[] = { HS_EINPUT, HS_EINPUT, 0, 0 };
	uint8_t n[PEER_AUTH_NONCE];
	char err[HS_ERRLEN];

	for (size_t i = 0; i < 4; i++) {
		json_t *req = request(at[i], n);
		cr_assert_eq(open_at_b(req, now, err, sizeof(err)), want[i], "case %zu: %s", i, err);
		if (want[i])
			cr_assert(strstr(err, "request.auth.ts"), "%s", err);
		json_decref(req);
	}
}

Test(peer_auth, malformed_auth_names_the_field)
{
	static const struct {
		const char *set, *want;
	} cases[] = {
		{ "{\"auth\": null}", "request.auth: missing" },
		{ "{\"auth\": {\"to\":\"b\",\"ts\":1,\"nonce\":\"00\",\"mac\":\"00\",\"x\":1}}",
		  "request.auth: unknown key \"x\"" },
		{ "{\"auth\": {\"to\":\"b\",\"ts\":\"1\",\"nonce\":\"00\",\"mac\":\"00\"}}",
		  "request.auth.ts" },
		{ "{\"auth\": {\"to\":1,\"ts\":1,\"nonce\":\"00\",\"mac\":\"00\"}}",
		  "request.auth.to" },
	};
	char err[HS_ERRLEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t n[PEER_AUTH_NONCE];
		json_t *req = request(now, n);
		json_t *patch = json_loads(cases[i].set, 0, NULL);

		cr_assert_not_null(patch);
		json_object_update(req, patch);
		if (json_is_null(json_object_get(req, "auth")))
			json_object_del(req, "auth");
		cr_assert_eq(open_at_b(req, now, err, sizeof(err)), HS_EINPUT);
		cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
		json_decref(patch);
		json_decref(req);
	}
}

Test(peer_auth, hex_fields_are_exact_lower_case)
{
	uint8_t n[PEER_AUTH_NONCE];
	char err[HS_ERRLEN], mac[65];
	json_t *req = request(now, n), *auth = json_object_get(req, "auth");

	snprintf(mac, sizeof(mac), "%s", json_string_value(json_object_get(auth, "mac")));
	for (char *p = mac; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	json_object_set_new(auth, "mac", json_string(mac));
	cr_assert_eq(open_at_b(req, now, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "request.auth.mac"), "%s", err);
	json_object_set_new(auth, "nonce", json_string("00"));
	cr_assert_eq(open_at_b(req, now, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "request.auth.nonce: missing or not 32 hex digits"), "%s", err);
	json_decref(req);
}

Test(peer_auth, a_reply_answers_only_its_request)
{
	uint8_t n1[PEER_AUTH_NONCE], n2[PEER_AUTH_NONCE], ab[32], ba[32];
	char err[HS_ERRLEN];
	json_t *rep;

	randombytes_buf(n1, sizeof(n1));
	randombytes_buf(n2, sizeof(n2));
	pair(&a, &b, ab);
	pair(&b, &a, ba);

	rep = peer_reply_ok(7, json_pack("{s:b}", "stopped", 1));
	cr_assert_eq(peer_auth_seal_reply(rep, n1, ba, err, sizeof(err)), 0);
	cr_assert_eq(peer_auth_open_reply(rep, n2, ab, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "reply.auth.nonce: answers another request"), "%s", err);
	cr_assert_eq(peer_auth_open_reply(rep, n1, ab, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(json_object_get(rep, "auth"));
	json_decref(rep);

	/* A relay turns a refusal into a success. */
	rep = peer_reply_error(7, HS_ESTATE, "last verified instance");
	cr_assert_eq(peer_auth_seal_reply(rep, n1, ba, err, sizeof(err)), 0);
	json_object_set_new(rep, "ok", json_true());
	cr_assert_eq(peer_auth_open_reply(rep, n1, ab, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "reply.auth.mac"), "%s", err);
	json_decref(rep);

	rep = peer_reply_ok(7, NULL);
	cr_assert_eq(peer_auth_open_reply(rep, n1, ab, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "reply.auth: missing"), "%s", err);
	json_decref(rep);
}

Test(peer_auth, a_nonce_is_taken_once_while_its_time_is_acceptable)
{
	struct peer_replay r;
	uint8_t n[PEER_AUTH_NONCE], m[PEER_AUTH_NONCE];
	char err[HS_ERRLEN];
	const int64_t w = PEER_AUTH_WINDOW_MS;

	randombytes_buf(n, sizeof(n));
	randombytes_buf(m, sizeof(m));
	peer_replay_init(&r, now);
	cr_assert_eq(peer_replay_check(&r, n, now, err, sizeof(err)), 0);
	cr_assert_eq(peer_replay_check(&r, n, now + 10, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "seen before"), "%s", err);
	/* One rotation later it is still known (its ts may still pass). */
	cr_assert_eq(peer_replay_check(&r, m, now + 2 * w, err, sizeof(err)), 0);
	cr_assert_eq(peer_replay_check(&r, n, now + 2 * w + 1, err, sizeof(err)), HS_EINPUT);
	/* Two rotations later it is forgotten: its ts fails the window. */
	cr_assert_eq(peer_replay_check(&r, m, now + 4 * w, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(peer_replay_check(&r, n, now + 4 * w, err, sizeof(err)), 0);
	peer_replay_free(&r);
}

Test(peer_auth, the_nonce_cache_is_bounded)
{
	struct peer_replay r;
	uint8_t n[PEER_AUTH_NONCE] = { 0 };
	char err[HS_ERRLEN];

	peer_replay_init(&r, now);
	for (uint32_t i = 1; i <= PEER_REPLAY_MAX; i++) {
		memcpy(n, &i, sizeof(i));
		n[15] = 1;
		cr_assert_eq(peer_replay_check(&r, n, now, err, sizeof(err)), 0, "%u: %s", i, err);
	}
	n[14] = 1;
	cr_assert_eq(peer_replay_check(&r, n, now, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "refused until the window moves on"), "%s", err);
	cr_assert_eq(peer_replay_check(&r, n, now + 2 * PEER_AUTH_WINDOW_MS, err, sizeof(err)), 0);
	peer_replay_free(&r);
}
