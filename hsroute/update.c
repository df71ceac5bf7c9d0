/*
 * update.c - sending and receiving route updates.
 *
 * Updates go out per link because of split horizon with poisoned
 * reverse: the neighbour we route through is told "unreachable".  Any
 * finite metric we send lowers (or renews) our feasibility distance.
 */
#include <stdlib.h>

#include "hsr_int.h"

static uint16_t
interval_cs(const struct hsr_router *r)
{
	uint32_t cs = r->cfg.update_ms / 10;

	if (cs == 0)
		cs = 1;
	return cs > 0xFFFF ? 0xFFFF : (uint16_t)cs;
}

/* What to tell the neighbour on link slot about p; false if nothing. */
static bool
advert(const struct hsr_router *r, const struct hsr_pfx *p, uint32_t slot,
    uint64_t now, struct rp_update *u)
{
	u->prefix = p->addr;
	u->plen = p->len;
	u->flags = 0;
	u->interval_cs = interval_cs(r);
	if (p->own) {
		u->metric = 0;
		u->seqno = r->seqno;
		u->router_id = r->id;
		return true;
	}
	if (p->has_sel) {
		u->router_id = p->sel_src;
		u->seqno = p->sel_seqno;
		u->metric = p->sel_link == slot ? r->cfg.infinity : p->sel_metric;
		return true;
	}
	/* Lost routes are retracted for a while, then forgotten. */
	if (now < p->retract_until && p->sel_src != 0) {
		u->router_id = p->sel_src;
		u->seqno = p->sel_seqno;
		u->metric = r->cfg.infinity;
		return true;
	}
	return false;
}

static void
flush_pkt(struct hsr_router *r, struct rp_writer *w, uint32_t slot,
    struct hsr_actions *out)
{
	size_t n;

	if (hsr_pkt_writer_empty(w))
		return;
	n = hsr_pkt_writer_finish(w);
	hsr_emit_send(r, out, slot, r->pkt, n);
	hsr_pkt_writer_init(w, r->pkt, r->cfg.max_packet, r->id);
}

static void
send_link(struct hsr_router *r, uint32_t slot, const uint32_t *list,
    uint32_t n, uint64_t now, struct hsr_actions *out)
{
	struct rp_writer w;
	uint32_t cnt = list ? n : r->npfx;

	hsr_pkt_writer_init(&w, r->pkt, r->cfg.max_packet, r->id);
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t s = list ? list[i] : i;
		struct hsr_pfx *p = &r->pfx[s];
		struct rp_update u;

		if (!p->used || !advert(r, p, slot, now, &u))
			continue;
		if (!p->own && u.metric < r->cfg.infinity)
			hsr_source_note(p, u.router_id, u.seqno, u.metric, now);
		if (hsr_pkt_put_update(&w, &u) < 0) {
			flush_pkt(r, &w, slot, out);
			hsr_pkt_put_update(&w, &u);
		}
	}
	flush_pkt(r, &w, slot, out);
}

/*
 * Sends the listed prefixes (all when list is NULL) on one link, or on
 * every up link when link_slot is HSR_ALL_LINKS.
 */
void
hsr_update_send(struct hsr_router *r, uint32_t link_slot, const uint32_t *list,
    uint32_t n, uint64_t now, struct hsr_actions *out)
{
	for (uint32_t i = 0; i < r->nlinks; i++) {
		if (!r->links[i].used || !r->links[i].up)
			continue;
		if (link_slot != HSR_ALL_LINKS && link_slot != i)
			continue;
		send_link(r, i, list, n, now, out);
	}
}

/* Time between the resends of a triggered update. */
static uint64_t
repeat_ms(const struct hsr_router *r)
{
	return r->cfg.hello_ms / 2 > r->cfg.trigger_ms ?
	    r->cfg.hello_ms / 2 : r->cfg.trigger_ms;
}

/*
 * Triggered updates: everything whose selection changed in this call.
 * Each is sent HSR_REPEATS more times (update_repeat): a lost
 * retraction otherwise leaves the neighbour routing through us, and
 * answering none of our requests, until the next full update.
 */
