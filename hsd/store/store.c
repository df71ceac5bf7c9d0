/* store.c - the host's SQLite store and its migrations. */
#include "store.h"
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t store_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *store_why(struct store *st)
{
	int code = sqlite3_errcode(st->db) & 0xff;

	if (code == SQLITE_FULL ||
	    (code == SQLITE_IOERR && sqlite3_system_errno(st->db) == ENOSPC)) {
		const char *slash = strrchr(st->path, '/');
		int n = slash ? (int)(slash - st->path) : 1;
		snprintf(st->why, sizeof(st->why), "no space left on device (%.*s)", n > 0 ? n : 1,
			 slash ? st->path : ".");
		return st->why;
	}
	return sqlite3_errmsg(st->db);
}

static int store_fail(struct store *st, int rc, char *err, size_t errlen,
		      const char *what)
{
	return err_set(err, errlen, rc, "store %s: %s: %s", st->path, what, store_why(st));
}

static int store_exec(struct store *st, const char *sql, char *err,
		      size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int full = (sqlite3_errcode(st->db) & 0xff) == SQLITE_FULL;
		err_set(err, errlen, HS_ESYS, "store %s: %s", st->path,
			msg && !full ? msg : store_why(st));
		sqlite3_free(msg);
		return HS_ESYS;
	}
	return 0;
}

/* The current schema version: 0 for an empty database; HS_ESTATE for a
 * database that is not ours or cannot be read (corrupt). */
static int store_read_version(struct store *st, int *version, char *err,
			      size_t errlen)
{
	sqlite3_stmt *q;
	int rc, ours = 0, tables = 0;

	rc = sqlite3_prepare_v2(st->db,
		"SELECT name FROM sqlite_schema WHERE type = 'table'", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, HS_ESTATE, err, errlen,
				  "unreadable, refusing to touch it");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		tables++;
		ours |= name && strcmp(name, "schema_version") == 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_fail(st, HS_ESTATE, err, errlen,
				  "unreadable, refusing to touch it");
	*version = 0;
	if (!ours) {
		if (tables > 0)
			return err_set(err, errlen, HS_ESTATE,
				       "store %s: not an hsd database (no schema_version table), refusing to touch it",
				       st->path);
		return 0;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT max(version) FROM schema_version",
			       -1, &q, NULL) != SQLITE_OK)
		return store_fail(st, HS_ESTATE, err, errlen, "cannot read schema_version");
	if (sqlite3_step(q) == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return 0;
}

/* Check the whole file before we write to it: a corrupt store must be
 * reported, never "repaired" by writing over it. */
static int store_check_integrity(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int ok = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &q, NULL) != SQLITE_OK)
		return store_fail(st, HS_ESTATE, err, errlen,
				  "corrupt or not a database, refusing to touch it");
	if (sqlite3_step(q) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(q, 0);
		ok = r && strcmp(r, "ok") == 0;
	}
	sqlite3_finalize(q);
	if (!ok)
		return err_set(err, errlen, HS_ESTATE,
			       "store %s: integrity check failed, refusing to touch it",
			       st->path);
	return 0;
}

static int store_backup(struct store *st, int version, char *err, size_t errlen)
{
	char *sql = sqlite3_mprintf("VACUUM INTO '%q.v%d.bak'", st->path, version);
	int rc;

	if (!sql)
		return err_set(err, errlen, HS_ESYS, "store: out of memory");
	/* A stale backup of the same version is replaced: it holds the same
	 * data the migration would have started from. */
	char *bak = sqlite3_mprintf("%s.v%d.bak", st->path, version);
	if (bak)
		unlink(bak);
	sqlite3_free(bak);
	rc = store_exec(st, sql, err, errlen);
	sqlite3_free(sql);
	return rc;
}

