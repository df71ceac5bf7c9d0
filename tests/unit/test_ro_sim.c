/*
 * test_ro_sim.c - the rollout engine in the fleet simulator: thousands of
 * seeded scenarios (random fleets of 3..50 hosts, random faults), zero
 * invariant violations and an end for every rollout, with leader changes
 * (the driver's host down, gone or cut off, another taking over); and the
 * positive controls: a deliberately broken engine, and a driver that
 * does not write ahead, must be caught.
 *
 * RO_SIM_SEEDS sets the number of seeds (default 10000; tests/valgrind-unit
 * runs 2000).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ro_sim.h"

static unsigned seeds(void)
{
	const char *s = getenv("RO_SIM_SEEDS");
	return s && atoi(s) > 0 ? (unsigned)atoi(s) : 10000;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t total(const struct ro_sim_result *r)
{
	uint64_t t = 0;

	for (int v = 0; v < RO_INV__N; v++)
		t += r->violations[v];
	return t;
}

Test(ro_sim, random_seeds_no_violation, .timeout = 600)
{
	unsigned n = seeds(), finals[ROR__N] = { 0 }, gave_up = 0, restarts = 0, stray = 0;
	unsigned led = 0, changes = 0, takeovers = 0;
	uint64_t unsent = 0;
	uint64_t viol[RO_INV__N] = { 0 }, events = 0, checks = 0, bad_seed = 0;
	char first[200] = "";
	double t0 = wall_ms();

	for (uint64_t seed = 1; seed <= n; seed++) {
		struct ro_sim_config c;
		struct ro_sim_result r;
		char err[128];

		ro_sim_config_random(seed, 3, 50, &c);
		cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "seed %llu: %s",
			     (unsigned long long)seed, err);
		for (int v = 0; v < RO_INV__N; v++)
			viol[v] += r.violations[v];
		if (total(&r) && !bad_seed) {
			bad_seed = seed;
			snprintf(first, sizeof(first), "%s", r.first);
		}
		finals[r.final]++;
		gave_up += r.gave_up;
		restarts += r.coord_restarts;
		led += r.leader_changes > 0;
		changes += r.leader_changes;
		takeovers += r.takeovers;
		unsent += r.unsent;
		stray += r.stray_new;
		events += r.events;
		checks += r.checks;
	}
	double ms = wall_ms() - t0;
	fprintf(stderr, "ro_sim: %u seeds in %.0f ms, %llu events, %llu checks; done %u partial %u "
		"failed %u aborted %u (operator gave up on %u); coordinator restarts %u; "
		"stray new instances %u; leader changes %u in %u runs, takeovers %u, "
		"sends never carried out %llu\n", n, ms, (unsigned long long)events,
		(unsigned long long)checks, finals[ROR_DONE], finals[ROR_PARTIAL], finals[ROR_FAILED],
		finals[ROR_ABORTED], gave_up, restarts, stray, changes, led, takeovers,
		(unsigned long long)unsent);
	for (int v = 0; v < RO_INV__N; v++)
		cr_expect_eq(viol[v], 0, "%llu violations of %s; first at seed %llu: %s",
			     (unsigned long long)viol[v], ro_inv_name(v),
			     (unsigned long long)bad_seed, first);
	/* Every kind of end was reached: the faults really bite. */
	cr_expect_gt(finals[ROR_DONE], 0);
	cr_expect_gt(finals[ROR_PARTIAL], 0);
	cr_expect_gt(finals[ROR_FAILED], 0);
	cr_expect_gt(finals[ROR_ABORTED], 0);
	cr_expect_gt(restarts, 0);
	/* Leader changes really happen, in a good share of the runs, and
	 * writes that never committed really are cut off. */
	cr_expect_gt(led, n / 4, "leader changes in %u of %u runs", led, n);
	cr_expect_gt(takeovers, 0);
	cr_expect_gt(unsent, 0);
}

/* The checker sees a driver that does not write ahead: a new driver
 * resuming from the rows before the last write, whose sends went out. */
Test(ro_sim, positive_control_no_write_ahead_is_caught)
{
	uint64_t viol[RO_INV__N] = { 0 }, runs = 0, caught = 0, caught_old = 0, caught_new = 0;
	uint64_t led = 0;

	for (uint64_t seed = 1; seed <= 2000; seed++) {
		struct ro_sim_config c;
		struct ro_sim_result r;
		char err[128];

		ro_sim_config_random(seed, 3, 50, &c);
		c.flags |= RO_SIM_F_UNSAFE_NO_WRITE_AHEAD;
		cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
		for (int v = 0; v < RO_INV__N; v++)
			viol[v] += r.violations[v];
		caught += total(&r) > 0;
		caught_old += total(&r) > r.violations[RO_INV_STORE_BEHIND];
		caught_new += r.violations[RO_INV_STORE_BEHIND] > 0;
		led += r.leader_changes > 0;
		runs++;
	}
	fprintf(stderr, "ro_sim no-write-ahead control: %llu of %llu runs caught (%llu with leader "
		"changes; %llu by store-behind, %llu by the other checks):",
		(unsigned long long)caught, (unsigned long long)runs, (unsigned long long)led,
		(unsigned long long)caught_new, (unsigned long long)caught_old);
	for (int v = 0; v < RO_INV__N; v++)
		if (viol[v])
			fprintf(stderr, " %s %llu", ro_inv_name(v), (unsigned long long)viol[v]);
	fprintf(stderr, "\n");
	cr_assert_gt(viol[RO_INV_STORE_BEHIND], 0, "the missing write-ahead was not caught");
	cr_assert_gt(caught, 0);
}

