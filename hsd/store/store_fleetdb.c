/* store_fleetdb.c - statements of the replicated fleet database. */
#include "store_fleetdb.h"
#include "err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const fleetdb_schema[] = {
	("CREATE TABLE IF NOT EXISTS rollout_claims ("
	 " ids TEXT PRIMARY KEY, host TEXT NOT NULL, intent TEXT NOT NULL,"
	 " target TEXT NOT NULL, since INTEGER NOT NULL, epoch INTEGER NOT NULL DEFAULT 1,"
	 " beat INTEGER NOT NULL DEFAULT 0, snap TEXT NOT NULL DEFAULT '')"),
	"CREATE TABLE IF NOT EXISTS hosts_seen (host TEXT PRIMARY KEY, at INTEGER NOT NULL)",
	/* An open rollout's steps, numbered by it: kept while its claim is. */
	("CREATE TABLE IF NOT EXISTS rollout_timeline (intent TEXT NOT NULL, seq INTEGER NOT NULL,"
	 " at INTEGER NOT NULL, host TEXT NOT NULL, step TEXT NOT NULL, detail TEXT NOT NULL,"
	 " PRIMARY KEY (intent, seq))"),
	/* What each host runs and stores, as it last said (JSON; docs/fleetdb.md). */
	("CREATE TABLE IF NOT EXISTS inventory (host TEXT PRIMARY KEY, at INTEGER NOT NULL,"
	 " state TEXT NOT NULL)"),
};

/* Columns a fleet database made by an earlier hsd lacks: added once, by
 * whichever host ensures the schema first (ALTER is a Raft entry too). */
static const char *const fleetdb_added[][2] = {
	{ "epoch", "ALTER TABLE rollout_claims ADD COLUMN epoch INTEGER NOT NULL DEFAULT 1" },
	{ "beat", "ALTER TABLE rollout_claims ADD COLUMN beat INTEGER NOT NULL DEFAULT 0" },
	{ "snap", "ALTER TABLE rollout_claims ADD COLUMN snap TEXT NOT NULL DEFAULT ''" },
};

#define FDB_SQLITE_BUSY 5   /* SQLite's primary result codes, as dqlite */
#define FDB_SQLITE_LOCKED 6 /* answers them (low byte of an extended one) */
#define FDB_BUSY_TRIES 20
#define FDB_BUSY_WAIT_NS (25 * 1000 * 1000)

/* A FAILURE answer here is never about the row (the statements cannot
 * violate a constraint): it is a write that did not commit, as from a
 * leader deposed meanwhile, the same to the caller as no quorum.  But the
 * leader's database held by another write of the moment (two hosts'
 * claims at once) is tried again, shortly: it is no loss of quorum. */
static int exec(struct fdb_conn *c, const char *sql, const struct fdb_value *p, size_t n,
		uint64_t *changes, char *err, size_t errlen)
{
	const struct timespec wait = { .tv_nsec = FDB_BUSY_WAIT_NS };
	int rc;

	for (int i = 0;; i++) {
		uint64_t code = 0;
		rc = fdb_exec(c, sql, p, n, changes, &code, err, errlen);
		code &= 0xff;
		if (rc != HS_ESTATE || (code != FDB_SQLITE_BUSY && code != FDB_SQLITE_LOCKED) ||
		    i == FDB_BUSY_TRIES)
			break;
		nanosleep(&wait, NULL);
	}
	return rc == HS_ESTATE ? HS_EUNREACH : rc;
}

static struct fdb_value text(const char *s)
{
	return (struct fdb_value){ .type = FDB_TEXT, .text = s, .len = strlen(s) };
}

static int count_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	*(int64_t *)arg = ncols == 1 && v[0].type == FDB_INTEGER ? v[0].i : 0;
	return 0;
}

