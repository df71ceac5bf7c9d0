/*
 * test_hsroute_sim.c - routing scenarios in the simulator.  Each asserts
 * zero forwarding loops (checked after every event) and convergence to
 * shortest paths within a stated number of virtual seconds.
 */
#include <criterion/criterion.h>

#include "hsr_sim.h"

static struct hsr_sim *
mksim(uint32_t n, uint32_t flags, uint16_t infinity, uint64_t seed)
{
	struct hsr_sim_config c = { .n_nodes = n, .seed = seed };
	char err[128];
	struct hsr_sim *s;

	c.router.flags = flags;
	c.router.infinity = infinity;
	s = hsr_sim_create(&c, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

static uint64_t
loops(struct hsr_sim *s)
{
	struct hsr_sim_stats st;

	hsr_sim_stats(s, &st);
	return st.loops;
}

/* Runs to t and returns how long after `since` the sim has been
 * converged, asserting it is. */
static uint64_t
conv_after(struct hsr_sim *s, uint64_t since, uint64_t t)
{
	uint64_t c;

	hsr_sim_run_until(s, t);
	c = hsr_sim_converged_since(s);
	cr_assert_neq(c, HSR_NEVER, "not converged at %llu ms",
	    (unsigned long long)t);
	return c > since ? c - since : 0;
}

Test(hsroute_sim, line_of_5)
{
	struct hsr_sim *s = mksim(5, 0, 0, 1);

	for (uint32_t i = 0; i < 4; i++)
		hsr_sim_add_link(s, i, i + 1, 256, 10, 0);
	hsr_sim_start(s, 0);
	cr_assert_leq(conv_after(s, 0, 5000), 1000, "cold start > 1 s");
	cr_assert_eq(hsr_sim_nexthop(s, 0, 4), 1);
	cr_assert_eq(hsr_sim_nexthop(s, 1, 4), 2);
	cr_assert_eq(hsr_sim_nexthop(s, 3, 4), 4);
	cr_assert_eq(hsr_sim_nexthop(s, 4, 0), 3);
	cr_assert_eq(hsr_sim_nexthop(s, 0, 0), -1, "own prefix installed");
	{
		struct hsr_route_info ri;

		cr_assert_eq(hsr_route_lookup(hsr_sim_router(s, 0),
		    hsr_sim_prefix(4), 5000, &ri), 0);
		cr_assert_eq(ri.metric, 4 * 256);
		cr_assert_eq(ri.source_id, 5);
	}
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

Test(hsroute_sim, ring_of_4_cut_and_restore)
{
	struct hsr_sim *s = mksim(4, 0, 0, 2);
	int ab;

	ab = hsr_sim_add_link(s, 0, 1, 256, 5, 0);
	hsr_sim_add_link(s, 1, 2, 256, 5, 0);
	hsr_sim_add_link(s, 2, 3, 256, 5, 0);
	hsr_sim_add_link(s, 3, 0, 256, 5, 0);
	hsr_sim_start(s, 0);
	conv_after(s, 0, 10000);
	cr_assert_eq(hsr_sim_nexthop(s, 0, 1), 1);

	hsr_sim_link_event(s, (uint32_t)ab, false, 10000);
	cr_assert_leq(conv_after(s, 10000, 20000), 3000, "reroute > 3 s");
	cr_assert_eq(hsr_sim_nexthop(s, 0, 1), 3);
	cr_assert_eq(hsr_sim_nexthop(s, 1, 0), 2);

	hsr_sim_link_event(s, (uint32_t)ab, true, 20000);
	cr_assert_leq(conv_after(s, 20000, 30000), 3000, "restore > 3 s");
	cr_assert_eq(hsr_sim_nexthop(s, 0, 1), 1, "not back on shortest path");
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

/*
 * The same cut as hsd runs it (hellos every 400 ms, dead after 1.3 s) on
 * links that lose 1 % of packets, cut at a different moment in each of
 * 1,000 seeds: every pair is on the other way round 3 s later.  A single
 * lost retraction used to leave a neighbour routing through the router
 * that lost the link, answering none of its requests, for up to a full
 * update interval (16 s), in about 1.5 % of the seeds.
 */
Test(hsroute_sim, ring_of_4_cut_with_loss)
{
	unsigned late = 0, first = 0;

	for (uint64_t seed = 1; seed <= 1000; seed++) {
		struct hsr_sim_config c = { .n_nodes = 4, .seed = seed };
		uint64_t cut = 20000 + seed * 7919 % 40000;
		char err[128];
		struct hsr_sim *s;
		int ab;

		c.router.hello_ms = 400;
		c.router.dead_ms = 1300;
		cr_assert_not_null(s = hsr_sim_create(&c, err, sizeof(err)));
		ab = hsr_sim_add_link(s, 0, 1, 256, 1 + seed % 3, 0.01);
		hsr_sim_add_link(s, 1, 2, 256, 1 + seed % 3, 0.01);
		hsr_sim_add_link(s, 2, 3, 256, 1 + seed % 3, 0.01);
		hsr_sim_add_link(s, 3, 0, 256, 1 + seed % 3, 0.01);
		hsr_sim_start(s, 0);
		hsr_sim_link_event(s, (uint32_t)ab, false, cut);
		hsr_sim_run_until(s, cut + 3000);
		if (!(hsr_sim_nexthop(s, 0, 1) == 3 &&
		    hsr_sim_nexthop(s, 1, 0) == 2 && hsr_sim_converged(s)) &&
		    late++ == 0)
			first = (unsigned)seed;
		cr_assert_eq(loops(s), 0, "seed %llu: loop",
		    (unsigned long long)seed);
		hsr_sim_destroy(s);
	}
	cr_assert_eq(late, 0, "%u of 1000 seeds not rerouted 3 s after the "
	    "cut (first: seed %u)", late, first);
}

/*
 * Count to infinity: D hangs off A; A-B and B-C are fast, A-C slow, so
 * when D is lost B hears A's retraction first while C still advertises
 * its stale route through A.  RIP-like routing takes it and forms the
 * loop A->B->C->A; with feasibility B refuses it and D is withdrawn.
 */
static struct hsr_sim *
bounce(uint32_t flags, int *ad)
{
	struct hsr_sim *s = mksim(4, flags, 16, 3);

	hsr_sim_add_link(s, 0, 1, 1, 1, 0);
	hsr_sim_add_link(s, 1, 2, 1, 1, 0);
	hsr_sim_add_link(s, 0, 2, 1, 60, 0);
	*ad = hsr_sim_add_link(s, 0, 3, 1, 1, 0);
	hsr_sim_start(s, 0);
	conv_after(s, 0, 10000);
	cr_assert_eq(loops(s), 0);
	hsr_sim_link_event(s, (uint32_t)*ad, false, 10000);
	return s;
}

Test(hsroute_sim, count_to_infinity_rip_loops)
{
	int ad;
	struct hsr_sim *s = bounce(HSR_F_NO_FEASIBILITY, &ad);

	hsr_sim_run_until(s, 20000);
	cr_assert_gt(loops(s), 0, "RIP mode was expected to loop");
	hsr_sim_destroy(s);
}

Test(hsroute_sim, count_to_infinity_feasibility_no_loop)
{
	int ad;
	struct hsr_sim *s = bounce(0, &ad);

	/* Detection takes up to dead_ms (2.6 s); withdrawal is immediate. */
	cr_assert_leq(conv_after(s, 10000, 20000), 3000);
	for (uint32_t i = 0; i < 3; i++)
		cr_assert_eq(hsr_sim_nexthop(s, i, 3), -1);
	cr_assert_eq(loops(s), 0);
	/* And back: D's route must come back despite the old FD. */
	hsr_sim_link_event(s, (uint32_t)ad, true, 20000);
	cr_assert_leq(conv_after(s, 20000, 30000), 3000);
	cr_assert_eq(hsr_sim_nexthop(s, 2, 3), 0);
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

Test(hsroute_sim, partition_and_heal)
{
	struct hsr_sim *s = mksim(8, 0, 0, 4);
	int bridge;

	/* Two rings of four joined by one bridge 3-4. */
	for (uint32_t i = 0; i < 4; i++) {
		hsr_sim_add_link(s, i, (i + 1) % 4, 256, 5, 0);
		hsr_sim_add_link(s, 4 + i, 4 + (i + 1) % 4, 256, 5, 0);
	}
	bridge = hsr_sim_add_link(s, 3, 4, 256, 5, 0);
	hsr_sim_start(s, 0);
	conv_after(s, 0, 10000);
	cr_assert_eq(hsr_sim_nexthop(s, 0, 6), 3);

	hsr_sim_link_event(s, (uint32_t)bridge, false, 10000);
	cr_assert_leq(conv_after(s, 10000, 20000), 3000,
	    "other side not withdrawn within 3 s");
	for (uint32_t i = 0; i < 4; i++)
		for (uint32_t j = 4; j < 8; j++) {
			cr_assert_eq(hsr_sim_nexthop(s, i, j), -1);
			cr_assert_eq(hsr_sim_nexthop(s, j, i), -1);
		}
	hsr_sim_link_event(s, (uint32_t)bridge, true, 30000);
	cr_assert_leq(conv_after(s, 30000, 40000), 3000, "heal > 3 s");
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

Test(hsroute_sim, flapping_link)
{
	struct hsr_sim *s = mksim(6, 0, 0, 5);
	int fl;
	uint64_t t;

	for (uint32_t i = 0; i < 6; i++)
		hsr_sim_add_link(s, i, (i + 1) % 6, 256, 5, 0);
	fl = hsr_sim_add_link(s, 0, 3, 256, 5, 0);
	hsr_sim_start(s, 0);
	conv_after(s, 0, 5000);
	/* Irregular flaps, some shorter than the dead interval. */
	for (t = 5000; t < 35000; t += 1700) {
		hsr_sim_link_event(s, (uint32_t)fl, false, t);
		hsr_sim_link_event(s, (uint32_t)fl, true, t + 300 + (t % 3) * 1500);
	}
	hsr_sim_run_until(s, 36000);
	cr_assert_eq(loops(s), 0);
	cr_assert_leq(conv_after(s, 36000, 46000), 3000);
	cr_assert_eq(hsr_sim_nexthop(s, 0, 3), 3);
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

Test(hsroute_sim, node_stop_withdrawn)
{
	struct hsr_sim *s = mksim(9, 0, 0, 6);

	hsr_sim_graph_grid(s, 3, 3, 256, 5);
	hsr_sim_start(s, 0);
	conv_after(s, 0, 5000);
	hsr_sim_node_event(s, 4, false, 5000);	/* the centre */
	cr_assert_leq(conv_after(s, 5000, 15000), 3000);
	for (uint32_t i = 0; i < 9; i++)
		cr_assert_eq(hsr_sim_nexthop(s, i, 4), -1);
	/* It restarts with seqno 0, below everyone's FD: requests fix it. */
	hsr_sim_node_event(s, 4, true, 15000);
	cr_assert_leq(conv_after(s, 15000, 25000), 3000);
	cr_assert_eq(hsr_sim_nexthop(s, 1, 4), 4);
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

/*
 * 5% loss: with the default dead_ms (2.6 s) two lost hellos in a row kill
 * a link, so lossy links get dead_ms 3.5 s (see docs/hsroute.md).  Lost
 * updates are repaired by hello-gap dump requests and periodic updates.
 */
Test(hsroute_sim, random_graph_5pct_loss)
{
	struct hsr_sim_config c = { .n_nodes = 30, .seed = 7 };
	struct hsr_sim *s;
	uint64_t first = HSR_NEVER;
	char err[128];

	c.router.dead_ms = 3500;
	s = hsr_sim_create(&c, err, sizeof(err));
	cr_assert_not_null(s);

	hsr_sim_graph_random(s, 30, 100, 300, 2, 20, 77);
	for (uint32_t k = 0; k < hsr_sim_n_links(s); k++)
		hsr_sim_set_loss(s, k, 0.05);
	hsr_sim_start(s, 0);
	for (uint64_t t = 100; t <= 120000; t += 100) {
		hsr_sim_run_until(s, t);
		if (first == HSR_NEVER && hsr_sim_converged(s))
			first = t;
	}
	cr_assert_leq(first, 40000, "no convergence within 40 s at 5%% loss");
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}

/* Many random failures and repairs: never a loop, always converges. */
Test(hsroute_sim, random_churn_no_loops)
{
	struct hsr_sim *s = mksim(25, 0, 0, 8);
	uint64_t rs = 99, t = 5000;
	uint32_t nl;

	hsr_sim_graph_random(s, 25, 100, 300, 2, 20, 88);
	nl = hsr_sim_n_links(s);
	hsr_sim_start(s, 0);
	for (int i = 0; i < 300; i++) {
		rs = rs * 6364136223846793005ull + 1442695040888963407ull;
		hsr_sim_link_event(s, (uint32_t)(rs >> 33) % nl, (rs >> 20) & 1, t);
		t += 50 + (rs >> 40) % 400;
	}
	for (uint32_t k = 0; k < nl; k++)
		hsr_sim_link_event(s, k, true, t);
	cr_assert_leq(conv_after(s, t, t + 10000), 3000);
	cr_assert_eq(loops(s), 0);
	hsr_sim_destroy(s);
}
