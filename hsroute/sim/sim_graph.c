/*
 * sim_graph.c - topology builders and shortest paths for the simulator.
 */
#include <stdlib.h>

#include "sim_int.h"

uint64_t
hsr_sim_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int
hsr_sim_graph_grid(struct hsr_sim *s, uint32_t w, uint32_t h, uint16_t cost,
    uint32_t lat)
{
	if ((uint64_t)w * h > s->n)
		return -1;
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t i = y * w + x;

			if (x + 1 < w && hsr_sim_add_link(s, i, i + 1, cost, lat, 0) < 0)
				return -1;
			if (y + 1 < h && hsr_sim_add_link(s, i, i + w, cost, lat, 0) < 0)
				return -1;
		}
	}
	return 0;
}

static bool
has_link(const struct hsr_sim *s, uint32_t a, uint32_t b)
{
	const struct sim_node *na = &s->nodes[a];

	for (uint32_t i = 0; i < na->nlinks; i++) {
		const struct sim_link *l = &s->links[na->links[i]];

		if ((l->a == a && l->b == b) || (l->a == b && l->b == a))
			return true;
	}
	return false;
}

int
hsr_sim_graph_random(struct hsr_sim *s, uint32_t extra, uint16_t cmin,
    uint16_t cmax, uint32_t lat_min, uint32_t lat_max, uint64_t seed)
{
	uint64_t rs = seed;
	uint32_t added = 0, tries = 0;

#define PICK(lo, hi) ((lo) + (uint32_t)(hsr_sim_rand(&rs) % ((uint64_t)(hi) - (lo) + 1)))
	/* A random tree keeps the graph connected... */
	for (uint32_t i = 1; i < s->n; i++) {
		uint32_t j = (uint32_t)(hsr_sim_rand(&rs) % i);

		if (hsr_sim_add_link(s, i, j, (uint16_t)PICK(cmin, cmax),
		    PICK(lat_min, lat_max), 0) < 0)
			return -1;
	}
	/* ...and the extra links give it alternatives. */
	while (added < extra && tries++ < extra * 20) {
		uint32_t a = (uint32_t)(hsr_sim_rand(&rs) % s->n);
		uint32_t b = (uint32_t)(hsr_sim_rand(&rs) % s->n);

		if (a == b || has_link(s, a, b))
			continue;
		if (hsr_sim_add_link(s, a, b, (uint16_t)PICK(cmin, cmax),
		    PICK(lat_min, lat_max), 0) < 0)
			return -1;
		added++;
	}
#undef PICK
	return 0;
}

/* Indexed binary heap on dist[] for Dijkstra. */
static void
hp_up(uint32_t *hp, uint32_t *pos, const uint32_t *d, uint32_t i)
{
	uint32_t v = hp[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (d[hp[p]] <= d[v])
			break;
		hp[i] = hp[p];
		pos[hp[i]] = i;
		i = p;
	}
	hp[i] = v;
	pos[v] = i;
}

static void
hp_down(uint32_t *hp, uint32_t *pos, const uint32_t *d, uint32_t n, uint32_t i)
{
	uint32_t v = hp[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && d[hp[c + 1]] < d[hp[c]])
			c++;
		if (d[hp[c]] >= d[v])
			break;
		hp[i] = hp[c];
		pos[hp[i]] = i;
		i = c;
	}
	hp[i] = v;
	pos[v] = i;
}

/* Distances from every node to dest over up links between up nodes. */
void
hsr_sim_dijkstra(struct hsr_sim *s, uint32_t dest, uint32_t *dist)
{
	uint32_t *hp = s->hp, *pos = s->hpos, n = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		dist[i] = UINT32_MAX;
		pos[i] = UINT32_MAX;
	}
	if (!s->nodes[dest].up)
		return;
	dist[dest] = 0;
	hp[n] = dest;
	pos[dest] = n++;
	while (n > 0) {
		uint32_t u = hp[0];
		const struct sim_node *nu = &s->nodes[u];

		hp[0] = hp[--n];
		pos[u] = UINT32_MAX - 1;	/* done */
		if (n)
			hp_down(hp, pos, dist, n, 0);
		for (uint32_t k = 0; k < nu->nlinks; k++) {
			const struct sim_link *l = &s->links[nu->links[k]];
			uint32_t v = l->a == u ? l->b : l->a;
			uint32_t nd = dist[u] + l->cost;

			if (!l->up || !s->nodes[v].up || nd >= dist[v])
				continue;
			dist[v] = nd;
			if (pos[v] == UINT32_MAX) {
				hp[n] = v;
				pos[v] = n++;
			}
			hp_up(hp, pos, dist, pos[v]);
		}
	}
}
