/*
 * test_hsroute_router.c - the router API driven by hand: handshake,
 * route installation, queries, and hostile input on hsr_packet_in.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hsroute.h"
#include "hsroute_pair.h"
#include "hsr_packet.h"

#define PA { .addr = 0x0A000100, .len = 24 }
#define PB { .addr = 0x0A000200, .len = 24 }

static struct hsr_router *
mk(uint32_t id, struct hsr_prefix p)
{
	struct hsr_config c = {
		.router_id = id, .prefixes = &p, .n_prefixes = 1, .seed = id,
	};
	char err[128];
	struct hsr_router *r = hsr_router_create(&c, 0, err, sizeof(err));

	cr_assert_not_null(r, "%s", err);
	return r;
}

static void
pair_up(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->a = mk(1, (struct hsr_prefix)PA);
	p->b = mk(2, (struct hsr_prefix)PB);
	pair_link(p);
}

Test(hsroute_router, create_rejects_bad_config)
{
	struct hsr_prefix bad = { .addr = 0x0A000001, .len = 24 };
	struct hsr_config c = { .router_id = 0 };
	char err[128] = "";

	cr_assert_null(hsr_router_create(&c, 0, err, sizeof(err)));
	cr_assert_neq(err[0], 0);
	c.router_id = 1;
	c.prefixes = &bad;
	c.n_prefixes = 1;
	cr_assert_null(hsr_router_create(&c, 0, err, sizeof(err)));
	bad.len = 33;
	cr_assert_null(hsr_router_create(&c, 0, err, sizeof(err)));
}

Test(hsroute_router, handshake_and_install)
{
	struct pair p;
	struct hsr_route_info ri;
	struct hsr_neigh_info ni;
	struct hsr_stats st;

	pair_up(&p);
	cr_assert_eq(hsr_route_lookup(p.a, (struct hsr_prefix)PB, p.now, &ri), 0);
	cr_assert_eq(ri.nexthop_id, 2);
	cr_assert_eq(ri.link_id, 1);
	cr_assert_eq(ri.metric, 256);
	cr_assert_eq(ri.source_id, 2);
	cr_assert(ri.installed && ri.selected && ri.feasible && !ri.own);
	cr_assert_eq(p.installs_a, 1, "exactly one install on a");
	/* Own prefix: known, never installed. */
	cr_assert_eq(hsr_route_lookup(p.a, (struct hsr_prefix)PA, p.now, &ri), 0);
	cr_assert(ri.own && !ri.installed);
	hsr_neigh_foreach(p.a, p.now, neigh0, &ni);
	cr_assert(ni.up);
	cr_assert_eq(ni.router_id, 2);
	cr_assert_lt(ni.hello_age_ms, 1500);
	cr_assert_gt(ni.pkts_in, 0);
	cr_assert_gt(ni.bytes_out, 0);
	hsr_router_stats(p.a, &st);
	cr_assert_eq(st.n_installed, 1);
	cr_assert_eq(st.n_links, 1);
	pair_down(&p);
}

Test(hsroute_router, silence_kills_neighbour)
{
	struct pair p;
	struct hsr_route_info ri;
	struct hsr_actions o;
	uint64_t t;

	pair_up(&p);
	hsr_actions_init(&o);
	/* b goes silent: only a's timer runs, its packets go nowhere. */
	for (t = p.now; t < p.now + 5000; t += 100) {
		hsr_actions_reset(&o);
		hsr_timer(p.a, t, &o);
		for (size_t i = 0; i < o.n; i++)
			if (o.v[i].type == HSR_ACT_ROUTE_REMOVE)
				goto removed;
	}
	cr_assert_fail("route not removed");
removed:
	cr_assert_leq(t - p.now, 2700, "dead after %llu ms",
	    (unsigned long long)(t - p.now));
	cr_assert_eq(hsr_route_lookup(p.a, (struct hsr_prefix)PB, t, &ri), -1);
	hsr_actions_free(&o);
	pair_down(&p);
}

/* Captures one hello from a router with the given id. */
static size_t
hello_from(uint32_t id, uint8_t *buf)
{
	struct hsr_router *r = mk(id, (struct hsr_prefix){ 0x0B000000, 8 });
	struct hsr_actions o;
	size_t n;

	hsr_actions_init(&o);
	hsr_link_add(r, 1, 1, 0, &o);
	cr_assert_geq(o.n, 1);
	cr_assert_eq(o.v[0].type, HSR_ACT_SEND);
	n = o.v[0].len;
	memcpy(buf, hsr_action_bytes(&o, &o.v[0]), n);
	hsr_actions_free(&o);
	hsr_router_destroy(r);
	return n;
}

