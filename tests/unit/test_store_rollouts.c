/* test_store_rollouts.c - rollouts, their hosts and timelines in the store. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"
#include "store_fixture.h"
#include "store_rollouts.h"

static char err[HS_ERRLEN];

TestSuite(store_rollouts, .init = store_fixture_open, .fini = store_fixture_close);

/* --- helpers: copy what the callbacks borrow ------------------------------- */

struct ro_copy {
	int calls;
	int64_t id, created_ms, finished_ms;
	char bundle[80], name[40], state[16], canary[40], error[256], intent[128];
	bool has_intent, undo;
	int max_parallel, soak_s;
	int stop_with; /* returned by the callback, to test that it stops */
};

static int copy_rollout(void *ctx, const struct store_rollout *r, char *e, size_t elen)
{
	struct ro_copy *c = ctx;
	c->calls++;
	c->id = r->id;
	c->created_ms = r->created_ms;
	c->finished_ms = r->finished_ms;
	snprintf(c->bundle, sizeof(c->bundle), "%s", r->bundle);
	snprintf(c->name, sizeof(c->name), "%s", r->name);
	snprintf(c->state, sizeof(c->state), "%s", r->state);
	snprintf(c->canary, sizeof(c->canary), "%s", r->canary);
	snprintf(c->error, sizeof(c->error), "%s", r->error);
	c->has_intent = r->intent != NULL;
	snprintf(c->intent, sizeof(c->intent), "%s", r->intent ? r->intent : "");
	c->undo = r->undo;
	c->max_parallel = r->max_parallel;
	c->soak_s = r->soak_s;
	return c->stop_with ? err_set(e, elen, c->stop_with, "stopped by the callback") : 0;
}

struct host_copy {
	int n;
	struct {
		char host[32], state[16], old_i[72], new_i[72];
		int64_t verified_ms, old_stopped_ms;
	} h[8];
};

static int copy_host(void *ctx, const struct store_rollout_host *h, char *e, size_t elen)
{
	struct host_copy *c = ctx;
	(void)e;
	(void)elen;
	cr_assert_lt(c->n, 8);
	snprintf(c->h[c->n].host, sizeof(c->h[c->n].host), "%s", h->host);
	snprintf(c->h[c->n].state, sizeof(c->h[c->n].state), "%s", h->state);
	snprintf(c->h[c->n].old_i, sizeof(c->h[c->n].old_i), "%s", h->old_instance);
	snprintf(c->h[c->n].new_i, sizeof(c->h[c->n].new_i), "%s", h->new_instance);
	c->h[c->n].verified_ms = h->verified_ms;
	c->h[c->n].old_stopped_ms = h->old_stopped_ms;
	c->n++;
	return 0;
}

struct step_copy {
	int n;
	struct {
		int64_t id, at_ms;
		char host[32], step[32], detail[64];
	} s[8];
};

static int copy_step(void *ctx, const struct store_rollout_step *s, char *e, size_t elen)
{
	struct step_copy *c = ctx;
	(void)e;
	(void)elen;
	cr_assert_lt(c->n, 8);
	c->s[c->n].id = s->id;
	c->s[c->n].at_ms = s->at_ms;
	snprintf(c->s[c->n].host, sizeof(c->s[c->n].host), "%s", s->host);
	snprintf(c->s[c->n].step, sizeof(c->s[c->n].step), "%s", s->step);
	snprintf(c->s[c->n].detail, sizeof(c->s[c->n].detail), "%s", s->detail);
	c->n++;
	return 0;
}

static int count_step(void *ctx, const struct store_rollout_step *s, char *e, size_t elen)
{
	(void)s;
	(void)e;
	(void)elen;
	(*(int *)ctx)++;
	return 0;
}