/* A fleet of 10 whose driver (host 3) fails once at `at`. */
static void driver_fails(struct ro_sim_config *c, uint64_t at, uint32_t parted, uint32_t gone)
{
	ro_sim_config_clean(10, 2, 11, c);
	c->f.driver = 3;
	c->f.lease_ms = 10000;
	c->f.renew_ms = 2000;
	c->f.election_min_ms = 150;
	c->f.election_max_ms = 1500;
	c->f.commit_min_ms = 2;
	c->f.commit_max_ms = 20;
	c->f.leader_at_ms = at;
	c->f.leader_parted = parted;
	c->f.leader_gone = gone;
	c->f.leader_down_max_ms = 30000;
	c->f.give_up_ms = 3600 * 1000;
	c->f.limit_ms = c->f.give_up_ms + 1800 * 1000;
}

/* The driver's host gone for good before, at and after the commit (about
 * 6.8 s in): another host takes over; the gone host is deferred for good,
 * so the operator's give-up ends the rollout, partial (the engine commits
 * without a deferred host); every host ran a verified instance throughout. */
Test(ro_sim, driver_gone_for_good_mid_rollout)
{
	static const uint64_t at[] = { 500, 3000, 6000, 9000 };

	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		struct ro_sim_config c;
		struct ro_sim_result r;
		char err[128];

		driver_fails(&c, at[k], 0, 1000);
		cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(total(&r), 0, "at %llu: %s", (unsigned long long)at[k], r.first);
		cr_assert_eq(r.leader_changes, 1);
		cr_assert_eq(r.takeovers, 1);
		cr_assert(r.gave_up);
		cr_assert(r.final == ROR_PARTIAL || r.final == ROR_ABORTED, "at %llu: %s",
			  (unsigned long long)at[k], ro_rstate_name(r.final));
		cr_assert_eq(r.hosts_on_new + r.hosts_on_old, 10);
		cr_assert_geq(r.hosts_on_new, 9);
	}
}

/* A driver cut off from the quorum (alive, its requests in flight still
 * arriving) is replaced, and the rollout ends done with no give-up. */
Test(ro_sim, driver_cut_off_is_replaced)
{
	struct ro_sim_config c;
	struct ro_sim_result r;
	char err[128];

	driver_fails(&c, 3000, 1000, 0);
	cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(total(&r), 0, "%s", r.first);
	cr_assert_eq(r.leader_changes, 1);
	cr_assert_eq(r.final, ROR_DONE);
	cr_assert(!r.gave_up);
	cr_assert_eq(r.hosts_on_new, 10);
}

/* The checker can fail: an engine that counts a started instance as
 * verified stops old instances too early, and that must be seen. */
Test(ro_sim, positive_control_broken_engine_is_caught)
{
	uint64_t early = 0, runs = 0, caught = 0;

	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct ro_sim_config c;
		struct ro_sim_result r;
		char err[128];

		ro_sim_config_random(seed, 3, 50, &c);
		c.engine.flags |= RO_F_UNSAFE_SKIP_VERIFY;
		cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
		early += r.violations[RO_INV_EARLY_STOP];
		caught += total(&r) > 0;
		runs++;
	}
	fprintf(stderr, "ro_sim positive control: %llu of %llu runs caught, %llu early stops\n",
		(unsigned long long)caught, (unsigned long long)runs, (unsigned long long)early);
	cr_assert_gt(early, 0, "the broken engine was not caught");
	cr_assert_gt(caught, runs / 2);
}

Test(ro_sim, clean_fleet_done_everywhere)
{
	struct ro_sim_config c;
	struct ro_sim_result r;
	char err[128];

	ro_sim_config_clean(40, 5, 7, &c);
	cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.final, ROR_DONE);
	cr_assert_eq(r.hosts_on_new, 40);
	cr_assert_eq(total(&r), 0, "%s", r.first);
	/* status, bundle.has, bundle.put, start, verify, 2 drains, stop */
	cr_assert_eq(r.sends, 40 * 8);
}

Test(ro_sim, bad_version_everywhere_rolls_back)
{
	struct ro_sim_config c;
	struct ro_sim_result r;
	char err[128];

	ro_sim_config_clean(20, 4, 9, &c);
	c.engine.canary = 3;
	c.f.bad = 1000;
	cr_assert_eq(ro_sim_run(&c, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.final, ROR_FAILED);
	cr_assert_eq(r.hosts_on_old, 20);
	cr_assert_eq(r.sends_by_req[RO_REQ_START], 1, "only the canary started the bad version");
	cr_assert_eq(total(&r), 0, "%s", r.first);
}

Test(ro_sim, same_seed_same_run)
{
	struct ro_sim_config c;
	struct ro_sim_result a, b;
	char err[128];

	ro_sim_config_random(4242, 3, 50, &c);
	cr_assert_eq(ro_sim_run(&c, &a, err, sizeof(err)), 0);
	cr_assert_eq(ro_sim_run(&c, &b, err, sizeof(err)), 0);
	cr_assert_eq(a.events, b.events);
	cr_assert_eq(a.sends, b.sends);
	cr_assert_eq(a.end_ms, b.end_ms);
	cr_assert_eq(a.final, b.final);
}
