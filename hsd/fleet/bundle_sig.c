/* bundle_sig.c - sign, parse and check operator signatures of bundles. */
#include "bundle_sig.h"
#include "bundle.h"
#include "err.h"
#include "jmsg.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the message of the longest id and a hex sha256. */
#define MSG_MAX (sizeof(BUNDLE_SIG_DOMAIN) + BUNDLE_ID_MAX + BUNDLE_HASH_HEX + 4)

int bundle_sig_message(const char *id, const char *hash, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, BUNDLE_SIG_DOMAIN "%s\n%s\n", id, hash);

	return n < 0 || (size_t)n >= outlen ? HS_EINPUT : n;
}

int bundle_sig_make(const struct opkey *k, const char *id, const char *hash,
		    struct bundle_sig *out, char *err, size_t errlen)
{
	char msg[MSG_MAX];
	int n = bundle_sig_message(id, hash, msg, sizeof(msg));

	if (n < 0)
		return err_set(err, errlen, HS_EINPUT, "bundle %s: id too long to sign", id);
	opkey_sign(k, msg, (size_t)n, out->sig);
	memcpy(out->key, k->pub, sizeof(out->key));
	return 0;
}

/* Decode exactly n bytes from a padded standard base64 string. */
static int b64_exact(const char *s, uint8_t *out, size_t n)
{
	const char *end = NULL;
	size_t len = 0;

	if (!s || strlen(s) != sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    sodium_base642bin(out, n, s, strlen(s), NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + strlen(s) || len != n)
		return HS_EINPUT;
	return 0;
}

static int b64_field(json_t *v, uint8_t *out, size_t n)
{
	const char *s = json_string_value(v);

	/* A NUL inside the JSON string must not pass as its prefix. */
	if (!s || strlen(s) != json_string_length(v))
		return HS_EINPUT;
	return b64_exact(s, out, n);
}

void bundle_sig_to_b64(const struct bundle_sig *s, char key[OPKEY_PUB_B64_LEN + 1],
		       char sig[OPKEY_SIG_B64_LEN + 1])
{
	opkey_pub_b64(s->key, key);
	sodium_bin2base64(sig, OPKEY_SIG_B64_LEN + 1, s->sig, sizeof(s->sig),
			  sodium_base64_VARIANT_ORIGINAL);
}

int bundle_sig_from_b64(const char *key, const char *sig, struct bundle_sig *out)
{
	if (opkey_pub_parse(key, out->key) < 0 || b64_exact(sig, out->sig, sizeof(out->sig)) < 0)
		return HS_EINPUT;
	return 0;
}

int bundle_sig_parse(const char *text, size_t len, struct bundle_sig *out, char *err,
		     size_t errlen)
{
	json_error_t je;
	const char *key;
	size_t klen;
	json_t *root, *v;
	char q[64];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (len > BUNDLE_SIG_TEXT_MAX)
		return err_set(err, errlen, HS_EINPUT, "signature: larger than %d bytes",
			       BUNDLE_SIG_TEXT_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(err, errlen, HS_EINPUT, "signature: not JSON (line %d: %s)",
			       je.line, jmsg_quote(je.text, q, sizeof(q)));
	json_object_keylen_foreach(root, key, klen, v) {
		if (klen != strlen(key) || (strcmp(key, "key") && strcmp(key, "sig"))) {
			rc = err_set(err, errlen, HS_EINPUT, "signature: unknown key \"%s\"",
				     jmsg_quote(key, q, sizeof(q)));
			goto out;
		}
	}
	if (opkey_pub_parse(json_string_value(json_object_get(root, "key")), out->key) < 0)
		rc = err_set(err, errlen, HS_EINPUT,
			     "signature: key: missing or not a base64 ed25519 public key");
	else if (b64_field(json_object_get(root, "sig"), out->sig, sizeof(out->sig)) < 0)
		rc = err_set(err, errlen, HS_EINPUT,
			     "signature: sig: missing or not a base64 64-byte signature");
out:
	json_decref(root);
	return rc;
}

char *bundle_sig_format(const struct bundle_sig *s)
{
	char key[OPKEY_PUB_B64_LEN + 1], sig[OPKEY_SIG_B64_LEN + 1], *text = NULL;

	bundle_sig_to_b64(s, key, sig);
	if (asprintf(&text, "{\"key\": \"%s\", \"sig\": \"%s\"}\n", key, sig) < 0)
		return NULL;
	return text;
}

int bundle_sig_check(const struct bundle_sig *s, const char *id, const char *hash,
		     const struct cluster *c, char *err, size_t errlen)
{
	char msg[MSG_MAX], key[OPKEY_PUB_B64_LEN + 1], qid[80], qhash[80];
	int n = bundle_sig_message(id, hash, msg, sizeof(msg));

	/* id and hash may come from another host's message not yet checked:
	 * a newline in either would let one message read as another. */
	if (strchr(id, '\n') || strchr(hash, '\n'))
		n = HS_EINPUT;
	opkey_pub_b64(s->key, key);
	/* Another host's id is quoted: no control byte reaches a message. */
	jmsg_quote(id, qid, sizeof(qid));
	jmsg_quote(hash, qhash, sizeof(qhash));
	/* The operator check comes first: a stranger's key is the finding,
	 * whether or not its signature is good. */
	if (!cluster_is_operator(c, s->key))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle %s: signature: key %s is not an operator of cluster %s",
			       qid, key, c->name);
	if (n < 0 || !opkey_verify(s->key, msg, (size_t)n, s->sig))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle %s: signature does not match content hash %s (key %s)",
			       qid, qhash, key);
	return 0;
}
