/* intent.h - operator-signed intents: which bundle a deploy or rollout may
 * start, verify and retire, on which hosts, until when.
 *
 * A host takes a fleet step another host asks of it (instance.start,
 * instance.verify, instance.stop) only when the request carries an intent
 * that an operator key of the cluster signed and that allows that very
 * step there.  A compromised host can then at most replay a signed intent
 * until it expires; it can never choose the bundle, the hosts, or stop the
 * last verified instance of an IDS.  Format: docs/intents.md.
 *
 * Everything here is pure: no clock (callers pass now), no I/O.
 */
#ifndef HS_INTENT_H
#define HS_INTENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "cluster.h"
#include "opkey.h"

#define INTENT_ID_HEX 32              /* 128 random bits, lower-case hex */
#define INTENT_TTL_MAX (7 * 86400)    /* seconds an intent may live */
#define INTENT_SKEW_MAX 300           /* seconds a host's clock may lag */
#define INTENT_SIG_DOMAIN "hsd-intent-v1\n"

enum intent_kind { INTENT_DEPLOY = 1, INTENT_ROLLOUT };

struct intent {
	enum intent_kind kind;
	char cluster[CLUSTER_NAME_MAX + 1];
	char id[INTENT_ID_HEX + 1];
	char bundle[BUNDLE_ID_MAX + 2];   /* the bundle it starts */
	char hash[BUNDLE_HASH_HEX + 1];   /* ... with exactly this content */
	char replaces[BUNDLE_ID_MAX + 2]; /* rollout: the bundle it retires */
	char canary[CLUSTER_NAME_MAX + 1]; /* "" when none */
	char (*hosts)[CLUSTER_NAME_MAX + 1]; /* the hosts it may act on */
	size_t nhosts;
	int64_t issued, expires;          /* unix seconds */
	uint8_t key[CLUSTER_KEY_LEN];     /* the operator key that signed */
};

/* What a host is asked to do, and what it knows of the thing it acts on. */
enum intent_step { INTENT_STEP_START = 1, INTENT_STEP_VERIFY, INTENT_STEP_STOP };

struct intent_target {
	const char *bundle;   /* id of the bundle to start, or of the instance's */
	const char *hash;     /* start: the stored bundle's content hash */
	bool verified;        /* verify/stop: this instance passed its probe */
	int others_verified;  /* stop: other running, verified instances of the
	                       * same IDS (bundle name) on this host */
};

/* The intent as the JSON object that is signed (NULL: out of memory). */
json_t *intent_to_json(const struct intent *it);

/* Check obj's form (HS_EINPUT naming the field) and sign it with the
 * operator key k into an envelope {"intent": obj, "key": B64, "sig": B64}. */
int intent_sign(const json_t *obj, const struct opkey *k, json_t **out, char *err,
		size_t errlen);

/* The envelope's form only (HS_EINPUT naming the field): out's fields and
 * key, and the signature's bytes; nothing is verified.  What the route
 * engine does with a peer's request (intent_free out, also on failure). */
int intent_decode(const json_t *envelope, struct intent *out, uint8_t sig[OPKEY_SIG_LEN],
		  char *err, size_t errlen);

/* The envelope of a decoded intent, rebuilt (NULL: out of memory). */
json_t *intent_envelope(const struct intent *it, const uint8_t sig[OPKEY_SIG_LEN]);

/* Verify a decoded intent: its key among ops[nops], its signature over
 * the fields, its cluster, and now within [issued - INTENT_SKEW_MAX,
 * expires). */
int intent_check(const struct intent *it, const uint8_t sig[OPKEY_SIG_LEN],
		 const uint8_t (*ops)[CLUSTER_KEY_LEN], size_t nops, const char *cluster,
		 int64_t now, char *err, size_t errlen);

/* Check an envelope completely: its form (HS_EINPUT naming the field), its
 * key among ops[nops], its signature, its cluster, and now within
 * [issued - INTENT_SKEW_MAX, expires).  Fills out (intent_free it, also
 * after a failure). */
int intent_verify(const json_t *envelope, const uint8_t (*ops)[CLUSTER_KEY_LEN], size_t nops,
		  const char *cluster, int64_t now, struct intent *out, char *err,
		  size_t errlen);

/* Whether a verified intent allows step on target at host (HS_EINPUT with
 * the reason when not). */
int intent_allows(const struct intent *it, const char *host, enum intent_step step,
		  const struct intent_target *t, char *err, size_t errlen);

void intent_free(struct intent *it);

#endif
