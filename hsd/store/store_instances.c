/* store_instances.c - the rows of IDS instances (a bundle in an audit space). */
#include "store_instances.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct store *st, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, HS_ESYS, "store: %s: %s", what, store_why(st));
}

#define INST_COLS "id, bundle, version, space, state, coalesce(started_at, 0), " \
		  "coalesce(verified_at, 0), coalesce(stopped_at, 0), " \
		  "coalesce(console_offset, -1), coalesce(last_probe, '')"

/* Read one row of INST_COLS. */
static int row_read(sqlite3_stmt *q, struct store_instance *r, char *err, size_t errlen)
{
	struct {
		const char *name;
		int col;
		char *dst;
		size_t len;
	} text[] = {
		{ "bundle", 1, r->bundle, sizeof(r->bundle) },
		{ "version", 2, r->version, sizeof(r->version) },
		{ "space", 3, r->space, sizeof(r->space) },
		{ "state", 4, r->state, sizeof(r->state) },
		{ "last_probe", 9, r->last_probe, sizeof(r->last_probe) },
	};

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(q, 0);
	r->started_at = sqlite3_column_int64(q, 5);
	r->verified_at = sqlite3_column_int64(q, 6);
	r->stopped_at = sqlite3_column_int64(q, 7);
	r->console_offset = sqlite3_column_int64(q, 8);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		const char *s = (const char *)sqlite3_column_text(q, text[i].col);
		int n = snprintf(text[i].dst, text[i].len, "%s", s ? s : "");
		/* Shown cut, it would name another bundle or space. */
		if (n < 0 || (size_t)n >= text[i].len)
			return err_set(err, errlen, HS_ESTATE,
				       "store: instance %lld: %s is longer than %zu bytes",
				       (long long)r->id, text[i].name, text[i].len - 1);
	}
	return 0;
}

/* The rows of sql (INST_COLS, with bundle bound to ?1 when not NULL). */
static int list(struct store *st, const char *sql, const char *bundle, const char *what,
		struct store_instance **out, size_t *n, char *err, size_t errlen)
{
	struct store_instance *rows = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *q;
	int rc = 0, step = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, what);
	if (bundle && sqlite3_bind_text(q, 1, bundle, -1, SQLITE_STATIC) != SQLITE_OK)
		rc = fail(st, err, errlen, what);
	while (!rc && (step = sqlite3_step(q)) == SQLITE_ROW) {
		if (len == cap) {
			struct store_instance *nr;
			cap = cap ? 2 * cap : 8;
			if (!(nr = realloc(rows, cap * sizeof(*rows)))) {
				rc = err_set(err, errlen, HS_ESYS, "store: %s: out of memory", what);
				break;
			}
			rows = nr;
		}
		if ((rc = row_read(q, &rows[len], err, errlen)))
			break;
		len++;
	}
	/* A step that fails halfway is an error, not a shorter list. */
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, what);
	sqlite3_finalize(q);
	if (rc) {
		free(rows);
		return rc;
	}
	*out = rows;
	*n = len;
	return 0;
}

int store_instance_insert(struct store *st, const char *bundle, const char *version,
			  const char *space, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	*id = 0;
	if (sqlite3_prepare_v2(st->db,
		"INSERT INTO instances(bundle, version, space, state, started_at) "
		"VALUES (?, ?, ?, 'started', ?)", -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "instance insert");
	if (sqlite3_bind_text(q, 1, bundle, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(q, 3, space, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(q, 4, store_now_ms()))
		rc = fail(st, err, errlen, "instance insert");
	else if (sqlite3_step(q) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(st->db);
		rc = 0;
	} else if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
		/* The index instances_space: one running instance per space. */
		rc = err_set(err, errlen, HS_ESTATE,
			     "store: instance insert: space %s has a running instance recorded already",
			     space);
	} else {
		rc = fail(st, err, errlen, "instance insert");
	}
	sqlite3_finalize(q);
	return rc;
}

int store_instance_set_verified(struct store *st, int64_t id, const char *token,
				char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"UPDATE instances SET state = 'verified', verified_at = ?, last_probe = ? WHERE id = ?",
		-1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "instance verified");
	if (sqlite3_bind_int64(q, 1, store_now_ms()) ||
	    sqlite3_bind_text(q, 2, token, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(q, 3, id) || sqlite3_step(q) != SQLITE_DONE)
		rc = fail(st, err, errlen, "instance verified");
	else if (sqlite3_changes(st->db) == 0)
		rc = err_set(err, errlen, HS_ENOENT, "store: instance verified: no instance %lld",
			     (long long)id);
	else
		rc = 0;
	sqlite3_finalize(q);
	return rc;
}

int store_instance_set_stopped(struct store *st, const char *space, char *err,
			       size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"UPDATE instances SET state = 'stopped', stopped_at = ? "
		"WHERE space = ? AND stopped_at IS NULL", -1, &q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, "instance stopped");
	if (sqlite3_bind_int64(q, 1, store_now_ms()) ||
	    sqlite3_bind_text(q, 2, space, -1, SQLITE_STATIC) || sqlite3_step(q) != SQLITE_DONE)
		rc = fail(st, err, errlen, "instance stopped");
	else if (sqlite3_changes(st->db) == 0)
		rc = err_set(err, errlen, HS_ENOENT,
			     "store: instance stopped: none recorded running in space %s", space);
	else
		rc = 0;
	sqlite3_finalize(q);
	return rc;
}

int store_instance_list(struct store *st, bool running, struct store_instance **out,
			size_t *n, char *err, size_t errlen)
{
	return list(st, running
		? "SELECT " INST_COLS " FROM instances WHERE stopped_at IS NULL ORDER BY id"
		: "SELECT " INST_COLS " FROM instances ORDER BY id",
		NULL, "instances", out, n, err, errlen);
}

int store_instance_list_verified(struct store *st, const char *bundle,
				 struct store_instance **out, size_t *n, char *err,
				 size_t errlen)
{
	return list(st, "SELECT " INST_COLS " FROM instances WHERE bundle = ?1 "
			"AND stopped_at IS NULL AND verified_at IS NOT NULL ORDER BY id",
		    bundle, "verified instances", out, n, err, errlen);
}
