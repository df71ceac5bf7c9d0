/*
 * sim.c - the simulator core: nodes, links, event loop, FIB oracle.
 *
 * Loop check: a FIB change at node i for destination d can only close a
 * cycle through i, so walking d's next hops from i (at most n steps)
 * finds every new loop; nothing else needs checking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#define PFX_BASE	0x0A000000u	/* 10.0.0.0 */

struct hsr_prefix
hsr_sim_prefix(uint32_t node)
{
	struct hsr_prefix p = { .addr = PFX_BASE + (node << 8), .len = 24 };

	return p;
}

static uint32_t
prefix_node(const struct hsr_sim *s, struct hsr_prefix p)
{
	uint32_t i;

	if (p.len != 24 || p.addr < PFX_BASE)
		return UINT32_MAX;
	i = (p.addr - PFX_BASE) >> 8;
	return i < s->n ? i : UINT32_MAX;
}

struct hsr_sim *
hsr_sim_create(const struct hsr_sim_config *cfg, char *err, size_t errlen)
{
	struct hsr_sim *s;
	size_t nn;

	if (cfg->n_nodes == 0 || cfg->n_nodes > 65536) {
		snprintf(err, errlen, "n_nodes must be 1..65536");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto oom;
	s->cfg = *cfg;
	s->n = cfg->n_nodes;
	s->rng = cfg->seed;
	nn = (size_t)s->n * s->n;
	s->nodes = calloc(s->n, sizeof(*s->nodes));
	s->fib = malloc(nn * sizeof(*s->fib));
	s->dist = malloc(nn * sizeof(*s->dist));
	s->ok = malloc(nn);
	s->hp = malloc(s->n * sizeof(*s->hp));
	s->hpos = malloc(s->n * sizeof(*s->hpos));
	if (!s->nodes || !s->fib || !s->dist || !s->ok || !s->hp || !s->hpos)
		goto oom;
	memset(s->fib, 0xFF, nn * sizeof(*s->fib));
	hsr_actions_init(&s->act);
	s->topo_dirty = true;
	s->conv_since = HSR_NEVER;
	return s;
oom:
	snprintf(err, errlen, "out of memory");
	hsr_sim_destroy(s);
	return NULL;
}

void
hsr_sim_destroy(struct hsr_sim *s)
{
	if (s == NULL)
		return;
	if (s->nodes) {
		for (uint32_t i = 0; i < s->n; i++) {
			hsr_router_destroy(s->nodes[i].r);
			free(s->nodes[i].links);
		}
	}
	hsr_sim_heap_free(&s->q);
	hsr_actions_free(&s->act);
	free(s->nodes);
	free(s->links);
	free(s->fib);
	free(s->dist);
	free(s->ok);
	free(s->hp);
	free(s->hpos);
	free(s);
}

static int
node_link_push(struct sim_node *nd, uint32_t link)
{
	if (nd->nlinks == nd->clinks) {
		uint32_t ncap = nd->clinks ? nd->clinks * 2 : 4;
		uint32_t *n = realloc(nd->links, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		nd->links = n;
		nd->clinks = ncap;
	}
	nd->links[nd->nlinks++] = link;
	return 0;
}

int
hsr_sim_add_link(struct hsr_sim *s, uint32_t a, uint32_t b, uint16_t cost,
    uint32_t lat, double loss)
{
	struct sim_link *l;

	if (a >= s->n || b >= s->n || a == b || cost == 0)
		return -1;
	if (s->nlinks == s->clinks) {
		uint32_t ncap = s->clinks ? s->clinks * 2 : 64;
		struct sim_link *n = realloc(s->links, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		s->links = n;
		s->clinks = ncap;
	}
	if (node_link_push(&s->nodes[a], s->nlinks) < 0 ||
	    node_link_push(&s->nodes[b], s->nlinks) < 0)
		return -1;
	l = &s->links[s->nlinks];
	l->a = a;
	l->b = b;
	l->cost = cost;
	l->lat = lat;
	l->loss = loss;
	l->up = true;
	s->topo_dirty = true;
	return (int)s->nlinks++;
}

uint32_t
hsr_sim_n_links(const struct hsr_sim *s)
{
	return s->nlinks;
}

int
hsr_sim_set_loss(struct hsr_sim *s, uint32_t link, double loss)
{
	if (link >= s->nlinks)
		return -1;
	s->links[link].loss = loss;
	return 0;
}

static int
push_ev(struct hsr_sim *s, uint8_t type, uint32_t node, uint32_t link,
    bool up, uint64_t at)
{
	struct sim_ev e = {
		.t = at, .type = type, .node = node, .link = link, .up = up,
	};

	return hsr_sim_heap_push(&s->q, &e);
}

int
hsr_sim_start(struct hsr_sim *s, uint64_t at)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (push_ev(s, SIM_EV_NODE, i, 0, true, at) < 0)
			return -1;
	return 0;
}

int
hsr_sim_link_event(struct hsr_sim *s, uint32_t link, bool up, uint64_t at)
{
	if (link >= s->nlinks)
		return -1;
	return push_ev(s, SIM_EV_LINK, 0, link, up, at);
}

int
hsr_sim_node_event(struct hsr_sim *s, uint32_t node, bool up, uint64_t at)
{
	if (node >= s->n)
		return -1;
	return push_ev(s, SIM_EV_NODE, node, 0, up, at);
}

uint64_t
hsr_sim_now(const struct hsr_sim *s)
{
	return s->now;
}

static uint32_t
link_peer(const struct sim_link *l, uint32_t me)
{
	return l->a == me ? l->b : l->a;
}

/* Is node i's route to dest on a shortest path (or absent if it must be)? */
static bool
pair_ok(const struct hsr_sim *s, uint32_t i, uint32_t dest)
{
	int32_t li = s->fib[(size_t)i * s->n + dest];
	const uint32_t *d = &s->dist[(size_t)dest * s->n];
	const struct sim_link *l;

	if (!s->nodes[i].up)
		return true;
	if (i == dest || d[i] == UINT32_MAX)
		return li < 0;
	if (li < 0)
		return false;
	l = &s->links[li];
	return l->up && d[link_peer(l, i)] != UINT32_MAX &&
	    d[link_peer(l, i)] + l->cost == d[i];
}

static void
conv_update(struct hsr_sim *s)
{
	if (s->st.wrong == 0) {
		if (s->conv_since == HSR_NEVER)
			s->conv_since = s->now;
	} else {
		s->conv_since = HSR_NEVER;
	}
}

static void
topo_refresh(struct hsr_sim *s)
{
	if (!s->topo_dirty)
		return;
	s->topo_dirty = false;
	for (uint32_t d = 0; d < s->n; d++)
		hsr_sim_dijkstra(s, d, &s->dist[(size_t)d * s->n]);
	s->st.wrong = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		for (uint32_t d = 0; d < s->n; d++) {
			bool ok = pair_ok(s, i, d);

			s->ok[(size_t)i * s->n + d] = ok;
			s->st.wrong += !ok;
		}
	}
	s->st.n_links_up = 0;
	for (uint32_t k = 0; k < s->nlinks; k++)
		s->st.n_links_up += s->links[k].up;
	conv_update(s);
}

static void
fib_set(struct hsr_sim *s, uint32_t i, uint32_t dest, int32_t link)
{
	size_t ix = (size_t)i * s->n + dest;
	bool ok;

	s->fib[ix] = link;
	s->st.fib_changes++;
	if (!s->topo_dirty) {
		ok = pair_ok(s, i, dest);
		s->st.wrong += (uint32_t)(!ok) - (uint32_t)(!s->ok[ix]);
		s->ok[ix] = ok;
		conv_update(s);
	}
	if (link < 0)
		return;
	/* Walk the next hops; coming back to i means a new loop. */
	for (uint32_t cur = link_peer(&s->links[link], i), steps = 0;
	    cur != dest && steps < s->n; steps++) {
		int32_t nl = s->fib[(size_t)cur * s->n + dest];

		if (cur == i) {
			s->st.loops++;
			break;
		}
		if (nl < 0)
			break;
		cur = link_peer(&s->links[nl], cur);
	}
}

static void
apply_actions(struct hsr_sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];
	struct hsr_actions *a = &s->act;

	for (size_t k = 0; k < a->n; k++) {
		const struct hsr_action *ac = &a->v[k];
		uint32_t dest;

		if (ac->type == HSR_ACT_SEND) {
			struct sim_link *l;
			struct sim_ev e;
			uint32_t peer;

			if (ac->link_id >= s->nlinks)
				continue;
			l = &s->links[ac->link_id];
			peer = link_peer(l, i);
			s->st.pkts_sent++;
			s->st.bytes_sent += ac->len;
			if (!l->up || !s->nodes[peer].up ||
			    (l->loss > 0 && (double)(hsr_sim_rand(&s->rng) >> 11) *
			    0x1.0p-53 < l->loss)) {
				s->st.pkts_lost++;
				continue;
			}
			memset(&e, 0, sizeof(e));
			e.t = s->now + l->lat;
			e.type = SIM_EV_DELIVER;
			e.node = peer;
			e.link = ac->link_id;
			e.len = (uint32_t)ac->len;
			if ((e.buf = malloc(ac->len ? ac->len : 1)) == NULL)
				continue;
			memcpy(e.buf, hsr_action_bytes(a, ac), ac->len);
			if (hsr_sim_heap_push(&s->q, &e) < 0)
				free(e.buf);
			continue;
		}
		if ((dest = prefix_node(s, ac->prefix)) == UINT32_MAX)
			continue;
		fib_set(s, i, dest, ac->type == HSR_ACT_ROUTE_REMOVE ? -1 :
		    (int32_t)ac->link_id);
	}
	if (a->wakeup_ms != nd->timer_at) {
		nd->timer_at = a->wakeup_ms;
		nd->timer_gen++;
		if (a->wakeup_ms != HSR_NEVER) {
			struct sim_ev e = {
				.t = a->wakeup_ms > s->now ? a->wakeup_ms : s->now,
				.type = SIM_EV_TIMER,
				.node = i,
				.gen = nd->timer_gen,
			};

			hsr_sim_heap_push(&s->q, &e);
		}
	}
	hsr_actions_reset(a);
}

