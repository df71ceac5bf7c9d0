/* peer_auth.c - MACs on hsd-to-hsd messages under the pair's X25519 key. */
#include "peer_auth.h"
#include "err.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char label_key[] = "hsd peer key v1";
static const char label_req[] = "hsd peer request v1";
static const char label_rep[] = "hsd peer reply v1";

int peer_auth_key(const uint8_t my_priv[32], const uint8_t my_pub[32],
		  const uint8_t peer_pub[32], uint8_t key[PEER_AUTH_KEY],
		  char *err, size_t errlen)
{
	uint8_t shared[crypto_scalarmult_BYTES];
	crypto_generichash_state st;
	/* Both ends hash the two public keys in the same order. */
	bool mine_first = memcmp(my_pub, peer_pub, 32) < 0;

	if (sodium_init() < 0)
		return err_set(err, errlen, HS_ESYS, "libsodium failed to initialise");
	if (crypto_scalarmult(shared, my_priv, peer_pub) != 0)
		return err_set(err, errlen, HS_EINPUT, "peer public key: a low-order point");
	crypto_generichash_init(&st, NULL, 0, PEER_AUTH_KEY);
	crypto_generichash_update(&st, (const uint8_t *)label_key, sizeof(label_key));
	crypto_generichash_update(&st, shared, sizeof(shared));
	crypto_generichash_update(&st, mine_first ? my_pub : peer_pub, 32);
	crypto_generichash_update(&st, mine_first ? peer_pub : my_pub, 32);
	crypto_generichash_final(&st, key, PEER_AUTH_KEY);
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

/* The MAC of msg as it stands (its "auth" without "mac"). */
static int mac_of(const json_t *msg, const char *label, size_t llen,
		  const uint8_t key[PEER_AUTH_KEY], uint8_t mac[32], char *err,
		  size_t errlen)
{
	crypto_generichash_state st;
	char *text = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);

	if (!text)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	crypto_generichash_init(&st, key, PEER_AUTH_KEY, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, llen);
	crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
	crypto_generichash_final(&st, mac, 32);
	free(text);
	return 0;
}

static int set_hex(json_t *obj, const char *field, const uint8_t *bin, size_t n)
{
	char hex[2 * 32 + 1];

	sodium_bin2hex(hex, sizeof(hex), bin, n);
	return json_object_set_new(obj, field, json_string(hex)) ? HS_ESYS : 0;
}

