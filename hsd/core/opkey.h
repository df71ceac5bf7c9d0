/* opkey.h - operator keys: ed25519 key pairs an operator signs with.
 *
 * A host's WireGuard key (keys.h) says who a host is; an operator key says
 * who may tell the fleet what to run.  The public halves are listed in
 * cluster.json ("operators"); the secret half stays on the operator's
 * workstation, in a file of its own (mode 0600, base64 of libsodium's
 * 64-byte secret key and a newline) beside FILE.pub (base64 of the 32-byte
 * public key and a newline).  Signed messages are domain-separated by the
 * caller (e.g. bundle_sig.h), so one key can sign several kinds of thing.
 */
#ifndef HS_OPKEY_H
#define HS_OPKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPKEY_PUB_LEN 32
#define OPKEY_SEC_LEN 64
#define OPKEY_SIG_LEN 64
#define OPKEY_PUB_B64_LEN 44 /* base64 of 32 bytes, one '=' */
#define OPKEY_SEC_B64_LEN 88 /* base64 of 64 bytes, two '=' */
#define OPKEY_SIG_B64_LEN 88
/* Room for the short form of a public key in listings: "ABCDEFGHIJ..." */
#define OPKEY_SHORT_LEN 14

struct opkey {
	uint8_t pub[OPKEY_PUB_LEN];
	uint8_t sec[OPKEY_SEC_LEN];
};

/* A fresh key pair. */
int opkey_generate(struct opkey *k, char *err, size_t errlen);

/* Write path (0600, O_EXCL) and path.pub (0644, O_EXCL): an existing file
 * is never replaced (HS_EINPUT).  A failure leaves neither file behind. */
int opkey_write(const char *path, const struct opkey *k, char *err, size_t errlen);

/* Read a secret key file written by opkey_write.  Refuses (HS_ESTATE) a
 * file others may read or another user owns, and one whose public half does
 * not belong to its seed (a damaged or spliced file). */
int opkey_read(const char *path, struct opkey *k, char *err, size_t errlen);

/* Strict parse of a public key: padded standard base64 of 32 bytes that
 * is a point of the curve and not of small order.  HS_EINPUT, no message:
 * callers name the field themselves. */
int opkey_pub_parse(const char *b64, uint8_t pub[OPKEY_PUB_LEN]);
void opkey_pub_b64(const uint8_t pub[OPKEY_PUB_LEN], char out[OPKEY_PUB_B64_LEN + 1]);
/* The first characters of the base64 form and "...", for tables. */
void opkey_pub_short(const uint8_t pub[OPKEY_PUB_LEN], char out[OPKEY_SHORT_LEN + 1]);

/* Detached signatures over msg. */
void opkey_sign(const struct opkey *k, const void *msg, size_t len,
		uint8_t sig[OPKEY_SIG_LEN]);
bool opkey_verify(const uint8_t pub[OPKEY_PUB_LEN], const void *msg, size_t len,
		  const uint8_t sig[OPKEY_SIG_LEN]);

/* Overwrite the secret half. */
void opkey_wipe(struct opkey *k);

#endif
