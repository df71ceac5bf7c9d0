/* keys.h - WireGuard (Curve25519) key pairs.
 *
 * The private key lives in the state directory, mode 0600, as one line of
 * base64 (the same text `wg genkey` prints).  It is never passed on a
 * command line.
 */
#ifndef HS_KEYS_H
#define HS_KEYS_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

#define KEY_LEN 32
#define KEY_B64_LEN 44 /* base64 of 32 bytes, with one '=' */
#define KEY_PRIVATE_FILE "private.key"
#define KEY_PUBLIC_FILE "public.key"

int key_generate(uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN], char *err,
		 size_t errlen);
void key_public_of(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN]);
void key_to_base64(const uint8_t key[KEY_LEN], char out[KEY_B64_LEN + 1]);
void key_to_hex(const uint8_t key[KEY_LEN], char out[2 * KEY_LEN + 1]);
int key_from_base64(const char *text, uint8_t key[KEY_LEN]);

/* Write a new key pair into dir; refuses (HS_EINPUT) to replace one. */
int key_write_pair(const char *dir, const uint8_t priv[KEY_LEN], char *err,
		   size_t errlen);
/* Read dir's private key; refuses (HS_ESTATE) one that group or others can
 * read or that another user owns. */
/* Create path exclusively (never replacing a key) with mode, write line
 * and sync it; nothing is left behind on failure. */
int key_file_write(const char *path, const char *line, mode_t mode, char *err, size_t errlen);

/* Read a secret file (a key): a regular file, not a symlink, ours, that
 * others cannot read; its first len-1 bytes NUL-terminated into line, as
 * they are.  HS_ENOENT when it does not exist (the caller says how to make
 * one), HS_ESTATE for an unsafe file; messages start "WHAT PATH". */
int key_file_read(const char *path, const char *what, char *line, size_t len, char *err,
		  size_t errlen);

int key_read_private(const char *dir, uint8_t priv[KEY_LEN], char *err,
		     size_t errlen);

#endif
