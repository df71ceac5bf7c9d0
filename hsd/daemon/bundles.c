/* bundles.c - the IDS bundles stored on this host.
 *
 * `hsctl bundle add DIR` loads and checks DIR (hsd/fleet/bundle.c), copies
 * it atomically to STATE/bundles/NAME-VERSION and records it.  A bundle id
 * stored once never changes content: adding the same id with another hash
 * is refused.
 */
#include "bundles.h"
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "fsutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bundles_dir(const struct hsd *d, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/bundles%s%s", d->opt.state_dir, id ? "/" : "", id ? id : "");
}

int bundles_load(struct hsd *d, const char *id, struct bundle *out, char *err,
		 size_t errlen)
{
	char dir[PATH_MAX];
	sqlite3_stmt *q;
	int found;

	if (sqlite3_prepare_v2(d->store->db, "SELECT 1 FROM bundles WHERE id = ?", -1, &q, NULL))
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	if (!found)
		return err_set(err, errlen, HS_EINPUT, "bundle: unknown bundle \"%s\" (see hsctl bundle list)", id);
	bundles_dir(d, id, dir, sizeof(dir));
	return bundle_load_dir(dir, out, err, errlen);
}

/* Record a bundle already copied into the store. */
int bundles_record(struct hsd *d, const struct bundle *b, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(d->store->db,
		"INSERT INTO bundles(id, name, version, hash, added_at) VALUES (?, ?, ?, ?, ?) "
		"ON CONFLICT(id) DO NOTHING", -1, &q, NULL))
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	sqlite3_bind_text(q, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, b->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, b->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, b->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, store_now_ms());
	rc = sqlite3_step(q) == SQLITE_DONE ? 0
		: err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	sqlite3_finalize(q);
	if (!rc)
		store_event(d->store, "bundle.add", b->id, b->hash, NULL, 0);
	return rc;
}

int fs_mkdir_bundles(struct hsd *d, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	bundles_dir(d, NULL, dir, sizeof(dir));
	return fs_mkdir_p(dir, 0700, err, errlen);
}

int bundles_add_dir(struct hsd *d, const char *src, struct bundle *out, char *err,
		    size_t errlen)
{
	char dir[PATH_MAX], dst[PATH_MAX];
	int rc;

	bundles_dir(d, NULL, dir, sizeof(dir));
	if ((rc = bundle_load_dir(src, out, err, errlen)))
		return rc;
	bundles_dir(d, out->id, dst, sizeof(dst));
	if ((rc = fs_mkdir_p(dir, 0700, err, errlen)) ||
	    (rc = bundle_copy(out, src, dst, err, errlen)) ||
	    (rc = bundles_record(d, out, err, errlen)))
		bundle_free(out);
	return rc;
}

static int cmd_bundle_add(struct hsd *d, const struct ctl_request *req,
			  struct control_call *call, json_t **result, char *err,
			  size_t errlen)
{
	const char *path = json_string_value(json_object_get(req->args, "path"));
	struct bundle b;
	int rc;

	(void)call;
	if (!path || path[0] != '/')
		return err_set(err, errlen, HS_EINPUT, "path: missing or not absolute");
	if ((rc = bundles_add_dir(d, path, &b, err, errlen)))
		return rc;
	*result = json_pack("{s:s, s:s, s:s, s:s}", "id", b.id, "name", b.name,
			    "version", b.version, "hash", b.hash);
	bundle_free(&b);
	return 0;
}

static int cmd_bundle_list(struct hsd *d, const struct ctl_request *req,
			   struct control_call *call, json_t **result, char *err,
			   size_t errlen)
{
	sqlite3_stmt *q;
	json_t *arr = json_array();

	(void)req;
	(void)call;
	if (sqlite3_prepare_v2(d->store->db,
		"SELECT id, name, version, hash, added_at FROM bundles ORDER BY name, added_at",
		-1, &q, NULL)) {
		json_decref(arr);
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	}
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}",
			"id", (const char *)sqlite3_column_text(q, 0),
			"name", (const char *)sqlite3_column_text(q, 1),
			"version", (const char *)sqlite3_column_text(q, 2),
			"hash", (const char *)sqlite3_column_text(q, 3),
			"added_ms", (json_int_t)sqlite3_column_int64(q, 4)));
	sqlite3_finalize(q);
	*result = json_pack("{s:o}", "bundles", arr);
	return 0;
}

const struct control_cmd control_bundle_cmds[] = {
	{ "bundle.add", cmd_bundle_add },
	{ "bundle.list", cmd_bundle_list },
	{ NULL, NULL },
};
