/* store.h - the host's SQLite store.
 *
 * One database per state directory (hsd.db), WAL mode, synchronous=FULL.
 * Opening applies the embedded migrations in order, each in its own
 * transaction, after a backup copy of an existing database.  A database that
 * is corrupt, foreign, or newer than this binary knows is refused and left
 * byte-for-byte untouched.
 */
#ifndef HS_STORE_H
#define HS_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "migrations.h"

struct store {
	sqlite3 *db;
	char *path;
	int version; /* schema version after open */
	char why[512]; /* store_why's text */
};

/* The last error of the store's connection, for a message: a full disk
 * reads "no space left on device (DIR)", naming the directory, so the
 * operator knows which file system to free; else SQLite's text.  Valid
 * until the next call. */
const char *store_why(struct store *st);

int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* Same, with an explicit migration list (tests exercise upgrades with it). */
int store_open_with(const char *path, const struct migration *m, int n,
		    struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* Append to the event log. */
int store_event(struct store *st, const char *kind, const char *subject,
		const char *detail, char *err, size_t errlen);

int store_meta_set(struct store *st, const char *key, const char *value,
		   char *err, size_t errlen);
/* Copies the value into buf; returns 1 if found, 0 if not, <0 on error. */
int store_meta_get(struct store *st, const char *key, char *buf, size_t len,
		   char *err, size_t errlen);

/* Count the rows of table, or only those matching where when it is not
 * NULL (both fixed SQL written in the code, never input). */
int store_count(struct store *st, const char *table, const char *where, int64_t *out,
		char *err, size_t errlen);

int64_t store_now_ms(void);

#endif
