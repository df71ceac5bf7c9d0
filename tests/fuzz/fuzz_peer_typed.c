/* fuzz_peer_typed.c - a peer request as fixed fields, on both sides of the
 * route engine's channel.  The first byte picks:
 *   0: "CMD\0ARGS-JSON" through peer_typed_decode (the engine, on a peer's
 *      bytes); what it accepts must pass hsd's peer_typed_check, rebuild
 *      into arguments, and bundle.put's files must survive records;
 *   1: raw struct peer_typed and host items through peer_typed_check (hsd,
 *      on a compromised engine's bytes), then peer_typed_args;
 *   2: raw bundle records through bundle_files_decode (hsd, likewise),
 *      and what it accepts encodes to the same bytes. */
#include "fuzz_util.h"
#include "peer_typed.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void from_json(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct peer_typed t;
	struct peer_word *hosts = NULL;
	struct bundle_files f;
	json_error_t je;
	char cmd[64], err[256];

	if (!nul || (size_t)(nul - data) >= sizeof(cmd))
		return;
	memcpy(cmd, data, (size_t)(nul - data) + 1);
	json_t *args = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1,
				  JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(args)) {
		json_decref(args);
		return;
	}
	if (peer_typed_decode(cmd, args, &t, &hosts, &f, err, sizeof(err)) == 0) {
		uint32_t n = t.flags & PEER_ARG_INTENT ? t.intent.nhosts : 0;
		FUZZ_ASSERT(peer_typed_check(&t, hosts, n, err, sizeof(err)) == 0);
		if (t.cmd == PEER_CMD_BUNDLE_PUT) {
			struct bundle_files g;
			uint8_t *buf;
			size_t len;
			FUZZ_ASSERT(bundle_files_encode(&f, &buf, &len) == 0);
			FUZZ_ASSERT(bundle_files_decode(buf, len, &g, err, sizeof(err)) == 0);
			FUZZ_ASSERT(g.n == f.n);
			bundle_files_free(&g);
			free(buf);
		} else {
			json_t *a = peer_typed_args(&t, hosts);
			FUZZ_ASSERT(a != NULL);
			json_decref(a);
		}
	}
	free(hosts);
	bundle_files_free(&f);
	json_decref(args);
}

static void from_struct(const uint8_t *data, size_t size)
{
	struct peer_typed t;
	char err[256];

	if (size < sizeof(t))
		return;
	memcpy(&t, data, sizeof(t));
	size_t rest = size - sizeof(t), n = rest / sizeof(struct peer_word);
	struct peer_word *hosts = malloc(n ? n * sizeof(*hosts) : 1);
	if (!hosts)
		return;
	memcpy(hosts, data + sizeof(t), n * sizeof(*hosts));
	if (peer_typed_check(&t, hosts, (uint32_t)n, err, sizeof(err)) == 0)
		json_decref(peer_typed_args(&t, hosts));
	free(hosts);
}

static void from_records(const uint8_t *data, size_t size)
{
	struct bundle_files f;
	char err[256];
	uint8_t *copy = malloc(size ? size : 1), *buf;
	size_t len;

	if (!copy)
		return;
	memcpy(copy, data, size); /* exactly size bytes: ASan sees overreads */
	if (bundle_files_decode(copy, size, &f, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(bundle_files_encode(&f, &buf, &len) == 0);
		FUZZ_ASSERT(len == size && memcmp(buf, copy, len) == 0);
		free(buf);
		bundle_files_free(&f);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		from_json(data + 1, size - 1);
		break;
	case 1:
		from_struct(data + 1, size - 1);
		break;
	default:
		from_records(data + 1, size - 1);
	}
	return 0;
}
