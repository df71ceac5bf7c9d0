/* bundle_wire.c - a bundle as it travels between hosts: the JSON message
 * another host sends (bundle.put), and the same files as the flat records
 * the route engine hands hsd once it decoded that message (bundle.h).
 *
 * Records: u32 count, then per file u16 path length, the path, u32 data
 * length, the data; host byte order (both ends are on one host).  Decoding
 * them is the whole of what root hsd parses of a received bundle before
 * its hash is checked against the operator's signature.
 */
#include "bundle.h"
#include "bundle_int.h"
#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* base64 of every file together, with padding. */
#define PACK_B64_MAX (((BUNDLE_BYTES_MAX + BUNDLE_MANIFEST_MAX) / 3 + 1) * 4 + \
		      (BUNDLE_FILES_MAX + 1) * 4)

void bundle_files_free(struct bundle_files *f)
{
	bundle_blobs_free(f->v, f->n);
	f->v = NULL;
	f->n = 0;
}

/* A received file's path: bundle.json, or one a manifest could list. */
static int path_check(const char *path, char *err, size_t errlen)
{
	char q[BUNDLE_QUOTE_MAX];
	const char *why = strcmp(path, BUNDLE_MANIFEST) ? bundle_path_problem(path) : NULL;

	return why ? err_set(err, errlen, HS_EINPUT, "bundle message: files.\"%s\": %s",
			     jmsg_quote(path, q, sizeof(q)), why)
		   : 0;
}

/* One more file, its bytes taken from a budget of what a bundle may hold. */
static int files_add(struct bundle_files *f, const char *path, uint8_t *data, size_t len,
		     size_t *budget, char *err, size_t errlen)
{
	char q[BUNDLE_QUOTE_MAX];
	bool manifest = !strcmp(path, BUNDLE_MANIFEST);
	int rc;

	if ((rc = path_check(path, err, errlen)))
		goto fail;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].path, path)) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle message: files.\"%s\": twice",
				     jmsg_quote(path, q, sizeof(q)));
			goto fail;
		}
	if (manifest ? len > BUNDLE_MANIFEST_MAX : len > *budget) {
		rc = err_set(err, errlen, HS_EINPUT,
			     "bundle message: files.\"%s\": too big (the bundle's limit is %u bytes)",
			     jmsg_quote(path, q, sizeof(q)),
			     manifest ? BUNDLE_MANIFEST_MAX : BUNDLE_BYTES_MAX);
		goto fail;
	}
	if (f->n == BUNDLE_FILES_MAX + 1) {
		rc = err_set(err, errlen, HS_EINPUT, "bundle message: files: more than %d entries",
			     BUNDLE_FILES_MAX + 1);
		goto fail;
	}
	struct bundle_blob *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	char *p = strdup(path);
	if (v)
		f->v = v;
	if (!v || !p) {
		free(p);
		rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
		goto fail;
	}
	f->v[f->n++] = (struct bundle_blob){ p, data, len };
	if (!manifest)
		*budget -= len;
	return 0;
fail:
	free(data);
	return rc;
}

int bundle_msg_decode(json_t *msg, char id[BUNDLE_ID_MAX + 2], char hash[BUNDLE_HASH_HEX + 1],
		      struct bundle_files *out, char *err, size_t errlen)
{
	const char *key, *sid, *shash;
	size_t klen, total = 0, budget = BUNDLE_BYTES_MAX;
	json_t *val, *files;
	char q[BUNDLE_QUOTE_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(msg))
		return err_set(err, errlen, HS_EINPUT, "bundle message: expected an object");
	json_object_keylen_foreach(msg, key, klen, val) {
		if (klen != strlen(key) ||
		    (strcmp(key, "id") && strcmp(key, "hash") && strcmp(key, "files")))
			return err_set(err, errlen, HS_EINPUT, "bundle message: unknown key \"%s\"",
				       jmsg_quote(key, q, sizeof(q)));
	}
	sid = json_string_value(json_object_get(msg, "id"));
	shash = json_string_value(json_object_get(msg, "hash"));
	files = json_object_get(msg, "files");
	if (!sid || !*sid || strlen(sid) > BUNDLE_ID_MAX || !bundle_word_ok(sid, BUNDLE_ID_MAX))
		return err_set(err, errlen, HS_EINPUT, "bundle message: id: expected a bundle id");
	if (!shash || !bundle_hex_ok(shash, BUNDLE_HASH_HEX))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle message: hash: expected 64 lower-case hex digits");
	if (!json_is_object(files))
		return err_set(err, errlen, HS_EINPUT, "bundle message: files: expected an object");
	if (json_object_size(files) > BUNDLE_FILES_MAX + 1)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle message: files: more than %d entries", BUNDLE_FILES_MAX + 1);
	/* Bound the whole message before decoding any of it. */
	json_object_keylen_foreach(files, key, klen, val) {
		if (klen != strlen(key))
			return err_set(err, errlen, HS_EINPUT,
				       "bundle message: files: path with a NUL byte");
		if (!json_is_string(val))
			return err_set(err, errlen, HS_EINPUT,
				       "bundle message: files.\"%s\": expected a base64 string",
				       jmsg_quote(key, q, sizeof(q)));
		total += json_string_length(val);
		if (total > PACK_B64_MAX)
			return err_set(err, errlen, HS_EINPUT,
				       "bundle message: files: larger than a bundle may be");
	}
	json_object_foreach(files, key, val) {
		const char *s = json_string_value(val), *end = NULL;
		size_t slen = json_string_length(val), cap = slen / 4 * 3 + 3, len = 0;
		uint8_t *data = malloc(cap);

		if (!data) {
			rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
			goto fail;
		}
		if (sodium_base642bin(data, cap, s, slen, NULL, &len, &end,
				      sodium_base64_VARIANT_ORIGINAL) < 0 || end != s + slen) {
			free(data);
			rc = err_set(err, errlen, HS_EINPUT, "bundle message: files.\"%s\": bad base64",
				     jmsg_quote(key, q, sizeof(q)));
			goto fail;
		}
		if ((rc = files_add(out, key, data, len, &budget, err, errlen)))
			goto fail;
	}
	strcpy(id, sid);
	strcpy(hash, shash);
	return 0;
fail:
	bundle_files_free(out);
	return rc;
}