static void
node_up(struct hsr_sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];
	struct hsr_prefix p = hsr_sim_prefix(i);
	struct hsr_config c = s->cfg.router;
	char err[128];

	if (nd->up)
		return;
	c.router_id = i + 1;
	c.prefixes = &p;
	c.n_prefixes = 1;
	c.seed = s->cfg.seed * 0x100000001B3ull + i + ((uint64_t)nd->incarnation << 40);
	nd->r = hsr_router_create(&c, s->now, err, sizeof(err));
	if (nd->r == NULL)
		return;
	nd->up = true;
	nd->incarnation++;
	nd->timer_at = HSR_NEVER;
	s->topo_dirty = true;
	for (uint32_t k = 0; k < nd->nlinks; k++) {
		const struct sim_link *l = &s->links[nd->links[k]];

		hsr_link_add(nd->r, nd->links[k], l->cost, s->now, &s->act);
		apply_actions(s, i);
	}
	if (nd->nlinks == 0) {
		hsr_timer(nd->r, s->now, &s->act);
		apply_actions(s, i);
	}
}

static void
node_down(struct hsr_sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];

	if (!nd->up)
		return;
	hsr_router_destroy(nd->r);
	nd->r = NULL;
	nd->up = false;
	nd->timer_gen++;
	nd->timer_at = HSR_NEVER;
	for (uint32_t d = 0; d < s->n; d++)
		s->fib[(size_t)i * s->n + d] = -1;
	s->topo_dirty = true;
}

