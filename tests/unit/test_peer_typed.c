/* test_peer_typed.c - a peer request as fixed fields (proto/peer_typed.h):
 * what the engine decodes, what hsd checks and rebuilds, and that a
 * rebuilt intent still verifies only when nothing in it was changed. */
#include <criterion/criterion.h>
#include <string.h>

#include "bundle_int.h"
#include "err.h"
#include "intent.h"
#include "peer_typed.h"

#define NOW 1800000000LL

static struct opkey op;

static void keys(void)
{
	char err[HS_ERRLEN];
	cr_assert_eq(opkey_generate(&op, err, sizeof(err)), 0, "%s", err);
}

TestSuite(typed, .init = keys);

static json_t *envelope(void)
{
	static char hosts[3][CLUSTER_NAME_MAX + 1] = { "a", "b", "c" };
	struct intent it = { .kind = INTENT_ROLLOUT, .hosts = hosts, .nhosts = 3,
			     .issued = NOW - 10, .expires = NOW + 3600 };
	char err[HS_ERRLEN];
	json_t *env = NULL, *obj;

	strcpy(it.cluster, "three");
	memset(it.id, 'a', INTENT_ID_HEX);
	strcpy(it.bundle, "aide-2");
	memset(it.hash, '7', BUNDLE_HASH_HEX);
	strcpy(it.canary, "b");
	obj = intent_to_json(&it);
	cr_assert_eq(intent_sign(obj, &op, &env, err, sizeof(err)), 0, "%s", err);
	json_decref(obj);
	return env;
}

struct decoded {
	struct peer_typed t;
	struct peer_word *hosts;
	struct bundle_files files;
	int rc;
	char err[HS_ERRLEN];
};

static void decode(const char *cmd, json_t *args, struct decoded *d)
{
	d->rc = peer_typed_decode(cmd, args, &d->t, &d->hosts, &d->files, d->err, sizeof(d->err));
	json_decref(args);
}

static void done(struct decoded *d)
{
	free(d->hosts);
	bundle_files_free(&d->files);
}

/* The envelope hsd rebuilds verifies under the operator's key. */
static int verify_rebuilt(struct decoded *d, char *err)
{
	const uint8_t(*ops)[CLUSTER_KEY_LEN] = (const uint8_t(*)[CLUSTER_KEY_LEN])op.pub;
	json_t *args = peer_typed_args(&d->t, d->hosts);
	struct intent it;

	cr_assert_not_null(args);
	int rc = intent_verify(json_object_get(args, "intent"), ops, 1, "three", NOW, &it, err,
			       HS_ERRLEN);
	intent_free(&it);
	json_decref(args);
	return rc;
}