static int store_migrate(struct store *st, int version,
			 const struct migration *m, int n, char *err,
			 size_t errlen)
{
	int rc;

	if (version > 0 && version < n &&
	    (rc = store_backup(st, version, err, errlen)))
		return rc;
	for (int i = version; i < n; i++) {
		char *ins;

		if ((rc = store_exec(st, "BEGIN IMMEDIATE", err, errlen)))
			return rc;
		ins = sqlite3_mprintf(
			"INSERT INTO schema_version(version, name, applied_at) VALUES (%d, %Q, %lld)",
			m[i].version, m[i].name, (long long)time(NULL));
		rc = ins ? store_exec(st, m[i].sql, err, errlen) : HS_ESYS;
		if (!rc)
			rc = store_exec(st, ins, err, errlen);
		sqlite3_free(ins);
		if (rc) {
			store_exec(st, "ROLLBACK", NULL, 0);
			return rc;
		}
		if ((rc = store_exec(st, "COMMIT", err, errlen)))
			return rc;
	}
	st->version = n;
	return 0;
}

int store_open_with(const char *path, const struct migration *m, int n,
		    struct store **out, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return err_set(err, errlen, HS_ESYS, "store: out of memory");
	}
	/* New files are created 0600: the store names keys and topology. */
	mode_t old = umask(077);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		rc = err_set(err, errlen, HS_ESYS, "store %s: cannot open: %s",
			     path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	/* Every refusal happens before the first write (even the WAL switch). */
	int version = 0;
	if (!(rc = store_check_integrity(st, err, errlen)) &&
	    !(rc = store_read_version(st, &version, err, errlen)) && version > n)
		rc = err_set(err, errlen, HS_ESTATE,
			     "store %s: schema version %d is newer than this hsd knows (%d); upgrade hsd, the store was not touched",
			     path, version, n);
	if (rc || (rc = store_exec(st, "PRAGMA journal_mode=WAL", err, errlen)) ||
	    (rc = store_exec(st, "PRAGMA synchronous=FULL", err, errlen)) ||
	    (rc = store_exec(st, "PRAGMA foreign_keys=ON", err, errlen)) ||
	    (rc = store_migrate(st, version, m, n, err, errlen))) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	return store_open_with(path, migrations, migrations_count, out, err, errlen);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_event(struct store *st, const char *kind, const char *subject,
		const char *detail, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"INSERT INTO events(at, kind, subject, detail) VALUES (?, ?, ?, ?)",
		-1, &q, NULL) != SQLITE_OK)
		return store_fail(st, HS_ESYS, err, errlen, "event");
	sqlite3_bind_int64(q, 1, store_now_ms());
	sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, subject ? subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, detail ? detail : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_fail(st, HS_ESYS, err, errlen, "event");
	sqlite3_finalize(q);
	return rc;
}

int store_meta_set(struct store *st, const char *key, const char *value,
		   char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"INSERT INTO meta(key, value) VALUES (?, ?) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		-1, &q, NULL) != SQLITE_OK)
		return store_fail(st, HS_ESYS, err, errlen, "meta");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : store_fail(st, HS_ESYS, err, errlen, "meta");
	sqlite3_finalize(q);
	return rc;
}

int store_meta_get(struct store *st, const char *key, char *buf, size_t len,
		   char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?",
			       -1, &q, NULL) != SQLITE_OK)
		return store_fail(st, HS_ESYS, err, errlen, "meta");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(q, 0));
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_fail(st, HS_ESYS, err, errlen, "meta");
	}
	sqlite3_finalize(q);
	return rc;
}

int store_count(struct store *st, const char *table, const char *where, int64_t *out,
		char *err, size_t errlen)
{
	sqlite3_stmt *q;
	char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\" WHERE %s", table,
				    where ? where : "1");
	int rc;

	if (!sql)
		return err_set(err, errlen, HS_ESYS, "store: out of memory");
	rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return store_fail(st, HS_ESYS, err, errlen, "count");
	*out = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return 0;
}
