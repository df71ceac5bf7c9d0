/* test_store.c - the SQLite store: migrations, refusals, append-only log. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "store.h"
#include "store_alerts.h"

static char dir[64], db[128];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/hsd.db", dir);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static char *slurp(const char *path, size_t *len)
{
	char *buf, err[HS_ERRLEN];
	cr_assert_eq(fs_read_file(path, 1 << 24, &buf, len, err, sizeof(err)), 0, "%s", err);
	return buf;
}

Test(store, fresh_database_gets_every_migration)
{
	struct store *st;
	char err[HS_ERRLEN];
	int64_t n = -1;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st->version, migrations_count);
	cr_assert_eq(store_count(st, "schema_version", NULL, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, migrations_count);
	store_close(st);
	/* Reopening applies nothing new and keeps the data. */
	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_count(st, "schema_version", NULL, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, migrations_count);
	store_close(st);
	struct stat sb;
	cr_assert_eq(stat(db, &sb), 0);
	cr_assert_eq(sb.st_mode & 077, 0, "store must not be readable by others");
}

Test(store, wal_mode)
{
	struct store *st;
	char err[HS_ERRLEN];
	sqlite3_stmt *q;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	store_close(st);
}

Test(store, upgrade_applies_only_new_migrations_and_keeps_data)
{
	static const struct migration v2[] = {
		{ 1, "001_a.sql", "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER);"
				  "CREATE TABLE t(x INTEGER);" },
		{ 2, "002_b.sql", "ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 7;" },
	};
	struct store *st;
	char err[HS_ERRLEN], bak[160];
	sqlite3_stmt *q;

	cr_assert_eq(store_open_with(db, v2, 1, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sqlite3_exec(st->db, "INSERT INTO t(x) VALUES (42)", NULL, NULL, NULL), SQLITE_OK);
	store_close(st);

	cr_assert_eq(store_open_with(db, v2, 2, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st->version, 2);
	cr_assert_eq(sqlite3_prepare_v2(st->db, "SELECT x, y FROM t", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 42);
	cr_assert_eq(sqlite3_column_int(q, 1), 7);
	sqlite3_finalize(q);
	store_close(st);
	/* The database as it was before the migration is kept beside it. */
	snprintf(bak, sizeof(bak), "%s.v1.bak", db);
	cr_assert_eq(access(bak, R_OK), 0, "no backup before migrating");
}

Test(store, failed_migration_rolls_back)
{
	static const struct migration bad[] = {
		{ 1, "001_a.sql", "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER);" },
		{ 2, "002_b.sql", "CREATE TABLE u(x); THIS IS NOT SQL;" },
	};
	struct store *st;
	char err[HS_ERRLEN];
	int64_t n;

	cr_assert_eq(store_open_with(db, bad, 1, &st, err, sizeof(err)), 0, "%s", err);
	store_close(st);
	cr_assert_neq(store_open_with(db, bad, 2, &st, err, sizeof(err)), 0);
	cr_assert_null(st);
	cr_assert_eq(store_open_with(db, bad, 1, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_count(st, "schema_version", NULL, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	cr_assert_neq(store_count(st, "u", NULL, &n, err, sizeof(err)), 0, "half a migration was kept");
	store_close(st);
}

Test(store, newer_database_is_refused_untouched)
{
	struct store *st;
	char err[HS_ERRLEN];
	size_t la, lb;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sqlite3_exec(st->db,
		"INSERT INTO schema_version VALUES (999, '999_future.sql', 0)", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	store_close(st);
	char *before = slurp(db, &la);
	cr_assert_eq(store_open(db, &st, err, sizeof(err)), HS_ESTATE);
	cr_assert_null(st);
	cr_assert(strstr(err, "newer") && strstr(err, "999"), "message: %s", err);
	char *after = slurp(db, &lb);
	cr_assert(la == lb && memcmp(before, after, la) == 0, "refused store was modified");
	free(before);
	free(after);
}

Test(store, corrupt_file_is_refused_untouched)
{
	struct store *st;
	char err[HS_ERRLEN];
	size_t la, lb;
	FILE *f = fopen(db, "w");

	cr_assert_not_null(f);
	for (int i = 0; i < 512; i++)
		fputs("garbage!", f);
	fclose(f);
	char *before = slurp(db, &la);
	cr_assert_eq(store_open(db, &st, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, db) != NULL, "message names the file: %s", err);
	cr_assert_null(strchr(err, '\n'));
	char *after = slurp(db, &lb);
	cr_assert(la == lb && memcmp(before, after, la) == 0, "corrupt store was modified");
	free(before);
	free(after);
}

Test(store, foreign_database_is_refused)
{
	sqlite3 *raw;
	struct store *st;
	char err[HS_ERRLEN];

	cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(raw, "CREATE TABLE other(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	cr_assert_eq(store_open(db, &st, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "not an hsd database"), "message: %s", err);
}

Test(store, events_are_append_only)
{
	struct store *st;
	char err[HS_ERRLEN];
	int64_t n;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_event(st, "test", "a", "b", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_event(st, "test", "c", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(sqlite3_exec(st->db, "UPDATE events SET kind = 'x'", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_neq(sqlite3_exec(st->db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(store_count(st, "events", NULL, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 2);
	store_close(st);
}

Test(store, meta_roundtrip)
{
	struct store *st;
	char err[HS_ERRLEN], v[64];

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_meta_get(st, "host", v, sizeof(v), err, sizeof(err)), 0);
	cr_assert_eq(store_meta_set(st, "host", "a", err, sizeof(err)), 0);
	cr_assert_eq(store_meta_set(st, "host", "b", err, sizeof(err)), 0);
	cr_assert_eq(store_meta_get(st, "host", v, sizeof(v), err, sizeof(err)), 1);
	cr_assert_str_eq(v, "b");
	store_close(st);
}

/* Every earlier release's database, with data in it, is carried through
 * the real migrations to the current schema without losing a row. */
Test(store, real_migrations_upgrade_every_older_schema_keeping_data)
{
	struct store *st;
	char err[HS_ERRLEN], v[64];
	int64_t n;

	for (int k = 1; k < migrations_count; k++) {
		cr_assert_eq(store_open_with(db, migrations, k, &st, err, sizeof(err)), 0,
			     "schema %d: %s", k, err);
		cr_assert_eq(store_event(st, "test", "before", "upgrade", err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(store_meta_set(st, "probe", "kept", err, sizeof(err)), 0, "%s", err);
		store_close(st);
		cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "from schema %d: %s", k, err);
		cr_assert_eq(st->version, migrations_count);
		cr_assert_eq(store_count(st, "events", "subject = 'before'", &n, err, sizeof(err)), 0);
		cr_assert_eq(n, 1, "from schema %d: the event was lost", k);
		cr_assert_eq(store_meta_get(st, "probe", v, sizeof(v), err, sizeof(err)), 1);
		cr_assert_str_eq(v, "kept");
		store_close(st);
		teardown();
		setup();
	}
}

/* A database whose header is fine but whose pages are damaged fails the
 * integrity check at open, and is left exactly as it was. */
Test(store, damaged_page_fails_the_integrity_check_untouched)
{
	struct store *st;
	char err[HS_ERRLEN], junk[4096];
	size_t la, lb;
	struct stat sb;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 2000; i++)
		cr_assert_eq(store_event(st, "test", "filler", "a row to spread the log over many pages",
					 err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	store_close(st);
	cr_assert_eq(stat(db, &sb), 0);
	cr_assert_gt(sb.st_size, 16 * 4096);
	memset(junk, 0x5a, sizeof(junk));
	int fd = open(db, O_WRONLY);
	cr_assert_geq(fd, 0);
	/* A page in the middle of the events table, far from the schema. */
	cr_assert_eq(pwrite(fd, junk, sizeof(junk), (sb.st_size / 4096 / 2) * 4096), (ssize_t)sizeof(junk));
	close(fd);
	char *before = slurp(db, &la);
	cr_assert_eq(store_open(db, &st, err, sizeof(err)), HS_ESTATE);
	cr_assert_null(st);
	cr_assert(strstr(err, "integrity") && strstr(err, db), "message: %s", err);
	char *after = slurp(db, &lb);
	cr_assert(la == lb && memcmp(before, after, la) == 0, "damaged store was modified");
	free(before);
	free(after);
}

/* A store that cannot grow (max_page_count stands in for a full disk:
 * SQLite reports both as SQLITE_FULL) names the cause and its directory,
 * and a refused alert leaves no row. */
Test(store, full_store_names_the_cause_and_keeps_no_half_row)
{
	struct store *st;
	char err[HS_ERRLEN], line[2048], want[256];
	int64_t before = -1, after = -1;
	int rc = 0, stored = 0;

	cr_assert_eq(store_open(db, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_alert_add(st, "a", "det@1", "ALERT first", 11, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sqlite3_exec(st->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(store_count(st, "alerts", NULL, &before, err, sizeof(err)), 0);
	memset(line, 'x', sizeof(line));
	/* The free pages the file has fill first. */
	for (int i = 0; i < 1000 && !rc; i++)
		if (!(rc = store_alert_add(st, "a", "det@1", line, sizeof(line), false, err, sizeof(err))))
			stored++;
	cr_assert_eq(rc, HS_ESYS);
	snprintf(want, sizeof(want), "no space left on device (%s)", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_eq(store_count(st, "alerts", NULL, &after, err, sizeof(err)), 0);
	cr_assert_eq(after, before + stored, "a refused alert left a row");
	store_close(st);
}
