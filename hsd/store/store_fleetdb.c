/* store_fleetdb.c - statements of the replicated fleet database. */
#include "store_fleetdb.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

static const char *const fleetdb_schema[] = {
	"CREATE TABLE IF NOT EXISTS rollout_claims ("
	" ids TEXT PRIMARY KEY, host TEXT NOT NULL, intent TEXT NOT NULL,"
	" target TEXT NOT NULL, since INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS hosts_seen (host TEXT PRIMARY KEY, at INTEGER NOT NULL)",
};

/* A FAILURE answer here is never about the row (the statements cannot
 * violate a constraint): it is a write that did not commit, as from a
 * leader deposed meanwhile, the same to the caller as no quorum. */
static int exec(struct fdb_conn *c, const char *sql, const struct fdb_value *p, size_t n,
		uint64_t *changes, char *err, size_t errlen)
{
	int rc = fdb_exec(c, sql, p, n, changes, NULL, err, errlen);
	return rc == HS_ESTATE ? HS_EUNREACH : rc;
}

int store_fleetdb_schema(struct fdb_conn *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(fleetdb_schema) / sizeof(fleetdb_schema[0]); i++) {
		int rc = exec(c, fleetdb_schema[i], NULL, 0, NULL, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static struct fdb_value text(const char *s)
{
	return (struct fdb_value){ .type = FDB_TEXT, .text = s, .len = strlen(s) };
}

static struct fdb_value integer(int64_t i)
{
	return (struct fdb_value){ .type = FDB_INTEGER, .i = i };
}

static void copy_text(char *dst, size_t len, const struct fdb_value *v)
{
	snprintf(dst, len, "%s", v->type == FDB_TEXT ? v->text : "?");
}

static int claim_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct store_fleetdb_claim *held = arg;
	if (ncols != 4)
		return HS_EINPUT;
	copy_text(held->host, sizeof(held->host), &v[0]);
	copy_text(held->intent, sizeof(held->intent), &v[1]);
	copy_text(held->target, sizeof(held->target), &v[2]);
	held->since = v[3].type == FDB_INTEGER ? v[3].i : 0;
	return 0;
}

int store_fleetdb_claim(struct fdb_conn *c, const char *ids, const char *host, const char *intent,
			const char *target, int64_t now, struct store_fleetdb_claim *held,
			char *err, size_t errlen)
{
	struct fdb_value p[] = { text(ids), text(host), text(intent), text(target), integer(now) };
	uint64_t n = 0;
	int rc;

	memset(held, 0, sizeof(*held));
	if ((rc = exec(c, "INSERT INTO rollout_claims (ids, host, intent, target, since)"
		       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ids) DO NOTHING", p, 5, &n, err, errlen)))
		return rc;
	if (n == 1)
		return 0;
	if ((rc = fdb_query(c, "SELECT host, intent, target, since FROM rollout_claims WHERE ids = ?",
			    p, 1, claim_row, held, NULL, err, errlen)))
		return rc == HS_ESTATE ? HS_EUNREACH : rc;
	if (!held->host[0]) /* released between the two: try again */
		return err_set(err, errlen, HS_EUNREACH, "fleet db: the claim of %s changed meanwhile", ids);
	if (strcmp(held->host, host) == 0 && strcmp(held->intent, intent) == 0)
		return 0;
	return err_set(err, errlen, HS_ESTATE, "rollout of %s held by %s", ids, held->host);
}

int store_fleetdb_release(struct fdb_conn *c, const char *ids, const char *host,
			  const char *intent, char *err, size_t errlen)
{
	struct fdb_value p[] = { text(ids), text(host), text(intent) };
	return exec(c, "DELETE FROM rollout_claims WHERE ids = ? AND host = ? AND intent = ?", p, 3,
		    NULL, err, errlen);
}

int store_fleetdb_release_others(struct fdb_conn *c, const char *host, const char *intent,
				 char *err, size_t errlen)
{
	struct fdb_value p[] = { text(host), text(intent) };
	return exec(c, "DELETE FROM rollout_claims WHERE host = ? AND intent != ?", p, 2, NULL, err,
		    errlen);
}

int store_fleetdb_seen(struct fdb_conn *c, const char *host, int64_t now, char *err,
		       size_t errlen)
{
	struct fdb_value p[] = { text(host), integer(now) };
	return exec(c, "INSERT INTO hosts_seen (host, at) VALUES (?, ?)"
		    " ON CONFLICT (host) DO UPDATE SET at = excluded.at", p, 2, NULL, err, errlen);
}
