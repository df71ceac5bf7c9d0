/* keys.c - WireGuard key pairs with libsodium. */
#include "keys.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int key_generate(uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN], char *err,
		 size_t errlen)
{
	if (sodium_init() < 0)
		return err_set(err, errlen, HS_ESYS, "keygen: libsodium failed to initialise");
	randombytes_buf(priv, KEY_LEN);
	/* Clamp as Curve25519 private keys are (RFC 7748 section 5). */
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	key_public_of(priv, pub);
	return 0;
}

void key_public_of(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN])
{
	crypto_scalarmult_curve25519_base(pub, priv);
}

void key_to_base64(const uint8_t key[KEY_LEN], char out[KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, KEY_B64_LEN + 1, key, KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

void key_to_hex(const uint8_t key[KEY_LEN], char out[2 * KEY_LEN + 1])
{
	sodium_bin2hex(out, 2 * KEY_LEN + 1, key, KEY_LEN);
}

int key_from_base64(const char *text, uint8_t key[KEY_LEN])
{
	size_t len = 0;
	if (strlen(text) != KEY_B64_LEN ||
	    sodium_base642bin(key, KEY_LEN, text, KEY_B64_LEN, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != KEY_LEN)
		return HS_EINPUT;
	return 0;
}

/* Create path exclusively with mode and write one line. */
int key_file_write(const char *path, const char *line, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return err_set(err, errlen, HS_EINPUT,
				       "keygen: %s already exists; refusing to replace a key", path);
		return err_sys(err, errlen, "keygen: %s", path);
	}
	size_t len = strlen(line);
	int rc = 0;
	if (fchmod(fd, mode) || write(fd, line, len) != (ssize_t)len || fsync(fd))
		rc = err_sys(err, errlen, "keygen: write %s", path);
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

int key_write_pair(const char *dir, const uint8_t priv[KEY_LEN], char *err,
		   size_t errlen)
{
	char path[PATH_MAX], b64[KEY_B64_LEN + 1], line[KEY_B64_LEN + 2];
	uint8_t pub[KEY_LEN];
	int rc;

	key_to_base64(priv, b64);
	snprintf(line, sizeof(line), "%s\n", b64);
	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, dir);
	if ((rc = key_file_write(path, line, 0600, err, errlen)))
		return rc;
	key_public_of(priv, pub);
	key_to_base64(pub, b64);
	snprintf(line, sizeof(line), "%s\n", b64);
	snprintf(path, sizeof(path), "%s/" KEY_PUBLIC_FILE, dir);
	unlink(path); /* derived data: always rewritten from the private key */
	rc = key_file_write(path, line, 0644, err, errlen);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}

int key_file_read(const char *path, const char *what, char *line, size_t len, char *err,
		  size_t errlen)
{
	struct stat st;
	ssize_t n;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? err_set(err, errlen, HS_ENOENT, "%s %s: no such file", what, path)
				       : err_sys(err, errlen, "%s %s", what, path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = err_set(err, errlen, HS_ESTATE, "%s %s: not a regular file", what, path);
	} else if (st.st_uid != geteuid()) {
		rc = err_set(err, errlen, HS_ESTATE, "%s %s: owned by uid %u, not by us; refusing it",
			     what, path, (unsigned)st.st_uid);
	} else if (st.st_mode & 077) {
		rc = err_set(err, errlen, HS_ESTATE,
			     "%s %s: mode %04o lets others read it; refusing it (chmod 600)", what,
			     path, (unsigned)(st.st_mode & 07777));
	} else if ((n = read(fd, line, len - 1)) < 0) {
		rc = err_sys(err, errlen, "%s %s", what, path);
	} else {
		line[n] = 0;
	}
	close(fd);
	return rc;
}

int key_read_private(const char *dir, uint8_t priv[KEY_LEN], char *err,
		     size_t errlen)
{
	char path[PATH_MAX], line[128];

	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, dir);
	int rc = key_file_read(path, "private key", line, sizeof(line), err, errlen);
	if (rc == HS_ENOENT)
		return err_set(err, errlen, HS_ESTATE,
			       "no private key at %s: run `hsctl keygen --state-dir %s`", path, dir);
	if (!rc) {
		line[strcspn(line, "\r\n")] = 0;
		if (key_from_base64(line, priv))
			rc = err_set(err, errlen, HS_ESTATE,
				     "private key %s: not a base64 32-byte key", path);
	}
	sodium_memzero(line, sizeof(line));
	return rc;
}
