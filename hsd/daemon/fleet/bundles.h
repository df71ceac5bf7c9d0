/* bundles.h - the IDS bundles stored on this host. */
#ifndef HS_BUNDLES_H
#define HS_BUNDLES_H

#include <stddef.h>

#include "bundle.h"
#include "bundle_sig.h"

struct hsd;

/* STATE/bundles or STATE/bundles/ID. */
void bundles_dir(const struct hsd *d, const char *id, char *out, size_t len);
/* Check src and the signature (the text of a signature file, NULL when
 * none came; sig_from names where it was looked for) and store both;
 * *out is the stored bundle.  Nothing is stored unless an operator of the
 * cluster signed src's id and content hash. */
int bundles_add_dir(struct hsd *d, const char *src, const char *sig_text, size_t sig_len,
		    const char *sig_from, struct bundle *out, char *err, size_t errlen);
/* A stored bundle by id; HS_EINPUT naming it when unknown.  Its signature
 * is not checked: use bundles_load_signed for anything that runs it. */
int bundles_load(struct hsd *d, const char *id, struct bundle *out, char *err,
		 size_t errlen);
/* Is b (as loaded from the store, hash from its files) signed by a key
 * that is an operator now?  0 and the signature in *sig (if not NULL), or
 * HS_EINPUT naming the bundle and what failed. */
int bundles_verify(struct hsd *d, const struct bundle *b, struct bundle_sig *sig, char *err,
		   size_t errlen);
/* bundles_load, then bundles_verify: what starting an instance needs. */
int bundles_load_signed(struct hsd *d, const char *id, struct bundle *out, char *err,
			size_t errlen);
/* Check sig_text as a signature of id and hash by an operator (before
 * anything of the bundle is stored); *sig is the parsed signature. */
int bundles_check_sig(struct hsd *d, const char *id, const char *hash, const char *sig_text,
		      size_t sig_len, const char *sig_from, struct bundle_sig *sig, char *err,
		      size_t errlen);

/* Record a bundle already in STATE/bundles (e.g. received from a peer)
 * with the signature that was checked for it. */
int bundles_record(struct hsd *d, const struct bundle *b, const struct bundle_sig *sig,
		   char *err, size_t errlen);
int fs_mkdir_bundles(struct hsd *d, char *err, size_t errlen);

#endif
