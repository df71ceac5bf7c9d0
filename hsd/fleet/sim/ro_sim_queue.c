/*
 * ro_sim_queue.c - binary min-heap of simulator events, by time and then
 * by insertion order, so equal times run first-in first-out.
 */
#include <stdlib.h>

#include "ro_sim_int.h"

static bool ev_less(const struct rs_ev *a, const struct rs_ev *b)
{
	return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

int rs_queue_push(struct rs_queue *q, struct rs_ev *e)
{
	size_t i;

	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 256;
		struct rs_ev *nv = realloc(q->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		q->v = nv;
		q->cap = ncap;
	}
	e->seq = q->seq++;
	for (i = q->n++; i > 0; ) {
		size_t p = (i - 1) / 2;
		if (!ev_less(e, &q->v[p]))
			break;
		q->v[i] = q->v[p];
		i = p;
	}
	q->v[i] = *e;
	return 0;
}

int rs_queue_pop(struct rs_queue *q, struct rs_ev *out)
{
	struct rs_ev last;
	size_t i = 0;

	if (!q->n)
		return -1;
	*out = q->v[0];
	last = q->v[--q->n];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && ev_less(&q->v[c + 1], &q->v[c]))
			c++;
		if (!ev_less(&q->v[c], &last))
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->n)
		q->v[i] = last;
	return 0;
}

void rs_queue_free(struct rs_queue *q)
{
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}