static int64_t add(const char *bundle, const char *canary, const char *intent)
{
	struct store_rollout r = { .bundle = bundle, .name = "det", .state = "running",
				   .canary = canary, .max_parallel = 2, .soak_s = 5, .intent = intent };
	int64_t id = -1;
	cr_assert_eq(store_rollout_insert(st, &r, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(id, 0);
	return id;
}

static void expect_err(int rc, int want, const char *a, const char *b)
{
	cr_assert_eq(rc, want, "rc %d, want %d: %s", rc, want, err);
	cr_assert(strstr(err, db), "message does not name the store: %s", err);
	cr_assert(strstr(err, a), "message does not name \"%s\": %s", a, err);
	cr_assert(!b || strstr(err, b), "message does not name \"%s\": %s", b, err);
}

/* --- rows ------------------------------------------------------------------ */

Test(store_rollouts, insert_then_get_returns_every_field)
{
	int64_t before = store_now_ms();
	int64_t id = add("det-2", "a", "{\"intent\":{\"kind\":\"rollout\"}}");
	int64_t id2 = add("det-3", "", NULL);
	struct ro_copy c = { 0 };

	cr_assert_eq(id2, id + 1);
	cr_assert_eq(store_rollout_get(st, id, copy_rollout, &c, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(c.id, id);
	cr_assert_str_eq(c.bundle, "det-2");
	cr_assert_str_eq(c.name, "det");
	cr_assert_str_eq(c.state, "running");
	cr_assert_str_eq(c.canary, "a");
	cr_assert_str_eq(c.error, "");
	cr_assert_eq(c.max_parallel, 2);
	cr_assert_eq(c.soak_s, 5);
	cr_assert_geq(c.created_ms, before);
	cr_assert_eq(c.finished_ms, -1, "an open rollout has no end");
	cr_assert(c.has_intent);
	cr_assert_str_eq(c.intent, "{\"intent\":{\"kind\":\"rollout\"}}");
	cr_assert(!c.undo);

	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_rollout_get(st, id2, copy_rollout, &c, err, sizeof(err)), 1, "%s", err);
	cr_assert(!c.has_intent, "a rollout without intent reads back NULL, not \"\"");
}

Test(store_rollouts, get_of_a_missing_rollout_is_0_and_calls_nothing)
{
	struct ro_copy c = { 0 };
	add("det-2", "a", NULL);
	cr_assert_eq(store_rollout_get(st, 99, copy_rollout, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.calls, 0);
}

Test(store_rollouts, set_state_and_finish)
{
	int64_t id = add("det-2", "a", NULL);
	struct ro_copy c = { 0 };

	cr_assert_eq(store_rollout_set_state(st, id, "committed", NULL, false, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(store_rollout_get(st, id, copy_rollout, &c, err, sizeof(err)), 1);
	cr_assert_str_eq(c.state, "committed");
	cr_assert_eq(c.finished_ms, -1, "not finished yet");
	int64_t before = store_now_ms();
	cr_assert_eq(store_rollout_set_state(st, id, "partial", "behind: b", true, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(store_rollout_get(st, id, copy_rollout, &c, err, sizeof(err)), 1);
	cr_assert_str_eq(c.state, "partial");
	cr_assert_str_eq(c.error, "behind: b");
	cr_assert_geq(c.finished_ms, before);
}

Test(store_rollouts, set_state_of_a_missing_rollout_is_enoent)
{
	add("det-2", "a", NULL);
	expect_err(store_rollout_set_state(st, 42, "done", "", true, err, sizeof(err)), HS_ENOENT,
		   "rollout 42", "state");
}

Test(store_rollouts, host_rows_are_upserted_and_stamped)
{
	int64_t id = add("det-2", "a", NULL), other = add("det-3", "a", NULL);
	struct host_copy c = { 0 };

	cr_assert_eq(store_rollout_host_set(st, id, "b", "pending", "", "", STORE_STAMP_NONE, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_host_set(st, id, "a", "pending", NULL, NULL, STORE_STAMP_NONE, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_host_set(st, other, "a", "pending", "", "", STORE_STAMP_NONE, err,
					    sizeof(err)), 0, "%s", err);
	int64_t before = store_now_ms();
	cr_assert_eq(store_rollout_host_set(st, id, "a", "verified", "det@1", "det@2",
					    STORE_STAMP_VERIFIED, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_hosts_each(st, id, copy_host, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n, 2, "one row per host and rollout");
	cr_assert_str_eq(c.h[0].host, "a", "by name");
	cr_assert_str_eq(c.h[0].state, "verified");
	cr_assert_str_eq(c.h[0].old_i, "det@1");
	cr_assert_str_eq(c.h[0].new_i, "det@2");
	cr_assert_geq(c.h[0].verified_ms, before);
	cr_assert_eq(c.h[0].old_stopped_ms, -1);
	cr_assert_str_eq(c.h[1].host, "b");
	cr_assert_eq(c.h[1].verified_ms, -1);
	int64_t verified = c.h[0].verified_ms;

	/* A later write without a stamp keeps it; the other stamp is added. */
	cr_assert_eq(store_rollout_host_set(st, id, "a", "retiring", "det@1", "det@2",
					    STORE_STAMP_NONE, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_host_set(st, id, "a", "retired", "det@1", "det@2",
					    STORE_STAMP_OLD_STOPPED, err, sizeof(err)), 0, "%s", err);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_rollout_hosts_each(st, id, copy_host, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.h[0].state, "retired");
	cr_assert_eq(c.h[0].verified_ms, verified);
	cr_assert_geq(c.h[0].old_stopped_ms, verified);
}

Test(store_rollouts, host_of_a_missing_rollout_is_enoent)
{
	struct host_copy c = { 0 };
	expect_err(store_rollout_host_set(st, 7, "a", "pending", "", "", STORE_STAMP_NONE, err,
					  sizeof(err)), HS_ENOENT, "rollout 7", "host");
	cr_assert_eq(store_rollout_hosts_each(st, 7, copy_host, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.n, 0, "no row was left");
}

Test(store_rollouts, steps_are_appended_in_order)
{
	int64_t id = add("det-2", "a", NULL), other = add("det-3", "a", NULL);
	struct step_copy c = { 0 };

	cr_assert_eq(store_rollout_step_add(st, id, "*", "begin", "det-2", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(store_rollout_step_add(st, other, "*", "begin", "det-3", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(store_rollout_step_add(st, id, "a", "commit", NULL, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(store_rollout_steps_each(st, id, copy_step, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.s[0].step, "begin");
	cr_assert_str_eq(c.s[0].detail, "det-2");
	cr_assert_str_eq(c.s[1].host, "a");
	cr_assert_str_eq(c.s[1].step, "commit");
	cr_assert_str_eq(c.s[1].detail, "", "a NULL detail is stored as \"\"");
	cr_assert_lt(c.s[0].id, c.s[1].id);
	cr_assert_leq(c.s[0].at_ms, c.s[1].at_ms);
}

Test(store_rollouts, step_of_a_missing_rollout_is_enoent)
{
	expect_err(store_rollout_step_add(st, 5, "*", "begin", "x", err, sizeof(err)), HS_ENOENT,
		   "rollout 5", "step");
}

Test(store_rollouts, open_is_the_newest_unfinished)
{
	struct ro_copy c = { 0 };

	cr_assert_eq(store_rollout_get_open(st, copy_rollout, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.calls, 0);
	int64_t a = add("det-2", "a", NULL), b = add("det-3", "a", NULL);
	add("det-4", "a", NULL);
	cr_assert_eq(store_rollout_set_state(st, a + 2, "done", "", true, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(store_rollout_get_open(st, copy_rollout, &c, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(c.id, b, "the newest of those not finished");
	cr_assert_eq(store_rollout_set_state(st, b, "aborted", "", true, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(store_rollout_get_open(st, copy_rollout, &c, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(c.id, a);
	cr_assert_eq(store_rollout_set_state(st, a, "failed", "", true, err, sizeof(err)), 0, "%s", err);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(store_rollout_get_open(st, copy_rollout, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.calls, 0);
}

Test(store_rollouts, foreach_lists_every_rollout_with_its_undo_flag)
{
	int64_t a = add("det-2", "a", NULL), b = add("det-1", "a", NULL);
	struct ro_copy c = { 0 };

	cr_assert_eq(store_rollout_step_add(st, b, "*", "undo", "det-1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_step_add(st, a, "a", "undo", "", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_foreach(st, copy_rollout, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.calls, 2);
	cr_assert_eq(c.id, b, "oldest first: the last call is the newest");
	cr_assert(c.undo);
	/* Only a fleet-wide undo step makes an undo. */
	memset(&c, 0, sizeof(c));
	c.stop_with = HS_EINPUT;
	cr_assert_eq(store_rollout_foreach(st, copy_rollout, &c, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(c.calls, 1, "a callback's error stops the walk");
	cr_assert_eq(c.id, a);
	cr_assert(!c.undo);
	cr_assert_str_eq(err, "stopped by the callback");
}

Test(store_rollouts, last_id)
{
	int64_t id = -1;

	cr_assert_eq(store_rollout_last_id(st, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(id, 0, "none: 0");
	add("det-2", "a", NULL);
	int64_t b = add("det-3", "a", NULL);
	cr_assert_eq(store_rollout_last_id(st, &id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(id, b);
}

Test(store_rollouts, last_done_finds_what_an_undo_goes_back_to)
{
	struct store_rollout_undo u;

	cr_assert_eq(store_rollout_last_done(st, &u, err, sizeof(err)), 0, "%s", err);
	int64_t a = add("det-2", "b", NULL);
	cr_assert_eq(store_rollout_host_set(st, a, "a", "current", "", "det@2", STORE_STAMP_NONE, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_host_set(st, a, "b", "retired", "det@1", "det@2", STORE_STAMP_NONE,
					    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_last_done(st, &u, err, sizeof(err)), 0, "running is not done");
	cr_assert_eq(store_rollout_set_state(st, a, "partial", "", true, err, sizeof(err)), 0, "%s", err);
	/* A later rollout that failed does not count. */
	int64_t b = add("det-3", "a", NULL);
	cr_assert_eq(store_rollout_set_state(st, b, "failed", "", true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_last_done(st, &u, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(u.old_instance, "det@1", "the host that replaced something");
	cr_assert_str_eq(u.canary, "b");
	cr_assert_eq(u.max_parallel, 2);
	/* Done, but it replaced nothing: found, with no instance. */
	int64_t c = add("aux-1", "a", NULL);
	cr_assert_eq(store_rollout_host_set(st, c, "a", "retired", "", "aux@1", STORE_STAMP_NONE, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_set_state(st, c, "done", "", true, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(store_rollout_last_done(st, &u, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(u.old_instance, "");
}

/* --- failures: each is returned with the store's path and what failed ----- */

Test(store_rollouts, readonly_store_refuses_every_write)
{
	int64_t id = add("det-2", "a", NULL), id2 = -1;
	struct store_rollout r = { .bundle = "det-9", .name = "det", .state = "running",
				   .canary = "", .max_parallel = 1 };
	struct ro_copy c = { 0 };

	cr_assert_eq(sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL), SQLITE_OK);
	expect_err(store_rollout_insert(st, &r, &id2, err, sizeof(err)), HS_ESYS, "det-9", "readonly");
	cr_assert_eq(id2, -1, "no id for a refused insert");
	expect_err(store_rollout_set_state(st, id, "done", "", true, err, sizeof(err)), HS_ESYS,
		   "rollout 1: state", "readonly");
	expect_err(store_rollout_host_set(st, id, "a", "pending", "", "", STORE_STAMP_NONE, err,
					  sizeof(err)), HS_ESYS, "rollout 1: host", "readonly");
	expect_err(store_rollout_step_add(st, id, "*", "begin", "", err, sizeof(err)), HS_ESYS,
		   "rollout 1: step", "readonly");
	/* Reads still work, and show nothing of the refused writes. */
	cr_assert_eq(store_rollout_get(st, id, copy_rollout, &c, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(c.state, "running");
	cr_assert_eq(c.finished_ms, -1);
}

Test(store_rollouts, unreadable_tables_fail_every_read)
{
	struct ro_copy c = { 0 };
	struct host_copy h = { 0 };
	struct step_copy s = { 0 };
	struct store_rollout_undo u;
	int64_t id;

	cr_assert_eq(sqlite3_exec(st->db, "DROP TABLE rollout_steps; DROP TABLE rollout_hosts; "
				  "DROP TABLE rollouts", NULL, NULL, NULL), SQLITE_OK);
	expect_err(store_rollout_get(st, 1, copy_rollout, &c, err, sizeof(err)), HS_ESYS,
		   "rollout 1: read", "no such table");
	expect_err(store_rollout_get_open(st, copy_rollout, &c, err, sizeof(err)), HS_ESYS,
		   "rollouts: open read", "no such table");
	expect_err(store_rollout_foreach(st, copy_rollout, &c, err, sizeof(err)), HS_ESYS,
		   "rollouts: list", "no such table");
	expect_err(store_rollout_last_id(st, &id, err, sizeof(err)), HS_ESYS, "rollouts: last id",
		   "no such table");
	expect_err(store_rollout_last_done(st, &u, err, sizeof(err)), HS_ESYS,
		   "rollouts: last done", "no such table");
	expect_err(store_rollout_hosts_each(st, 3, copy_host, &h, err, sizeof(err)), HS_ESYS,
		   "rollout 3: hosts", "no such table");
	expect_err(store_rollout_steps_each(st, 3, copy_step, &s, err, sizeof(err)), HS_ESYS,
		   "rollout 3: timeline", "no such table");
	cr_assert_eq(c.calls + h.n + s.n, 0);
}

/* max_page_count stands in for a full disk (SQLite reports both as
 * SQLITE_FULL): the refused step names the cause and leaves no row. */
Test(store_rollouts, full_store_refuses_a_step_and_keeps_no_half_row)
{
	char detail[2048], want[256];
	int n = 0;
	int64_t id = add("det-2", "a", NULL), before, after;
	int rc = 0, stored = 0;

	cr_assert_eq(sqlite3_exec(st->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(store_count(st, "rollout_steps", NULL, &before, err, sizeof(err)), 0);
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = 0;
	for (int i = 0; i < 1000 && !rc; i++)
		if (!(rc = store_rollout_step_add(st, id, "a", "fail", detail, err, sizeof(err))))
			stored++;
	snprintf(want, sizeof(want), "no space left on device (%s)", dir);
	expect_err(rc, HS_ESYS, "rollout 1: step", want);
	cr_assert_eq(store_count(st, "rollout_steps", NULL, &after, err, sizeof(err)), 0);
	cr_assert_eq(after, before + stored, "a refused step left a row");
	cr_assert_eq(store_rollout_steps_each(st, id, count_step, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, stored, "every step stored before the fill reads back");
}
