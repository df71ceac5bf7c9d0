/* test_store_instances.c - the instances rows: record, verify, stop, list,
 * and every failure returned with a code and a message naming it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "store_fixture.h"
#include "store_alerts.h"
#include "store_instances.h"


TestSuite(store_instances, .init = store_fixture_open, .fini = store_fixture_close);

static int64_t add(const char *bundle, const char *version, const char *space)
{
	char err[HS_ERRLEN];
	int64_t id = -1;

	cr_assert_eq(store_instance_insert(st, bundle, version, space, &id, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_gt(id, 0);
	return id;
}

/* Interrupts every statement after `left` more VM steps (sqlite3's progress
 * handler): a read that fails halfway, as an I/O error would. */
static int left;
static int interrupt_after(void *arg)
{
	(void)arg;
	return left-- <= 0;
}

Test(store_instances, insert_then_list_shows_every_field)
{
	char err[HS_ERRLEN];
	struct store_instance *v;
	size_t n;
	int64_t before = store_now_ms();
	int64_t a = add("aide", "1.0", "aide@1.0");
	int64_t b = add("snort", "2.1", "snort@2.1");

	cr_assert_gt(b, a);
	cr_assert_eq(store_instance_list(st, false, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].id, a);
	cr_assert_str_eq(v[0].bundle, "aide");
	cr_assert_str_eq(v[0].version, "1.0");
	cr_assert_str_eq(v[0].space, "aide@1.0");
	cr_assert_str_eq(v[0].state, "started");
	cr_assert_geq(v[0].started_at, before);
	cr_assert_leq(v[0].started_at, store_now_ms());
	cr_assert_eq(v[0].verified_at, 0);
	cr_assert_eq(v[0].stopped_at, 0);
	cr_assert_eq(v[0].console_offset, -1, "no offset stored yet reads -1");
	cr_assert_str_eq(v[0].last_probe, "");
	cr_assert_str_eq(v[1].space, "snort@2.1");
	free(v);
}

