/* bundles.c - the IDS bundles stored on this host.
 *
 * `hsctl bundle add DIR` loads and checks DIR (hsd/fleet/bundle.c), checks
 * the operator's signature of its id and hash against the cluster's
 * operators, copies it atomically to STATE/bundles/NAME-VERSION and records
 * it with the signature.  A bundle id stored once never changes content:
 * adding the same id with another hash is refused.  Every start checks the
 * stored signature again against the operators of that moment, and the
 * hash against the files, so neither a revoked key nor a file changed in
 * the store runs.
 */
#include "bundles.h"
#include "control.h"
#include "daemon.h"
#include "disk.h"
#include "err.h"
#include "fsutil.h"
#include "jmsg.h"
#include "log.h"
#include "store_bundles.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bundles_dir(const struct hsd *d, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/bundles%s%s", d->opt.state_dir, id ? "/" : "", id ? id : "");
}

int bundles_load(struct hsd *d, const char *id, struct bundle *out, char *err,
		 size_t errlen)
{
	char dir[PATH_MAX];
	int found;

	memset(out, 0, sizeof(*out)); /* bundle_free is safe after any failure */
	if ((found = store_bundle_get(d->store, id, NULL, err, errlen)) < 0)
		return found;
	if (!found)
		return err_set(err, errlen, HS_EINPUT, "bundle: unknown bundle \"%s\" (see hsctl bundle list)", id);
	bundles_dir(d, id, dir, sizeof(dir));
	return bundle_load_dir(dir, out, err, errlen);
}

int bundles_check_sig(struct hsd *d, const char *id, const char *hash, const char *sig_text,
		      size_t sig_len, const char *sig_from, struct bundle_sig *sig, char *err,
		      size_t errlen)
{
	char why[HS_ERRLEN], qid[80];

	/* id may be another host's, not checked yet: quoted. */
	jmsg_quote(id, qid, sizeof(qid));
	if (!sig_text)
		return err_set(err, errlen, HS_EINPUT, "bundle %s: signature: no signature (%s)", qid,
			       sig_from ? sig_from : "none sent");
	if (bundle_sig_parse(sig_text, sig_len, sig, why, sizeof(why)) < 0)
		return err_set(err, errlen, HS_EINPUT, "bundle %s: %s%s%s%s", qid, why,
			       sig_from ? " (" : "", sig_from ? sig_from : "", sig_from ? ")" : "");
	return bundle_sig_check(sig, id, hash, &d->cluster, err, errlen);
}

int bundles_verify(struct hsd *d, const struct bundle *b, struct bundle_sig *sig, char *err,
		   size_t errlen)
{
	struct store_sig *v;
	struct bundle_sig s;
	size_t n;
	int rc;

	if ((rc = store_bundle_sigs(d->store, b->id, &v, &n, err, errlen)))
		return rc;
	rc = err_set(err, errlen, HS_EINPUT,
		     "bundle %s: signature: none stored (add it again: hsctl bundle add DIR --sig FILE)",
		     b->id);
	/* Any one signature by a current operator will do; the message is
	 * the last failure's. */
	for (size_t i = 0; i < n && rc; i++) {
		if (bundle_sig_from_b64(v[i].key, v[i].sig, &s) < 0) {
			rc = err_set(err, errlen, HS_EINPUT, "bundle %s: signature: stored one is malformed",
				     b->id);
			continue;
		}
		rc = bundle_sig_check(&s, b->id, b->hash, &d->cluster, err, errlen);
	}
	free(v);
	if (!rc && sig)
		*sig = s;
	return rc;
}

int bundles_load_signed(struct hsd *d, const char *id, struct bundle *out, char *err,
			size_t errlen)
{
	int rc = bundles_load(d, id, out, err, errlen);

	if (!rc && (rc = bundles_verify(d, out, NULL, err, errlen)))
		bundle_free(out);
	return rc;
}

/* Record a bundle already copied into the store, with its signature. */
int bundles_record(struct hsd *d, const struct bundle *b, const struct bundle_sig *sig,
		   char *err, size_t errlen)
{
	char key[OPKEY_PUB_B64_LEN + 1], s64[OPKEY_SIG_B64_LEN + 1];
	struct store_sig row;

	bundle_sig_to_b64(sig, key, s64);
	snprintf(row.key, sizeof(row.key), "%s", key);
	snprintf(row.sig, sizeof(row.sig), "%s", s64);
	return store_bundle_add(d->store, b->id, b->name, b->version, b->hash, &row, err, errlen);
}

