/* bundle_int.h - pieces shared by the bundle_*.c files, not an API. */
#ifndef HS_BUNDLE_INT_H
#define HS_BUNDLE_INT_H

#include "bundle.h"
#include "jmsg.h"

#include <stddef.h>
#include <stdint.h>

/* Room for one user-supplied string quoted into a message. */
#define BUNDLE_QUOTE_MAX 80

/* One file of a bundle held in memory: bundles are small (<= 16 MiB), and
 * holding the bytes means what is hashed is exactly what is written. */
struct bundle_blob {
	char *path;
	uint8_t *data;
	size_t len;
};



/* Why a listed path is unacceptable, or NULL if it is fine. */
const char *bundle_path_problem(const char *p);

/* bundle.json and every listed file of b under dirfd, sorted by path,
 * each opened without following symlinks and required to be regular. */
int bundle_read_blobs(int dirfd, const struct bundle *b, struct bundle_blob **out,
		      size_t *n, char *err, size_t errlen);
void bundle_blobs_free(struct bundle_blob *v, size_t n);
void bundle_blobs_sort(struct bundle_blob *v, size_t n);

/* HS_EINPUT, naming alert.pattern, when regcomp could expand re past
 * limit pieces (repetitions of repetitions); bundle_pattern.c. */
int bundle_pattern_check(const char *re, size_t limit, char *err, size_t errlen);

/* sha256 over (path, NUL, 8-byte big-endian length, bytes) of sorted blobs. */
void bundle_hash_blobs(const struct bundle_blob *v, size_t n, char out[BUNDLE_HASH_HEX + 1]);

#endif