int store_fleetdb_schema(struct fdb_conn *c, char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < sizeof(fleetdb_schema) / sizeof(fleetdb_schema[0]); i++)
		if ((rc = exec(c, fleetdb_schema[i], NULL, 0, NULL, err, errlen)))
			return rc;
	for (size_t i = 0; i < sizeof(fleetdb_added) / sizeof(fleetdb_added[0]); i++) {
		struct fdb_value p[] = { text(fleetdb_added[i][0]) };
		int64_t n = 0;
		if ((rc = fdb_query(c, "SELECT count(*) FROM pragma_table_info('rollout_claims')"
				    " WHERE name = ?", p, 1, count_row, &n, NULL, err, errlen)))
			return rc == HS_ESTATE ? HS_EUNREACH : rc;
		if (!n && (rc = exec(c, fleetdb_added[i][1], NULL, 0, NULL, err, errlen)))
			return rc;
	}
	return 0;
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
	if (ncols != 5)
		return HS_EINPUT;
	copy_text(held->host, sizeof(held->host), &v[0]);
	copy_text(held->intent, sizeof(held->intent), &v[1]);
	copy_text(held->target, sizeof(held->target), &v[2]);
	held->since = v[3].type == FDB_INTEGER ? v[3].i : 0;
	held->epoch = v[4].type == FDB_INTEGER ? (uint64_t)v[4].i : 0;
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
	if (n == 1) {
		held->epoch = 1; /* the column's default */
		return 0;
	}
	if ((rc = fdb_query(c, "SELECT host, intent, target, since, epoch FROM rollout_claims"
			    " WHERE ids = ?",
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
	struct fdb_value p[] = { text(ids), text(host), text(intent), text(intent), text(intent) };
	int rc = exec(c, "DELETE FROM rollout_claims WHERE ids = ? AND host = ? AND intent = ?", p,
		      3, NULL, err, errlen);
	if (!rc)
		rc = exec(c, "DELETE FROM rollout_timeline WHERE intent = ? AND NOT EXISTS"
			  " (SELECT 1 FROM rollout_claims WHERE intent = ?)", p + 3, 2, NULL, err,
			  errlen);
	return rc;
}

int store_fleetdb_seen(struct fdb_conn *c, const char *host, int64_t now, char *err,
		       size_t errlen)
{
	struct fdb_value p[] = { text(host), integer(now) };
	return exec(c, "INSERT INTO hosts_seen (host, at) VALUES (?, ?)"
		    " ON CONFLICT (host) DO UPDATE SET at = excluded.at", p, 2, NULL, err, errlen);
}

int store_fleetdb_save(struct fdb_conn *c, const char *ids, const char *host, const char *intent,
		       uint64_t epoch, const char *snap, const struct fleetdb_step *steps,
		       size_t nsteps, char *err, size_t errlen)
{
	struct fdb_value p[] = { text(snap), text(ids), text(host), text(intent),
				 integer((int64_t)epoch) };
	uint64_t n = 0;
	int rc = exec(c, "UPDATE rollout_claims SET snap = ?, beat = beat + 1"
		      " WHERE ids = ? AND host = ? AND intent = ? AND epoch = ?", p, 5, &n, err,
		      errlen);
	if (!rc && n != 1)
		rc = err_set(err, errlen, HS_ESTATE,
			     "the claim of %s is no longer this host's at epoch %llu", ids,
			     (unsigned long long)epoch);
	/* After the state: a step is never in the timeline before the state
	 * that allows it.  Each is fenced like the state (a takeover between
	 * two leaves the rest out). */
	for (size_t i = 0; !rc && i < nsteps; i++) {
		const struct fleetdb_step *s = &steps[i];
		struct fdb_value q[] = { text(intent), integer(s->seq), integer(s->at_ms),
					 text(s->host), text(s->step), text(s->detail),
					 text(ids), text(host), text(intent), integer((int64_t)epoch) };
		rc = exec(c, "INSERT OR IGNORE INTO rollout_timeline (intent, seq, at, host, step,"
			  " detail) SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM"
			  " rollout_claims WHERE ids = ? AND host = ? AND intent = ? AND epoch = ?)",
			  q, 10, NULL, err, errlen);
	}
	return rc;
}

struct steps_ctx {
	struct fleetdb_step *v;
	size_t max;
	uint32_t n;
};

static int step_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct steps_ctx *x = arg;
	if (ncols != 5 || x->n == x->max)
		return ncols == 5 ? 0 : HS_EINPUT;
	struct fleetdb_step *s = &x->v[x->n++];
	s->seq = v[0].type == FDB_INTEGER ? (uint32_t)v[0].i : 0;
	s->at_ms = v[1].type == FDB_INTEGER ? v[1].i : 0;
	copy_text(s->host, sizeof(s->host), &v[2]);
	copy_text(s->step, sizeof(s->step), &v[3]);
	copy_text(s->detail, sizeof(s->detail), &v[4]);
	return 0;
}

int store_fleetdb_steps(struct fdb_conn *c, const char *intent, uint32_t after,
			struct fleetdb_step *steps, size_t max, uint32_t *n, char *err,
			size_t errlen)
{
	struct fdb_value p[] = { text(intent), integer(after), integer((int64_t)max) };
	struct steps_ctx x = { .v = steps, .max = max };
	int rc = fdb_query(c, "SELECT seq, at, host, step, detail FROM rollout_timeline"
			   " WHERE intent = ? AND seq > ? ORDER BY seq LIMIT ?", p, 3, step_row, &x,
			   NULL, err, errlen);
	*n = x.n;
	return rc == HS_ESTATE ? HS_EUNREACH : rc;
}

struct claims_ctx {
	struct store_fleetdb_row *rows;
	size_t max, n;
};

static int claims_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct claims_ctx *x = arg;
	if (ncols != 6)
		return HS_EINPUT;
	if (x->n == x->max)
		return 0; /* more IDS under way than listed: the rest next time */
	struct store_fleetdb_row *r = &x->rows[x->n++];
	copy_text(r->ids, sizeof(r->ids), &v[0]);
	copy_text(r->host, sizeof(r->host), &v[1]);
	copy_text(r->intent, sizeof(r->intent), &v[2]);
	copy_text(r->target, sizeof(r->target), &v[3]);
	r->epoch = v[4].type == FDB_INTEGER ? (uint64_t)v[4].i : 0;
	r->beat = v[5].type == FDB_INTEGER ? (uint64_t)v[5].i : 0;
	return 0;
}

