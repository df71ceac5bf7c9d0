/* ro_int.h - what ro_engine.c (the rollout, its timers and queues) and
 * ro_host.c (one host's steps) share.  Not for other files. */
#ifndef RO_INT_H
#define RO_INT_H

#include "ro_engine.h"

struct roe_host {
	uint8_t state;		/* enum ro_hstate */
	bool has_old, new_started, new_verified, old_retired;
	bool slot;		/* holds one of max_parallel (begin .. end of chain) */
	bool queued;		/* in the slot queue */
	bool stuck;		/* last stop/retire attempt unreachable, or
				   stop_tries answered failures in a row */
	uint8_t req;		/* enum ro_req while req_id != 0 */
	uint8_t req_inst;	/* enum ro_inst */
	uint16_t stop_fails;
	uint16_t drained;	/* old-instance probes reported since the commit */
	uint64_t req_id;	/* 0: nothing outstanding */
	uint64_t deadline;	/* of the outstanding request */
	uint64_t wait_until;	/* soak end, next retry */
	uint64_t due;		/* key in the timer heap; RO_NEVER: not in it */
	uint32_t hpos;		/* index in the heap */
};

struct ro_engine {
	struct ro_config cfg;
	enum ro_rstate state;
	bool committed;
	bool canary_was_done;
	uint32_t n;
	struct roe_host *h;
	uint64_t next_req;
	int64_t failed_host;
	/* Counters kept on every change, so no event walks every host. */
	uint32_t count[ROH__N];
	uint32_t busy, in_flight;
	uint32_t live_new;	/* started new instances a rollback must stop */
	/* Timer heap of hosts by due time (one entry per host at most). */
	uint32_t *heap, nheap;
	/* Hosts waiting for a slot, first come first served (ring). */
	uint32_t *q, qhead, qlen;
	uint64_t now;
	struct ro_actions *out;	/* of the event being handled */
};

/* ro_engine.c */
void	roe_push(struct ro_engine *, const struct ro_action *);
void	roe_step(struct ro_engine *, uint32_t host, enum ro_step, uint32_t detail);
void	roe_persist_host(struct ro_engine *, uint32_t host, enum ro_stamp);
void	roe_set(struct ro_engine *, uint32_t host, enum ro_hstate, enum ro_step,
	    uint32_t detail);
void	roe_set_new_started(struct ro_engine *, uint32_t host);
void	roe_resched(struct ro_engine *, uint32_t host);
void	roe_want_slot(struct ro_engine *, uint32_t host);
bool	roe_may_begin(const struct ro_engine *, uint32_t host);
#define ROE_NO_STEP ROS__N

/* ro_host.c */
void	roe_send(struct ro_engine *, uint32_t host, enum ro_req, enum ro_inst);
void	roe_begin(struct ro_engine *, uint32_t host);
void	roe_kick(struct ro_engine *, uint32_t host);
void	roe_answer(struct ro_engine *, uint32_t host, const struct ro_reply *);

#endif
