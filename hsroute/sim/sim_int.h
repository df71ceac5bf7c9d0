/*
 * sim_int.h - simulator internals shared by sim*.c.
 */
#ifndef SIM_INT_H
#define SIM_INT_H

#include "hsr_sim.h"

enum sim_ev_type {
	SIM_EV_DELIVER = 1,
	SIM_EV_TIMER,
	SIM_EV_LINK,
	SIM_EV_NODE,
};

struct sim_ev {
	uint64_t t;
	uint64_t seq;		/* FIFO among equal times: determinism */
	uint8_t type;
	uint8_t up;
	uint32_t node;
	uint32_t link;
	uint32_t gen;
	uint32_t len;
	uint8_t *buf;
};

struct sim_heap {
	struct sim_ev *v;
	size_t n, cap;
	uint64_t seq;
};

int	hsr_sim_heap_push(struct sim_heap *, struct sim_ev *);
int	hsr_sim_heap_pop(struct sim_heap *, struct sim_ev *);
const struct sim_ev *hsr_sim_heap_peek(const struct sim_heap *);
void	hsr_sim_heap_free(struct sim_heap *);

struct sim_link {
	uint32_t a, b;
	uint16_t cost;
	bool up;
	uint32_t lat;
	double loss;
};

struct sim_node {
	struct hsr_router *r;
	bool up;
	uint32_t incarnation;
	uint64_t timer_at;
	uint32_t timer_gen;
	uint32_t *links;
	uint32_t nlinks, clinks;
};

struct hsr_sim {
	struct hsr_sim_config cfg;
	uint32_t n;
	uint64_t now;
	uint64_t rng;
	struct sim_node *nodes;
	struct sim_link *links;
	uint32_t nlinks, clinks;
	struct sim_heap q;
	struct hsr_actions act;

	int32_t *fib;		/* [node * n + dest] = link index or -1 */
	uint32_t *dist;		/* [dest * n + node] */
	uint8_t *ok;		/* [node * n + dest] */
	bool topo_dirty;
	uint64_t conv_since;
	struct hsr_sim_stats st;

	/* Dijkstra scratch */
	uint32_t *hp;
	uint32_t *hpos;
};

uint64_t hsr_sim_rand(uint64_t *state);
void	hsr_sim_dijkstra(struct hsr_sim *, uint32_t dest, uint32_t *dist);

#endif
