/*
 * request.c - seqno requests (RFC 8966 3.8.1.2), Babel's cure for
 * starvation.
 *
 * A router whose only routes are unfeasible asks the originator for a
 * newer seqno; routers on the way answer if they already have one, and
 * otherwise forward the request towards the originator.  One request per
 * prefix is tracked: it suppresses duplicates and drives resends.
 */
#include <stdlib.h>

#include "hsr_int.h"

static void
reqlist_add(struct hsr_router *r, uint32_t ps)
{
	if (r->pfx[ps].in_reqlist)
		return;
	if (r->nreq == r->creq) {
		uint32_t ncap = r->creq ? r->creq * 2 : 16;
		uint32_t *n = realloc(r->reqlist, ncap * sizeof(*n));

		if (n == NULL)
			return;
		r->reqlist = n;
		r->creq = ncap;
	}
	r->reqlist[r->nreq++] = ps;
	r->pfx[ps].in_reqlist = true;
}

static void
seqreq_send(struct hsr_router *r, uint32_t link_slot, const struct hsr_pfx *p,
    uint8_t hops, struct hsr_actions *out)
{
	struct rp_seqreq q = {
		.prefix = p->addr,
		.plen = p->len,
		.hop_count = hops,
		.seqno = p->req_seqno,
		.router_id = p->req_src,
	};

	for (uint32_t i = 0; i < r->nlinks; i++) {
		struct rp_writer w;

		if (!r->links[i].used || !r->links[i].up)
			continue;
		if (link_slot != HSR_ALL_LINKS && link_slot != i)
			continue;
		hsr_pkt_writer_init(&w, r->pkt, r->cfg.max_packet, r->id);
		hsr_pkt_put_seqreq(&w, &q);
		hsr_emit_send(r, out, i, r->pkt, hsr_pkt_writer_finish(&w));
	}
}

/* True if an equivalent request went out less than request_ms ago. */
static bool
request_dup(const struct hsr_router *r, const struct hsr_pfx *p, uint32_t src,
    uint16_t seqno, uint64_t now)
{
	return p->req_pending && p->req_src == src &&
	    hsr_seqno_cmp(p->req_seqno, seqno) >= 0 &&
	    now - p->req_sent < r->cfg.request_ms;
}

void
hsr_request_start(struct hsr_router *r, uint32_t ps, uint32_t src, uint16_t seqno,
    uint32_t link_slot, uint64_t now, struct hsr_actions *out)
{
	struct hsr_pfx *p = &r->pfx[ps];

	if (request_dup(r, p, src, seqno, now))
		return;
	p->req_pending = true;
	p->req_own = true;
	p->req_src = src;
	p->req_seqno = seqno;
	p->req_sent = now;
	p->req_tries = 1;
	seqreq_send(r, link_slot, p, HSR_REQ_HOPS, out);
	r->st.requests_sent++;
	reqlist_add(r, ps);
}

void
hsr_request_satisfied(struct hsr_router *r, uint32_t ps, uint32_t src,
    uint16_t seqno)
{
	struct hsr_pfx *p = &r->pfx[ps];

	if (p->req_pending && p->req_src == src &&
	    hsr_seqno_cmp(seqno, p->req_seqno) >= 0)
		p->req_pending = false;
}

/*
 * The neighbour to forward towards: our route, else the best other
 * advert.  Our route may point back at the requester when its
 * retraction was lost; a request from it is the sign, and sending the
 * request on by another neighbour (as babeld does) still reaches the
 * originator instead of starving both of us until the next full update.
 */
static uint32_t
forward_link(const struct hsr_router *r, const struct hsr_pfx *p,
    uint32_t from)
{
	uint32_t best = HSR_NOSLOT;
	uint16_t bm = r->cfg.infinity;

	if (p->has_sel && p->sel_link != from)
		return p->sel_link;
	for (uint16_t i = 0; i < p->nrt; i++) {
		uint16_t m = hsr_route_metric(r, &p->rt[i]);

		if (p->rt[i].link == from || m >= bm ||
		    !r->links[p->rt[i].link].up)
			continue;
		best = p->rt[i].link;
		bm = m;
	}
	return best;
}

void
hsr_request_rx(struct hsr_router *r, uint32_t slot, const struct rp_seqreq *q,
    uint64_t now, struct hsr_actions *out)
{
	uint32_t ps = hsr_pfx_find(r, q->prefix, q->plen), to;
	struct hsr_pfx *p;

	if (ps == HSR_NOSLOT)
		return;
	p = &r->pfx[ps];
	if (q->router_id == r->id) {
		if (!p->own)
			return;
		if (hsr_seqno_cmp(q->seqno, r->seqno) > 0) {
			/* Jump straight to the requested seqno, which also
			 * gets a restarted router past its old numbers. */
			r->seqno = q->seqno;
			for (uint32_t i = 0; i < r->npfx; i++)
				if (r->pfx[i].used && r->pfx[i].own)
					hsr_pfx_mark_dirty(r, i);
		} else {
			hsr_update_send(r, slot, &ps, 1, now, out);
		}
		return;
	}
	if (p->own || (p->has_sel && (p->sel_src != q->router_id ||
	    hsr_seqno_cmp(p->sel_seqno, q->seqno) >= 0))) {
		hsr_update_send(r, slot, &ps, 1, now, out);
		return;
	}
	if (!hsr_feasibility_on(r) || q->hop_count < 2)
		return;
	if ((to = forward_link(r, p, slot)) == HSR_NOSLOT)
		return;
	if (request_dup(r, p, q->router_id, q->seqno, now))
		return;
	p->req_pending = true;
	p->req_own = false;
	p->req_src = q->router_id;
	p->req_seqno = q->seqno;
	p->req_sent = now;
	p->req_tries = HSR_REQ_TRIES;
	seqreq_send(r, to, p, (uint8_t)(q->hop_count - 1), out);
	r->st.requests_fwd++;
	reqlist_add(r, ps);
}

/* Resends our own requests while still starving; expires the rest. */
void
hsr_request_timer(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	uint32_t i = 0;

	while (i < r->nreq) {
		struct hsr_pfx *p = &r->pfx[r->reqlist[i]];

		if (p->req_pending && now - p->req_sent >= r->cfg.request_ms) {
			if (p->req_own && !p->has_sel &&
			    p->req_tries < HSR_REQ_TRIES) {
				p->req_tries++;
				p->req_sent = now;
				seqreq_send(r, HSR_ALL_LINKS, p, HSR_REQ_HOPS, out);
				r->st.requests_sent++;
			} else {
				p->req_pending = false;
			}
		}
		if (!p->req_pending) {
			p->in_reqlist = false;
			r->reqlist[i] = r->reqlist[--r->nreq];
			continue;
		}
		i++;
	}
}

uint64_t
hsr_request_wakeup(const struct hsr_router *r)
{
	uint64_t w = HSR_NEVER;

	for (uint32_t i = 0; i < r->nreq; i++) {
		const struct hsr_pfx *p = &r->pfx[r->reqlist[i]];

		if (p->req_pending && p->req_sent + r->cfg.request_ms < w)
			w = p->req_sent + r->cfg.request_ms;
	}
	return w;
}
