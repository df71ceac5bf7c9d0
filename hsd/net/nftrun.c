/* nftrun.c - see nftrun.h. */
#include "nftrun.h"
#include "err.h"

#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

int nftrun_script(const char *script, const char *what, char **output, char *err,
		  size_t errlen)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc = HS_OK;

	if (!nft)
		return err_set(err, errlen, HS_ESYS, "%s: nft_ctx_new failed", what);
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		rc = err_set(err, errlen, HS_ESYS, "%s: cannot buffer nft output", what);
	} else if (nft_run_cmd_from_buffer(nft, script) != 0) {
		const char *msg = nft_ctx_get_error_buffer(nft);
		if (!msg || !*msg)
			msg = "nft failed without a message";
		size_t n = strcspn(msg, "\n");
		rc = err_set(err, errlen, HS_ESYS, "%s: %.*s", what, (int)(n > 300 ? 300 : n), msg);
	} else if (output) {
		const char *o = nft_ctx_get_output_buffer(nft);
		if (!(*output = strdup(o ? o : "")))
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
	}
	nft_ctx_free(nft);
	return rc;
}
