/* store_spaces.c - the spaces and publish tables. */
#include "store_spaces.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sq_fail(struct store *st, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, HS_ESYS, "store %s: %s: %s", st->path, what, store_why(st));
}

static int sq_prepare(struct store *st, const char *sql, sqlite3_stmt **q,
		      char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
		return sq_fail(st, err, errlen, "prepare");
	return 0;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *q, int col)
{
	const char *s = (const char *)sqlite3_column_text(q, col);
	snprintf(dst, len, "%s", s ? s : "");
}

void space_row_clear(struct space_row *r)
{
	json_decref(r->spec);
	memset(r, 0, sizeof(*r));
}

void space_rows_free(struct space_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		space_row_clear(&rows[i]);
	free(rows);
}

#define SPACE_COLS "name, kind, coalesce(parent, ''), state, created_at, " \
		   "coalesce(pid, 0), coalesce(pid_start, 0), coalesce(netidx, -1), spec, cmd_exit"

static void space_row_read(sqlite3_stmt *q, struct space_row *r)
{
	memset(r, 0, sizeof(*r));
	copy_text(r->name, sizeof(r->name), q, 0);
	copy_text(r->kind, sizeof(r->kind), q, 1);
	copy_text(r->parent, sizeof(r->parent), q, 2);
	copy_text(r->state, sizeof(r->state), q, 3);
	r->created_at = sqlite3_column_int64(q, 4);
	r->pid = sqlite3_column_int64(q, 5);
	r->pid_start = (uint64_t)sqlite3_column_int64(q, 6);
	r->netidx = sqlite3_column_int64(q, 7);
	r->spec = json_loads((const char *)sqlite3_column_text(q, 8), 0, NULL);
	if (!r->spec)
		r->spec = json_object();
	copy_text(r->cmd_exit, sizeof(r->cmd_exit), q, 9);
}

static int sq_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(st, err, errlen, sql);
	return 0;
}

int store_space_insert(struct store *st, const struct space_row *r,
		       const struct publish_row *pub, size_t npub, char *err,
		       size_t errlen)
{
	sqlite3_stmt *q = NULL;
	char *spec = json_dumps(r->spec, JSON_COMPACT);
	int rc;

	if (!spec)
		return err_set(err, errlen, HS_ESYS, "store: out of memory");
	if ((rc = sq_exec(st, "BEGIN IMMEDIATE", err, errlen)))
		goto out;
	if ((rc = sq_prepare(st,
		"INSERT INTO spaces(name, kind, parent, state, created_at, netidx, spec) "
		"VALUES (?, ?, nullif(?, ''), ?, ?, nullif(?, -1), ?)", &q, err, errlen)))
		goto rollback;
	sqlite3_bind_text(q, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, r->created_at);
	sqlite3_bind_int64(q, 6, r->netidx);
	sqlite3_bind_text(q, 7, spec, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY
			     ? err_set(err, errlen, HS_EINPUT, "name: space \"%s\" exists", r->name)
			     : sq_fail(st, err, errlen, "insert space");
		goto rollback;
	}
	sqlite3_finalize(q);
	q = NULL;
	for (size_t i = 0; i < npub; i++) {
		if ((rc = sq_prepare(st,
			"INSERT INTO publish(proto, host_port, space, port) VALUES (?, ?, ?, ?)",
			&q, err, errlen)))
			goto rollback;
		sqlite3_bind_text(q, 1, pub[i].proto, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, pub[i].host_port);
		sqlite3_bind_text(q, 3, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 4, pub[i].port);
		if (sqlite3_step(q) != SQLITE_DONE) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "publish: host port %s/%d is already published",
				     pub[i].proto, pub[i].host_port);
			goto rollback;
		}
		sqlite3_finalize(q);
		q = NULL;
	}
	rc = sq_exec(st, "COMMIT", err, errlen);
	if (!rc)
		goto out;
rollback:
	sqlite3_finalize(q);
	q = NULL;
	sq_exec(st, "ROLLBACK", NULL, 0);
out:
	sqlite3_finalize(q);
	free(spec);
	return rc;
}

int store_space_get(struct store *st, const char *name, struct space_row *out,
		    char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st, "SELECT " SPACE_COLS " FROM spaces WHERE name = ?",
			    &q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		space_row_read(q, out);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "space");
	}
	sqlite3_finalize(q);
	return rc;
}

int store_space_list(struct store *st, struct space_row **out, size_t *n,
		     char *err, size_t errlen)
{
	sqlite3_stmt *q;
	struct space_row *rows = NULL;
	size_t cap = 0, len = 0;
	int rc = sq_prepare(st, "SELECT " SPACE_COLS " FROM spaces ORDER BY created_at, name",
			    &q, err, errlen);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 8;
			struct space_row *nr = realloc(rows, cap * sizeof(*rows));
			if (!nr) {
				space_rows_free(rows, len);
				sqlite3_finalize(q);
				return err_set(err, errlen, HS_ESYS, "store: out of memory");
			}
			rows = nr;
		}
		space_row_read(q, &rows[len++]);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		space_rows_free(rows, len);
		return sq_fail(st, err, errlen, "spaces");
	}
	*out = rows;
	*n = len;
	return 0;
}

