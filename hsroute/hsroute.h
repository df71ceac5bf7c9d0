/*
 * hsroute.h - distance-vector routing with Babel-style feasibility.
 *
 * The router is a pure state machine: the caller feeds it events (links,
 * packets, timer ticks) with the current time in milliseconds, and gets
 * back actions (packets to send, routes to install) plus the time of the
 * next wakeup.  No sockets, clocks, globals or I/O; randomness only from
 * the seed in the config.  See docs/hsroute.md.
 */
#ifndef HSROUTE_H
#define HSROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSR_INFINITY_DEFAULT	0xFFFF
#define HSR_COST_DEFAULT	256
#define HSR_NEVER		UINT64_MAX

struct hsr_prefix {
	uint32_t addr;		/* IPv4, host byte order, host bits clear */
	uint8_t len;		/* 0..32 */
};

/* One row of the origin table: router_id may originate prefix. */
struct hsr_origin {
	uint32_t router_id;
	struct hsr_prefix prefix;
};

enum hsr_flags {
	/* Plain RIP-like behaviour for comparisons: every route feasible,
	 * no seqno requests.  Never use it in production. */
	HSR_F_NO_FEASIBILITY = 1u << 0,
};

/* Zero fields take the defaults in brackets. */
struct hsr_config {
	uint32_t router_id;		/* required, non-zero */
	const struct hsr_prefix *prefixes;	/* own prefixes (copied) */
	size_t n_prefixes;
	uint32_t hello_ms;		/* [1000] hello interval per link */
	uint32_t dead_ms;		/* [2600] silence before a neighbour dies */
	uint32_t update_ms;		/* [16000] periodic full update */
	uint32_t request_ms;		/* [500] seqno request resend */
	uint32_t trigger_ms;		/* [20] batch triggered updates */
	uint32_t source_gc_ms;		/* [180000] keep feasibility distances */
	uint16_t infinity;		/* [0xFFFF] metric meaning unreachable */
	uint16_t initial_seqno;		/* [0] e.g. persisted + 1 after restart */
	uint32_t flags;			/* enum hsr_flags */
	uint32_t max_packet;		/* [1400] bytes per packet, >= 64 */
	uint64_t seed;			/* jitter; same seed, same behaviour */
	/*
	 * Origin validation (docs/hsroute.md): an update is accepted only if
	 * its prefix lies within overlay (/0: anywhere) and, when n_origins
	 * > 0, its (originator, prefix) pair is in origins (copied).  With
	 * no table every originator may announce any prefix, as before.
	 */
	struct hsr_prefix overlay;
	const struct hsr_origin *origins;
	size_t n_origins;
};

enum hsr_action_type {
	HSR_ACT_SEND = 1,	/* link_id, bytes */
	HSR_ACT_ROUTE_INSTALL,	/* prefix via link_id (no previous route) */
	HSR_ACT_ROUTE_REPLACE,	/* prefix moves to another link_id */
	HSR_ACT_ROUTE_REMOVE,	/* prefix no longer routed */
};

struct hsr_action {
	enum hsr_action_type type;
	uint32_t link_id;
	struct hsr_prefix prefix;
	uint32_t nexthop_id;	/* router-id of the next hop */
	uint16_t metric;
	size_t off;		/* SEND: hsr_action_bytes() */
	size_t len;
};

/* Output of one call; owned by the caller, reusable across calls. */
struct hsr_actions {
	struct hsr_action *v;
	size_t n, cap;
	uint8_t *data;
	size_t data_len, data_cap;
	uint64_t wakeup_ms;	/* call hsr_timer() at this time */
	bool oom;		/* some action could not be stored */
};

void	hsr_actions_init(struct hsr_actions *);
void	hsr_actions_reset(struct hsr_actions *);	/* keeps capacity */
void	hsr_actions_free(struct hsr_actions *);
const uint8_t *hsr_action_bytes(const struct hsr_actions *,
	    const struct hsr_action *);

/* Why a packet (or part of one) was dropped; also counter indexes. */
enum hsr_drop {
	HSR_DROP_NONE = 0,
	/* 1..14 mirror enum rp_err (decode failures). */
	HSR_DROP_SHORT,
	HSR_DROP_MAGIC,
	HSR_DROP_VERSION,
	HSR_DROP_LENGTH,
	HSR_DROP_SENDER,
	HSR_DROP_TLV_TRUNC,
	HSR_DROP_TLV_LEN,
	HSR_DROP_METRIC,
	HSR_DROP_PLEN,
	HSR_DROP_HOSTBITS,
	HSR_DROP_ROUTER_ID,
	HSR_DROP_INTERVAL,
	HSR_DROP_HOPCOUNT,
	HSR_DROP_FLAGS,
	/* router level */
	HSR_DROP_UNKNOWN_LINK,	/* no such link */
	HSR_DROP_WRONG_ID,	/* sender differs from the learned neighbour */
	HSR_DROP_OWN_ID,	/* our own router-id came back */
	HSR_DROP_NOT_TWO_WAY,	/* routing TLV from a neighbour not heard yet */
	/* Per update, not per packet: the rest of the packet still counts. */
	HSR_DROP_OUTSIDE_OVERLAY, /* prefix not within the overlay */
	HSR_DROP_WRONG_ORIGIN,	/* (originator, prefix) not in the origin table */
	HSR_DROP__MAX
};