int bundle_files_encode(const struct bundle_files *f, uint8_t **out, size_t *outlen)
{
	size_t len = 4;
	uint8_t *p;

	for (size_t i = 0; i < f->n; i++)
		len += 2 + strlen(f->v[i].path) + 4 + f->v[i].len;
	if (!(p = *out = malloc(len)))
		return HS_ESYS;
	*outlen = len;
	uint32_t n = (uint32_t)f->n;
	memcpy(p, &n, 4);
	p += 4;
	for (size_t i = 0; i < f->n; i++) {
		uint16_t pl = (uint16_t)strlen(f->v[i].path);
		uint32_t dl = (uint32_t)f->v[i].len;
		memcpy(p, &pl, 2);
		memcpy(p + 2, f->v[i].path, pl);
		p += 2 + pl;
		memcpy(p, &dl, 4);
		memcpy(p + 4, f->v[i].data, dl);
		p += 4 + dl;
	}
	return 0;
}

/* Take len bytes at *at from buf[0..end), or fail. */
static const uint8_t *take(const uint8_t **at, const uint8_t *end, size_t len)
{
	const uint8_t *p = *at;

	if ((size_t)(end - p) < len)
		return NULL;
	*at = p + len;
	return p;
}

int bundle_files_decode(const uint8_t *buf, size_t len, struct bundle_files *out, char *err,
			size_t errlen)
{
	const uint8_t *at = buf, *end = buf + len, *p;
	size_t budget = BUNDLE_BYTES_MAX;
	uint32_t n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!(p = take(&at, end, 4)))
		return err_set(err, errlen, HS_EINPUT, "bundle records: truncated count");
	memcpy(&n, p, 4);
	if (n > BUNDLE_FILES_MAX + 1)
		return err_set(err, errlen, HS_EINPUT, "bundle records: %u files", n);
	for (uint32_t i = 0; i < n && !rc; i++) {
		uint16_t pl;
		uint32_t dl;
		char path[BUNDLE_PATH_MAX + 1];
		uint8_t *data;

		if (!(p = take(&at, end, 2))) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle records: truncated");
			break;
		}
		memcpy(&pl, p, 2);
		if (pl == 0 || pl > BUNDLE_PATH_MAX || !(p = take(&at, end, pl)) ||
		    memchr(p, 0, pl)) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle records: file %u: bad path", i);
			break;
		}
		memcpy(path, p, pl);
		path[pl] = 0;
		if (!(p = take(&at, end, 4))) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle records: truncated");
			break;
		}
		memcpy(&dl, p, 4);
		if (!(p = take(&at, end, dl))) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle records: truncated");
			break;
		}
		if (!(data = malloc(dl ? dl : 1))) {
			rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
			break;
		}
		memcpy(data, p, dl);
		rc = files_add(out, path, data, dl, &budget, err, errlen);
	}
	if (!rc && at != end)
		rc = err_set(err, errlen, HS_EINPUT, "bundle records: %zu bytes past the last file",
			     (size_t)(end - at));
	if (rc)
		bundle_files_free(out);
	return rc;
}
