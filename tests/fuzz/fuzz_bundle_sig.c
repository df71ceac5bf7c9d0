/* fuzz_bundle_sig.c - a bundle signature as a peer sends it with
 * bundle.put: bundle_sig_parse, then the check against a cluster whose one
 * operator key is fixed (seed 0x02...).  Properties: an accepted file
 * formats back to what parses to the same signature; a check passes only
 * for the operator's key, and only for the id and hash it signed. */
#include "bundle_sig.h"
#include "err.h"
#include "fuzz_util.h"
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ID "det-1"
#define HASH "7777777777777777777777777777777777777777777777777777777777777777"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cluster c;
	static int ready;
	char err[HS_ERRLEN] = "";
	struct bundle_sig s, again;

	if (!ready) {
		uint8_t seed[32], sk[64];
		memset(seed, 2, sizeof(seed));
		FUZZ_ASSERT(sodium_init() >= 0);
		crypto_sign_seed_keypair(c.operators[0], sk, seed);
		c.noperators = 1;
		strcpy(c.name, "three");
		ready = 1;
	}
	if (bundle_sig_parse((const char *)data, size, &s, err, sizeof(err))) {
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
		return 0;
	}
	char *text = bundle_sig_format(&s);
	FUZZ_ASSERT(text);
	FUZZ_ASSERT(bundle_sig_parse(text, strlen(text), &again, err, sizeof(err)) == 0);
	FUZZ_ASSERT(!memcmp(&s, &again, sizeof(s)));
	free(text);
	if (bundle_sig_check(&s, ID, HASH, &c, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(!memcmp(s.key, c.operators[0], sizeof(s.key)));
		FUZZ_ASSERT(bundle_sig_check(&s, "det-2", HASH, &c, err, sizeof(err)) == HS_EINPUT);
	} else {
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
	}
	return 0;
}
