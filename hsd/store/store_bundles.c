/* store_bundles.c - the rows of stored bundles and their signatures. */
#include "store_bundles.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct store *st, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, HS_ESYS, "store: %s: %s", what, store_why(st));
}

/* Run one statement with text parameters (NULL-terminated list). */
static int run(struct store *st, const char *sql, const char *const *params, int64_t ms,
	       char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int i, rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "prepare");
	for (i = 0, rc = SQLITE_OK; params[i] && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_text(q, i + 1, params[i], -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, i + 1, ms);
	rc = rc == SQLITE_OK && sqlite3_step(q) == SQLITE_DONE ? 0 : fail(st, err, errlen, "bundles");
	sqlite3_finalize(q);
	return rc;
}

int store_bundle_add(struct store *st, const char *id, const char *name,
		     const char *version, const char *hash, const struct store_sig *sig,
		     char *err, size_t errlen)
{
	const char *row[] = { id, name, version, hash, NULL };
	const char *srow[] = { id, sig->key, sig->sig, NULL };
	char detail[160];
	int64_t now = store_now_ms();
	int rc;

	snprintf(detail, sizeof(detail), "%s signed by %s", hash, sig->key);
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "begin");
	/* Both rows or neither: a bundle row without its signature would be
	 * stored but not startable.  The event too: a failure after COMMIT
	 * could only be ignored (the caller would drop files of a stored
	 * bundle), so it fails the whole add instead. */
	if ((rc = run(st, "INSERT INTO bundles(id, name, version, hash, added_at) "
			  "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING", row, now,
		      err, errlen)) ||
	    (rc = run(st, "INSERT INTO bundle_sigs(bundle, key, sig, added_at) "
			  "VALUES (?, ?, ?, ?) ON CONFLICT(bundle, key) DO NOTHING", srow, now,
		      err, errlen)) ||
	    (rc = store_event(st, "bundle.add", id, detail, err, errlen))) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(st, err, errlen, "commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

int store_bundle_sigs(struct store *st, const char *id, struct store_sig **out, size_t *n,
		      char *err, size_t errlen)
{
	struct store_sig *v = NULL;
	sqlite3_stmt *q;
	size_t cnt = 0;
	int rc = 0, step;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
		"SELECT key, sig FROM bundle_sigs WHERE bundle = ? ORDER BY added_at, key",
		-1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "prepare");
	if (sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = fail(st, err, errlen, "bundle_sigs");
		sqlite3_finalize(q);
		return rc;
	}
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_sig *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			rc = err_set(err, errlen, HS_ESYS, "store: out of memory");
			break;
		}
		v = nv;
		snprintf(v[cnt].key, sizeof(v[cnt].key), "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(v[cnt].sig, sizeof(v[cnt].sig), "%s", (const char *)sqlite3_column_text(q, 1));
		cnt++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, "bundle_sigs");
	sqlite3_finalize(q);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

#define BUNDLE_COLS "id, name, version, hash, added_at"

/* Read one row of BUNDLE_COLS. */
static int bundle_read(sqlite3_stmt *q, struct store_bundle *r, char *err, size_t errlen)
{
	struct {
		const char *name;
		char *dst;
		size_t len;
	} text[] = {
		{ "id", r->id, sizeof(r->id) },
		{ "name", r->name, sizeof(r->name) },
		{ "version", r->version, sizeof(r->version) },
		{ "hash", r->hash, sizeof(r->hash) },
	};

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < (int)(sizeof(text) / sizeof(text[0])); i++) {
		const char *s = (const char *)sqlite3_column_text(q, i);
		int n = snprintf(text[i].dst, text[i].len, "%s", s ? s : "");
		/* Shown cut, it would name another bundle. */
		if (n < 0 || (size_t)n >= text[i].len)
			return err_set(err, errlen, HS_ESTATE,
				       "store: bundle %.80s: %s is longer than %zu bytes",
				       (const char *)sqlite3_column_text(q, 0), text[i].name,
				       text[i].len - 1);
	}
	r->added_at = sqlite3_column_int64(q, 4);
	return 0;
}

int store_bundle_get(struct store *st, const char *id, struct store_bundle *out,
		     char *err, size_t errlen)
{
	struct store_bundle tmp;
	sqlite3_stmt *q;
	int rc, step;

	if (sqlite3_prepare_v2(st->db, "SELECT " BUNDLE_COLS " FROM bundles WHERE id = ?",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "bundle");
	if (sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		rc = fail(st, err, errlen, "bundle");
	else if ((step = sqlite3_step(q)) == SQLITE_DONE)
		rc = 0;
	else if (step != SQLITE_ROW)
		rc = fail(st, err, errlen, "bundle");
	else if (!(rc = bundle_read(q, out ? out : &tmp, err, errlen)))
		rc = 1;
	sqlite3_finalize(q);
	return rc;
}

int store_bundle_list(struct store *st, struct store_bundle **out, size_t *n,
		      char *err, size_t errlen)
{
	struct store_bundle *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *q;
	int rc = 0, step;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
		"SELECT " BUNDLE_COLS " FROM bundles ORDER BY name, added_at", -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "bundles");
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if (cnt == cap) {
			struct store_bundle *nv;
			cap = cap ? 2 * cap : 8;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = err_set(err, errlen, HS_ESYS, "store: bundles: out of memory");
				break;
			}
			v = nv;
		}
		if ((rc = bundle_read(q, &v[cnt], err, errlen)))
			break;
		cnt++;
	}
	/* A step that fails halfway is an error, not a shorter list. */
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, "bundles");
	sqlite3_finalize(q);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}