/* A field of exactly n bytes in lower-case hex. */
static int get_hex(const json_t *auth, const char *what, const char *field,
		   uint8_t *bin, size_t n, char *err, size_t errlen)
{
	const json_t *v = json_object_get(auth, field);
	const char *s = json_string_value(v);
	size_t got = 0;

	if (!s || json_string_length(v) != 2 * n ||
	    sodium_hex2bin(bin, n, s, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return err_set(err, errlen, HS_EINPUT, "%s.auth.%s: missing or not %zu hex digits",
			       what, field, 2 * n);
	for (const char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			return err_set(err, errlen, HS_EINPUT, "%s.auth.%s: not lower-case hex",
				       what, field);
	return 0;
}

/* auth must hold exactly the listed keys. */
static int check_auth_keys(const json_t *auth, const char *what,
			   const char *const *keys, size_t nkeys, char *err,
			   size_t errlen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(auth))
		return err_set(err, errlen, HS_EINPUT, "%s.auth: missing or not an object (a peer "
			       "that does not authenticate its messages)", what);
	json_object_foreach((json_t *)auth, key, val) {
		bool known = false;
		for (size_t i = 0; i < nkeys; i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known)
			return err_set(err, errlen, HS_EINPUT, "%s.auth: unknown key \"%.64s\"",
				       what, key);
	}
	return 0;
}

/* Sets auth.mac over msg; on failure removes auth again. */
static int seal(json_t *msg, json_t *auth, const char *label, size_t llen,
		const uint8_t key[PEER_AUTH_KEY], char *err, size_t errlen)
{
	uint8_t mac[32];
	int rc;

	if (json_object_set_new(msg, "auth", auth))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	if (!(rc = mac_of(msg, label, llen, key, mac, err, errlen)) &&
	    set_hex(auth, "mac", mac, sizeof(mac)))
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	if (rc)
		json_object_del(msg, "auth");
	return rc;
}

/* Checks auth.mac over msg; on success removes auth from msg. */
static int open_mac(json_t *msg, json_t *auth, const char *what, const char *label,
		    size_t llen, const uint8_t key[PEER_AUTH_KEY], char *err,
		    size_t errlen)
{
	uint8_t got[32], want[32];
	json_t *mac;
	int rc;

	if ((rc = get_hex(auth, what, "mac", got, sizeof(got), err, errlen)))
		return rc;
	mac = json_incref(json_object_get(auth, "mac"));
	json_object_del(auth, "mac");
	rc = mac_of(msg, label, llen, key, want, err, errlen);
	if (!rc && sodium_memcmp(got, want, sizeof(got)) != 0)
		rc = err_set(err, errlen, HS_EINPUT, "%s.auth.mac: does not verify under the "
			     "key of this pair of hosts", what);
	if (rc) {
		json_object_set_new(auth, "mac", mac);
		return rc;
	}
	json_decref(mac);
	json_object_del(msg, "auth");
	return 0;
}

int peer_auth_seal_request(json_t *req, const char *to, int64_t now_ms,
			   const uint8_t key[PEER_AUTH_KEY],
			   uint8_t nonce[PEER_AUTH_NONCE], char *err,
			   size_t errlen)
{
	json_t *auth = json_object();

	randombytes_buf(nonce, PEER_AUTH_NONCE);
	if (!auth || json_object_set_new(auth, "to", json_string(to)) ||
	    json_object_set_new(auth, "ts", json_integer(now_ms)) ||
	    set_hex(auth, "nonce", nonce, PEER_AUTH_NONCE)) {
		json_decref(auth);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	return seal(req, auth, label_req, sizeof(label_req), key, err, errlen);
}

static const char *const request_auth_keys[] = { "to", "ts", "nonce", "mac" };
static const char *const reply_auth_keys[] = { "nonce", "mac" };

int peer_auth_open_request(json_t *req, const char *me, int64_t now_ms,
			   const uint8_t key[PEER_AUTH_KEY],
			   uint8_t nonce[PEER_AUTH_NONCE], char *err,
			   size_t errlen)
{
	static const uint8_t zero[PEER_AUTH_NONCE];
	json_t *auth = json_object_get(req, "auth"), *to, *ts;
	int rc;

	if ((rc = check_auth_keys(auth, "request", request_auth_keys, 4, err, errlen)))
		return rc;
	to = json_object_get(auth, "to");
	ts = json_object_get(auth, "ts");
	if (!json_is_string(to) || strcmp(json_string_value(to), me) != 0)
		return err_set(err, errlen, HS_EINPUT, "request.auth.to: missing or not this "
			       "host (%s)", me);
	if (!json_is_integer(ts))
		return err_set(err, errlen, HS_EINPUT, "request.auth.ts: missing or not an integer");
	/* Written so that no subtraction can overflow. */
	if (json_integer_value(ts) < now_ms - PEER_AUTH_WINDOW_MS ||
	    json_integer_value(ts) > now_ms + PEER_AUTH_WINDOW_MS)
		return err_set(err, errlen, HS_EINPUT, "request.auth.ts: %lld ms from this host's "
			       "clock, over the %d ms allowed (replayed, or clocks apart)",
			       (long long)(json_integer_value(ts) - now_ms), PEER_AUTH_WINDOW_MS);
	if ((rc = get_hex(auth, "request", "nonce", nonce, PEER_AUTH_NONCE, err, errlen)))
		return rc;
	if (memcmp(nonce, zero, sizeof(zero)) == 0)
		return err_set(err, errlen, HS_EINPUT, "request.auth.nonce: all zero");
	return open_mac(req, auth, "request", label_req, sizeof(label_req), key, err, errlen);
}

int peer_auth_seal_reply(json_t *rep, const uint8_t nonce[PEER_AUTH_NONCE],
			 const uint8_t key[PEER_AUTH_KEY], char *err,
			 size_t errlen)
{
	json_t *auth = json_object();

	if (!auth || set_hex(auth, "nonce", nonce, PEER_AUTH_NONCE)) {
		json_decref(auth);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	return seal(rep, auth, label_rep, sizeof(label_rep), key, err, errlen);
}

int peer_auth_open_reply(json_t *rep, const uint8_t nonce[PEER_AUTH_NONCE],
			 const uint8_t key[PEER_AUTH_KEY], char *err,
			 size_t errlen)
{
	json_t *auth = json_object_get(rep, "auth");
	uint8_t got[PEER_AUTH_NONCE];
	int rc;

	if ((rc = check_auth_keys(auth, "reply", reply_auth_keys, 2, err, errlen)) ||
	    (rc = get_hex(auth, "reply", "nonce", got, sizeof(got), err, errlen)))
		return rc;
	if (memcmp(got, nonce, sizeof(got)) != 0)
		return err_set(err, errlen, HS_EINPUT, "reply.auth.nonce: answers another request");
	return open_mac(rep, auth, "reply", label_rep, sizeof(label_rep), key, err, errlen);
}

/* ---- replay cache ----------------------------------------------------- */

void peer_replay_init(struct peer_replay *r, int64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	r->rotated_ms = now_ms;
}

void peer_replay_free(struct peer_replay *r)
{
	free(r->gen[0].slot);
	free(r->gen[1].slot);
	memset(r, 0, sizeof(*r));
}

/* The slot holding nonce, or the empty one where it would go. */
static size_t gen_find(const struct peer_replay_gen *g, const uint8_t *nonce)
{
	size_t i;

	memcpy(&i, nonce, sizeof(i)); /* random bytes: already a hash */
	for (i &= g->cap - 1;; i = (i + 1) & (g->cap - 1)) {
		static const uint8_t zero[PEER_AUTH_NONCE];
		if (memcmp(g->slot[i], nonce, PEER_AUTH_NONCE) == 0 ||
		    memcmp(g->slot[i], zero, PEER_AUTH_NONCE) == 0)
			return i;
	}
}

static bool gen_has(const struct peer_replay_gen *g, const uint8_t *nonce)
{
	return g->cap && memcmp(g->slot[gen_find(g, nonce)], nonce, PEER_AUTH_NONCE) == 0;
}

/* Keeps the table at most half full. */
static int gen_grow(struct peer_replay_gen *g)
{
	struct peer_replay_gen n = { .cap = g->cap ? 2 * g->cap : 64 };

	if (!(n.slot = calloc(n.cap, PEER_AUTH_NONCE)))
		return HS_ESYS;
	for (size_t i = 0; i < g->cap; i++) {
		static const uint8_t zero[PEER_AUTH_NONCE];
		if (memcmp(g->slot[i], zero, PEER_AUTH_NONCE) != 0)
			memcpy(n.slot[gen_find(&n, g->slot[i])], g->slot[i], PEER_AUTH_NONCE);
	}
	n.n = g->n;
	free(g->slot);
	*g = n;
	return 0;
}

int peer_replay_check(struct peer_replay *r, const uint8_t nonce[PEER_AUTH_NONCE],
		      int64_t now_ms, char *err, size_t errlen)
{
	struct peer_replay_gen *g = &r->gen[0];

	if (now_ms - r->rotated_ms >= 2 * PEER_AUTH_WINDOW_MS) {
		free(r->gen[1].slot);
		r->gen[1] = r->gen[0];
		memset(&r->gen[0], 0, sizeof(r->gen[0]));
		r->rotated_ms = now_ms;
	}
	if (gen_has(&r->gen[0], nonce) || gen_has(&r->gen[1], nonce))
		return err_set(err, errlen, HS_EINPUT, "request.auth.nonce: seen before (a replay)");
	if (g->n >= PEER_REPLAY_MAX)
		return err_set(err, errlen, HS_ESTATE, "request.auth.nonce: over %d requests in "
			       "%d s, refused until the window moves on", PEER_REPLAY_MAX,
			       2 * PEER_AUTH_WINDOW_MS / 1000);
	if (2 * (g->n + 1) > g->cap && gen_grow(g))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	memcpy(g->slot[gen_find(g, nonce)], nonce, PEER_AUTH_NONCE);
	g->n++;
	return 0;
}
