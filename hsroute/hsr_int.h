/*
 * hsr_int.h - internal state of an hsroute router.  Not installed.
 */
#ifndef HSR_INT_H
#define HSR_INT_H

#include "hsroute.h"
#include "hsr_packet.h"

#define HSR_NOSLOT	UINT32_MAX
#define HSR_REQ_HOPS	64	/* hop count of a fresh seqno request */
#define HSR_REQ_TRIES	3	/* sends of a request we originate */
#define HSR_REPEATS	2	/* resends of each triggered update */

/* One link to one neighbour (one WireGuard interface in hsd). */
struct hsr_link {
	bool used;
	bool alive;		/* heard a hello within dead_ms */
	bool up;		/* alive and two-way */
	uint32_t id;		/* caller's link id */
	uint16_t cost;
	uint16_t hello_seqno;
	uint16_t peer_hello_seqno;
	bool want_dump;		/* packets were lost: ask for a full table */
	uint32_t peer_id;	/* learned from the first hello, then pinned */
	uint16_t peer_interval;
	uint64_t last_hello;	/* HSR_NEVER if none */
	uint64_t last_ihu;	/* last IHU that named us */
	uint64_t next_hello;
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out;
	uint64_t drops[HSR_DROP__MAX];
};

/* A neighbour's advertisement of a prefix (Babel's route table entry). */
struct hsr_route {
	uint32_t link;		/* slot in r->links */
	uint32_t src;		/* originator router-id */
	uint16_t seqno;
	uint16_t refmetric;	/* metric as advertised */
	uint64_t updated;
	uint64_t expires;
};

/* Feasibility distance for (prefix, originator). */
struct hsr_source {
	uint32_t id;
	uint16_t seqno;
	uint16_t metric;
	uint64_t used;		/* last advertised, for GC */
};

struct hsr_pfx {
	bool used;
	bool own;
	bool dirty;		/* queued for a triggered update */
	bool has_sel;
	bool inst;		/* installed in the caller's FIB */
	bool req_pending;
	bool req_own;		/* we originated the pending request */
	bool in_reqlist;
	uint32_t addr;
	uint8_t len;
	uint8_t req_tries;
	uint8_t repeats;	/* resends of the last triggered update due */
	uint16_t sel_seqno;	/* kept after loss, for retractions */
	uint16_t sel_metric;
	uint32_t sel_link;	/* slot */
	uint32_t sel_src;
	uint32_t inst_link_id;
	uint64_t retract_until;	/* advertise as unreachable until then */
	uint32_t req_src;
	uint16_t req_seqno;
	uint64_t req_sent;
	struct hsr_route *rt;
	uint16_t nrt, crt;
	struct hsr_source *src;
	uint16_t nsrc, csrc;
};

struct hsr_router {
	struct hsr_config cfg;
	uint32_t id;
	uint16_t seqno;
	uint64_t rng;

	struct hsr_link *links;
	uint32_t nlinks;	/* slots in use, high-water */
	uint32_t clinks;

	struct hsr_pfx *pfx;
	uint32_t npfx;		/* high-water */
	uint32_t cpfx;
	uint32_t *pfx_free;	/* free slot stack */
	uint32_t nfree;
	uint32_t *hash;		/* slot + 1, 0 = empty; linear probing */
	uint32_t hcap;		/* power of two */
	uint32_t hcount;

	uint32_t *dirty;
	uint32_t ndirty, cdirty;
	uint32_t *reqlist;
	uint32_t nreq, creq;

	uint64_t next_update;
	uint64_t next_gc;
	uint64_t flush_at;	/* triggered updates due, HSR_NEVER if none */
	uint64_t repeat_at;	/* their resends due, HSR_NEVER if none */
	uint8_t *pkt;

	struct hsr_prefix overlay;	/* origin validation, origin.c */
	struct hsr_origin *origins;	/* sorted; none: any originator */
	size_t norigins;

	struct hsr_stats st;
};

/* router.c */
uint64_t	hsr_rand(struct hsr_router *);
uint64_t	hsr_jitter(struct hsr_router *, uint64_t base);
int		hsr_emit_send(struct hsr_router *, struct hsr_actions *,
		    uint32_t link_slot, const uint8_t *buf, size_t len);
void		hsr_router_run(struct hsr_router *, uint64_t now,
		    struct hsr_actions *);
int		hsr_emit_route(struct hsr_actions *, enum hsr_action_type,
		    const struct hsr_pfx *, uint32_t link_id, uint32_t nh,
		    uint16_t metric);

/* actions.c */
int		hsr_actions_push(struct hsr_actions *, const struct hsr_action *,
		    const uint8_t *data, size_t len);