const char *hsr_drop_name(enum hsr_drop);

struct hsr_router;

struct hsr_router *hsr_router_create(const struct hsr_config *,
	    uint64_t now_ms, char *err, size_t errlen);
void	hsr_router_destroy(struct hsr_router *);

/*
 * Event entry points.  Each returns 0 or a negative value (-1 for bad
 * arguments/out of memory, -(enum hsr_drop) for a dropped packet) and
 * appends its actions to out; out->wakeup_ms is always refreshed.
 */
int	hsr_link_add(struct hsr_router *, uint32_t link_id, uint16_t cost,
	    uint64_t now_ms, struct hsr_actions *out);
int	hsr_link_del(struct hsr_router *, uint32_t link_id, uint64_t now_ms,
	    struct hsr_actions *out);
int	hsr_packet_in(struct hsr_router *, uint32_t link_id,
	    const uint8_t *buf, size_t len, uint64_t now_ms,
	    struct hsr_actions *out);
int	hsr_timer(struct hsr_router *, uint64_t now_ms, struct hsr_actions *out);
int	hsr_prefix_add(struct hsr_router *, struct hsr_prefix, uint64_t now_ms,
	    struct hsr_actions *out);
int	hsr_prefix_del(struct hsr_router *, struct hsr_prefix, uint64_t now_ms,
	    struct hsr_actions *out);
/*
 * Replaces the overlay and origin table (e.g. on a configuration reload);
 * arguments as in hsr_config.  Routes the new table no longer allows are
 * dropped at once (REMOVE actions, retractions).  -1 on a bad prefix or
 * no memory, and then the old table stays.
 */
int	hsr_origin_set(struct hsr_router *, struct hsr_prefix overlay,
	    const struct hsr_origin *, size_t n, uint64_t now_ms,
	    struct hsr_actions *out);
/* Updates dropped by origin validation: the sum of both reasons. */
uint64_t hsr_hijacks(const uint64_t drops[HSR_DROP__MAX]);

/* Read-only queries (for the CLI and tests). */
struct hsr_route_info {
	struct hsr_prefix prefix;
	uint32_t nexthop_id;	/* 0 for own prefixes */
	uint32_t link_id;
	uint16_t metric;	/* through this neighbour, incl. link cost */
	uint16_t refmetric;	/* as advertised by the neighbour */
	uint16_t seqno;
	uint32_t source_id;	/* originating router */
	uint64_t age_ms;	/* since the last update */
	bool own;
	bool selected;
	bool feasible;
	bool installed;
};

struct hsr_neigh_info {
	uint32_t link_id;
	uint32_t router_id;	/* 0 until a hello is heard */
	uint16_t cost;
	bool up;		/* two-way and alive */
	uint64_t hello_age_ms;	/* HSR_NEVER if none */
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out;
	uint64_t drops[HSR_DROP__MAX];
};

struct hsr_stats {
	uint16_t seqno;
	size_t n_links, n_prefixes, n_routes, n_installed;
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out;
	uint64_t drops[HSR_DROP__MAX];	/* all links, incl. unknown ones */
	uint64_t requests_sent, requests_fwd;
	uint32_t hello_ms, dead_ms;	/* the timers in use */
};

typedef int (*hsr_route_cb)(const struct hsr_route_info *, void *);
typedef int (*hsr_neigh_cb)(const struct hsr_neigh_info *, void *);

/* Visits every route entry and own prefix; a non-zero return stops. */
int	hsr_route_foreach(const struct hsr_router *, uint64_t now_ms,
	    hsr_route_cb, void *);
/* The selected route for prefix: 0, or -1 if none. */
int	hsr_route_lookup(const struct hsr_router *, struct hsr_prefix,
	    uint64_t now_ms, struct hsr_route_info *);
int	hsr_neigh_foreach(const struct hsr_router *, uint64_t now_ms,
	    hsr_neigh_cb, void *);
void	hsr_router_stats(const struct hsr_router *, struct hsr_stats *);

#endif