void
hsr_update_flush(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	if (r->ndirty == 0)
		return;
	hsr_update_send(r, HSR_ALL_LINKS, r->dirty, r->ndirty, now, out);
	for (uint32_t i = 0; i < r->ndirty; i++) {
		r->pfx[r->dirty[i]].dirty = false;
		r->pfx[r->dirty[i]].repeats = HSR_REPEATS;
	}
	r->ndirty = 0;
	if (r->repeat_at == HSR_NEVER)
		r->repeat_at = now + repeat_ms(r);
}

/* The resends update_flush scheduled; what changed since was sent then. */
void
hsr_update_repeat(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	uint32_t *list, n = 0;

	r->repeat_at = HSR_NEVER;
	for (uint32_t i = 0; i < r->npfx; i++)
		n += r->pfx[i].used && r->pfx[i].repeats > 0;
	if (n == 0 || (list = calloc(n, sizeof(*list))) == NULL)
		return;	/* on no memory, the periodic update repairs it */
	n = 0;
	for (uint32_t i = 0; i < r->npfx; i++)
		if (r->pfx[i].used && r->pfx[i].repeats > 0) {
			list[n++] = i;
			if (--r->pfx[i].repeats > 0)
				r->repeat_at = now + repeat_ms(r);
		}
	hsr_update_send(r, HSR_ALL_LINKS, list, n, now, out);
	free(list);
}

void
hsr_update_rx(struct hsr_router *r, uint32_t slot, const struct rp_update *u,
    uint64_t now, struct hsr_actions *out)
{
	uint16_t inf = r->cfg.infinity;
	uint64_t hold = (uint64_t)u->interval_cs * 10 * 7 / 2;
	uint32_t ps;
	struct hsr_pfx *p;
	struct hsr_route *rt;
	bool was_inf;
	enum hsr_drop why;

	/* Our own prefixes coming back to us carry no information (and
	 * are never installed, whatever prefix they name). */
	if (u->router_id == r->id)
		return;
	/*
	 * Then, retractions included: a neighbour may relay only what the
	 * owner of a prefix originated (origin.c).  Counted per update,
	 * since the rest of the packet may be fine.
	 */
	if ((why = hsr_origin_check(r, u->router_id, u->prefix, u->plen)) !=
	    HSR_DROP_NONE) {
		r->st.drops[why]++;
		r->links[slot].drops[why]++;
		return;
	}
	ps = hsr_pfx_find(r, u->prefix, u->plen);
	if (ps != HSR_NOSLOT && r->pfx[ps].own)
		return;
	if (ps == HSR_NOSLOT) {
		if (u->metric >= inf)
			return;
		if ((ps = hsr_pfx_get(r, u->prefix, u->plen)) == HSR_NOSLOT)
			return;
	}
	p = &r->pfx[ps];
	if ((rt = hsr_route_find(p, slot)) == NULL) {
		if (u->metric >= inf)
			return;
		if ((rt = hsr_route_add(p, slot)) == NULL)
			return;
		rt->refmetric = inf;
	}
	was_inf = rt->refmetric >= inf;
	rt->src = u->router_id;
	rt->seqno = u->seqno;
	if (u->metric < inf) {
		rt->refmetric = u->metric;
		rt->expires = now + hold;
		rt->updated = now;
	} else if (!was_inf) {
		/* Repeated retractions must not keep the entry alive. */
		rt->refmetric = inf;
		rt->expires = now + hold;
		rt->updated = now;
	}

	if (u->metric < inf)
		hsr_request_satisfied(r, ps, u->router_id, u->seqno);
	hsr_route_select(r, ps, now, out);
}

void
hsr_update_routereq_rx(struct hsr_router *r, uint32_t slot,
    const struct rp_routereq *q, uint64_t now, struct hsr_actions *out)
{
	uint32_t ps;

	if (q->flags & RP_ROUTEREQ_F_ALL) {
		hsr_update_send(r, slot, NULL, 0, now, out);
		return;
	}
	if ((ps = hsr_pfx_find(r, q->prefix, q->plen)) != HSR_NOSLOT)
		hsr_update_send(r, slot, &ps, 1, now, out);
}
