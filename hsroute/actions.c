/*
 * actions.c - the output buffer of one router call.
 *
 * Packet bytes live in one growing arena and actions refer to them by
 * offset, so growing the arena never invalidates an action.
 */
#include <stdlib.h>
#include <string.h>

#include "hsr_int.h"

void
hsr_actions_init(struct hsr_actions *a)
{
	memset(a, 0, sizeof(*a));
	a->wakeup_ms = HSR_NEVER;
}

void
hsr_actions_reset(struct hsr_actions *a)
{
	a->n = 0;
	a->data_len = 0;
	a->oom = false;
	a->wakeup_ms = HSR_NEVER;
}

void
hsr_actions_free(struct hsr_actions *a)
{
	free(a->v);
	free(a->data);
	hsr_actions_init(a);
}

const uint8_t *
hsr_action_bytes(const struct hsr_actions *a, const struct hsr_action *act)
{
	if (act->type != HSR_ACT_SEND || act->off + act->len > a->data_len)
		return NULL;
	return a->data + act->off;
}

int
hsr_actions_push(struct hsr_actions *a, const struct hsr_action *act,
    const uint8_t *data, size_t len)
{
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		struct hsr_action *nv = realloc(a->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		a->v = nv;
		a->cap = ncap;
	}
	if (len > a->data_cap - a->data_len) {
		size_t ncap = a->data_cap ? a->data_cap : 4096;
		uint8_t *nd;

		while (ncap - a->data_len < len)
			ncap *= 2;
		if ((nd = realloc(a->data, ncap)) == NULL)
			goto oom;
		a->data = nd;
		a->data_cap = ncap;
	}
	a->v[a->n] = *act;
	a->v[a->n].off = a->data_len;
	a->v[a->n].len = len;
	if (len)
		memcpy(a->data + a->data_len, data, len);
	a->data_len += len;
	a->n++;
	return 0;
oom:
	a->oom = true;
	return -1;
}
