/*
 * source.c - feasibility distances and sequence number arithmetic.
 *
 * For every (prefix, originator) we remember the smallest metric we ever
 * advertised with the newest seqno (RFC 8966 3.5.1).  An update is only
 * acceptable if it could not come from a router that routes through us,
 * i.e. newer seqno, or same seqno and a metric strictly below that.
 */
#include <stdlib.h>

#include "hsr_int.h"

/* -1, 0, 1 as a < b, a == b, a > b, modulo 2^16 (RFC 8966 3.2.1). */
int
hsr_seqno_cmp(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(b - a);

	if (d == 0)
		return 0;
	return d < 0x8000 ? -1 : 1;
}

struct hsr_source *
hsr_source_find(const struct hsr_pfx *p, uint32_t id)
{
	for (uint16_t i = 0; i < p->nsrc; i++)
		if (p->src[i].id == id)
			return &p->src[i];
	return NULL;
}

/* Records that we advertise (seqno, metric) for originator id. */
int
hsr_source_note(struct hsr_pfx *p, uint32_t id, uint16_t seqno, uint16_t metric,
    uint64_t now)
{
	struct hsr_source *s = hsr_source_find(p, id);

	if (s == NULL) {
		if (p->nsrc == p->csrc) {
			uint16_t ncap = p->csrc ? (uint16_t)(p->csrc * 2) : 1;
			struct hsr_source *n;

			if (ncap <= p->csrc)
				return -1;
			n = realloc(p->src, ncap * sizeof(*n));
			if (n == NULL)
				return -1;
			p->src = n;
			p->csrc = ncap;
		}
		s = &p->src[p->nsrc++];
		s->id = id;
		s->seqno = seqno;
		s->metric = metric;
	} else if (hsr_seqno_cmp(seqno, s->seqno) > 0) {
		s->seqno = seqno;
		s->metric = metric;
	} else if (seqno == s->seqno && metric < s->metric) {
		s->metric = metric;
	}
	s->used = now;
	return 0;
}

/*
 * Forgetting a distance re-opens the door to loops through stale routes,
 * so sources live long after their last use (babeld uses 200 s).
 */
void
hsr_source_gc(struct hsr_pfx *p, uint64_t now, uint64_t gc_ms)
{
	uint16_t i = 0;

	while (i < p->nsrc) {
		if (now - p->src[i].used > gc_ms && now > p->src[i].used)
			p->src[i] = p->src[--p->nsrc];
		else
			i++;
	}
}

void
hsr_source_free(struct hsr_pfx *p)
{
	free(p->src);
	p->src = NULL;
	p->nsrc = p->csrc = 0;
}
