/* opkey.c - operator key pairs (ed25519, libsodium crypto_sign). */
#include "opkey.h"
#include "err.h"
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int opkey_generate(struct opkey *k, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return err_set(err, errlen, HS_ESYS, "keygen: libsodium failed to initialise");
	crypto_sign_keypair(k->pub, k->sec);
	return 0;
}

/* Decode exactly n bytes from padded standard base64 of exactly b64len
 * characters: no whitespace, no other variant, nothing after it. */
static int b64_exact(const char *s, size_t b64len, uint8_t *out, size_t n)
{
	size_t len = 0;
	const char *end = NULL;

	if (strlen(s) != b64len ||
	    sodium_base642bin(out, n, s, b64len, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + b64len || len != n)
		return HS_EINPUT;
	return 0;
}

int opkey_pub_parse(const char *b64, uint8_t pub[OPKEY_PUB_LEN])
{
	uint8_t k[OPKEY_PUB_LEN], again[OPKEY_PUB_B64_LEN + 1];

	if (!b64 || b64_exact(b64, OPKEY_PUB_B64_LEN, k, sizeof(k)))
		return HS_EINPUT;
	/* One key, one spelling: non-zero trailing bits would let two
	 * strings name the same key (and pass a duplicate check). */
	sodium_bin2base64((char *)again, sizeof(again), k, sizeof(k),
			  sodium_base64_VARIANT_ORIGINAL);
	if (strcmp((const char *)again, b64) != 0)
		return HS_EINPUT;
	/* Small-order points verify signatures nobody made. */
	if (!crypto_core_ed25519_is_valid_point(k))
		return HS_EINPUT;
	memcpy(pub, k, sizeof(k));
	return 0;
}

void opkey_pub_b64(const uint8_t pub[OPKEY_PUB_LEN], char out[OPKEY_PUB_B64_LEN + 1])
{
	sodium_bin2base64(out, OPKEY_PUB_B64_LEN + 1, pub, OPKEY_PUB_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

void opkey_pub_short(const uint8_t pub[OPKEY_PUB_LEN], char out[OPKEY_SHORT_LEN + 1])
{
	char b64[OPKEY_PUB_B64_LEN + 1];

	opkey_pub_b64(pub, b64);
	snprintf(out, OPKEY_SHORT_LEN + 1, "%.*s...", OPKEY_SHORT_LEN - 3, b64);
}

void opkey_sign(const struct opkey *k, const void *msg, size_t len,
		uint8_t sig[OPKEY_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sec);
}

bool opkey_verify(const uint8_t pub[OPKEY_PUB_LEN], const void *msg, size_t len,
		  const uint8_t sig[OPKEY_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, pub) == 0;
}

void opkey_wipe(struct opkey *k)
{
	sodium_memzero(k->sec, sizeof(k->sec));
}

int opkey_write(const char *path, const struct opkey *k, char *err, size_t errlen)
{
	char pubpath[PATH_MAX], line[OPKEY_SEC_B64_LEN + 2];
	struct stat st;
	int rc;

	if ((size_t)snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= sizeof(pubpath))
		return err_set(err, errlen, HS_EINPUT, "keygen: %s: path too long", path);
	/* Check both before writing either, so a refusal leaves nothing. */
	if (lstat(path, &st) == 0 || lstat(pubpath, &st) == 0)
		return err_set(err, errlen, HS_EINPUT,
			       "keygen: %s already exists; refusing to replace a key",
			       lstat(path, &st) == 0 ? path : pubpath);
	sodium_bin2base64(line, sizeof(line), k->sec, OPKEY_SEC_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	strcat(line, "\n");
	rc = key_file_write(path, line, 0600, err, errlen);
	sodium_memzero(line, sizeof(line));
	if (rc)
		return rc;
	opkey_pub_b64(k->pub, line);
	strcat(line, "\n");
	if ((rc = key_file_write(pubpath, line, 0644, err, errlen)))
		unlink(path);
	return rc;
}

int opkey_read(const char *path, struct opkey *k, char *err, size_t errlen)
{
	uint8_t pub[OPKEY_PUB_LEN], sec[OPKEY_SEC_LEN];
	char line[256];
	int rc = key_file_read(path, "operator key", line, sizeof(line), err, errlen);

	if (rc == HS_ENOENT)
		return err_set(err, errlen, HS_EINPUT,
			       "operator key %s: no such file (hsctl keygen --operator FILE)", path);
	if (!rc) {
		size_t n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = 0;
		if (b64_exact(line, OPKEY_SEC_B64_LEN, sec, sizeof(sec)))
			rc = err_set(err, errlen, HS_ESTATE,
				     "operator key %s: not a base64 ed25519 secret key", path);
		/* libsodium's secret key is seed || public key: the public half
		 * must be the one the seed makes, or signatures name a key they
		 * were not made with. */
		else if (crypto_sign_seed_keypair(pub, k->sec, sec) != 0 ||
			 sodium_memcmp(pub, sec + 32, OPKEY_PUB_LEN) != 0)
			rc = err_set(err, errlen, HS_ESTATE,
				     "operator key %s: public half does not match the secret one", path);
		else
			memcpy(k->pub, pub, sizeof(pub));
	}
	sodium_memzero(line, sizeof(line));
	sodium_memzero(sec, sizeof(sec));
	if (rc)
		opkey_wipe(k);
	return rc;
}