int store_fleetdb_claims(struct fdb_conn *c, struct store_fleetdb_row *rows, size_t max,
			 size_t *n, char *err, size_t errlen)
{
	struct claims_ctx x = { .rows = rows, .max = max };
	int rc = fdb_query(c, "SELECT ids, host, intent, target, epoch, beat FROM rollout_claims"
			   " ORDER BY since, ids", NULL, 0, claims_row, &x, NULL, err, errlen);
	*n = x.n;
	return rc == HS_ESTATE ? HS_EUNREACH : rc;
}

static int snap_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct store_fleetdb_take *t = arg;
	if (ncols != 3 || v[0].type != FDB_TEXT)
		return HS_EINPUT;
	if (v[0].len >= t->cap)
		return HS_EINPUT;
	memcpy(t->snap, v[0].text, v[0].len);
	t->snap[v[0].len] = 0;
	t->epoch = v[1].type == FDB_INTEGER ? (uint64_t)v[1].i : 0;
	t->seq = v[2].type == FDB_INTEGER ? (uint32_t)v[2].i : 0;
	return 0;
}

int store_fleetdb_take(struct fdb_conn *c, const char *ids, const char *from, const char *intent,
		       uint64_t epoch, const char *host, struct store_fleetdb_take *out,
		       char *err, size_t errlen)
{
	struct fdb_value p[] = { text(host), text(ids), text(from), text(intent),
				 integer((int64_t)epoch) };
	uint64_t n = 0;
	int rc;

	out->epoch = 0;
	if ((rc = exec(c, "UPDATE rollout_claims SET host = ?, epoch = epoch + 1, beat = 0"
		       " WHERE ids = ? AND host = ? AND intent = ? AND epoch = ?", p, 5, &n, err,
		       errlen)))
		return rc;
	if (n != 1)
		return err_set(err, errlen, HS_ESTATE, "the claim of %s moved on before its takeover",
			       ids);
	if ((rc = fdb_query(c, "SELECT snap, epoch, (SELECT coalesce(max(seq), 0) FROM"
			    " rollout_timeline t WHERE t.intent = r.intent) FROM rollout_claims r"
			    " WHERE ids = ?", p + 1, 1, snap_row, out, NULL, err, errlen)))
		return rc == HS_ESTATE ? HS_EUNREACH : rc;
	if (!out->epoch) /* gone between the two: as if never taken */
		return err_set(err, errlen, HS_ESTATE, "the claim of %s went before its takeover",
			       ids);
	return 0;
}

