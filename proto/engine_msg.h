/* engine_msg.h - the typed messages between hsd and its route engine.
 *
 * hsengine (hsd/engine/) runs hsroute and reads the route packets other
 * hosts send, as an unprivileged process; hsd keeps everything that needs
 * root (routes in the kernel, links, the store).  They talk over a
 * SOCK_SEQPACKET socketpair: one message per datagram, a fixed header and
 * a fixed body, then `count` fixed-size items.  Both sides are on one
 * host, so fields are in host byte order; every length is checked by
 * engine_msg_check() before a field is read, and a message that fails the
 * check ends the conversation (hsd restarts the engine).
 *
 * Down (hsd -> engine): CONFIG first, then LINK_ADD, LINK_DEL, ORIGINS.
 * Up (engine -> hsd): ROUTE, SEQNO, SNAPSHOT.  docs/ARCHITECTURE.md has
 * the why.
 */
#ifndef HS_ENGINE_MSG_H
#define HS_ENGINE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "hsroute.h"

enum engine_msg_type {
	ENGINE_MSG_CONFIG = 1,  /* engine_config + count engine_origin */
	ENGINE_MSG_LINK_ADD,    /* engine_link */
	ENGINE_MSG_LINK_DEL,    /* engine_link (only link_id read) */
	ENGINE_MSG_ORIGINS,     /* engine_origins + count engine_origin */
	ENGINE_MSG_ROUTE = 64,  /* engine_route */
	ENGINE_MSG_SEQNO,       /* engine_seqno */
	ENGINE_MSG_SNAPSHOT,    /* engine_snapshot + n_routes engine_route_info
	                         * + n_neigh engine_neigh_info */
};

/* Cluster files are held to this many hosts (cluster.c); a message never
 * carries more items, so its size is bounded. */
#define ENGINE_MAX_ITEMS 1024
#define ENGINE_MSG_MAX (1024 * 1024) /* the largest snapshot (~230 KiB) fits */

struct engine_hdr {
	uint16_t type;
	uint16_t pad;
	uint32_t count; /* items after the body */
};

struct engine_origin {
	uint32_t router_id;
	uint32_t addr;  /* host byte order, as hsroute */
	uint32_t len;
};

struct engine_origins {
	uint32_t overlay_addr;
	uint32_t overlay_len;
};

struct engine_config {
	uint32_t router_id;
	uint32_t own_addr, own_len; /* this host's prefix */
	uint32_t hello_ms, dead_ms;
	uint32_t initial_seqno;
	uint64_t seed;
	struct engine_origins overlay;
};

struct engine_link {
	uint32_t link_id;    /* the neighbour's router id */
	uint32_t ifindex;    /* its WireGuard device in the mesh namespace */
	uint32_t peer_addr;  /* its mesh address, network byte order */
	uint32_t cost;
};

enum engine_route_op {
	ENGINE_ROUTE_INSTALL = 1, /* also a replace: the kernel call is the same */
	ENGINE_ROUTE_REMOVE,
};

struct engine_route {
	uint32_t op;
	uint32_t link_id;
	uint32_t addr, len;
};

struct engine_seqno {
	uint32_t seqno;
};

struct engine_route_info {
	uint32_t addr, len;
	uint32_t nexthop_id, link_id, source_id;
	uint32_t metric, seqno;
	uint32_t flags; /* ENGINE_RI_* */
	uint64_t age_ms;
};
#define ENGINE_RI_OWN 1u
#define ENGINE_RI_SELECTED 2u
#define ENGINE_RI_INSTALLED 4u

struct engine_neigh_info {
	uint32_t link_id, router_id;
	uint32_t up;
	uint32_t pad;
	uint64_t hello_age_ms; /* HSR_NEVER if none */
	uint64_t pkts_in, pkts_out;
	uint64_t bad_source;   /* route packets on its link from another address */
	uint64_t drops[HSR_DROP__MAX];
};

struct engine_snapshot {
	uint32_t seqno;
	uint32_t n_routes, n_neigh;
	uint32_t pad;
	uint64_t drops[HSR_DROP__MAX]; /* all links */
	/* Dropped by the engine's socket loop before hsroute saw them. */
	uint64_t unknown_link, bad_source, send_errors;
};

/* One decoded message: pointers into the caller's buffer. */
struct engine_msg {
	enum engine_msg_type type;
	uint32_t count;
	const void *body;   /* the type's fixed struct */
	const void *items;  /* count (or n_routes + n_neigh) items */
};

/* Check buf[0..len) as one message and point m into it: 0, or HS_EINPUT
 * with err naming what is wrong (unknown type, size, item count). */
int engine_msg_check(const void *buf, size_t len, struct engine_msg *m, char *err,
		     size_t errlen);

/* Send one message (header, body, items) as one datagram on fd: 0 or
 * HS_ESYS.  Blocking: the peer reads at once, and a full queue means it
 * is stuck, which the caller sees as an error only when the send fails. */
int engine_msg_send(int fd, enum engine_msg_type type, const void *body, size_t body_len,
		    const void *items, size_t item_len, uint32_t count, char *err,
		    size_t errlen);

#endif
