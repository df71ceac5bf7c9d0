/* store_rollouts.c - rollouts, their hosts and their timelines. */
#include "store_rollouts.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

/* id < 0: the statement is about no one rollout. */
static int fail(struct store *st, char *err, size_t errlen, const char *what, int64_t id)
{
	if (id < 0)
		return err_set(err, errlen, HS_ESYS, "store %s: rollouts: %s: %s", st->path, what,
			       store_why(st));
	return err_set(err, errlen, HS_ESYS, "store %s: rollout %lld: %s: %s", st->path,
		       (long long)id, what, store_why(st));
}

static int no_rollout(struct store *st, char *err, size_t errlen, const char *what, int64_t id)
{
	return err_set(err, errlen, HS_ENOENT, "store %s: rollout %lld: %s: no such rollout",
		       st->path, (long long)id, what);
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **q, const char *what,
		   int64_t id, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
		return fail(st, err, errlen, what, id);
	return 0;
}

/* Run a write; a row refused for its rollout (foreign key) is HS_ENOENT. */
static int write_done(struct store *st, sqlite3_stmt *q, const char *what, int64_t id,
		      char *err, size_t errlen)
{
	int rc = 0;

	if (sqlite3_step(q) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			     ? no_rollout(st, err, errlen, what, id)
			     : fail(st, err, errlen, what, id);
	sqlite3_finalize(q);
	return rc;
}

/* NOT NULL columns read as NULL only when SQLite ran out of memory. */
static const char *text(sqlite3_stmt *q, int col)
{
	const char *s = (const char *)sqlite3_column_text(q, col);
	return s ? s : "";
}

static int64_t ms_or_none(sqlite3_stmt *q, int col)
{
	return sqlite3_column_type(q, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, col);
}

int store_rollout_insert(struct store *st, const struct store_rollout *r, int64_t *id,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = prepare(st,
		"INSERT INTO rollouts(bundle, name, state, canary, max_parallel, soak_s, created_at, "
		"intent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &q, "insert", -1, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, r->bundle, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->canary, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, r->max_parallel);
	sqlite3_bind_int(q, 6, r->soak_s);
	sqlite3_bind_int64(q, 7, store_now_ms());
	if (r->intent)
		sqlite3_bind_text(q, 8, r->intent, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 8);
	if (sqlite3_step(q) != SQLITE_DONE) {
		/* Named by its bundle: there is no id yet. */
		rc = err_set(err, errlen, HS_ESYS, "store %s: rollouts: insert (%s): %s",
			     st->path, r->bundle, store_why(st));
	} else {
		*id = sqlite3_last_insert_rowid(st->db);
	}
	sqlite3_finalize(q);
	return rc;
}

int store_rollout_set_state(struct store *st, int64_t id, const char *state,
			    const char *error, bool finished, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = prepare(st,
		"UPDATE rollouts SET state = ?, error = ?, "
		"finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ?",
		&q, "state", id, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, error ? error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, finished);
	sqlite3_bind_int64(q, 4, store_now_ms());
	sqlite3_bind_int64(q, 5, id);
	if ((rc = write_done(st, q, "state", id, err, errlen)))
		return rc;
	return sqlite3_changes(st->db) ? 0 : no_rollout(st, err, errlen, "state", id);
}

int store_rollout_host_set(struct store *st, int64_t rollout, const char *host,
			   const char *state, const char *old_instance, const char *new_instance,
			   enum store_ro_stamp stamp, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* ?6 picks the stamped column; the other keeps what it had. */
	int rc = prepare(st,
		"INSERT INTO rollout_hosts(rollout, host, state, old_instance, new_instance, "
		"verified_at, old_stopped_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		"CASE WHEN ?6 = 1 THEN ?7 END, CASE WHEN ?6 = 2 THEN ?7 END) "
		"ON CONFLICT(rollout, host) DO UPDATE SET state = ?3, old_instance = ?4, "
		"new_instance = ?5, "
		"verified_at = CASE WHEN ?6 = 1 THEN ?7 ELSE verified_at END, "
		"old_stopped_at = CASE WHEN ?6 = 2 THEN ?7 ELSE old_stopped_at END",
		&q, "host", rollout, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, rollout);
	sqlite3_bind_text(q, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, old_instance ? old_instance : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, new_instance ? new_instance : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 6, stamp == STORE_STAMP_VERIFIED ? 1 : stamp == STORE_STAMP_OLD_STOPPED ? 2 : 0);
	sqlite3_bind_int64(q, 7, store_now_ms());
	return write_done(st, q, "host", rollout, err, errlen);
}

int store_rollout_step_add(struct store *st, int64_t rollout, const char *host,
			   const char *step, const char *detail, char *err, size_t errlen)
{
	return store_rollout_step_add_at(st, rollout, store_now_ms(), host, step, detail, err,
					 errlen);
}

int store_rollout_step_add_at(struct store *st, int64_t rollout, int64_t at_ms,
			      const char *host, const char *step, const char *detail, char *err,
			      size_t errlen)
{
	sqlite3_stmt *q;
	int rc = prepare(st,
		"INSERT INTO rollout_steps(rollout, at, host, step, detail) VALUES (?, ?, ?, ?, ?)",
		&q, "step", rollout, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, rollout);
	sqlite3_bind_int64(q, 2, at_ms);
	sqlite3_bind_text(q, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, step, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, detail ? detail : "", -1, SQLITE_STATIC);
	return write_done(st, q, "step", rollout, err, errlen);
}

/* --- reading ---------------------------------------------------------------- */

#define RO_COLS "id, bundle, name, state, canary, max_parallel, soak_s, created_at, " \
		"finished_at, error, intent"

/* Calls fn for each row of q (columns RO_COLS, then maybe the undo flag);
 * *rows counts them.  Finalizes q. */
static int rollout_rows(struct store *st, sqlite3_stmt *q, const char *what, int64_t id,
			store_rollout_fn fn, void *ctx, int *rows, char *err, size_t errlen)
{
	int rc = 0, step;
	bool has_undo = sqlite3_column_count(q) > 11;

	*rows = 0;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_rollout r = {
			.id = sqlite3_column_int64(q, 0), .bundle = text(q, 1), .name = text(q, 2),
			.state = text(q, 3), .canary = text(q, 4),
			.max_parallel = sqlite3_column_int(q, 5), .soak_s = sqlite3_column_int(q, 6),
			.created_ms = sqlite3_column_int64(q, 7), .finished_ms = ms_or_none(q, 8),
			.error = text(q, 9), .intent = (const char *)sqlite3_column_text(q, 10),
			.undo = has_undo && sqlite3_column_int(q, 11) != 0,
		};
		(*rows)++;
		if ((rc = fn(ctx, &r, err, errlen)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, what, id);
	sqlite3_finalize(q);
	return rc;
}

int store_rollout_get(struct store *st, int64_t id, store_rollout_fn fn, void *ctx,
		      char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rows, rc = prepare(st, "SELECT " RO_COLS " FROM rollouts WHERE id = ?", &q, "read",
			       id, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	rc = rollout_rows(st, q, "read", id, fn, ctx, &rows, err, errlen);
	return rc ? rc : rows > 0;
}

int store_rollout_get_open(struct store *st, store_rollout_fn fn, void *ctx, char *err,
			   size_t errlen)
{
	sqlite3_stmt *q;
	int rows, rc = prepare(st,
		"SELECT " RO_COLS " FROM rollouts WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1",
		&q, "open read", -1, err, errlen);

	if (rc)
		return rc;
	rc = rollout_rows(st, q, "open read", -1, fn, ctx, &rows, err, errlen);
	return rc ? rc : rows > 0;
}

int store_rollout_foreach(struct store *st, store_rollout_fn fn, void *ctx, char *err,
			  size_t errlen)
{
	sqlite3_stmt *q;
	int rows, rc = prepare(st,
		"SELECT " RO_COLS ", EXISTS (SELECT 1 FROM rollout_steps s WHERE s.rollout = r.id "
		"AND s.host = '*' AND s.step = 'undo') FROM rollouts r ORDER BY id",
		&q, "list", -1, err, errlen);

	if (rc)
		return rc;
	return rollout_rows(st, q, "list", -1, fn, ctx, &rows, err, errlen);
}

int store_rollout_last_id(struct store *st, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = prepare(st, "SELECT coalesce(max(id), 0) FROM rollouts", &q, "last id", -1, err,
			 errlen);

	if (rc)
		return rc;
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	else
		rc = fail(st, err, errlen, "last id", -1);
	sqlite3_finalize(q);
	return rc;
}

int store_rollout_last_done(struct store *st, struct store_rollout_undo *out, char *err,
			    size_t errlen)
{
	sqlite3_stmt *q;
	int rc = prepare(st,
		"SELECT r.canary, r.max_parallel, coalesce((SELECT old_instance FROM rollout_hosts h "
		"WHERE h.rollout = r.id AND old_instance != '' LIMIT 1), '') FROM rollouts r "
		"WHERE state IN ('done', 'partial') ORDER BY id DESC LIMIT 1",
		&q, "last done", -1, err, errlen);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(out->canary, sizeof(out->canary), "%s", text(q, 0));
		out->max_parallel = sqlite3_column_int(q, 1);
		snprintf(out->old_instance, sizeof(out->old_instance), "%s", text(q, 2));
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : fail(st, err, errlen, "last done", -1);
	}
	sqlite3_finalize(q);
	return rc;
}

int store_rollout_hosts_each(struct store *st, int64_t rollout, store_rollout_host_fn fn,
			     void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int step, rc = prepare(st,
		"SELECT host, state, old_instance, new_instance, verified_at, old_stopped_at "
		"FROM rollout_hosts WHERE rollout = ? ORDER BY host", &q, "hosts", rollout, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, rollout);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_rollout_host h = {
			.host = text(q, 0), .state = text(q, 1), .old_instance = text(q, 2),
			.new_instance = text(q, 3), .verified_ms = ms_or_none(q, 4),
			.old_stopped_ms = ms_or_none(q, 5),
		};
		if ((rc = fn(ctx, &h, err, errlen)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, "hosts", rollout);
	sqlite3_finalize(q);
	return rc;
}

int store_rollout_steps_each(struct store *st, int64_t rollout, store_rollout_step_fn fn,
			     void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int step, rc = prepare(st,
		"SELECT id, at, host, step, detail FROM rollout_steps WHERE rollout = ? ORDER BY id",
		&q, "timeline", rollout, err, errlen);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, rollout);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_rollout_step s = {
			.id = sqlite3_column_int64(q, 0), .at_ms = sqlite3_column_int64(q, 1),
			.host = text(q, 2), .step = text(q, 3), .detail = text(q, 4),
		};
		if ((rc = fn(ctx, &s, err, errlen)))
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = fail(st, err, errlen, "timeline", rollout);
	sqlite3_finalize(q);
	return rc;
}
