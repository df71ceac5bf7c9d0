/* fuzz_intent.c - an intent envelope as a peer sends it with an instance
 * step (intent_verify), then the step rules on whatever verifies.  The
 * operator key is fixed (seed 0x01...), so the seed corpus holds envelopes
 * it signed and mutations reach past the signature check. */
#include "err.h"
#include "fuzz_util.h"
#include "intent.h"
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define NOW 1800000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[CLUSTER_KEY_LEN], sk[64];
	static int ready;
	char err[HS_ERRLEN] = "";
	struct intent it;

	if (!ready) {
		uint8_t seed[32];
		memset(seed, 1, sizeof(seed));
		FUZZ_ASSERT(sodium_init() >= 0);
		crypto_sign_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	json_t *env = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	int rc = intent_verify(env, (const uint8_t(*)[CLUSTER_KEY_LEN])pk, 1, "three", NOW, &it,
			       err, sizeof(err));
	json_decref(env);
	if (rc) {
		FUZZ_ASSERT(rc == HS_EINPUT || rc == HS_ESYS);
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
		intent_free(&it);
		return 0;
	}
	/* Only the operator's key, this cluster, this moment, pass. */
	FUZZ_ASSERT(!memcmp(it.key, pk, sizeof(pk)));
	FUZZ_ASSERT(!strcmp(it.cluster, "three"));
	FUZZ_ASSERT(it.issued - INTENT_SKEW_MAX <= NOW && NOW < it.expires);
	FUZZ_ASSERT(it.nhosts >= 1);
	struct intent_target own = { it.bundle, it.hash, true, 0 };
	/* The last verified instance is never stopped, whatever was signed. */
	FUZZ_ASSERT(intent_allows(&it, it.hosts[0], INTENT_STEP_STOP, &own, err, sizeof(err)) ==
		    HS_EINPUT);
	FUZZ_ASSERT(intent_allows(&it, it.hosts[0], INTENT_STEP_START, &own, err, sizeof(err)) ==
		    0);
	struct intent_target other = { "zz-other-1", it.hash, false, 1 };
	FUZZ_ASSERT(intent_allows(&it, it.hosts[0], INTENT_STEP_START, &other, err, sizeof(err)) ==
		    HS_EINPUT);
	intent_free(&it);
	return 0;
}
