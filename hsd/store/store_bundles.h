/* store_bundles.h - the rows of stored bundles and their signatures. */
#ifndef HS_STORE_BUNDLES_H
#define HS_STORE_BUNDLES_H

#include <stddef.h>

#include "store.h"

/* One stored signature, both fields base64 as in the signature file. */
struct store_sig {
	char key[48];
	char sig[96];
};

/* Record bundle id (name, version, hash) and one signature of it in one
 * transaction.  A row already there is kept (an id never changes content:
 * the files were checked against it); the signature is added unless that
 * key's is stored already. */
int store_bundle_add(struct store *st, const char *id, const char *name,
		     const char *version, const char *hash, const struct store_sig *sig,
		     char *err, size_t errlen);

/* The signatures stored for id, oldest first; *out is malloc'd (NULL when
 * there are none). */
int store_bundle_sigs(struct store *st, const char *id, struct store_sig **out, size_t *n,
		      char *err, size_t errlen);

#endif