Test(typed, instance_stop_round_trip)
{
	struct decoded d;
	char err[HS_ERRLEN];

	decode("instance.stop", json_pack("{s:s, s:o}", "instance", "aide@1", "intent", envelope()), &d);
	cr_assert_eq(d.rc, 0, "%s", d.err);
	cr_assert_eq(d.t.cmd, PEER_CMD_INSTANCE_STOP);
	cr_assert_str_eq(d.t.instance, "aide@1");
	cr_assert_eq(d.t.intent.nhosts, 3);
	cr_assert_eq(peer_typed_check(&d.t, d.hosts, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(verify_rebuilt(&d, err), 0, "%s", err);
	done(&d);
}

Test(typed, a_changed_field_no_longer_verifies)
{
	struct decoded d;
	char err[HS_ERRLEN];

	decode("instance.verify", json_pack("{s:s, s:o}", "instance", "aide@1", "intent", envelope()),
	       &d);
	cr_assert_eq(d.rc, 0, "%s", d.err);
	/* What a compromised engine would try: the same signature, another
	 * bundle, host list or expiry. */
	strcpy(d.t.intent.bundle, "aide-3");
	cr_assert_eq(peer_typed_check(&d.t, d.hosts, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(verify_rebuilt(&d, err), HS_EINPUT);
	cr_assert(strstr(err, "signature does not match"), "%s", err);
	strcpy(d.t.intent.bundle, "aide-2");
	strcpy(d.hosts[2].s, "d");
	cr_assert_eq(verify_rebuilt(&d, err), HS_EINPUT);
	strcpy(d.hosts[2].s, "c");
	d.t.intent.expires++;
	cr_assert_eq(verify_rebuilt(&d, err), HS_EINPUT);
	d.t.intent.expires--;
	cr_assert_eq(verify_rebuilt(&d, err), 0, "control: %s", err); /* as it was */
	done(&d);
}

Test(typed, strict_arguments)
{
	struct decoded d;

	decode("instance.stop", json_pack("{s:s, s:b}", "instance", "x@1", "force", 1), &d);
	cr_assert_eq(d.rc, HS_EINPUT);
	cr_assert(strstr(d.err, "takes no \"force\""), "%s", d.err);
	done(&d);
	decode("instance.stop", json_pack("{s:s}", "instance", "x/../1"), &d);
	cr_assert_eq(d.rc, HS_EINPUT);
	cr_assert(strstr(d.err, "args.instance"), "%s", d.err);
	done(&d);
	decode("alerts", json_pack("{s:s}", "last", "10"), &d);
	cr_assert_eq(d.rc, HS_EINPUT);
	cr_assert(strstr(d.err, "args.last: want an integer"), "%s", d.err);
	done(&d);
	decode("spaces.destroy", json_object(), &d);
	cr_assert_eq(d.rc, HS_EINPUT);
	cr_assert(strstr(d.err, "unknown command"), "%s", d.err);
	done(&d);
	/* No intent is not refused here: hsd refuses the step for want of
	 * an operator's word, with the same message for every way. */
	decode("instance.stop", json_pack("{s:s}", "instance", "x@1"), &d);
	cr_assert_eq(d.rc, 0, "%s", d.err);
	cr_assert_eq(d.t.flags & PEER_ARG_INTENT, 0);
	done(&d);
}

Test(typed, alerts_round_trip)
{
	struct decoded d;
	char err[HS_ERRLEN];

	decode("alerts", json_pack("{s:I, s:I, s:b, s:b}", "after", (json_int_t)41, "last",
				   (json_int_t)7, "probes", 1, "wait", 0), &d);
	cr_assert_eq(d.rc, 0, "%s", d.err);
	cr_assert_eq(peer_typed_check(&d.t, NULL, 0, err, sizeof(err)), 0, "%s", err);
	json_t *args = peer_typed_args(&d.t, NULL);
	char *text = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert_str_eq(text, "{\"after\":41,\"last\":7,\"probes\":true,\"wait\":false}");
	free(text);
	json_decref(args);
	done(&d);
}

Test(typed, check_refuses_what_decode_never_makes)
{
	struct decoded d;
	char err[HS_ERRLEN];

	decode("instance.start", json_pack("{s:s, s:o}", "bundle", "aide-2", "intent", envelope()), &d);
	cr_assert_eq(d.rc, 0, "%s", d.err);
	struct peer_typed t = d.t;
	memset(t.bundle, 'x', PEER_WORD); /* no NUL */
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	t.bundle[PEER_WORD - 1] = 'x'; /* something after the NUL */
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	strcpy(t.instance, "a b");
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	t.flags |= 1u << 20;
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	t.cmd = PEER_CMD__MAX;
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	cr_assert_eq(peer_typed_check(&t, d.hosts, 2, err, sizeof(err)), HS_EINPUT,
		     "fewer host items than the intent names");
	t.intent.hash[3] = 0;
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	t = d.t;
	t.probes = 2;
	cr_assert_eq(peer_typed_check(&t, d.hosts, 3, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(peer_typed_check(&d.t, d.hosts, 3, err, sizeof(err)), 0, "control: %s", err);
	done(&d);
}

static void one_file(struct bundle_files *f, const char *path, const char *data)
{
	struct bundle_blob *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	cr_assert_not_null(v);
	f->v = v;
	v[f->n].path = strdup(path);
	v[f->n].data = (uint8_t *)strdup(data);
	v[f->n].len = strlen(data);
	f->n++;
}

Test(typed, bundle_records)
{
	struct bundle_files f = { 0 }, g;
	char err[HS_ERRLEN];
	uint8_t *buf;
	size_t len;

	one_file(&f, "bundle.json", "{}");
	one_file(&f, "rules/a.conf", "x");
	cr_assert_eq(bundle_files_encode(&f, &buf, &len), 0);
	cr_assert_eq(bundle_files_decode(buf, len, &g, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.v[1].path, "rules/a.conf");
	cr_assert_eq(g.v[1].len, 1);
	bundle_files_free(&g);
	/* Every shorter cut, and one byte more, is refused. */
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(bundle_files_decode(buf, cut, &g, err, sizeof(err)), HS_EINPUT,
			     "cut at %zu", cut);
	uint8_t *more = malloc(len + 1);
	memcpy(more, buf, len);
	more[len] = 0;
	cr_assert_eq(bundle_files_decode(more, len + 1, &g, err, sizeof(err)), HS_EINPUT);
	free(more);
	free(buf);
	bundle_files_free(&f);
	/* A path a manifest could not list. */
	one_file(&f, "../etc/passwd", "x");
	cr_assert_eq(bundle_files_encode(&f, &buf, &len), 0);
	cr_assert_eq(bundle_files_decode(buf, len, &g, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "..") != NULL, "%s", err);
	free(buf);
	bundle_files_free(&f);
	/* The same path twice. */
	one_file(&f, "run.sh", "x");
	one_file(&f, "run.sh", "y");
	cr_assert_eq(bundle_files_encode(&f, &buf, &len), 0);
	cr_assert_eq(bundle_files_decode(buf, len, &g, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "twice") != NULL, "%s", err);
	free(buf);
	bundle_files_free(&f);
}
