/* fuzz_engine_msg.c - engine_msg_check, on both ends of hsd's channel to
 * its route engine.  Properties: it never reads past len, and a message it
 * accepts has exactly the size its type and counts give. */
#include "engine_msg.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_msg m;
	/* A copy of exactly size bytes: ASan sees any read beyond it. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (engine_msg_check(copy, size, &m, NULL, 0) == 0) {
		const uint8_t *end = copy + size;
		FUZZ_ASSERT((const uint8_t *)m.body > copy && (const uint8_t *)m.items <= end);
		if (m.type == ENGINE_MSG_SNAPSHOT) {
			struct engine_snapshot s;
			memcpy(&s, m.body, sizeof(s));
			FUZZ_ASSERT((const uint8_t *)m.items + s.n_routes * sizeof(struct engine_route_info) +
					    s.n_neigh * sizeof(struct engine_neigh_info) == end);
		}
		if (m.type == ENGINE_MSG_ROUTE) {
			struct engine_route r;
			memcpy(&r, m.body, sizeof(r));
			FUZZ_ASSERT(r.len <= 32);
		}
	}
	free(copy);
	return 0;
}
