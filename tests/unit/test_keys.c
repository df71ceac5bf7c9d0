/* test_keys.c - key generation and the private key file rules. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "keys.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-keys-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(keys, .init = setup, .fini = teardown);

Test(keys, public_key_matches_wg_pubkey)
{
	/* RFC 7748 section 6.1 test vector (Alice). */
	static const char *priv_hex = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const char *pub_hex = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char hex[2 * KEY_LEN + 1];

	for (int i = 0; i < KEY_LEN; i++)
		sscanf(priv_hex + 2 * i, "%2hhx", &priv[i]);
	key_public_of(priv, pub);
	key_to_hex(pub, hex);
	cr_assert_str_eq(hex, pub_hex);
}

Test(keys, write_read_roundtrip_and_modes)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN], back[KEY_LEN];
	char err[HS_ERRLEN], path[128];
	struct stat st;

	cr_assert_eq(key_generate(priv, pub, err, sizeof(err)), 0);
	cr_assert_eq(key_write_pair(dir, priv, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(key_read_private(dir, back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(priv, back, KEY_LEN), 0);
	/* Never replaced. */
	cr_assert_eq(key_write_pair(dir, pub, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(key_read_private(dir, back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(priv, back, KEY_LEN), 0, "existing key was replaced");
}

Test(keys, readable_by_others_is_refused)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char err[HS_ERRLEN], path[128];

	cr_assert_eq(key_generate(priv, pub, err, sizeof(err)), 0);
	cr_assert_eq(key_write_pair(dir, priv, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, dir);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(key_read_private(dir, priv, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "0644"), "%s", err);
}

Test(keys, missing_and_malformed)
{
	uint8_t priv[KEY_LEN];
	char err[HS_ERRLEN], path[128];
	FILE *f;

	cr_assert_eq(key_read_private(dir, priv, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "hsctl keygen"), "%s", err);
	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("not-a-key\n", f);
	fclose(f);
	chmod(path, 0600);
	cr_assert_eq(key_read_private(dir, priv, err, sizeof(err)), HS_ESTATE);
	cr_assert_eq(key_from_base64("AAAA", priv), HS_EINPUT);
}