int store_space_set_state(struct store *st, const char *name, const char *state,
			  int64_t pid, uint64_t pid_start, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st,
		"UPDATE spaces SET state = ?1, pid = nullif(?2, 0), pid_start = nullif(?3, 0), "
		"cmd_exit = CASE WHEN ?1 = 'running' THEN '' ELSE cmd_exit END WHERE name = ?4",
		&q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, pid);
	sqlite3_bind_int64(q, 3, (int64_t)pid_start);
	sqlite3_bind_text(q, 4, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "space state");
	sqlite3_finalize(q);
	return rc;
}

int store_space_set_exit(struct store *st, const char *name, const char *text,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st,
		"UPDATE spaces SET cmd_exit = ? WHERE name = ? AND cmd_exit NOT LIKE 'failed:%'",
		&q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "space exit");
	sqlite3_finalize(q);
	return rc;
}

int store_space_set_parent(struct store *st, const char *name, const char *parent,
			   char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st, "UPDATE spaces SET parent = nullif(?, '') WHERE name = ?",
			    &q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, parent, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "space parent");
	sqlite3_finalize(q);
	return rc;
}

int store_space_delete(struct store *st, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st, "DELETE FROM spaces WHERE name = ?", &q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "delete space");
	sqlite3_finalize(q);
	return rc;
}

int store_space_children(struct store *st, const char *name, char **out,
			 char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st,
		"SELECT group_concat(name, ', ') FROM spaces WHERE parent = ?", &q, err, errlen);

	*out = NULL;
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return 0;
}

int store_space_free_netidx(struct store *st, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	/* The first gap: 0 if free, else the smallest n+1 not taken. */
	int rc = sq_prepare(st,
		"SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM spaces WHERE netidx = 0) THEN 0 ELSE "
		"(SELECT min(netidx) + 1 FROM spaces s WHERE netidx IS NOT NULL AND NOT EXISTS "
		"(SELECT 1 FROM spaces t WHERE t.netidx = s.netidx + 1)) END",
		&q, err, errlen);
	if (rc)
		return rc;
	*out = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return 0;
}

int store_publish_list(struct store *st, const char *space,
		       struct publish_row **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	struct publish_row *rows = NULL;
	size_t len = 0;
	int rc = sq_prepare(st,
		"SELECT space, proto, host_port, port FROM publish "
		"WHERE ?1 IS NULL OR space = ?1 ORDER BY proto, host_port", &q, err, errlen);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	if (space)
		sqlite3_bind_text(q, 1, space, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct publish_row *nr = realloc(rows, (len + 1) * sizeof(*rows));
		if (!nr) {
			free(rows);
			sqlite3_finalize(q);
			return err_set(err, errlen, HS_ESYS, "store: out of memory");
		}
		rows = nr;
		copy_text(rows[len].space, sizeof(rows[len].space), q, 0);
		copy_text(rows[len].proto, sizeof(rows[len].proto), q, 1);
		rows[len].host_port = sqlite3_column_int(q, 2);
		rows[len].port = sqlite3_column_int(q, 3);
		len++;
	}
	sqlite3_finalize(q);
	*out = rows;
	*n = len;
	return 0;
}

int store_publish_owner(struct store *st, const char *proto, int host_port,
			char *owner, size_t len, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st, "SELECT space FROM publish WHERE proto = ? AND host_port = ?",
			    &q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, host_port);
	rc = 0;
	if (sqlite3_step(q) == SQLITE_ROW) {
		copy_text(owner, len, q, 0);
		rc = 1;
	}
	sqlite3_finalize(q);
	return rc;
}

int store_monitor_add(struct store *st, const char *audit, const char *server,
		      char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st,
		"INSERT OR IGNORE INTO monitors(audit, server, since) VALUES (?, ?, ?)",
		&q, err, errlen);
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, audit, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, server, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, store_now_ms());
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : sq_fail(st, err, errlen, "monitor");
	sqlite3_finalize(q);
	return rc;
}

int store_monitor_list(struct store *st, const char *audit, const char *server,
		       json_t **out, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = sq_prepare(st, audit
		? "SELECT server FROM monitors WHERE audit = ? ORDER BY server"
		: "SELECT audit FROM monitors WHERE server = ? ORDER BY audit", &q, err, errlen);

	*out = NULL;
	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, audit ? audit : server, -1, SQLITE_STATIC);
	json_t *arr = json_array();
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(arr, json_string((const char *)sqlite3_column_text(q, 0)));
	sqlite3_finalize(q);
	*out = arr;
	return 0;
}