static void
run_event(struct hsr_sim *s, struct sim_ev *e)
{
	struct sim_node *nd = &s->nodes[e->node];

	s->st.events++;
	switch (e->type) {
	case SIM_EV_LINK:
		if (s->links[e->link].up != e->up) {
			s->links[e->link].up = e->up;
			s->topo_dirty = true;
		}
		return;
	case SIM_EV_NODE:
		if (e->up)
			node_up(s, e->node);
		else
			node_down(s, e->node);
		return;
	default:
		break;
	}
	/* Topology changes of this instant are all in: recompute once. */
	topo_refresh(s);
	if (!nd->up)
		return;
	if (e->type == SIM_EV_DELIVER) {
		hsr_packet_in(nd->r, e->link, e->buf, e->len, s->now, &s->act);
		apply_actions(s, e->node);
	} else if (e->type == SIM_EV_TIMER && e->gen == nd->timer_gen) {
		nd->timer_at = HSR_NEVER;	/* consumed */
		hsr_timer(nd->r, s->now, &s->act);
		apply_actions(s, e->node);
	}
}

void
hsr_sim_run_until(struct hsr_sim *s, uint64_t t)
{
	const struct sim_ev *top;
	struct sim_ev e;

	while ((top = hsr_sim_heap_peek(&s->q)) != NULL && top->t <= t) {
		hsr_sim_heap_pop(&s->q, &e);
		if (e.t > s->now)
			s->now = e.t;
		run_event(s, &e);
		free(e.buf);
	}
	if (t > s->now)
		s->now = t;
	topo_refresh(s);
}

bool
hsr_sim_converged(struct hsr_sim *s)
{
	topo_refresh(s);
	return s->st.wrong == 0;
}

uint64_t
hsr_sim_converged_since(struct hsr_sim *s)
{
	topo_refresh(s);
	return s->conv_since;
}

void
hsr_sim_stats(struct hsr_sim *s, struct hsr_sim_stats *st)
{
	topo_refresh(s);
	*st = s->st;
}

void
hsr_sim_reset_traffic(struct hsr_sim *s)
{
	s->st.pkts_sent = s->st.bytes_sent = s->st.pkts_lost = 0;
}

struct hsr_router *
hsr_sim_router(struct hsr_sim *s, uint32_t node)
{
	return node < s->n ? s->nodes[node].r : NULL;
}

int
hsr_sim_nexthop(const struct hsr_sim *s, uint32_t node, uint32_t dest)
{
	int32_t l = s->fib[(size_t)node * s->n + dest];

	return l < 0 ? -1 : (int)link_peer(&s->links[l], node);
}