int fs_mkdir_bundles(struct hsd *d, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	bundles_dir(d, NULL, dir, sizeof(dir));
	return fs_mkdir_p(dir, 0700, err, errlen);
}

int bundles_add_dir(struct hsd *d, const char *src, const char *sig_text, size_t sig_len,
		    const char *sig_from, struct bundle *out, char *err, size_t errlen)
{
	char dir[PATH_MAX], dst[PATH_MAX];
	struct bundle_sig sig;
	bool had;
	int rc;

	bundles_dir(d, NULL, dir, sizeof(dir));
	if ((rc = bundle_load_dir(src, out, err, errlen)))
		return rc;
	bundles_dir(d, out->id, dst, sizeof(dst));
	/* The signature first: nothing is written for an unsigned bundle.
	 * bundle_copy then insists the files still hash to what was signed. */
	if ((rc = bundles_check_sig(d, out->id, out->hash, sig_text, sig_len, sig_from, &sig,
				    err, errlen)) ||
	    (rc = disk_admit(d, err, errlen)) ||
	    (rc = fs_mkdir_p(dir, 0700, err, errlen))) {
		bundle_free(out);
		return rc;
	}
	had = access(dst, F_OK) == 0;
	if ((rc = bundle_copy(out, src, dst, err, errlen)) ||
	    (rc = bundles_record(d, out, &sig, err, errlen))) {
		/* Files without their row (the store was full): no half bundle. */
		if (!had)
			bundle_rm_tree(dst);
		bundle_free(out);
	}
	return rc;
}

static int cmd_bundle_add(struct hsd *d, const struct rpc_req *req,
			  const struct done *dn, json_t **result, char *err,
			  size_t errlen)
{
	const char *path = json_string_value(json_object_get(req->args, "path"));
	json_t *sig = json_object_get(req->args, "sig");
	const char *sig_from = json_string_value(json_object_get(req->args, "sig_file"));
	struct bundle b;
	int rc;

	(void)dn;
	if (!path || path[0] != '/')
		return err_set(err, errlen, HS_EINPUT, "path: missing or not absolute");
	if (sig && !json_is_string(sig))
		return err_set(err, errlen, HS_EINPUT, "sig: expected the signature file's text");
	if ((rc = bundles_add_dir(d, path, json_string_value(sig), json_string_length(sig),
				  sig_from, &b, err, errlen)))
		return rc;
	*result = json_pack("{s:s, s:s, s:s, s:s}", "id", b.id, "name", b.name,
			    "version", b.version, "hash", b.hash);
	bundle_free(&b);
	return 0;
}

/* The signers of one bundle: each key, and whether it is an operator now. */
static json_t *signers(struct hsd *d, const char *id)
{
	struct store_sig *v = NULL;
	struct bundle_sig s;
	json_t *arr = json_array();
	char err[HS_ERRLEN];
	size_t n = 0;

	/* The list is still worth showing without them: logged, not failed. */
	if (store_bundle_sigs(d->store, id, &v, &n, err, sizeof(err))) {
		log_error("bundle list: %s: signers not shown: %s", id, err);
		return arr;
	}
	for (size_t i = 0; i < n; i++) {
		bool op = bundle_sig_from_b64(v[i].key, v[i].sig, &s) == 0 &&
			  cluster_is_operator(&d->cluster, s.key);
		json_array_append_new(arr, json_pack("{s:s, s:b}", "key", v[i].key, "operator", op));
	}
	free(v);
	return arr;
}

static int cmd_bundle_list(struct hsd *d, const struct rpc_req *req,
			   const struct done *dn, json_t **result, char *err,
			   size_t errlen)
{
	struct store_bundle *v;
	size_t n;
	int rc;

	(void)req;
	(void)dn;
	if ((rc = store_bundle_list(d->store, &v, &n, err, errlen)))
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}",
			"id", v[i].id, "name", v[i].name, "version", v[i].version, "hash", v[i].hash,
			"added_ms", (json_int_t)v[i].added_at, "signers", signers(d, v[i].id)));
	free(v);
	*result = json_pack("{s:o}", "bundles", arr);
	return 0;
}

static const struct rpc_arg args_cmd_bundle_add[] = {
	{ "path", RPC_STR },
	{ "sig_file", RPC_STR },
	{ "sig", RPC_STR },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_bundle_cmds[] = {
	{ "bundle.add", cmd_bundle_add, args_cmd_bundle_add },
	{ "bundle.list", cmd_bundle_list, NULL },
	{ NULL, NULL, NULL },
};
