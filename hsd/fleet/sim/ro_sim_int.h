/* ro_sim_int.h - the simulator's event queue (ro_sim_queue.c), shared with
 * ro_sim.c only. */
#ifndef RO_SIM_INT_H
#define RO_SIM_INT_H

#include "ro_sim.h"

enum rs_ev_type {
	RS_EV_REQ = 1,		/* a request reaches its host */
	RS_EV_PROBE,		/* a probe on a host is done */
	RS_EV_REPLY,		/* a reply reaches the coordinator */
	RS_EV_TIMER,		/* the engine's wakeup */
	RS_EV_PARTITION,	/* a = duration */
	RS_EV_HOST_CRASH,	/* a = duration; RO_NEVER: gone for good */
	RS_EV_COORD_CRASH,	/* a = duration */
	RS_EV_COORD_UP,		/* gen = the incarnation it brings up */
	RS_EV_LEADER_CHANGE,	/* the driver's host goes down or is cut off */
	RS_EV_LEADER_UP,	/* the lease ran out: a host that is up takes over */
	RS_EV_PAUSE,		/* a = how long */
	RS_EV_RESUME,
	RS_EV_ABORT,
	RS_EV_GIVE_UP,
};

struct rs_ev {
	uint64_t t;
	uint64_t seq;		/* FIFO among equal times: determinism */
	uint8_t type;
	uint8_t req;		/* enum ro_req */
	uint8_t inst;		/* enum ro_inst */
	uint8_t result;		/* enum ro_result of a reply */
	bool old_running, new_running, has_bundle;
	uint32_t host;
	uint32_t gen;		/* coordinator incarnation, host epoch, timer gen */
	uint64_t req_id;
	uint64_t a;		/* REQ: when its write committed (sent) */
};

struct rs_queue {
	struct rs_ev *v;
	size_t n, cap;
	uint64_t seq;
};

/* splitmix64: small, fast, and the same sequence on every platform. */
static inline uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static inline uint64_t range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rnd(s) % (hi - lo + 1);
}

static inline bool chance(uint64_t *s, uint32_t permille)
{
	return permille && rnd(s) % 1000 < permille;
}

int	rs_queue_push(struct rs_queue *, struct rs_ev *);
int	rs_queue_pop(struct rs_queue *, struct rs_ev *);
void	rs_queue_free(struct rs_queue *);

#endif