Test(hsroute_router, hostile_input_dropped_and_counted)
{
	struct pair p;
	struct hsr_neigh_info ni;
	struct hsr_stats st;
	struct hsr_route_info ri;
	uint8_t buf[256];
	size_t n;
	uint64_t s = 99;

	pair_up(&p);
	n = hello_from(99, buf);
	hsr_actions_reset(&p.out);
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, n, p.now, &p.out),
	    -HSR_DROP_WRONG_ID);
	cr_assert_eq(hsr_packet_in(p.a, 42, buf, n, p.now, &p.out),
	    -HSR_DROP_UNKNOWN_LINK);
	n = hello_from(1, buf);		/* our own id reflected */
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, n, p.now, &p.out),
	    -HSR_DROP_OWN_ID);
	buf[2] = 9;
	n = hello_from(2, buf);
	buf[2] = 9;
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, n, p.now, &p.out),
	    -HSR_DROP_VERSION);
	for (size_t len = 0; len < n; len++)
		cr_assert_lt(hsr_packet_in(p.a, 1, buf, len, p.now, &p.out), 0);
	cr_assert_eq(hsr_packet_in(p.a, 1, NULL, 0, p.now, &p.out),
	    -HSR_DROP_SHORT);

	/* Seeded random garbage, with and without a plausible header. */
	for (int round = 0; round < 5000; round++) {
		uint8_t *b;
		size_t len;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		len = (size_t)(s >> 33) % 120;
		b = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			b[i] = (uint8_t)(s >> 56);
		}
		if (round % 2 && len >= RP_HDR_LEN) {
			b[0] = RP_MAGIC0;
			b[1] = RP_MAGIC1;
			b[2] = RP_VERSION;
			b[4] = b[5] = b[6] = 0;
			b[7] = 2;
			b[8] = (uint8_t)((len - RP_HDR_LEN) >> 8);
			b[9] = (uint8_t)(len - RP_HDR_LEN);
		}
		hsr_actions_reset(&p.out);
		hsr_packet_in(p.a, 1, b, len, p.now, &p.out);
		free(b);
	}
	hsr_neigh_foreach(p.a, p.now, neigh0, &ni);
	cr_assert_geq(ni.drops[HSR_DROP_WRONG_ID], 1);
	cr_assert_geq(ni.drops[HSR_DROP_OWN_ID], 1);
	cr_assert_geq(ni.drops[HSR_DROP_VERSION], 1);
	cr_assert_geq(ni.drops[HSR_DROP_MAGIC], 1);
	hsr_router_stats(p.a, &st);
	cr_assert_eq(st.drops[HSR_DROP_UNKNOWN_LINK], 1);
	cr_assert_str_eq(hsr_drop_name(HSR_DROP_WRONG_ID), "wrong-router-id");
	cr_assert_str_eq(hsr_drop_name(HSR_DROP_PLEN), "bad-prefix-len");
	pair_down(&p);
	(void)ri;
}

