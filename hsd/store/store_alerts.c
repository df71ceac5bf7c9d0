/* store_alerts.c - alerts, and how far each instance's console was read. */
#include "store_alerts.h"
#include "err.h"

static int fail(struct store *st, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, HS_ESYS, "store: %s: %s", what, store_why(st));
}

int store_alert_add(struct store *st, const char *host, const char *instance,
		    const char *line, size_t len, bool probe, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
		"INSERT INTO alerts(at, host, instance, line, probe) VALUES (?, ?, ?, ?, ?)", -1, &q, NULL))
		return fail(st, err, errlen, "alerts");
	sqlite3_bind_int64(q, 1, store_now_ms());
	sqlite3_bind_text(q, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, probe);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : fail(st, err, errlen, "alerts");
	sqlite3_finalize(q);
	return rc;
}

int store_alerts_each(struct store *st, int64_t after, int64_t last, bool probes,
		      int (*fn)(void *ctx, const struct store_alert *a, char *err, size_t errlen),
		      void *ctx, bool *stopped, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc = 0, step;

	*stopped = false;
	/* ?3 = 1 lets probe alerts through; the filter is in the query, so
	 * "the latest N" counts only what will be shown. */
	if (sqlite3_prepare_v2(st->db, after >= 0
		? "SELECT id, at, host, instance, line, probe FROM alerts "
		  "WHERE id > ?1 AND (?3 OR probe = 0) ORDER BY id LIMIT ?2"
		: "SELECT * FROM (SELECT id, at, host, instance, line, probe FROM alerts "
		  "WHERE ?3 OR probe = 0 ORDER BY id DESC LIMIT ?2) ORDER BY id",
		-1, &q, NULL))
		return fail(st, err, errlen, "alerts");
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int64(q, 2, last);
	sqlite3_bind_int(q, 3, probes);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_alert a = {
			.id = sqlite3_column_int64(q, 0), .at_ms = sqlite3_column_int64(q, 1),
			.probe = sqlite3_column_int(q, 5) != 0,
		};
		const void **cols[] = { &a.host, &a.instance, &a.line };
		size_t *lens[] = { &a.host_len, &a.instance_len, &a.line_len };
		for (int c = 0; c < 3; c++) {
			*cols[c] = sqlite3_column_blob(q, 2 + c);
			*lens[c] = (size_t)sqlite3_column_bytes(q, 2 + c);
			if (!*cols[c])
				*cols[c] = "";
		}
		if ((rc = fn(ctx, &a, err, errlen)))
			break;
	}
	if (rc == 1) {
		*stopped = true;
		rc = 0;
	} else if (!rc && step != SQLITE_DONE) {
		rc = fail(st, err, errlen, "alerts");
	}
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
