/*
 * test_ro_engine.c - the rollout engine's rules one by one, on 3-5 hosts
 * driven by hand: each test answers the engine's requests itself and
 * looks at what it sends, persists and decides.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ro_engine.h"

#define MAXH 8

struct drv {
	struct ro_engine *e;
	struct ro_actions a;
	uint64_t now;
	struct ro_action out[MAXH];	/* each host's outstanding request */
	bool has[MAXH];
	unsigned sends[MAXH];
	unsigned max_in_flight;
	enum ro_rstate persisted;
	enum ro_hstate phost[MAXH];
	bool pnew[MAXH], pold[MAXH];
};

static void take(struct drv *d, int rc)
{
	struct ro_info in;

	cr_assert_eq(rc, RO_OK, "event refused: %d", rc);
	cr_assert(!d->a.oom);
	for (size_t k = 0; k < d->a.n; k++) {
		const struct ro_action *x = &d->a.v[k];
		if (x->type == RO_ACT_SEND) {
			cr_assert_lt(x->host, MAXH);
			d->out[x->host] = *x;
			d->has[x->host] = true;
			d->sends[x->host]++;
		} else if (x->type == RO_ACT_PERSIST) {
			if (x->host == RO_ALL_HOSTS) {
				d->persisted = x->rstate;
			} else {
				d->phost[x->host] = x->hstate;
				d->pnew[x->host] = x->new_started;
				d->pold[x->host] = x->has_old;
			}
		}
	}
	ro_actions_reset(&d->a);
	ro_engine_info(d->e, &in);
	if (in.in_flight > d->max_in_flight)
		d->max_in_flight = in.in_flight;
}

static void mk(struct drv *d, uint32_t n, int32_t canary, uint32_t max_parallel)
{
	struct ro_config c = { .n_hosts = n, .canary = canary, .max_parallel = max_parallel,
			       .probe_deadline_ms = 1000 };
	char err[128];

	memset(d, 0, sizeof(*d));
	ro_actions_init(&d->a);
	d->e = ro_engine_create(&c, err, sizeof(err));
	cr_assert_not_null(d->e, "%s", err);
}

static void start(struct drv *d)
{
	take(d, ro_engine_start(d->e, d->now, &d->a));
}

static void done(struct drv *d)
{
	ro_actions_free(&d->a);
	ro_engine_destroy(d->e);
}

static enum ro_hstate hstate(struct drv *d, uint32_t i)
{
	struct ro_host_info hi;

	cr_assert_eq(ro_engine_host(d->e, i, &hi), RO_OK);
	return hi.state;
}

/* Answers host i's outstanding request, which must be req (on inst). */
static void answer(struct drv *d, uint32_t i, enum ro_req req, enum ro_inst inst,
		   enum ro_result res, bool new_running, bool has_bundle)
{
	struct ro_reply r = { .result = res, .old_running = true, .new_running = new_running,
			      .has_bundle = has_bundle };

	cr_assert(d->has[i], "host %u: nothing outstanding, expected %s", i, ro_req_name(req));
	cr_assert_eq(d->out[i].req, req, "host %u: sent %s, expected %s", i,
		     ro_req_name(d->out[i].req), ro_req_name(req));
	if (inst != RO_INST_NONE)
		cr_assert_eq(d->out[i].inst, inst, "host %u: wrong instance", i);
	d->has[i] = false;
	d->now += 10;
	take(d, ro_engine_reply(d->e, i, d->out[i].req_id, &r, d->now, &d->a));
}

/* status, bundle.has (no), bundle.put, instance.start: the host is verifying. */
static void to_verifying(struct drv *d, uint32_t i)
{
	answer(d, i, RO_REQ_STATUS, RO_INST_NONE, RO_RES_OK, false, false);
	answer(d, i, RO_REQ_BUNDLE_HAS, RO_INST_NONE, RO_RES_OK, false, false);
	answer(d, i, RO_REQ_BUNDLE_PUT, RO_INST_NONE, RO_RES_OK, false, false);
	cr_assert(d->pnew[i], "host %u: new_started not persisted before the start", i);
	answer(d, i, RO_REQ_START, RO_INST_NEW, RO_RES_OK, false, false);
	cr_assert_eq(hstate(d, i), ROH_VERIFYING);
	cr_assert_eq(d->out[i].req, RO_REQ_VERIFY);
}

