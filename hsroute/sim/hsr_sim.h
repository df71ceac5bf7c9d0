/*
 * hsr_sim.h - deterministic discrete-event simulator for hsroute.
 *
 * N routers on a virtual clock exchange real hsroute packets over
 * simulated links (cost, latency, loss).  Node i has router-id i + 1 and
 * owns the prefix 10.0.0.0 + (i << 8) / 24.  After every FIB change the
 * simulator walks the next hops of that destination and counts loops;
 * it also tracks, incrementally, how many (router, destination) pairs
 * differ from a shortest path, which gives convergence times.
 */
#ifndef HSR_SIM_H
#define HSR_SIM_H

#include "hsroute.h"

struct hsr_sim;

struct hsr_sim_config {
	uint32_t n_nodes;
	uint64_t seed;
	/* Template for every router: timers, flags, infinity.  router_id,
	 * prefixes and seed are filled in per node. */
	struct hsr_config router;
};

struct hsr_sim_stats {
	uint64_t events;
	uint64_t pkts_sent, bytes_sent;	/* payload bytes, all links */
	uint64_t pkts_lost;		/* loss, down links, down nodes */
	uint64_t fib_changes;
	uint64_t loops;			/* FIB changes that closed a cycle */
	uint32_t wrong;			/* pairs not on a shortest path now */
	uint32_t n_links_up;
};

struct hsr_sim *hsr_sim_create(const struct hsr_sim_config *, char *err,
	    size_t errlen);
void	hsr_sim_destroy(struct hsr_sim *);

/* Returns the link index (also the link id both routers use), or -1. */
int	hsr_sim_add_link(struct hsr_sim *, uint32_t a, uint32_t b,
	    uint16_t cost, uint32_t latency_ms, double loss);
uint32_t hsr_sim_n_links(const struct hsr_sim *);
int	hsr_sim_set_loss(struct hsr_sim *, uint32_t link, double loss);

/* Scheduled events; start all nodes with hsr_sim_start(). */
int	hsr_sim_start(struct hsr_sim *, uint64_t at_ms);
int	hsr_sim_link_event(struct hsr_sim *, uint32_t link, bool up,
	    uint64_t at_ms);
int	hsr_sim_node_event(struct hsr_sim *, uint32_t node, bool up,
	    uint64_t at_ms);

/* Runs every event with time <= t, then sets the clock to t. */
void	hsr_sim_run_until(struct hsr_sim *, uint64_t t_ms);
uint64_t hsr_sim_now(const struct hsr_sim *);

/* True if every pair is on a shortest path (or unrouted if unreachable). */
bool	hsr_sim_converged(struct hsr_sim *);
/* Start of the current converged stretch, HSR_NEVER if not converged. */
uint64_t hsr_sim_converged_since(struct hsr_sim *);

void	hsr_sim_stats(struct hsr_sim *, struct hsr_sim_stats *);
void	hsr_sim_reset_traffic(struct hsr_sim *);	/* pkts/bytes only */

struct hsr_router *hsr_sim_router(struct hsr_sim *, uint32_t node);
struct hsr_prefix hsr_sim_prefix(uint32_t node);
/* Next-hop node of node towards dest's prefix, or -1. */
int	hsr_sim_nexthop(const struct hsr_sim *, uint32_t node, uint32_t dest);

/* Graph builders (sim_graph.c).  All deterministic in their seed. */
int	hsr_sim_graph_grid(struct hsr_sim *, uint32_t w, uint32_t h,
	    uint16_t cost, uint32_t lat_ms);
/* Random spanning tree plus extra random links (no duplicates). */
int	hsr_sim_graph_random(struct hsr_sim *, uint32_t extra, uint16_t cmin,
	    uint16_t cmax, uint32_t lat_min, uint32_t lat_max, uint64_t seed);

#endif
