/* store_fixture.h - for the tests of hsd/store/: each test gets a fresh
 * store (st) in a directory of its own (dir, with db its file), removed
 * after it; sql() runs raw SQL to set up or break what a test needs. */
#ifndef HS_STORE_FIXTURE_H
#define HS_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"

static char dir[64], db[128];
static struct store *st;

static void store_fixture_open(void)
{
	char e[HS_ERRLEN];

	strcpy(dir, "/tmp/hs-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/hsd.db", dir);
	cr_assert_eq(store_open(db, &st, e, sizeof(e)), 0, "%s", e);
}

static void store_fixture_close(void)
{
	char cmd[128];

	store_close(st);
	st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static inline void sql(const char *text)
{
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(st->db, text, NULL, NULL, &msg), SQLITE_OK, "%s: %s", text,
		     msg ? msg : "");
}

#endif