static void to_verified(struct drv *d, uint32_t i)
{
	to_verifying(d, i);
	answer(d, i, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
}

/* Drain (two probes of the old instance), then its stop. */
static void to_retired(struct drv *d, uint32_t i)
{
	answer(d, i, RO_REQ_VERIFY, RO_INST_OLD, RO_RES_OK, true, true);
	answer(d, i, RO_REQ_VERIFY, RO_INST_OLD, RO_RES_OK, true, true);
	answer(d, i, RO_REQ_STOP, RO_INST_OLD, RO_RES_OK, true, true);
	cr_assert_eq(hstate(d, i), ROH_RETIRED);
}

static void tick(struct drv *d, uint64_t ms)
{
	d->now += ms;
	take(d, ro_engine_timer(d->e, d->now, &d->a));
}

Test(ro_engine, canary_first_and_alone)
{
	struct drv d;

	mk(&d, 4, 2, 4);
	start(&d);
	for (uint32_t i = 0; i < 4; i++)
		cr_assert_eq(d.has[i], i == 2, "host %u begun beside the canary", i);
	to_verifying(&d, 2);
	for (uint32_t i = 0; i < 4; i++)
		cr_assert_eq(d.has[i], i == 2, "host %u begun before the canary was verified", i);
	answer(&d, 2, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert_eq(hstate(&d, 2), ROH_VERIFIED);
	for (uint32_t i = 0; i < 4; i++)
		if (i != 2)
			cr_assert(d.has[i] && d.out[i].req == RO_REQ_STATUS, "host %u not begun", i);
	done(&d);
}

Test(ro_engine, canary_soaks_then_verified_again)
{
	struct ro_config c = { .n_hosts = 3, .canary = 0, .max_parallel = 3, .soak_ms = 60000 };
	struct drv d;
	char err[128];

	memset(&d, 0, sizeof(d));
	ro_actions_init(&d.a);
	cr_assert_not_null(d.e = ro_engine_create(&c, err, sizeof(err)));
	start(&d);
	to_verified(&d, 0);
	cr_assert_eq(hstate(&d, 0), ROH_SOAKING);
	cr_assert(!d.has[1] && !d.has[2], "others began during the soak");
	tick(&d, 30000);
	cr_assert(!d.has[0], "probed again before the soak ended");
	tick(&d, 30000);
	answer(&d, 0, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert_eq(hstate(&d, 0), ROH_VERIFIED);
	cr_assert(d.has[1] && d.has[2]);
	done(&d);
}

Test(ro_engine, max_parallel_respected)
{
	struct drv d;

	mk(&d, 5, RO_NO_CANARY, 2);
	start(&d);
	cr_assert(d.has[0] && d.has[1] && !d.has[2] && !d.has[3] && !d.has[4]);
	to_verifying(&d, 0);
	cr_assert(!d.has[2], "a third host began while two are in flight");
	answer(&d, 0, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert(d.has[2] && !d.has[3], "the freed slot went to the next host only");
	to_verified(&d, 1);
	to_verified(&d, 2);
	to_verified(&d, 3);
	to_verified(&d, 4);
	cr_assert_leq(d.max_in_flight, 2);
	cr_assert_eq(ro_engine_state(d.e), ROR_COMMITTED);
	done(&d);
}

Test(ro_engine, commit_waits_for_every_reachable_host)
{
	struct drv d;

	mk(&d, 3, RO_NO_CANARY, 3);
	start(&d);
	to_verified(&d, 0);
	to_verified(&d, 1);
	to_verifying(&d, 2);
	cr_assert_eq(ro_engine_state(d.e), ROR_RUNNING, "committed before host 2 was verified");
	cr_assert(!d.has[0] && !d.has[1], "an old instance touched before the commit");
	answer(&d, 2, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert_eq(ro_engine_state(d.e), ROR_COMMITTED);
	cr_assert_eq(d.persisted, ROR_COMMITTED);
	/* The old instance stops only after two drain probes. */
	for (uint32_t i = 0; i < 3; i++)
		to_retired(&d, i);
	cr_assert_eq(ro_engine_state(d.e), ROR_DONE);
	cr_assert_eq(d.persisted, ROR_DONE);
	done(&d);
}

Test(ro_engine, unreachable_deferred_then_behind_at_abort)
{
	struct drv d;

	mk(&d, 3, RO_NO_CANARY, 3);
	start(&d);
	answer(&d, 2, RO_REQ_STATUS, RO_INST_NONE, RO_RES_UNREACHABLE, false, false);
	cr_assert_eq(hstate(&d, 2), ROH_DEFERRED);
	to_verified(&d, 0);
	to_verified(&d, 1);
	/* Deferred hosts do not hold the commit back. */
	cr_assert_eq(ro_engine_state(d.e), ROR_COMMITTED);
	/* Retried every 2 s: the next status times out (5 s). */
	tick(&d, 2000);
	cr_assert(d.has[2] && d.out[2].req == RO_REQ_STATUS, "deferred host not retried");
	d.has[2] = false; /* lost */
	tick(&d, 5000);
	cr_assert_eq(hstate(&d, 2), ROH_DEFERRED);
	to_retired(&d, 0);
	take(&d, ro_engine_abort(d.e, d.now, &d.a));
	cr_assert_eq(ro_engine_state(d.e), ROR_CLOSING);
	cr_assert_eq(hstate(&d, 2), ROH_BEHIND, "an unreachable host is marked behind at once");
	cr_assert_eq(d.sends[2], 2, "the behind host was sent something after the abort");
	/* Host 1 was switched: it finishes its retirement. */
	to_retired(&d, 1);
	cr_assert_eq(ro_engine_state(d.e), ROR_PARTIAL);
	done(&d);
}

Test(ro_engine, failed_verify_rolls_back_the_hosts_that_started)
{
	struct drv d;

	mk(&d, 4, RO_NO_CANARY, 2);
	start(&d);
	to_verified(&d, 1);	/* host 2 takes its slot */
	to_verifying(&d, 0);
	answer(&d, 2, RO_REQ_STATUS, RO_INST_NONE, RO_RES_OK, false, false);
	answer(&d, 0, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_FAILED, true, true);
	cr_assert_eq(ro_engine_state(d.e), ROR_ROLLING_BACK);
	cr_assert_eq(hstate(&d, 0), ROH_ROLLING_BACK);
	cr_assert_eq(hstate(&d, 1), ROH_ROLLING_BACK);
	cr_assert(d.out[0].req == RO_REQ_STOP && d.out[0].inst == RO_INST_NEW);
	cr_assert(d.out[1].req == RO_REQ_STOP && d.out[1].inst == RO_INST_NEW);
	/* Host 2 is asked nothing more (bundle.has answered: it stops there). */
	answer(&d, 2, RO_REQ_BUNDLE_HAS, RO_INST_NONE, RO_RES_OK, false, true);
	cr_assert(!d.has[2], "host 2 went on after the failure");
	cr_assert(!d.has[3], "host 3 began after the failure");
	answer(&d, 0, RO_REQ_STOP, RO_INST_NEW, RO_RES_OK, false, true);
	cr_assert_eq(ro_engine_state(d.e), ROR_ROLLING_BACK);
	answer(&d, 1, RO_REQ_STOP, RO_INST_NEW, RO_RES_GONE, false, true);
	cr_assert_eq(hstate(&d, 0), ROH_ROLLED_BACK);
	cr_assert_eq(hstate(&d, 1), ROH_ROLLED_BACK);
	cr_assert_eq(hstate(&d, 3), ROH_PENDING);
	cr_assert_eq(ro_engine_state(d.e), ROR_FAILED);
	for (uint32_t i = 0; i < 4; i++)
		cr_assert(!(d.out[i].req == RO_REQ_STOP && d.out[i].inst == RO_INST_OLD),
			  "an old instance was stopped by a rollback");
	done(&d);
}

Test(ro_engine, resume_asks_in_flight_hosts_again)
{
	struct drv d;
	struct ro_phost ph[4] = {
		{ ROH_VERIFIED, true, true },
		{ ROH_VERIFYING, true, true },	/* in flight: asked again */
		{ ROH_STARTING, true, false },	/* start never sent */
		{ ROH_PENDING, false, false },
	};

	mk(&d, 4, RO_NO_CANARY, 2);
	take(&d, ro_engine_resume_from(d.e, ROR_RUNNING, ph, 4, 0, &d.a));
	cr_assert(!d.has[0], "a verified host was asked again");
	cr_assert(d.has[1] && d.out[1].req == RO_REQ_STATUS);
	cr_assert(d.has[2] && d.out[2].req == RO_REQ_STATUS);
	cr_assert(!d.has[3], "max_parallel exceeded on resume");
	/* Host 1's new instance runs and is ours (new_started): verified, not "current". */
	answer(&d, 1, RO_REQ_STATUS, RO_INST_NONE, RO_RES_OK, true, true);
	cr_assert_eq(hstate(&d, 1), ROH_VERIFYING);
	cr_assert(d.out[1].req == RO_REQ_VERIFY && d.out[1].inst == RO_INST_NEW);
	/* Host 3's target instance predates the rollout: current. */
	answer(&d, 1, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	answer(&d, 3, RO_REQ_STATUS, RO_INST_NONE, RO_RES_OK, true, true);
	cr_assert_eq(hstate(&d, 3), ROH_CURRENT);
	to_verifying(&d, 2);
	answer(&d, 2, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert_eq(ro_engine_state(d.e), ROR_COMMITTED);
	cr_assert(!d.has[3], "a current host is touched");
	done(&d);
}

Test(ro_engine, resume_committed_only_moves_forward)
{
	struct drv d;
	struct ro_phost ph[3] = {
		{ ROH_RETIRING, true, true },
		{ ROH_RETIRED, true, true },
		{ ROH_VERIFYING, true, true },	/* a late host, in flight */
	};

	mk(&d, 3, RO_NO_CANARY, 1);
	take(&d, ro_engine_resume_from(d.e, ROR_COMMITTED, ph, 3, 0, &d.a));
	cr_assert(d.out[0].req == RO_REQ_VERIFY && d.out[0].inst == RO_INST_OLD, "drain again");
	cr_assert(!d.has[1]);
	cr_assert(d.out[2].req == RO_REQ_STATUS);
	to_retired(&d, 0);
	answer(&d, 2, RO_REQ_STATUS, RO_INST_NONE, RO_RES_OK, true, true);
	answer(&d, 2, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	to_retired(&d, 2);
	cr_assert_eq(ro_engine_state(d.e), ROR_DONE);
	done(&d);
}

Test(ro_engine, timeout_defers_and_late_reply_is_stale)
{
	struct drv d;
	struct ro_reply ok = { .result = RO_RES_OK, .old_running = true };

	mk(&d, 3, RO_NO_CANARY, 3);
	start(&d);
	uint64_t id = d.out[0].req_id;
	tick(&d, 5000);
	cr_assert_eq(hstate(&d, 0), ROH_DEFERRED);
	cr_assert_eq(ro_engine_reply(d.e, 0, id, &ok, d.now, &d.a), RO_ESTALE);
	ro_actions_reset(&d.a);
	done(&d);
}

Test(ro_engine, pause_holds_begins_and_abort_rolls_back)
{
	struct drv d;

	mk(&d, 3, RO_NO_CANARY, 1);
	start(&d);
	take(&d, ro_engine_pause(d.e, d.now, &d.a));
	cr_assert_eq(d.persisted, ROR_PAUSED);
	/* A begun host finishes its way, as in rollout.c; nothing else begins. */
	to_verified(&d, 0);
	cr_assert(!d.has[1], "a host began while paused");
	take(&d, ro_engine_resume(d.e, d.now, &d.a));
	cr_assert(d.has[1]);
	to_verifying(&d, 1);
	take(&d, ro_engine_abort(d.e, d.now, &d.a));
	cr_assert_eq(ro_engine_state(d.e), ROR_ABORTING);
	cr_assert_eq(ro_engine_pause(d.e, d.now, &d.a), RO_ESTATE);
	ro_actions_reset(&d.a);
	/* Host 1's probe is awaited, then its new instance stopped. */
	answer(&d, 1, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_OK, true, true);
	cr_assert(d.out[0].req == RO_REQ_STOP && d.out[0].inst == RO_INST_NEW);
	answer(&d, 0, RO_REQ_STOP, RO_INST_NEW, RO_RES_OK, false, true);
	answer(&d, 1, RO_REQ_STOP, RO_INST_NEW, RO_RES_OK, false, true);
	cr_assert_eq(ro_engine_state(d.e), ROR_ABORTED);
	cr_assert_eq(hstate(&d, 2), ROH_PENDING);
	done(&d);
}

Test(ro_engine, failure_after_commit_leaves_host_behind)
{
	struct drv d;

	mk(&d, 3, RO_NO_CANARY, 3);
	start(&d);
	answer(&d, 2, RO_REQ_STATUS, RO_INST_NONE, RO_RES_UNREACHABLE, false, false);
	to_verified(&d, 0);
	to_verified(&d, 1);
	cr_assert_eq(ro_engine_state(d.e), ROR_COMMITTED);
	tick(&d, 2000);
	to_verifying(&d, 2);
	answer(&d, 2, RO_REQ_VERIFY, RO_INST_NEW, RO_RES_FAILED, true, true);
	cr_assert(d.out[2].req == RO_REQ_STOP && d.out[2].inst == RO_INST_NEW);
	answer(&d, 2, RO_REQ_STOP, RO_INST_NEW, RO_RES_OK, false, true);
	cr_assert_eq(hstate(&d, 2), ROH_BEHIND);
	to_retired(&d, 0);
	to_retired(&d, 1);
	cr_assert_eq(ro_engine_state(d.e), ROR_PARTIAL);
	done(&d);
}

Test(ro_engine, bad_config_refused)
{
	struct ro_config c = { .n_hosts = 3, .canary = RO_NO_CANARY, .soak_ms = 1000 };
	char err[128] = "";

	cr_assert_null(ro_engine_create(&c, err, sizeof(err)));
	cr_assert(strstr(err, "soak"));
	c.soak_ms = 0;
	c.canary = 3;
	cr_assert_null(ro_engine_create(&c, err, sizeof(err)));
	c.canary = RO_NO_CANARY;
	c.n_hosts = 0;
	cr_assert_null(ro_engine_create(&c, err, sizeof(err)));
}