Test(store_instances, empty_list_is_null_and_zero)
{
	char err[HS_ERRLEN];
	struct store_instance *v = (void *)1;
	size_t n = 7;

	cr_assert_eq(store_instance_list(st, true, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

Test(store_instances, console_offset_is_read_back)
{
	char err[HS_ERRLEN];
	struct store_instance *v;
	size_t n;
	int64_t id = add("aide", "1.0", "aide@1.0");

	cr_assert_eq(store_instance_offset(st, id, 4242, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_instance_list(st, true, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].console_offset, 4242);
	free(v);
}

Test(store_instances, one_running_instance_per_space)
{
	char err[HS_ERRLEN] = "";
	int64_t id = 99;

	add("aide", "1.0", "aide@1.0");
	cr_assert_eq(store_instance_insert(st, "aide", "1.0", "aide@1.0", &id, err, sizeof(err)),
		     HS_ESTATE);
	cr_assert(strstr(err, "aide@1.0") && strstr(err, "running"), "message: %s", err);
	cr_assert_eq(id, 0);
	/* Once stopped, the space may run it again: a new row. */
	cr_assert_eq(store_instance_set_stopped(st, "aide@1.0", err, sizeof(err)), 0, "%s", err);
	add("aide", "1.0", "aide@1.0");
}

Test(store_instances, set_verified_records_token_and_time)
{
	char err[HS_ERRLEN];
	struct store_instance *v;
	size_t n;
	int64_t id = add("aide", "1.0", "aide@1.0");
	int64_t before = store_now_ms();

	cr_assert_eq(store_instance_set_verified(st, id, "abcdefgh01234567", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(store_instance_list(st, false, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].state, "verified");
	cr_assert_str_eq(v[0].last_probe, "abcdefgh01234567");
	cr_assert_geq(v[0].verified_at, before);
	cr_assert_eq(v[0].stopped_at, 0);
	free(v);
}

Test(store_instances, set_verified_of_a_missing_row_is_enoent)
{
	char err[HS_ERRLEN] = "";

	add("aide", "1.0", "aide@1.0");
	cr_assert_eq(store_instance_set_verified(st, 999, "tok", err, sizeof(err)), HS_ENOENT);
	cr_assert(strstr(err, "999"), "message: %s", err);
}

Test(store_instances, set_stopped_moves_it_out_of_the_running_list)
{
	char err[HS_ERRLEN];
	struct store_instance *v;
	size_t n;

	add("aide", "1.0", "aide@1.0");
	add("aide", "1.1", "aide@1.1");
	cr_assert_eq(store_instance_set_stopped(st, "aide@1.0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_instance_list(st, true, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].space, "aide@1.1");
	free(v);
	cr_assert_eq(store_instance_list(st, false, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].state, "stopped");
	cr_assert_gt(v[0].stopped_at, 0);
	cr_assert_str_eq(v[1].state, "started");
	free(v);
}

Test(store_instances, set_stopped_with_none_running_is_enoent)
{
	char err[HS_ERRLEN] = "";

	add("aide", "1.0", "aide@1.0");
	cr_assert_eq(store_instance_set_stopped(st, "aide@1.0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_instance_set_stopped(st, "aide@1.0", err, sizeof(err)), HS_ENOENT);
	cr_assert(strstr(err, "aide@1.0"), "message: %s", err);
	cr_assert_eq(store_instance_set_stopped(st, "nope@1", err, sizeof(err)), HS_ENOENT);
}

Test(store_instances, list_verified_keeps_running_verified_rows_of_the_name)
{
	char err[HS_ERRLEN];
	struct store_instance *v;
	size_t n;
	int64_t a = add("aide", "1.0", "aide@1.0");
	int64_t b = add("aide", "1.1", "aide@1.1");
	int64_t c = add("aide", "1.2", "aide@1.2");   /* never verified */
	int64_t s = add("snort", "1.0", "snort@1.0"); /* another IDS */
	int64_t o = add("aide", "0.9", "aide@0.9");   /* verified, then stopped */

	(void)c;
	for (int64_t id = a; id <= o; id++)
		if (id != c)
			cr_assert_eq(store_instance_set_verified(st, id, "t", err, sizeof(err)), 0,
				     "%s", err);
	cr_assert_eq(store_instance_set_stopped(st, "aide@0.9", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_instance_list_verified(st, "aide", &v, &n, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].id, a);
	cr_assert_eq(v[1].id, b);
	free(v);
	cr_assert_eq(store_instance_list_verified(st, "snort", &v, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].id, s);
	free(v);
	cr_assert_eq(store_instance_list_verified(st, "aid", &v, &n, err, sizeof(err)), 0);
	cr_assert_eq(n, 0, "a prefix of a name is another name");
}

/* A value too long for its field is refused, never shown cut. */
Test(store_instances, overlong_stored_value_is_an_error_not_cut)
{
	char err[HS_ERRLEN] = "", q[256];
	struct store_instance *v = (void *)1;
	size_t n = 5;

	add("aide", "1.0", "aide@1.0");
	snprintf(q, sizeof(q), "INSERT INTO instances(bundle, version, space, state) "
		 "VALUES ('x', '1', '%0100d', 'started')", 0);
	sql(q);
	cr_assert_eq(store_instance_list(st, true, &v, &n, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "space") && strstr(err, "longer"), "message: %s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

Test(store_instances, missing_table_fails_every_call_naming_it)
{
	char err[HS_ERRLEN] = "";
	struct store_instance *v = (void *)1;
	size_t n = 3;
	int64_t id = 5;

	sql("ALTER TABLE instances RENAME TO instances_gone");
	cr_assert_eq(store_instance_list(st, false, &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "store: instances") && strstr(err, "no such table"), "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	cr_assert_eq(store_instance_list_verified(st, "aide", &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "verified instances"), "%s", err);
	cr_assert_eq(store_instance_insert(st, "a", "1", "a@1", &id, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance insert") && strstr(err, "no such table"), "%s", err);
	cr_assert_eq(id, 0);
	cr_assert_eq(store_instance_set_verified(st, 1, "t", err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance verified"), "%s", err);
	cr_assert_eq(store_instance_set_stopped(st, "a@1", err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance stopped"), "%s", err);
}

/* A write the database refuses at step time (a trigger stands in for any
 * error there) is returned with SQLite's reason. */
Test(store_instances, refused_writes_return_the_reason)
{
	char err[HS_ERRLEN] = "";
	int64_t id = add("aide", "1.0", "aide@1.0");

	sql("CREATE TEMP TRIGGER no_upd BEFORE UPDATE ON instances "
	    "BEGIN SELECT RAISE(ABORT, 'updates refused here'); END");
	cr_assert_eq(store_instance_set_verified(st, id, "t", err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance verified") && strstr(err, "updates refused here"), "%s", err);
	cr_assert_eq(store_instance_set_stopped(st, "aide@1.0", err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance stopped") && strstr(err, "updates refused here"), "%s", err);
	sql("CREATE TEMP TRIGGER no_ins BEFORE INSERT ON instances "
	    "BEGIN SELECT RAISE(ABORT, 'inserts refused here'); END");
	cr_assert_eq(store_instance_insert(st, "b", "1", "b@1", &id, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "instance insert") && strstr(err, "inserts refused here"), "%s", err);
}

/* A read that fails after some rows is an error, not a shorter list. */
Test(store_instances, list_failing_halfway_returns_no_rows)
{
	char err[HS_ERRLEN] = "";
	struct store_instance *v = (void *)1;
	size_t n = 3, all;

	for (int i = 0; i < 50; i++) {
		char space[32];
		snprintf(space, sizeof(space), "ids@%d", i);
		int64_t id = add("ids", space + 4, space);
		cr_assert_eq(store_instance_set_verified(st, id, "t", err, sizeof(err)), 0, "%s", err);
	}
	/* How many VM steps a whole list takes, then fail at half of them. */
	left = 1 << 30;
	sqlite3_progress_handler(st->db, 1, interrupt_after, NULL);
	cr_assert_eq(store_instance_list(st, false, &v, &all, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(all, 50);
	free(v);
	left = ((1 << 30) - left) / 2;
	cr_assert_eq(store_instance_list(st, false, &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "store: instances") && strstr(err, "interrupt"), "%s", err);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	left = 1 << 30;
	cr_assert_eq(store_instance_list_verified(st, "ids", &v, &all, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(all, 50);
	free(v);
	left = ((1 << 30) - left) / 2;
	v = (void *)1;
	cr_assert_eq(store_instance_list_verified(st, "ids", &v, &n, err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "verified instances") && strstr(err, "interrupt"), "%s", err);
	cr_assert_null(v);
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
}

/* A full disk (max_page_count stands in) names the cause and directory,
 * and the refused insert leaves no row. */
Test(store_instances, full_store_insert_names_the_directory)
{
	char err[HS_ERRLEN] = "", want[160], space[33];
	int64_t id, before, after;
	int rc = 0, stored = 0;

	cr_assert_eq(store_count(st, "instances", NULL, &before, err, sizeof(err)), 0);
	sql("PRAGMA max_page_count = 1");
	for (int i = 0; i < 5000 && !rc; i++) {
		snprintf(space, sizeof(space), "x%030d", i);
		if (!(rc = store_instance_insert(st, "x", "1", space, &id, err, sizeof(err))))
			stored++;
	}
	cr_assert_eq(rc, HS_ESYS);
	snprintf(want, sizeof(want), "no space left on device (%s)", dir);
	cr_assert(strstr(err, "instance insert") && strstr(err, want), "%s", err);
	cr_assert_eq(store_count(st, "instances", NULL, &after, err, sizeof(err)), 0);
	cr_assert_eq(after, before + stored, "a refused insert left a row");
}