int store_fleetdb_inventory_put(struct fdb_conn *c, const char *host, int64_t now,
				const char *json, char *err, size_t errlen)
{
	struct fdb_value p[] = { text(host), integer(now), text(json) };
	return exec(c, "INSERT INTO inventory (host, at, state) VALUES (?, ?, ?)"
		    " ON CONFLICT (host) DO UPDATE SET at = excluded.at, state = excluded.state", p,
		    3, NULL, err, errlen);
}

struct inv_ctx {
	char *out;
	size_t cap, len;
	bool more;
};

static int inv_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct inv_ctx *x = arg;
	if (ncols != 3 || v[0].type != FDB_TEXT || v[2].type != FDB_TEXT)
		return HS_EINPUT;
	/* A row with a tab or a newline would break the lines: left out. */
	if (memchr(v[0].text, '\t', v[0].len) || memchr(v[0].text, '\n', v[0].len) ||
	    memchr(v[2].text, '\n', v[2].len))
		return 0;
	int n = snprintf(x->out + x->len, x->cap - x->len, "%.*s\t%lld\t%.*s\n", (int)v[0].len,
			 v[0].text, (long long)(v[1].type == FDB_INTEGER ? v[1].i : 0),
			 (int)v[2].len, v[2].text);
	if (n < 0 || (size_t)n >= x->cap - x->len) {
		x->out[x->len] = 0;
		x->more = true;
		return 0;
	}
	x->len += (size_t)n;
	return 0;
}

int store_fleetdb_inventory(struct fdb_conn *c, char *out, size_t cap, bool *more, char *err,
			    size_t errlen)
{
	struct inv_ctx x = { .out = out, .cap = cap };
	int rc;

	out[0] = 0;
	rc = fdb_query(c, "SELECT host, at, state FROM inventory ORDER BY host", NULL, 0, inv_row,
		       &x, NULL, err, errlen);
	*more = x.more;
	return rc == HS_ESTATE ? HS_EUNREACH : rc;
}

struct read_ctx {
	struct store_fleetdb_take *t;
	struct store_fleetdb_claim *held;
};

static int read_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct read_ctx *x = arg;
	int rc;
	if (ncols != 8)
		return HS_EINPUT;
	if ((rc = snap_row(x->t, v, 3)))
		return rc;
	return claim_row(x->held, v + 3, 5);
}

int store_fleetdb_read(struct fdb_conn *c, const char *ids, struct store_fleetdb_take *out,
		       struct store_fleetdb_claim *held, char *err, size_t errlen)
{
	struct fdb_value p[] = { text(ids) };
	struct read_ctx x = { .t = out, .held = held };
	int rc;

	out->epoch = 0;
	memset(held, 0, sizeof(*held));
	rc = fdb_query(c, "SELECT snap, epoch, (SELECT coalesce(max(seq), 0) FROM rollout_timeline t"
		       " WHERE t.intent = r.intent), host, intent, target, since, epoch FROM"
		       " rollout_claims r WHERE ids = ?", p, 1, read_row, &x, NULL, err, errlen);
	if (rc)
		return rc == HS_ESTATE ? HS_EUNREACH : rc;
	if (!out->epoch)
		return err_set(err, errlen, HS_ENOENT, "no rollout of %s is under way", ids);
	return 0;
}
