/*
 * origin.c - route origin validation: which originator may announce
 * which prefix.
 *
 * WireGuard tells us which neighbour sent an update, but not whether the
 * originator it names really owns the prefix: any neighbour could claim
 * another host's prefix (or a more-specific inside it, or something
 * outside the overlay) and attract its traffic.  The caller knows who
 * owns what (hsd: cluster.json), so it hands us the table and we drop
 * every update that does not match it, counting it on the link it came in
 * on.  The table is sorted once, so each check is a binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "hsr_int.h"

static int
origin_cmp(const void *a, const void *b)
{
	const struct hsr_origin *x = a, *y = b;

	if (x->router_id != y->router_id)
		return x->router_id < y->router_id ? -1 : 1;
	if (x->prefix.addr != y->prefix.addr)
		return x->prefix.addr < y->prefix.addr ? -1 : 1;
	return (int)x->prefix.len - (int)y->prefix.len;
}

static bool
prefix_valid(struct hsr_prefix p)
{
	enum rp_err e;

	return hsr_pkt_prefix_valid(p.addr, p.len, &e);
}

bool
hsr_origin_table_valid(struct hsr_prefix overlay, const struct hsr_origin *o,
    size_t n)
{
	if (!prefix_valid(overlay) || (n > 0 && o == NULL))
		return false;
	for (size_t i = 0; i < n; i++)
		if (o[i].router_id == 0 || !prefix_valid(o[i].prefix))
			return false;
	return true;
}

/* Installs a copy of the table; -1 (old table kept) when out of memory. */
int
hsr_origin_table_set(struct hsr_router *r, struct hsr_prefix overlay,
    const struct hsr_origin *o, size_t n)
{
	struct hsr_origin *copy = NULL;

	if (n > 0) {
		if ((copy = malloc(n * sizeof(*copy))) == NULL)
			return -1;
		memcpy(copy, o, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), origin_cmp);
	}
	free(r->origins);
	r->origins = copy;
	r->norigins = n;
	r->overlay = overlay;
	return 0;
}

void
hsr_origin_table_free(struct hsr_router *r)
{
	free(r->origins);
	r->origins = NULL;
	r->norigins = 0;
}

static bool
within(struct hsr_prefix outer, uint32_t addr, uint8_t len)
{
	uint32_t mask = outer.len ? ~0u << (32 - outer.len) : 0;

	return len >= outer.len && (addr & mask) == outer.addr;
}

/* HSR_DROP_NONE if originator src may announce addr/len. */
enum hsr_drop
hsr_origin_check(const struct hsr_router *r, uint32_t src, uint32_t addr,
    uint8_t len)
{
	struct hsr_origin key = { src, { addr, len } };

	if (!within(r->overlay, addr, len))
		return HSR_DROP_OUTSIDE_OVERLAY;
	/* Exact match only: a more-specific inside a listed prefix would
	 * win the kernel's longest-prefix match and steal part of it. */
	if (r->norigins > 0 && bsearch(&key, r->origins, r->norigins,
	    sizeof(key), origin_cmp) == NULL)
		return HSR_DROP_WRONG_ORIGIN;
	return HSR_DROP_NONE;
}

/* Drops the routes the current table no longer allows. */
static void
origin_purge(struct hsr_router *r, uint64_t now, struct hsr_actions *out)
{
	for (uint32_t s = 0; s < r->npfx; s++) {
		struct hsr_pfx *p = &r->pfx[s];
		bool changed = false;
		uint16_t i = 0;

		if (!p->used || p->own)
			continue;
		while (i < p->nrt) {
			if (hsr_origin_check(r, p->rt[i].src, p->addr, p->len) !=
			    HSR_DROP_NONE) {
				hsr_route_del(p, i);
				changed = true;
			} else {
				i++;
			}
		}
		if (changed)
			hsr_route_select(r, s, now, out);
	}
}

int
hsr_origin_set(struct hsr_router *r, struct hsr_prefix overlay,
    const struct hsr_origin *o, size_t n, uint64_t now,
    struct hsr_actions *out)
{
	if (r == NULL || out == NULL || !hsr_origin_table_valid(overlay, o, n) ||
	    hsr_origin_table_set(r, overlay, o, n) < 0)
		return -1;
	origin_purge(r, now, out);
	hsr_router_run(r, now, out);
	return 0;
}

uint64_t
hsr_hijacks(const uint64_t drops[HSR_DROP__MAX])
{
	return drops[HSR_DROP_OUTSIDE_OVERLAY] + drops[HSR_DROP_WRONG_ORIGIN];
}
