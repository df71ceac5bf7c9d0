/*
 * router.c - router lifetime, event entry points and queries.
 *
 * Every entry point ends in hsr_router_run(), which handles whatever became
 * due (deaths, hellos, periodic updates, GC, request resends), sends the
 * triggered updates queued so far and computes the next wakeup.  So the
 * caller may call hsr_timer() early or late without harm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsr_int.h"

_Static_assert((int)RP_E__MAX == (int)HSR_DROP_UNKNOWN_LINK,
    "decode reasons must map 1:1 onto drop reasons");

/* splitmix64: tiny, seedable, good enough for jitter. */
uint64_t
hsr_rand(struct hsr_router *r)
{
	uint64_t z = (r->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* base minus up to 1/8: intervals never exceed what we announce. */
uint64_t
hsr_jitter(struct hsr_router *r, uint64_t base)
{
	uint64_t span = base / 8;

	return base - (span ? hsr_rand(r) % span : 0);
}

int
hsr_emit_send(struct hsr_router *r, struct hsr_actions *out,
    uint32_t link_slot, const uint8_t *buf, size_t len)
{
	struct hsr_link *l = &r->links[link_slot];
	struct hsr_action a = {
		.type = HSR_ACT_SEND,
		.link_id = l->id,
	};

	l->pkts_out++;
	l->bytes_out += len;
	r->st.pkts_out++;
	r->st.bytes_out += len;
	return hsr_actions_push(out, &a, buf, len);
}

int
hsr_emit_route(struct hsr_actions *out, enum hsr_action_type type,
    const struct hsr_pfx *p, uint32_t link_id, uint32_t nh, uint16_t metric)
{
	struct hsr_action a = {
		.type = type,
		.link_id = link_id,
		.prefix = { .addr = p->addr, .len = p->len },
		.nexthop_id = nh,
		.metric = metric,
	};

	return hsr_actions_push(out, &a, NULL, 0);
}

static void
seterr(char *err, size_t len, const char *msg)
{
	if (err != NULL && len > 0)
		snprintf(err, len, "%s", msg);
}

static bool
prefix_ok(struct hsr_prefix p)
{
	enum rp_err e;

	return hsr_pkt_prefix_valid(p.addr, p.len, &e);
}

static int
own_add(struct hsr_router *r, struct hsr_prefix pf, uint64_t now,
    struct hsr_actions *out)
{
	uint32_t s = hsr_pfx_get(r, pf.addr, pf.len);
	struct hsr_pfx *p;

	if (s == HSR_NOSLOT)
		return -1;
	p = &r->pfx[s];
	if (p->own)
		return 0;
	/* Never route our own prefix elsewhere. */
	if (p->inst && out != NULL) {
		hsr_emit_route(out, HSR_ACT_ROUTE_REMOVE, p, p->inst_link_id, 0,
		    r->cfg.infinity);
		r->st.n_installed--;
	}
	p->inst = false;
	p->has_sel = false;
	p->sel_link = HSR_NOSLOT;
	p->own = true;
	(void)now;
	hsr_pfx_mark_dirty(r, s);
	return 0;
}

struct hsr_router *
hsr_router_create(const struct hsr_config *cfg, uint64_t now, char *err,
    size_t errlen)
{
	struct hsr_router *r;

	if (cfg == NULL || cfg->router_id == 0) {
		seterr(err, errlen, "router_id must be non-zero");
		return NULL;
	}
	if (cfg->n_prefixes && cfg->prefixes == NULL) {
		seterr(err, errlen, "prefixes missing");
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_prefixes; i++) {
		if (!prefix_ok(cfg->prefixes[i])) {
			seterr(err, errlen, "bad own prefix (length or host bits)");
			return NULL;
		}
	}
	if (!hsr_origin_table_valid(cfg->overlay, cfg->origins, cfg->n_origins)) {
		seterr(err, errlen, "bad overlay or origin table entry");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	r->cfg.prefixes = NULL;
	r->cfg.n_prefixes = 0;
	r->cfg.origins = NULL;	/* the router's copy is r->origins */
	r->cfg.n_origins = 0;
#define DEF(f, v) do { if (r->cfg.f == 0) r->cfg.f = (v); } while (0)
	DEF(hello_ms, 1000);
	DEF(dead_ms, 2600);
	DEF(update_ms, 16000);
	DEF(request_ms, 500);
	DEF(trigger_ms, 20);
	DEF(source_gc_ms, 180000);
	DEF(infinity, HSR_INFINITY_DEFAULT);
	DEF(max_packet, 1400);
#undef DEF
	if (r->cfg.hello_ms > 0xFFFF)
		r->cfg.hello_ms = 0xFFFF;
	if (r->cfg.max_packet < 64)
		r->cfg.max_packet = 64;
	if (r->cfg.max_packet > RP_MAX_LEN)
		r->cfg.max_packet = RP_MAX_LEN;
	r->id = cfg->router_id;
	r->seqno = cfg->initial_seqno;
	r->rng = cfg->seed ^ ((uint64_t)cfg->router_id << 32 | cfg->router_id);
	r->pkt = malloc(r->cfg.max_packet);
	if (r->pkt == NULL || hsr_route_init(r) < 0 ||
	    hsr_origin_table_set(r, cfg->overlay, cfg->origins, cfg->n_origins) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_prefixes; i++)
		if (own_add(r, cfg->prefixes[i], now, NULL) < 0)
			goto fail;
	/* Spread the first periodic update so routers started together
	 * do not stay in lockstep. */
	r->next_update = now + r->cfg.update_ms / 2 +
	    hsr_rand(r) % (r->cfg.update_ms / 2 + 1);
	r->next_gc = now + r->cfg.hello_ms;
	r->flush_at = HSR_NEVER;
	r->repeat_at = HSR_NEVER;
	return r;
fail:
	seterr(err, errlen, "out of memory");
	hsr_router_destroy(r);
	return NULL;
}

void
hsr_router_destroy(struct hsr_router *r)
{
	if (r == NULL)
		return;
	hsr_route_free_all(r);
	hsr_origin_table_free(r);
	free(r->links);
	free(r->dirty);
	free(r->reqlist);
	free(r->pkt);
	free(r);
}

void
hsr_router_run(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	uint64_t w;

	for (uint32_t i = 0; i < r->nlinks; i++)
		if (r->links[i].used)
			hsr_neigh_check(r, i, now, out);
	hsr_neigh_hellos(r, now, out);
	if (now >= r->next_gc) {
		hsr_route_gc(r, now, out);
		r->next_gc = now + r->cfg.hello_ms;
	}
	hsr_request_timer(r, now, out);
	/*
	 * Triggered updates wait trigger_ms so that the changes caused by a
	 * burst of packets leave in one update instead of one each.
	 */
	if (r->ndirty > 0 && r->flush_at == HSR_NEVER)
		r->flush_at = now + r->cfg.trigger_ms;
	if (now >= r->flush_at) {
		hsr_update_flush(r, now, out);
		r->flush_at = HSR_NEVER;
	}
	if (now >= r->repeat_at)
		hsr_update_repeat(r, now, out);
	if (now >= r->next_update) {
		hsr_update_send(r, HSR_ALL_LINKS, NULL, 0, now, out);
		r->next_update = now + hsr_jitter(r, r->cfg.update_ms);
	}

	w = hsr_neigh_wakeup(r, now);
	if (r->next_update < w)
		w = r->next_update;
	if (r->next_gc < w)
		w = r->next_gc;
	if (r->flush_at < w)
		w = r->flush_at;
	if (r->repeat_at < w)
		w = r->repeat_at;
	if (hsr_request_wakeup(r) < w)
		w = hsr_request_wakeup(r);
	out->wakeup_ms = w;
}

int
hsr_timer(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	if (r == NULL || out == NULL)
		return -1;
	hsr_router_run(r, now, out);
	return 0;
}

int
hsr_link_add(struct hsr_router *r, uint32_t link_id, uint16_t cost,
    uint64_t now, struct hsr_actions *out)
{
	struct hsr_link *l;
	uint32_t slot;

	if (r == NULL || out == NULL || cost == 0 || hsr_link_find(r, link_id) !=
	    HSR_NOSLOT)
		return -1;
	for (slot = 0; slot < r->nlinks; slot++)
		if (!r->links[slot].used)
			break;
	if (slot == r->nlinks) {
		if (r->nlinks == r->clinks) {
			uint32_t ncap = r->clinks ? r->clinks * 2 : 8;
			struct hsr_link *n = realloc(r->links, ncap * sizeof(*n));

			if (n == NULL)
				return -1;
			r->links = n;
			r->clinks = ncap;
		}
		r->nlinks++;
	}
	l = &r->links[slot];
	memset(l, 0, sizeof(*l));
	l->used = true;
	l->id = link_id;
	l->cost = cost;
	l->last_hello = HSR_NEVER;
	l->last_ihu = HSR_NEVER;
	l->next_hello = now;
	r->st.n_links++;
	hsr_router_run(r, now, out);
	return 0;
}

int
hsr_link_del(struct hsr_router *r, uint32_t link_id, uint64_t now,
    struct hsr_actions *out)
{
	uint32_t slot;

	if (r == NULL || out == NULL ||
	    (slot = hsr_link_find(r, link_id)) == HSR_NOSLOT)
		return -1;
	r->links[slot].up = false;
	r->links[slot].alive = false;
	hsr_route_link_changed(r, slot, true, now, out);
	r->links[slot].used = false;
	r->st.n_links--;
	hsr_router_run(r, now, out);
	return 0;
}

static int
drop(struct hsr_router *r, struct hsr_link *l, enum hsr_drop why)
{
	r->st.drops[why]++;
	if (l != NULL)
		l->drops[why]++;
	return -(int)why;
}

int
hsr_packet_in(struct hsr_router *r, uint32_t link_id, const uint8_t *buf,
    size_t len, uint64_t now, struct hsr_actions *out)
{
	struct rp_header hdr;
	struct rp_iter it;
	struct rp_tlv t;
	struct hsr_link *l;
	enum rp_err e;
	uint32_t slot;
	bool refused = false;
	int rc = 0;

	if (r == NULL || out == NULL)
		return -1;
	r->st.pkts_in++;
	r->st.bytes_in += len;
	if ((slot = hsr_link_find(r, link_id)) == HSR_NOSLOT) {
		rc = drop(r, NULL, HSR_DROP_UNKNOWN_LINK);
		goto done;
	}
	l = &r->links[slot];
	l->pkts_in++;
	l->bytes_in += len;
	/* rp_err values 1..14 are hsr_drop values 1..14. */
	if (hsr_pkt_parse(buf, len, r->cfg.infinity, &hdr, &it, &e) < 0) {
		rc = drop(r, l, (enum hsr_drop)e);
		goto done;
	}
	if (hdr.sender == r->id) {
		rc = drop(r, l, HSR_DROP_OWN_ID);
		goto done;
	}
	if (l->peer_id != 0 && hdr.sender != l->peer_id) {
		rc = drop(r, l, HSR_DROP_WRONG_ID);
		goto done;
	}
	while (hsr_pkt_next(&it, &t, &e) == 1) {
		switch (t.type) {
		case RP_T_HELLO:
			hsr_neigh_hello_rx(r, slot, hdr.sender, &t.u.hello, now);
			hsr_neigh_check(r, slot, now, out);
			continue;
		case RP_T_IHU:
			if (l->peer_id != 0) {
				hsr_neigh_ihu_rx(r, slot, &t.u.ihu, now);
				hsr_neigh_check(r, slot, now, out);
			}
			continue;
		case RP_T_UPDATE:
		case RP_T_SEQREQ:
		case RP_T_ROUTEREQ:
			break;
		default:
			continue;
		}
		if (!l->alive) {
			refused = true;
			continue;
		}
		if (t.type == RP_T_UPDATE)
			hsr_update_rx(r, slot, &t.u.update, now, out);
		else if (t.type == RP_T_SEQREQ)
			hsr_request_rx(r, slot, &t.u.seqreq, now, out);
		else
			hsr_update_routereq_rx(r, slot, &t.u.routereq, now, out);
	}
	if (refused) /* asked for again once two-way (neigh_check) */
		rc = drop(r, l, HSR_DROP_NOT_TWO_WAY);
done:
	hsr_router_run(r, now, out);
	return rc;
}

int
hsr_prefix_add(struct hsr_router *r, struct hsr_prefix pf, uint64_t now,
    struct hsr_actions *out)
{
	if (r == NULL || out == NULL || !prefix_ok(pf))
		return -1;
	if (own_add(r, pf, now, out) < 0)
		return -1;
	hsr_router_run(r, now, out);
	return 0;
}

int
hsr_prefix_del(struct hsr_router *r, struct hsr_prefix pf, uint64_t now,
    struct hsr_actions *out)
{
	uint32_t s;
	struct hsr_pfx *p;

	if (r == NULL || out == NULL ||
	    (s = hsr_pfx_find(r, pf.addr, pf.len)) == HSR_NOSLOT ||
	    !r->pfx[s].own)
		return -1;
	p = &r->pfx[s];
	/* Retract under our own name, then let others' routes compete. */
	p->own = false;
	p->sel_src = r->id;
	p->sel_seqno = r->seqno;
	p->retract_until = now + 2 * (uint64_t)r->cfg.update_ms;
	hsr_pfx_mark_dirty(r, s);
	hsr_route_select(r, s, now, out);
	hsr_router_run(r, now, out);
	return 0;
}

static void
fill_info(const struct hsr_router *r, const struct hsr_pfx *p,
    const struct hsr_route *rt, uint64_t now, struct hsr_route_info *ri)
{
	const struct hsr_link *l;

	memset(ri, 0, sizeof(*ri));
	ri->prefix.addr = p->addr;
	ri->prefix.len = p->len;
	if (rt == NULL) {
		ri->own = true;
		ri->selected = true;
		ri->feasible = true;
		ri->seqno = r->seqno;
		ri->source_id = r->id;
		return;
	}
	l = &r->links[rt->link];
	ri->nexthop_id = l->peer_id;
	ri->link_id = l->id;
	ri->metric = hsr_route_metric(r, rt);
	ri->refmetric = rt->refmetric;
	ri->seqno = rt->seqno;
	ri->source_id = rt->src;
	ri->age_ms = now >= rt->updated ? now - rt->updated : 0;
	ri->selected = p->has_sel && p->sel_link == rt->link;
	ri->feasible = hsr_route_feasible(r, p, rt);
	ri->installed = ri->selected && p->inst;
}

int
hsr_route_foreach(const struct hsr_router *r, uint64_t now, hsr_route_cb cb,
    void *arg)
{
	struct hsr_route_info ri;
	int rc;

	for (uint32_t s = 0; s < r->npfx; s++) {
		const struct hsr_pfx *p = &r->pfx[s];

		if (!p->used)
			continue;
		if (p->own) {
			fill_info(r, p, NULL, now, &ri);
			if ((rc = cb(&ri, arg)) != 0)
				return rc;
			continue;
		}
		for (uint16_t i = 0; i < p->nrt; i++) {
			fill_info(r, p, &p->rt[i], now, &ri);
			if ((rc = cb(&ri, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

int
hsr_route_lookup(const struct hsr_router *r, struct hsr_prefix pf,
    uint64_t now, struct hsr_route_info *ri)
{
	uint32_t s = hsr_pfx_find(r, pf.addr, pf.len);
	const struct hsr_pfx *p;

	if (s == HSR_NOSLOT)
		return -1;
	p = &r->pfx[s];
	if (p->own) {
		fill_info(r, p, NULL, now, ri);
		return 0;
	}
	if (!p->has_sel)
		return -1;
	for (uint16_t i = 0; i < p->nrt; i++) {
		if (p->rt[i].link == p->sel_link) {
			fill_info(r, p, &p->rt[i], now, ri);
			return 0;
		}
	}
	return -1;
}

int
hsr_neigh_foreach(const struct hsr_router *r, uint64_t now, hsr_neigh_cb cb,
    void *arg)
{
	struct hsr_neigh_info ni;
	int rc;

	for (uint32_t i = 0; i < r->nlinks; i++) {
		const struct hsr_link *l = &r->links[i];

		if (!l->used)
			continue;
		memset(&ni, 0, sizeof(ni));
		ni.link_id = l->id;
		ni.router_id = l->peer_id;
		ni.cost = l->cost;
		ni.up = l->up;
		ni.hello_age_ms = l->last_hello == HSR_NEVER || now < l->last_hello ?
		    HSR_NEVER : now - l->last_hello;
		ni.pkts_in = l->pkts_in;
		ni.pkts_out = l->pkts_out;
		ni.bytes_in = l->bytes_in;
		ni.bytes_out = l->bytes_out;
		memcpy(ni.drops, l->drops, sizeof(ni.drops));
		if ((rc = cb(&ni, arg)) != 0)
			return rc;
	}
	return 0;
}

void
hsr_router_stats(const struct hsr_router *r, struct hsr_stats *st)
{
	*st = r->st;
	st->seqno = r->seqno;
	st->hello_ms = r->cfg.hello_ms;
	st->dead_ms = r->cfg.dead_ms;
	st->n_prefixes = r->hcount;
	st->n_routes = 0;
	for (uint32_t s = 0; s < r->npfx; s++)
		if (r->pfx[s].used)
			st->n_routes += r->pfx[s].nrt;
}

const char *
hsr_drop_name(enum hsr_drop d)
{
	switch (d) {
	case HSR_DROP_UNKNOWN_LINK:
		return "unknown-link";
	case HSR_DROP_WRONG_ID:
		return "wrong-router-id";
	case HSR_DROP_OWN_ID:
		return "own-router-id";
	case HSR_DROP_NOT_TWO_WAY:
		return "not-two-way";
	case HSR_DROP_OUTSIDE_OVERLAY:
		return "outside-overlay";
	case HSR_DROP_WRONG_ORIGIN:
		return "wrong-origin";
	default:
		if ((unsigned)d < RP_E__MAX)
			return hsr_pkt_err_str((enum rp_err)d);
		return "unknown";
	}
}
