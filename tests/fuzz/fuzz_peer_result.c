/* fuzz_peer_result.c - a call's result as schema-fixed records, on both
 * sides of the engine's channel.  The first byte picks the command; the
 * second whether the rest is another host's reply result (JSON, through
 * peer_result_encode in the engine: what it accepts decodes in hsd to the
 * same fields) or raw records (through peer_result_decode in hsd, on a
 * compromised engine's bytes: what it accepts encodes back to them). */
#include "fuzz_util.h"
#include "peer_result.h"
#include "peer_typed.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	uint8_t *rec, *copy;
	size_t len;
	json_t *out;

	if (size < 2)
		return 0;
	uint32_t cmd = 1 + data[0] % (PEER_CMD__MAX - 1);
	bool raw = data[1] & 1;
	data += 2;
	size -= 2;
	if (!raw) {
		json_error_t je;
		json_t *in = json_loadb((const char *)data, size, 0, &je);
		if (in && peer_result_encode(cmd, in, &rec, &len, err, sizeof(err)) == 0) {
			FUZZ_ASSERT(peer_result_decode(cmd, rec, len, &out, err, sizeof(err)) == 0);
			json_decref(out);
			free(rec);
		}
		json_decref(in);
		return 0;
	}
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size); /* exactly size bytes: ASan sees overreads */
	if (peer_result_decode(cmd, copy, size, &out, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(peer_result_encode(cmd, out, &rec, &len, err, sizeof(err)) == 0);
		FUZZ_ASSERT(len == size && memcmp(rec, copy, len) == 0);
		free(rec);
		json_decref(out);
	}
	free(copy);
	return 0;
}
