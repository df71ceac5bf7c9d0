/* peer_typed.h - a peer request as fixed fields: what the route engine
 * hands hsd once it has authenticated and decoded another host's frame.
 *
 * hsengine (hsd/engine/) reads peer frames, checks their MAC, parses the
 * JSON and decodes the arguments of each command into struct peer_typed:
 * fixed-size, NUL-padded strings, integers, key and signature bytes, the
 * intent's host names as items after it, a bundle's files as flat records
 * (bundle_files_encode).  hsd checks the fixed fields (peer_typed_check)
 * and builds the handlers' arguments from them (peer_typed_args): it never
 * parses JSON another host wrote.  Signatures are verified in hsd, over
 * fields rebuilt from these (intent_check, bundle_sig_check), so a
 * compromised engine can forge no operator's word.
 *
 * Pure: no I/O; unit-tested and fuzzed.
 */
#ifndef HS_PEER_TYPED_H
#define HS_PEER_TYPED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "opkey.h"

enum peer_cmd_id {
	PEER_CMD_PING = 1,
	PEER_CMD_STATUS,
	PEER_CMD_ALERTS,
	PEER_CMD_BUNDLE_HAS,
	PEER_CMD_BUNDLE_PUT,
	PEER_CMD_INSTANCE_START,
	PEER_CMD_INSTANCE_VERIFY,
	PEER_CMD_INSTANCE_STOP,
	PEER_CMD__MAX
};

/* A bundle id (66), hash (64), host, space or instance name, NUL-padded. */
#define PEER_WORD 72

/* Which optional arguments were sent. */
#define PEER_ARG_AFTER   (1u << 0)
#define PEER_ARG_LAST    (1u << 1)
#define PEER_ARG_PROBES  (1u << 2)
#define PEER_ARG_WAIT    (1u << 3)
#define PEER_ARG_SIG     (1u << 4)
#define PEER_ARG_INHERIT (1u << 5)
#define PEER_ARG_INTENT  (1u << 6)
#define PEER_ARG__ALL    ((1u << 7) - 1)

struct peer_intent_wire {
	uint32_t kind;      /* enum intent_kind */
	uint32_t nhosts;    /* = the request's item count */
	char cluster[PEER_WORD], id[PEER_WORD], bundle[PEER_WORD], hash[PEER_WORD],
		canary[PEER_WORD];
	int64_t issued, expires;
	uint8_t key[OPKEY_PUB_LEN];
	uint8_t sig[OPKEY_SIG_LEN];
};

struct peer_typed {
	uint32_t cmd;       /* enum peer_cmd_id */
	uint32_t flags;     /* PEER_ARG_* */
	int64_t after, last;                     /* alerts */
	uint8_t probes, wait, pad[6];            /* alerts: 0 or 1 */
	char id[PEER_WORD], hash[PEER_WORD];     /* bundle.has, bundle.put */
	uint8_t sig_key[OPKEY_PUB_LEN];          /* bundle.put */
	uint8_t sig[OPKEY_SIG_LEN];
	char bundle[PEER_WORD], inherit[PEER_WORD]; /* instance.start */
	char instance[PEER_WORD];                /* instance.verify, .stop */
	struct peer_intent_wire intent;          /* instance.* */
};

/* An intent's host name, as an item after the request. */
struct peer_word {
	char s[PEER_WORD];
};

/* "ping", "status", ...; NULL for an unknown id.  And back: 0 if unknown. */
const char *peer_cmd_name(uint32_t cmd);
uint32_t peer_cmd_id(const char *name);

/*
 * The engine's side: decode a request's cmd and args (strict: unknown keys,
 * wrong types, oversized or odd strings are HS_EINPUT naming the field).
 * *hosts (malloc'd, *nhosts items) gets the intent's host names; files gets
 * bundle.put's files (bundle_files_free them, also after a failure).
 */
int peer_typed_decode(const char *cmd, json_t *args, struct peer_typed *out,
		      struct peer_word **hosts, struct bundle_files *files, char *err,
		      size_t errlen);

/* hsd's side: every field of t as peer_typed_decode leaves it (each string
 * NUL-terminated, of the allowed characters; flags, cmd and booleans in
 * range; nhosts items).  HS_EINPUT naming the field. */
int peer_typed_check(const struct peer_typed *t, const struct peer_word *hosts,
		     uint32_t nhosts, char *err, size_t errlen);

/* A checked request's arguments as the command handlers take them (all
 * but bundle.put's bundle, which travels as records): NULL when out of
 * memory. */
json_t *peer_typed_args(const struct peer_typed *t, const struct peer_word *hosts);

#endif
