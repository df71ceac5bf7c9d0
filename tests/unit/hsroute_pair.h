/*
 * hsroute_pair.h - two routers joined by one link (link 1 on both sides),
 * driven by hand: shared by the hsroute unit tests.  Static functions in a
 * header: each test binary is one file.
 */
#ifndef HS_TEST_HSROUTE_PAIR_H
#define HS_TEST_HSROUTE_PAIR_H

#include <criterion/criterion.h>

#include "hsroute.h"

struct pair {
	struct hsr_router *a, *b;
	struct hsr_actions out;
	uint64_t now;
	int installs_a, removes_a; /* route actions a emitted */
};

/* Delivers from's SEND actions to the other router, recursively. */
static void
pump(struct pair *p, struct hsr_router *from, struct hsr_actions *acts,
    int depth)
{
	struct hsr_router *to = from == p->a ? p->b : p->a;
	struct hsr_actions next;

	cr_assert_lt(depth, 50);
	hsr_actions_init(&next);
	for (size_t i = 0; i < acts->n; i++) {
		const struct hsr_action *a = &acts->v[i];

		if (from == p->a && a->type == HSR_ACT_ROUTE_INSTALL)
			p->installs_a++;
		if (from == p->a && a->type == HSR_ACT_ROUTE_REMOVE)
			p->removes_a++;
		if (a->type != HSR_ACT_SEND)
			continue;
		hsr_actions_reset(&next);
		hsr_packet_in(to, 1, hsr_action_bytes(acts, a), a->len, p->now,
		    &next);
		pump(p, to, &next, depth + 1);
	}
	hsr_actions_free(&next);
}

/* Both routers' timers at now, and what they send delivered. */
static void
tick(struct pair *p, uint64_t now)
{
	p->now = now;
	hsr_actions_reset(&p->out);
	hsr_timer(p->a, now, &p->out);
	pump(p, p->a, &p->out, 0);
	hsr_actions_reset(&p->out);
	hsr_timer(p->b, now, &p->out);
	pump(p, p->b, &p->out, 0);
}

/* Joins p->a and p->b (made by the caller) on link 1 and runs both for
 * 2 s, by when they are neighbours and have exchanged their routes. */
static void
pair_link(struct pair *p)
{
	hsr_actions_init(&p->out);
	cr_assert_eq(hsr_link_add(p->a, 1, 256, 0, &p->out), 0);
	pump(p, p->a, &p->out, 0);	/* b has no link yet: dropped */
	hsr_actions_reset(&p->out);
	cr_assert_eq(hsr_link_add(p->b, 1, 256, 0, &p->out), 0);
	pump(p, p->b, &p->out, 0);
	for (uint64_t t = 100; t <= 2000; t += 100)
		tick(p, t);
}

static void
pair_down(struct pair *p)
{
	hsr_router_destroy(p->a);
	hsr_router_destroy(p->b);
	hsr_actions_free(&p->out);
}

/* hsr_neigh_foreach callback: the first neighbour into *arg. */
static int
neigh0(const struct hsr_neigh_info *n, void *arg)
{
	*(struct hsr_neigh_info *)arg = *n;
	return 1;
}

#endif