/* An update with an impossible metric / prefix sent by the real peer. */
Test(hsroute_router, impossible_update_from_peer)
{
	struct pair p;
	struct hsr_neigh_info ni;
	struct hsr_route_info ri;
	uint8_t buf[64];
	struct rp_writer w;
	struct rp_update u = {
		.prefix = 0x0C000000, .plen = 8, .metric = 10, .interval_cs = 100,
		.router_id = 2,
	};
	struct hsr_config c = {
		.router_id = 1, .infinity = 16, .seed = 1,
	};
	struct hsr_prefix pa = PA;
	char err[64];

	pair_up(&p);
	/* plen 33 and host bits come out of the decoder. */
	hsr_pkt_writer_init(&w, buf, sizeof(buf), 2);
	u.plen = 33;
	hsr_pkt_put_update(&w, &u);
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, hsr_pkt_writer_finish(&w), p.now,
	    &p.out), -HSR_DROP_PLEN);
	hsr_pkt_writer_init(&w, buf, sizeof(buf), 2);
	u.plen = 4;
	u.prefix = 0x0C000000 | 1;
	hsr_pkt_put_update(&w, &u);
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, hsr_pkt_writer_finish(&w), p.now,
	    &p.out), -HSR_DROP_HOSTBITS);
	hsr_neigh_foreach(p.a, p.now, neigh0, &ni);
	cr_assert_eq(ni.drops[HSR_DROP_PLEN], 1);
	cr_assert_eq(ni.drops[HSR_DROP_HOSTBITS], 1);
	cr_assert_eq(hsr_route_lookup(p.a, (struct hsr_prefix){ 0x0C000000, 8 },
	    p.now, &ri), -1);
	pair_down(&p);

	/* With infinity 16, metric 17 is impossible. */
	c.prefixes = &pa;
	c.n_prefixes = 1;
	p.a = hsr_router_create(&c, 0, err, sizeof(err));
	hsr_actions_init(&p.out);
	hsr_link_add(p.a, 1, 1, 0, &p.out);
	hsr_pkt_writer_init(&w, buf, sizeof(buf), 2);
	u.prefix = 0x0C000000;
	u.plen = 8;
	u.metric = 17;
	hsr_pkt_put_update(&w, &u);
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, hsr_pkt_writer_finish(&w), 0,
	    &p.out), -HSR_DROP_METRIC);
	/* A well-formed update from a neighbour never heard: refused. */
	hsr_pkt_writer_init(&w, buf, sizeof(buf), 2);
	u.metric = 3;
	hsr_pkt_put_update(&w, &u);
	cr_assert_eq(hsr_packet_in(p.a, 1, buf, hsr_pkt_writer_finish(&w), 0,
	    &p.out), -HSR_DROP_NOT_TWO_WAY);
	hsr_router_destroy(p.a);
	hsr_actions_free(&p.out);
}

Test(hsroute_router, own_prefix_add_del)
{
	struct pair p;
	struct hsr_route_info ri;
	struct hsr_prefix pc = { 0x0A000300, 24 };

	pair_up(&p);
	hsr_actions_reset(&p.out);
	cr_assert_eq(hsr_prefix_add(p.b, pc, p.now, &p.out), 0);
	pump(&p, p.b, &p.out, 0);
	tick(&p, p.now + 50);	/* triggered updates leave after 20 ms */
	cr_assert_eq(hsr_route_lookup(p.a, pc, p.now, &ri), 0);
	cr_assert_eq(ri.nexthop_id, 2);
	/* a claims it too: its own prefix is never installed. */
	hsr_actions_reset(&p.out);
	p.removes_a = 0;
	cr_assert_eq(hsr_prefix_add(p.a, pc, p.now, &p.out), 0);
	pump(&p, p.a, &p.out, 0);
	cr_assert_eq(p.removes_a, 1);
	cr_assert_eq(hsr_route_lookup(p.a, pc, p.now, &ri), 0);
	cr_assert(ri.own && !ri.installed);
	cr_assert_eq(hsr_prefix_del(p.a, pc, p.now, &p.out), 0);
	hsr_actions_reset(&p.out);
	cr_assert_eq(hsr_prefix_del(p.b, pc, p.now, &p.out), 0);
	pump(&p, p.b, &p.out, 0);
	for (uint64_t t0 = p.now, t = t0 + 100; t < t0 + 1000; t += 100)
		tick(&p, t);
	cr_assert_eq(hsr_route_lookup(p.a, pc, p.now, &ri), -1);
	cr_assert_lt(hsr_prefix_del(p.b, pc, p.now, &p.out), 0);
	cr_assert_lt(hsr_prefix_add(p.b, (struct hsr_prefix){ 1, 8 }, p.now,
	    &p.out), 0);
	pair_down(&p);
}

Test(hsroute_router, link_del_removes_routes)
{
	struct pair p;
	struct hsr_route_info ri;

	pair_up(&p);
	hsr_actions_reset(&p.out);
	p.removes_a = 0;
	cr_assert_eq(hsr_link_del(p.a, 1, p.now, &p.out), 0);
	pump(&p, p.a, &p.out, 0);
	cr_assert_eq(p.removes_a, 1);
	cr_assert_eq(hsr_route_lookup(p.a, (struct hsr_prefix)PB, p.now, &ri), -1);
	cr_assert_lt(hsr_link_del(p.a, 1, p.now, &p.out), 0);
	cr_assert_lt(hsr_link_add(p.a, 2, 0, p.now, &p.out), 0, "cost 0");
	pair_down(&p);
}
