/* store_alerts.c - alerts, and how far each instance's console was read. */
#include "store_alerts.h"
#include "err.h"

static int fail(struct store *st, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, HS_ESYS, "store: %s: %s", what, store_why(st));
}

int store_alert_add(struct store *st, const char *host, const char *instance,
		    const char *line, size_t len, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"INSERT INTO alerts(at, host, instance, line) VALUES (?, ?, ?, ?)", -1, &q, NULL))
		return fail(st, err, errlen, "alerts");
	sqlite3_bind_int64(q, 1, store_now_ms());
	sqlite3_bind_text(q, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, line, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : fail(st, err, errlen, "alerts");
	sqlite3_finalize(q);
	return rc;
}

int store_instance_offset(struct store *st, int64_t id, int64_t offset, char *err,
			  size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, "UPDATE instances SET console_offset = ? WHERE id = ?",
			       -1, &q, NULL))
		return fail(st, err, errlen, "console offset");
	sqlite3_bind_int64(q, 1, offset);
	sqlite3_bind_int64(q, 2, id);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : fail(st, err, errlen, "console offset");
	sqlite3_finalize(q);
	return rc;
}
