/*
 * sim_queue.c - binary min-heap of simulator events, ordered by time and
 * then by insertion order, so equal-time events run first-in first-out.
 */
#include <stdlib.h>

#include "sim_int.h"

static bool
ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

int
hsr_sim_heap_push(struct sim_heap *h, struct sim_ev *e)
{
	size_t i;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 1024;
		struct sim_ev *nv = realloc(h->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		h->v = nv;
		h->cap = ncap;
	}
	e->seq = h->seq++;
	i = h->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ev_less(e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = *e;
	return 0;
}

const struct sim_ev *
hsr_sim_heap_peek(const struct sim_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

int
hsr_sim_heap_pop(struct sim_heap *h, struct sim_ev *out)
{
	struct sim_ev last;
	size_t i = 0;

	if (h->n == 0)
		return -1;
	*out = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && ev_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!ev_less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return 0;
}

void
hsr_sim_heap_free(struct sim_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].buf);
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
