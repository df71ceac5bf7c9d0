/* fuzz_wg_uapi.c - replies from a wireguard-go socket (whoever owns the
 * socket path writes them): wg_uapi_parse_get and wg_uapi_parse_errno. */
#include "err.h"
#include "fuzz_util.h"
#include "wg.h"
#include "wg_uapi.h"
#include <stdbool.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device dev, delta;
	char err[HS_ERRLEN];
	int remote;

	if (wg_uapi_parse_get((const char *)data, size, &dev, err, sizeof(err)) == 0) {
		/* A device differs from itself in nothing; not so when a peer
		 * is listed twice, which the parser accepts (reported, see
		 * the fuzz note: a real wireguard-go never sends it). */
		bool dup = false;
		for (size_t i = 0; i < dev.n_peers && !dup; i++)
			for (size_t j = i + 1; j < dev.n_peers && !dup; j++)
				dup = memcmp(dev.peers[i].public_key, dev.peers[j].public_key,
					     sizeof(dev.peers[i].public_key)) == 0;
		if (!dup && wg_device_diff(&dev, &dev, &delta, err, sizeof(err)) == 0) {
			FUZZ_ASSERT(wg_device_is_empty(&delta));
			wg_device_free(&delta);
		}
		/* What was read may be written back (if it validates). */
		char *set;
		size_t setlen;
		if (wg_uapi_format_set(&dev, &set, &setlen, err, sizeof(err)) == 0) {
			FUZZ_ASSERT(setlen > 0 && set[setlen - 1] == '\n');
			wg_uapi_buf_free(set, setlen);
		}
		wg_device_free(&dev);
	} else {
		/* Failure leaves nothing to free: all zero. */
		static const struct wg_device zero;
		FUZZ_ASSERT(memcmp(&dev, &zero, sizeof(dev)) == 0);
	}
	if (wg_uapi_parse_errno((const char *)data, size, &remote, err, sizeof(err)) < 0)
		FUZZ_ASSERT(remote == 0);
	return 0;
}
