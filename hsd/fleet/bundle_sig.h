/* bundle_sig.h - operator signatures over bundles (docs/bundles.md,
 * "Signatures"; why: docs/security.md, "Fleet trust").
 *
 * An operator signs the message
 *     "hsd-bundle-sig-v1\n" ID "\n" HASH "\n"
 * with an ed25519 key listed in cluster.json's "operators": the prefix keeps
 * a bundle signature from being mistaken for any other signed thing, and
 * the id and content hash bind it to exactly one bundle.  The signature
 * file is JSON: {"key": BASE64 PUBLIC KEY, "sig": BASE64 SIGNATURE}.
 */
#ifndef HS_BUNDLE_SIG_H
#define HS_BUNDLE_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "opkey.h"

#define BUNDLE_SIG_DOMAIN "hsd-bundle-sig-v1\n"
#define BUNDLE_SIG_TEXT_MAX 4096 /* bytes of a signature file */

struct bundle_sig {
	uint8_t key[OPKEY_PUB_LEN];
	uint8_t sig[OPKEY_SIG_LEN];
};

/* The signed message for id and hash; its length, or HS_EINPUT when it
 * does not fit in outlen. */
int bundle_sig_message(const char *id, const char *hash, char *out, size_t outlen);

/* Sign id and hash with k. */
int bundle_sig_make(const struct opkey *k, const char *id, const char *hash,
		    struct bundle_sig *out, char *err, size_t errlen);

/* Parse a signature file's text strictly: exactly the keys "key" and "sig",
 * each a padded standard base64 string of the right length.  HS_EINPUT
 * with "signature: ..." otherwise. */
int bundle_sig_parse(const char *text, size_t len, struct bundle_sig *out, char *err,
		     size_t errlen);

/* The signature file's text (one line of JSON and a newline), malloc'd;
 * NULL when out of memory. */
char *bundle_sig_format(const struct bundle_sig *s);

/* Both fields as base64 (for the store), and back; from_b64 is strict as
 * bundle_sig_parse is and returns HS_EINPUT without a message. */
void bundle_sig_to_b64(const struct bundle_sig *s, char key[OPKEY_PUB_B64_LEN + 1],
		       char sig[OPKEY_SIG_B64_LEN + 1]);
int bundle_sig_from_b64(const char *key, const char *sig, struct bundle_sig *out);

/* Is s an operator's signature of bundle id with content hash hash?  0, or
 * HS_EINPUT with one line naming the bundle and what failed: the key is not
 * one of c's operators, or the signature does not match id and hash. */
int bundle_sig_check(const struct bundle_sig *s, const char *id, const char *hash,
		     const struct cluster *c, char *err, size_t errlen);

#endif
