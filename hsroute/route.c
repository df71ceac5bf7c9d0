/*
 * route.c - the prefix table, route entries, feasibility and selection.
 *
 * Each prefix keeps one entry per neighbour that advertised it.  The
 * selected route is the feasible entry with the lowest metric; ties go to
 * the lowest neighbour router-id, so two routers facing the same choice
 * tend to pick mirror-image paths (WireGuard drops asymmetric traffic).
 */
#include <stdlib.h>
#include <string.h>

#include "hsr_int.h"

static uint32_t
pfx_hash(uint32_t addr, uint8_t len)
{
	uint32_t h = addr * 0x9E3779B1u ^ ((uint32_t)len * 0x85EBCA77u);

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 13;
	return h;
}

int
hsr_route_init(struct hsr_router *r)
{
	r->hcap = 64;
	r->hash = calloc(r->hcap, sizeof(*r->hash));
	return r->hash ? 0 : -1;
}

uint32_t
hsr_pfx_find(const struct hsr_router *r, uint32_t addr, uint8_t len)
{
	uint32_t m = r->hcap - 1;

	for (uint32_t i = pfx_hash(addr, len) & m;; i = (i + 1) & m) {
		uint32_t v = r->hash[i];

		if (v == 0)
			return HSR_NOSLOT;
		if (r->pfx[v - 1].addr == addr && r->pfx[v - 1].len == len)
			return v - 1;
	}
}

static void
hash_insert(uint32_t *tab, uint32_t cap, const struct hsr_pfx *pfx,
    uint32_t slot)
{
	uint32_t m = cap - 1;
	uint32_t i = pfx_hash(pfx[slot].addr, pfx[slot].len) & m;

	while (tab[i] != 0)
		i = (i + 1) & m;
	tab[i] = slot + 1;
}

