/* test_store_bundles.c - the bundles rows and their signatures: add, get,
 * list, and every failure returned with a code and a message naming it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "store_fixture.h"
#include "store_bundles.h"


static const char HASH_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char HASH_B[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TestSuite(store_bundles, .init = store_fixture_open, .fini = store_fixture_close);

static int64_t count(const char *table, const char *where)
{
	char err[HS_ERRLEN];
	int64_t n = -1;
	cr_assert_eq(store_count(st, table, where, &n, err, sizeof(err)), 0, "%s", err);
	return n;
}

static void add(const char *name, const char *version, const char *hash, const char *key)
{
	struct store_sig sig;
	char err[HS_ERRLEN], id[80];

	snprintf(id, sizeof(id), "%s-%s", name, version);
	snprintf(sig.key, sizeof(sig.key), "%s", key);
	snprintf(sig.sig, sizeof(sig.sig), "sig-of-%s-by-%s", id, key);
	cr_assert_eq(store_bundle_add(st, id, name, version, hash, &sig, err, sizeof(err)), 0,
		     "%s", err);
}

static int left;
static int interrupt_after(void *arg)
{
	(void)arg;
	return left-- <= 0;
}

Test(store_bundles, add_then_get_reads_the_row)
{
	char err[HS_ERRLEN];
	struct store_bundle b;
	int64_t before = store_now_ms();

	add("aide", "1.0", HASH_A, "key1");
	cr_assert_eq(store_bundle_get(st, "aide-1.0", &b, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(b.id, "aide-1.0");
	cr_assert_str_eq(b.name, "aide");
	cr_assert_str_eq(b.version, "1.0");
	cr_assert_str_eq(b.hash, HASH_A);
	cr_assert_geq(b.added_at, before);
	cr_assert_leq(b.added_at, store_now_ms());
	cr_assert_eq(store_bundle_get(st, "aide-1.0", NULL, err, sizeof(err)), 1, "%s", err);
}

Test(store_bundles, get_unknown_is_zero)
{
	char err[HS_ERRLEN];
	struct store_bundle b;

	add("aide", "1.0", HASH_A, "key1");
	cr_assert_eq(store_bundle_get(st, "aide-2.0", &b, err, sizeof(err)), 0);
	cr_assert_eq(store_bundle_get(st, "aide", NULL, err, sizeof(err)), 0);
}

Test(store_bundles, add_again_keeps_the_row_and_adds_a_signature)
{
	char err[HS_ERRLEN];
	struct store_sig *v;
	struct store_bundle b;
	size_t n;

	add("aide", "1.0", HASH_A, "key1");
	/* The same id with another hash keeps the first: the id never changes
	 * content (bundles.c refuses that before it gets here). */
	add("aide", "1.0", HASH_B, "key2");
	add("aide", "1.0", HASH_A, "key1");
	cr_assert_eq(store_bundle_get(st, "aide-1.0", &b, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(b.hash, HASH_A);
	cr_assert_eq(store_bundle_sigs(st, "aide-1.0", &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].key, "key1");
	cr_assert_str_eq(v[0].sig, "sig-of-aide-1.0-by-key1");
	cr_assert_str_eq(v[1].key, "key2");
	free(v);
	cr_assert_eq(count("events", "kind = 'bundle.add' AND subject = 'aide-1.0'"), 3);
	cr_assert_eq(store_bundle_sigs(st, "other-1", &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

Test(store_bundles, list_by_name_then_age)
{
	char err[HS_ERRLEN];
	struct store_bundle *v = (void *)1;
	size_t n = 9;

	cr_assert_eq(store_bundle_list(st, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	add("snort", "1.0", HASH_A, "k");
	usleep(2000); /* added_at is in ms: the order must not tie */
	add("aide", "2.0", HASH_B, "k");
	usleep(2000);
	add("aide", "1.0", HASH_A, "k");
	cr_assert_eq(store_bundle_list(st, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].id, "aide-2.0");
	cr_assert_str_eq(v[1].id, "aide-1.0");
	cr_assert_str_eq(v[2].id, "snort-1.0");
	cr_assert_str_eq(v[2].name, "snort");
	cr_assert_str_eq(v[2].version, "1.0");
	cr_assert_str_eq(v[2].hash, HASH_A);
	cr_assert_lt(v[0].added_at, v[1].added_at);
	free(v);
}

/* Row, signature and event are stored together or not at all. */
Test(store_bundles, failed_add_leaves_nothing)
{
	char err[HS_ERRLEN] = "";
	struct store_sig sig = { "key1", "sig1" };

	sql("CREATE TEMP TRIGGER no_sig BEFORE INSERT ON bundle_sigs "
	    "BEGIN SELECT RAISE(ABORT, 'signatures refused here'); END");
	cr_assert_eq(store_bundle_add(st, "aide-1.0", "aide", "1.0", HASH_A, &sig, err, sizeof(err)),
		     HS_ESYS);
	cr_assert(strstr(err, "bundles") && strstr(err, "signatures refused here"), "%s", err);
	cr_assert_eq(store_bundle_get(st, "aide-1.0", NULL, err, sizeof(err)), 0, "a half bundle");
	cr_assert_eq(count("events", "kind = 'bundle.add'"), 0);
	sql("DROP TRIGGER no_sig");
	/* The event is part of it too: refused, the rows go with it. */
	sql("CREATE TEMP TRIGGER no_event BEFORE INSERT ON events "
	    "BEGIN SELECT RAISE(ABORT, 'events refused here'); END");
	cr_assert_eq(store_bundle_add(st, "aide-1.0", "aide", "1.0", HASH_A, &sig, err, sizeof(err)),
		     HS_ESYS);
	cr_assert(strstr(err, "event") && strstr(err, "events refused here"), "%s", err);
	cr_assert_eq(store_bundle_get(st, "aide-1.0", NULL, err, sizeof(err)), 0, "a bundle without its event");
	cr_assert_eq(count("bundle_sigs", NULL), 0);
}

Test(store_bundles, overlong_stored_value_is_an_error_not_cut)
{
	char err[HS_ERRLEN] = "", q[256];
	struct store_bundle b, *v = (void *)1;
	size_t n = 4;

	snprintf(q, sizeof(q), "INSERT INTO bundles(id, name, version, hash, added_at) "
		 "VALUES ('x-1', '%060d', '1', 'h', 0)", 0);
	sql(q);
	cr_assert_eq(store_bundle_get(st, "x-1", &b, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "x-1") && strstr(err, "name") && strstr(err, "longer"), "%s", err);
	cr_assert_eq(store_bundle_list(st, &v, &n, err, sizeof(err)), HS_ESTATE);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

Test(store_bundles, missing_table_fails_naming_it)
{
	char err[HS_ERRLEN] = "";
	struct store_bundle *v = (void *)1;
	struct store_sig *s = (void *)1;
	size_t n = 2;

	sql("PRAGMA foreign_keys = OFF");
	sql("ALTER TABLE bundle_sigs RENAME TO bundle_sigs_gone");
	sql("ALTER TABLE bundles RENAME TO bundles_gone");
	cr_assert_eq(store_bundle_get(st, "aide-1.0", NULL, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "store: bundle") && strstr(err, "no such table"), "%s", err);
	cr_assert_eq(store_bundle_list(st, &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "store: bundles") && strstr(err, "no such table"), "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	n = 2;
	cr_assert_eq(store_bundle_sigs(st, "aide-1.0", &s, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "no such table"), "%s", err);
	cr_assert_null(s);
	cr_assert_eq(n, 0);
}

Test(store_bundles, list_failing_halfway_returns_no_rows)
{
	char err[HS_ERRLEN] = "", version[16];
	struct store_bundle *v = (void *)1;
	size_t n = 3, all;

	for (int i = 0; i < 30; i++) {
		snprintf(version, sizeof(version), "%d", i);
		add("ids", version, HASH_A, "k");
	}
	left = 1 << 30;
	sqlite3_progress_handler(st->db, 1, interrupt_after, NULL);
	cr_assert_eq(store_bundle_list(st, &v, &all, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(all, 30);
	free(v);
	left = ((1 << 30) - left) / 2;
	cr_assert_eq(store_bundle_list(st, &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "store: bundles") && strstr(err, "interrupt"), "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
}
