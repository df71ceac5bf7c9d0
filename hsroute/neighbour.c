/*
 * neighbour.c - links, hellos and two-way liveness.
 *
 * Every link carries one neighbour (one WireGuard interface per peer in
 * hsd), so there is no neighbour discovery: the first hello names the
 * peer and the name is pinned until the link is deleted.  A link is up
 * once we hear hellos and the peer's IHU names us (two-way), and goes
 * down after dead_ms of silence; WireGuard itself never tells us.
 */
#include <string.h>

#include "hsr_int.h"

uint32_t
hsr_link_find(const struct hsr_router *r, uint32_t id)
{
	for (uint32_t i = 0; i < r->nlinks; i++)
		if (r->links[i].used && r->links[i].id == id)
			return i;
	return HSR_NOSLOT;
}

static bool
heard_within(uint64_t t, uint64_t now, uint64_t win)
{
	return t != HSR_NEVER && now >= t && now - t < win;
}

void
hsr_neigh_hello_rx(struct hsr_router *r, uint32_t slot, uint32_t sender,
    const struct rp_hello *h, uint64_t now)
{
	struct hsr_link *l = &r->links[slot];
	bool was_alive = heard_within(l->last_hello, now, r->cfg.dead_ms);

	if (l->peer_id == 0)
		l->peer_id = sender;
	/*
	 * A gap in the hello seqnos means packets were lost, probably
	 * updates too (a link down for less than dead_ms looks like this).
	 * Ask for the full table rather than wait for the periodic one.
	 */
	if (was_alive && h->seqno != (uint16_t)(l->peer_hello_seqno + 1))
		l->want_dump = true;
	l->peer_hello_seqno = h->seqno;
	l->last_hello = now;
	l->peer_interval = h->interval_ms;
	/* Answer a new neighbour at once so two-way forms in one RTT. */
	if (!was_alive)
		l->next_hello = now;
}

void
hsr_neigh_ihu_rx(struct hsr_router *r, uint32_t slot, const struct rp_ihu *ihu,
    uint64_t now)
{
	if (ihu->router_id == r->id)
		r->links[slot].last_ihu = now;
}

/*
 * Recomputes liveness.  Routes are accepted from a neighbour we hear but
 * only selected once it is two-way: the first dump each side sends
 * usually arrives before the other side has seen our IHU.
 */
void
hsr_neigh_check(struct hsr_router *r, uint32_t slot, uint64_t now,
    struct hsr_actions *out)
{
	struct hsr_link *l = &r->links[slot];
	bool alive = l->peer_id != 0 &&
	    heard_within(l->last_hello, now, r->cfg.dead_ms);
	bool up = alive && heard_within(l->last_ihu, now, r->cfg.dead_ms);
	bool was_alive = l->alive, was_up = l->up;

	if (alive == was_alive && up == was_up)
		return;
	l->alive = alive;
	l->up = up;
	if (!up)
		l->last_ihu = HSR_NEVER;
	if (up && !was_up) {
		/* Full table to the new neighbour; it does the same. */
		hsr_update_send(r, slot, NULL, 0, now, out);
		l->next_hello = now;
		/* Ask for its table too, always: a neighbour that never saw
		 * us go (we restarted within dead_ms: hsd's route engine is
		 * back in 100 ms) will not dump again by itself, and any
		 * updates it sent before two-way were thrown away. */
		l->want_dump = true;
	}
	if (was_alive && !alive)
		hsr_route_link_changed(r, slot, true, now, out);
	else if (up != was_up)
		hsr_route_link_changed(r, slot, false, now, out);
}

static void
hello_send(struct hsr_router *r, uint32_t slot, uint64_t now,
    struct hsr_actions *out)
{
	struct hsr_link *l = &r->links[slot];
	struct rp_writer w;
	struct rp_hello h;
	size_t n;

	hsr_pkt_writer_init(&w, r->pkt, r->cfg.max_packet, r->id);
	h.seqno = l->hello_seqno++;
	h.interval_ms = (uint16_t)r->cfg.hello_ms;
	hsr_pkt_put_hello(&w, &h);
	if (l->peer_id != 0 && heard_within(l->last_hello, now, r->cfg.dead_ms)) {
		struct rp_ihu ihu = {
			.router_id = l->peer_id,
			.rxcost = l->cost,
			.interval_ms = (uint16_t)r->cfg.hello_ms,
		};

		hsr_pkt_put_ihu(&w, &ihu);
	}
	n = hsr_pkt_writer_finish(&w);
	hsr_emit_send(r, out, slot, r->pkt, n);
}

/* Sends the hellos that are due; jitter keeps neighbours out of step. */
void
hsr_neigh_hellos(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	for (uint32_t i = 0; i < r->nlinks; i++) {
		struct hsr_link *l = &r->links[i];

		if (l->used && l->want_dump) {
			struct rp_routereq q = { .flags = RP_ROUTEREQ_F_ALL };
			struct rp_writer w;

			l->want_dump = false;
			if (l->up) {
				hsr_pkt_writer_init(&w, r->pkt, r->cfg.max_packet, r->id);
				hsr_pkt_put_routereq(&w, &q);
				hsr_emit_send(r, out, i, r->pkt,
				    hsr_pkt_writer_finish(&w));
			}
		}
		if (!l->used || now < l->next_hello)
			continue;
		hello_send(r, i, now, out);
		l->next_hello = now + hsr_jitter(r, r->cfg.hello_ms);
	}
}

/* Earliest future hello or death; past deadlines were already handled. */
uint64_t
hsr_neigh_wakeup(const struct hsr_router *r, uint64_t now)
{
	uint64_t w = HSR_NEVER;

	for (uint32_t i = 0; i < r->nlinks; i++) {
		const struct hsr_link *l = &r->links[i];

		if (!l->used)
			continue;
		if (l->next_hello < w)
			w = l->next_hello;
		if (l->last_hello != HSR_NEVER &&
		    l->last_hello + r->cfg.dead_ms > now &&
		    l->last_hello + r->cfg.dead_ms < w)
			w = l->last_hello + r->cfg.dead_ms;
		if (l->up && l->last_ihu != HSR_NEVER &&
		    l->last_ihu + r->cfg.dead_ms > now &&
		    l->last_ihu + r->cfg.dead_ms < w)
			w = l->last_ihu + r->cfg.dead_ms;
	}
	return w;
}
