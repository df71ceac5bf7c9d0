/* store_bundles.h - the rows of stored bundles and their signatures. */
#ifndef HS_STORE_BUNDLES_H
#define HS_STORE_BUNDLES_H

#include <stddef.h>
#include <stdint.h>

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

/* One stored bundle.  Sized as bundle.h allows with room to spare; a
 * stored value that does not fit is an error, never shown cut. */
struct store_bundle {
	char id[80];      /* NAME-VERSION */
	char name[40];
	char version[40];
	char hash[72];    /* sha256 hex of the content */
	int64_t added_at; /* unix ms */
};

/* The bundle id: 1 and *out filled (out may be NULL: is it stored?), 0
 * when unknown, or an hs_rc. */
int store_bundle_get(struct store *st, const char *id, struct store_bundle *out,
		     char *err, size_t errlen);

/* Every stored bundle by name, then oldest first; *out is malloc'd (NULL
 * when there are none), free() it. */
int store_bundle_list(struct store *st, struct store_bundle **out, size_t *n,
		      char *err, size_t errlen);

#endif