/* source.c */
int		hsr_seqno_cmp(uint16_t, uint16_t);
struct hsr_source *hsr_source_find(const struct hsr_pfx *, uint32_t id);
int		hsr_source_note(struct hsr_pfx *, uint32_t id, uint16_t seqno,
		    uint16_t metric, uint64_t now);
void		hsr_source_gc(struct hsr_pfx *, uint64_t now, uint64_t gc_ms);
void		hsr_source_free(struct hsr_pfx *);

/* route.c */
uint32_t	hsr_pfx_find(const struct hsr_router *, uint32_t addr, uint8_t len);
uint32_t	hsr_pfx_get(struct hsr_router *, uint32_t addr, uint8_t len);
void		hsr_pfx_mark_dirty(struct hsr_router *, uint32_t slot);
uint16_t	hsr_route_metric(const struct hsr_router *, const struct hsr_route *);
bool		hsr_route_feasible(const struct hsr_router *, const struct hsr_pfx *,
		    const struct hsr_route *);
struct hsr_route *hsr_route_find(struct hsr_pfx *, uint32_t link);
struct hsr_route *hsr_route_add(struct hsr_pfx *, uint32_t link);
void		hsr_route_del(struct hsr_pfx *, uint16_t i);
void		hsr_route_select(struct hsr_router *, uint32_t slot, uint64_t now,
		    struct hsr_actions *);
void		hsr_route_link_changed(struct hsr_router *, uint32_t link, bool flush,
		    uint64_t now, struct hsr_actions *);
void		hsr_route_gc(struct hsr_router *, uint64_t now, struct hsr_actions *);
void		hsr_route_free_all(struct hsr_router *);
int		hsr_route_init(struct hsr_router *);

/* neighbour.c */
uint32_t	hsr_link_find(const struct hsr_router *, uint32_t id);
void		hsr_neigh_hello_rx(struct hsr_router *, uint32_t slot, uint32_t sender,
		    const struct rp_hello *, uint64_t now);
void		hsr_neigh_ihu_rx(struct hsr_router *, uint32_t slot,
		    const struct rp_ihu *, uint64_t now);
void		hsr_neigh_check(struct hsr_router *, uint32_t slot, uint64_t now,
		    struct hsr_actions *);
void		hsr_neigh_hellos(struct hsr_router *, uint64_t now,
		    struct hsr_actions *);
uint64_t	hsr_neigh_wakeup(const struct hsr_router *, uint64_t now);

/* origin.c */
bool		hsr_origin_table_valid(struct hsr_prefix overlay,
		    const struct hsr_origin *, size_t n);
int		hsr_origin_table_set(struct hsr_router *, struct hsr_prefix overlay,
		    const struct hsr_origin *, size_t n);
void		hsr_origin_table_free(struct hsr_router *);
enum hsr_drop	hsr_origin_check(const struct hsr_router *, uint32_t src,
		    uint32_t addr, uint8_t len);

/* update.c */
void		hsr_update_rx(struct hsr_router *, uint32_t slot,
		    const struct rp_update *, uint64_t now, struct hsr_actions *);
void		hsr_update_send(struct hsr_router *, uint32_t link_slot,
		    const uint32_t *pfx, uint32_t npfx, uint64_t now,
		    struct hsr_actions *);
void		hsr_update_repeat(struct hsr_router *, uint64_t now,
		    struct hsr_actions *);
void		hsr_update_flush(struct hsr_router *, uint64_t now,
		    struct hsr_actions *);
void		hsr_update_routereq_rx(struct hsr_router *, uint32_t slot,
		    const struct rp_routereq *, uint64_t now,
		    struct hsr_actions *);

/* request.c */
void		hsr_request_rx(struct hsr_router *, uint32_t slot,
		    const struct rp_seqreq *, uint64_t now, struct hsr_actions *);
void		hsr_request_start(struct hsr_router *, uint32_t pfx, uint32_t src,
		    uint16_t seqno, uint32_t link_slot, uint64_t now,
		    struct hsr_actions *);
void		hsr_request_satisfied(struct hsr_router *, uint32_t pfx,
		    uint32_t src, uint16_t seqno);
void		hsr_request_timer(struct hsr_router *, uint64_t now,
		    struct hsr_actions *);
uint64_t	hsr_request_wakeup(const struct hsr_router *);

#define HSR_ALL_LINKS	HSR_NOSLOT

static inline bool
hsr_feasibility_on(const struct hsr_router *r)
{
	return !(r->cfg.flags & HSR_F_NO_FEASIBILITY);
}

#endif