static int
hash_grow(struct hsr_router *r)
{
	uint32_t ncap = r->hcap * 2;
	uint32_t *n = calloc(ncap, sizeof(*n));

	if (n == NULL)
		return -1;
	for (uint32_t i = 0; i < r->hcap; i++)
		if (r->hash[i])
			hash_insert(n, ncap, r->pfx, r->hash[i] - 1);
	free(r->hash);
	r->hash = n;
	r->hcap = ncap;
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void
hash_remove(struct hsr_router *r, uint32_t slot)
{
	uint32_t m = r->hcap - 1;
	uint32_t i = pfx_hash(r->pfx[slot].addr, r->pfx[slot].len) & m;

	while (r->hash[i] != slot + 1)
		i = (i + 1) & m;
	for (;;) {
		uint32_t j = i, k;

		r->hash[i] = 0;
		for (;;) {
			j = (j + 1) & m;
			if (r->hash[j] == 0)
				return;
			k = pfx_hash(r->pfx[r->hash[j] - 1].addr,
			    r->pfx[r->hash[j] - 1].len) & m;
			/* Move j back to i unless its home lies in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		r->hash[i] = r->hash[j];
		i = j;
	}
}

/* Finds or creates the prefix; HSR_NOSLOT when out of memory. */
uint32_t
hsr_pfx_get(struct hsr_router *r, uint32_t addr, uint8_t len)
{
	uint32_t slot = hsr_pfx_find(r, addr, len);
	struct hsr_pfx *p;

	if (slot != HSR_NOSLOT)
		return slot;
	if ((r->hcount + 1) * 2 > r->hcap && hash_grow(r) < 0)
		return HSR_NOSLOT;
	if (r->nfree) {
		slot = r->pfx_free[--r->nfree];
	} else {
		if (r->npfx == r->cpfx) {
			uint32_t ncap = r->cpfx ? r->cpfx * 2 : 32;
			struct hsr_pfx *n = realloc(r->pfx, ncap * sizeof(*n));
			uint32_t *nf;

			if (n == NULL)
				return HSR_NOSLOT;
			r->pfx = n;
			nf = realloc(r->pfx_free, ncap * sizeof(*nf));
			if (nf == NULL)
				return HSR_NOSLOT;
			r->pfx_free = nf;
			r->cpfx = ncap;
		}
		slot = r->npfx++;
	}
	p = &r->pfx[slot];
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->addr = addr;
	p->len = len;
	p->sel_link = HSR_NOSLOT;
	hash_insert(r->hash, r->hcap, r->pfx, slot);
	r->hcount++;
	return slot;
}

static void
pfx_release(struct hsr_router *r, uint32_t slot)
{
	struct hsr_pfx *p = &r->pfx[slot];

	hash_remove(r, slot);
	r->hcount--;
	free(p->rt);
	hsr_source_free(p);
	memset(p, 0, sizeof(*p));
	r->pfx_free[r->nfree++] = slot;
}

void
hsr_pfx_mark_dirty(struct hsr_router *r, uint32_t slot)
{
	if (r->pfx[slot].dirty)
		return;
	if (r->ndirty == r->cdirty) {
		uint32_t ncap = r->cdirty ? r->cdirty * 2 : 64;
		uint32_t *n = realloc(r->dirty, ncap * sizeof(*n));

		if (n == NULL)
			return;	/* the periodic update repairs it */
		r->dirty = n;
		r->cdirty = ncap;
	}
	r->pfx[slot].dirty = true;
	r->dirty[r->ndirty++] = slot;
}

uint16_t
hsr_route_metric(const struct hsr_router *r, const struct hsr_route *rt)
{
	uint32_t m;

	if (rt->refmetric >= r->cfg.infinity)
		return r->cfg.infinity;
	m = (uint32_t)rt->refmetric + r->links[rt->link].cost;
	return m >= r->cfg.infinity ? r->cfg.infinity : (uint16_t)m;
}

/* RFC 8966 3.5.1; retractions are always feasible. */
bool
hsr_route_feasible(const struct hsr_router *r, const struct hsr_pfx *p,
    const struct hsr_route *rt)
{
	const struct hsr_source *s;
	int c;

	if (!hsr_feasibility_on(r) || rt->refmetric >= r->cfg.infinity)
		return true;
	if ((s = hsr_source_find(p, rt->src)) == NULL)
		return true;
	c = hsr_seqno_cmp(rt->seqno, s->seqno);
	return c > 0 || (c == 0 && rt->refmetric < s->metric);
}

struct hsr_route *
hsr_route_find(struct hsr_pfx *p, uint32_t link)
{
	for (uint16_t i = 0; i < p->nrt; i++)
		if (p->rt[i].link == link)
			return &p->rt[i];
	return NULL;
}

struct hsr_route *
hsr_route_add(struct hsr_pfx *p, uint32_t link)
{
	struct hsr_route *rt;

	if (p->nrt == p->crt) {
		uint16_t ncap = p->crt ? (uint16_t)(p->crt * 2) : 2;
		struct hsr_route *n;

		if (ncap <= p->crt)
			return NULL;
		if ((n = realloc(p->rt, ncap * sizeof(*n))) == NULL)
			return NULL;
		p->rt = n;
		p->crt = ncap;
	}
	rt = &p->rt[p->nrt++];
	memset(rt, 0, sizeof(*rt));
	rt->link = link;
	return rt;
}

void
hsr_route_del(struct hsr_pfx *p, uint16_t i)
{
	p->rt[i] = p->rt[--p->nrt];
}

/* True if a beats b: lower metric, then lower neighbour id, then link. */
static bool
route_better(const struct hsr_router *r, uint16_t ma, const struct hsr_route *a,
    uint16_t mb, const struct hsr_route *b)
{
	const struct hsr_link *la = &r->links[a->link], *lb = &r->links[b->link];

	if (ma != mb)
		return ma < mb;
	if (la->peer_id != lb->peer_id)
		return la->peer_id < lb->peer_id;
	return la->id < lb->id;
}

/*
 * Re-runs selection for one prefix and emits FIB actions.  Losing the
 * last route queues a retraction and, when feasibility is on, a seqno
 * request so the originator can give us a route we may accept.
 */
void
hsr_route_select(struct hsr_router *r, uint32_t slot, uint64_t now,
    struct hsr_actions *out)
{
	struct hsr_pfx *p = &r->pfx[slot];
	const struct hsr_route *best = NULL;
	uint16_t bm = r->cfg.infinity;
	bool had = p->has_sel;
	uint32_t old_link = p->sel_link, old_src = p->sel_src;
	uint16_t old_metric = p->sel_metric, old_seqno = p->sel_seqno;

	const struct hsr_route *unf = NULL;
	uint16_t um = r->cfg.infinity;

	if (p->own)
		return;
	for (uint16_t i = 0; i < p->nrt; i++) {
		const struct hsr_route *rt = &p->rt[i];
		uint16_t m = hsr_route_metric(r, rt);

		if (m >= r->cfg.infinity || !r->links[rt->link].up)
			continue;
		if (!hsr_route_feasible(r, p, rt)) {
			if (m < um) {
				unf = rt;
				um = m;
			}
			continue;
		}
		if (best == NULL || route_better(r, m, rt, bm, best)) {
			best = rt;
			bm = m;
		}
	}
	/*
	 * A better route we may not take: ask its originator for a new
	 * seqno, which will make it feasible.  Checked here and not only
	 * when the update arrives, because our own route may get worse
	 * long after the neighbour's update came in.
	 */
	if (unf != NULL && um < bm) {
		const struct hsr_source *s = hsr_source_find(p, unf->src);

		hsr_request_start(r, slot, unf->src,
		    (uint16_t)((s ? s->seqno : unf->seqno) + 1), unf->link, now,
		    out);
	}

	if (best != NULL) {
		const struct hsr_link *l = &r->links[best->link];

		p->has_sel = true;
		p->sel_link = best->link;
		p->sel_metric = bm;
		p->sel_src = best->src;
		p->sel_seqno = best->seqno;
		if (!had || old_link != p->sel_link || old_metric != bm ||
		    old_src != p->sel_src || old_seqno != p->sel_seqno)
			hsr_pfx_mark_dirty(r, slot);
		if (!p->inst) {
			hsr_emit_route(out, HSR_ACT_ROUTE_INSTALL, p, l->id,
			    l->peer_id, bm);
			p->inst = true;
			r->st.n_installed++;
		} else if (p->inst_link_id != l->id) {
			hsr_emit_route(out, HSR_ACT_ROUTE_REPLACE, p, l->id,
			    l->peer_id, bm);
		}
		p->inst_link_id = l->id;
		return;
	}

	p->has_sel = false;
	p->sel_link = HSR_NOSLOT;
	if (p->inst) {
		hsr_emit_route(out, HSR_ACT_ROUTE_REMOVE, p, p->inst_link_id, 0,
		    r->cfg.infinity);
		p->inst = false;
		r->st.n_installed--;
	}
	if (had) {
		p->retract_until = now + 2 * (uint64_t)r->cfg.update_ms;
		hsr_pfx_mark_dirty(r, slot);
		if (hsr_feasibility_on(r))
			hsr_request_start(r, slot, old_src, (uint16_t)(old_seqno + 1),
			    HSR_ALL_LINKS, now, out);
	}
}

/*
 * A link changed state: re-run selection where it matters, and with
 * flush (the neighbour went away) drop its routes too.
 */
void
hsr_route_link_changed(struct hsr_router *r, uint32_t link, bool flush,
    uint64_t now, struct hsr_actions *out)
{
	for (uint32_t s = 0; s < r->npfx; s++) {
		struct hsr_pfx *p = &r->pfx[s];
		bool hit = false;

		if (!p->used)
			continue;
		for (uint16_t i = 0; i < p->nrt; i++) {
			if (p->rt[i].link == link) {
				if (flush)
					hsr_route_del(p, i);
				hit = true;
				break;
			}
		}
		if (hit || p->sel_link == link)
			hsr_route_select(r, s, now, out);
	}
}

/*
 * Expires silent routes (first to unreachable, then away) and forgets
 * prefixes nobody mentions any more.
 */
void
hsr_route_gc(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	uint64_t hold = (uint64_t)r->cfg.update_ms * 7 / 2;

	for (uint32_t s = 0; s < r->npfx; s++) {
		struct hsr_pfx *p = &r->pfx[s];
		bool changed = false;
		uint16_t i = 0;

		if (!p->used)
			continue;
		while (i < p->nrt) {
			struct hsr_route *rt = &p->rt[i];

			if (now < rt->expires) {
				i++;
			} else if (rt->refmetric < r->cfg.infinity) {
				rt->refmetric = r->cfg.infinity;
				rt->expires = now + hold;
				changed = true;
				i++;
			} else {
				hsr_route_del(p, i);
				changed = true;
			}
		}
		if (changed)
			hsr_route_select(r, s, now, out);
		hsr_source_gc(p, now, r->cfg.source_gc_ms);
		if (!p->own && p->nrt == 0 && p->nsrc == 0 && !p->has_sel &&
		    !p->dirty && !p->in_reqlist && now >= p->retract_until)
			pfx_release(r, s);
	}
}

void
hsr_route_free_all(struct hsr_router *r)
{
	for (uint32_t s = 0; s < r->npfx; s++) {
		free(r->pfx[s].rt);
		free(r->pfx[s].src);
	}
	free(r->pfx);
	free(r->pfx_free);
	free(r->hash);
}
