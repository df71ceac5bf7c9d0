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
 * Down (hsd -> engine): CONFIG first, then LINK_ADD, LINK_DEL, ORIGINS,
 * PEER_HOSTS, PEER_REPLY.  Up (engine -> hsd): ROUTE, SEQNO, SNAPSHOT,
 * PEER_REQUEST (bundle.put's with a sealed memfd of its files).
 * docs/ARCHITECTURE.md has the why.
 */
#ifndef HS_ENGINE_MSG_H
#define HS_ENGINE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "hsroute.h"
#include "peer_auth.h"
#include "peer_typed.h"

enum engine_msg_type {
	ENGINE_MSG_CONFIG = 1,  /* engine_config + count engine_origin */
	ENGINE_MSG_LINK_ADD,    /* engine_link */
	ENGINE_MSG_LINK_DEL,    /* engine_link (only link_id read) */
	ENGINE_MSG_ORIGINS,     /* engine_origins + count engine_origin */
	ENGINE_MSG_PEER_HOSTS,  /* engine_peer_self + count engine_peer_host */
	ENGINE_MSG_PEER_REPLY,  /* engine_peer_reply + count bytes */
	ENGINE_MSG_PEER_CALL,   /* engine_peer_call + count bytes of args JSON;
	                         * with the connecting socket (and the args
	                         * in a memfd when count is 0) */
	ENGINE_MSG_ROUTE = 64,  /* engine_route */
	ENGINE_MSG_SEQNO,       /* engine_seqno */
	ENGINE_MSG_SNAPSHOT,    /* engine_snapshot + n_routes engine_route_info
	                         * + n_neigh engine_neigh_info */
	ENGINE_MSG_PEER_REQUEST, /* engine_peer_request + count peer_word */
	ENGINE_MSG_LOG,         /* engine_log + count bytes of text */
	ENGINE_MSG_PEER_RESULT, /* engine_peer_result + count bytes */
};

/* Cluster files are held to this many hosts (cluster.c); a message never
 * carries more items, so its size is bounded. */
#define ENGINE_MAX_ITEMS 1024
#define ENGINE_MSG_MAX (1024 * 1024) /* the largest snapshot (~230 KiB) fits */
#define ENGINE_REPLY_MAX (ENGINE_MSG_MAX - 64) /* bytes of a PEER_REPLY's text */

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

/* The peer listener's counters, since this engine started. */
struct engine_peer_stats {
	uint64_t accepted, refused, auth_refused, over_host_limit, served, idle_closed;
	uint32_t connections, pad;
};

struct engine_snapshot {
	uint32_t seqno;
	uint32_t n_routes, n_neigh;
	uint32_t hello_ms, dead_ms; /* the timers hsroute runs with */
	uint32_t pad;
	uint64_t drops[HSR_DROP__MAX]; /* all links */
	/* Dropped by the engine's socket loop before hsroute saw them. */
	uint64_t unknown_link, bad_source, send_errors;
	struct engine_peer_stats peer;
};

/* The hosts whose requests the engine takes: this one's name, then every
 * other host's index, overlay address and the MAC key this host shares
 * with it (proto/peer_auth.h; never a private key). */
struct engine_peer_self {
	char name[PEER_WORD];
};

struct engine_peer_host {
	uint32_t index;   /* in cluster.json's hosts */
	uint32_t addr;    /* its overlay address (prefix + 1), host order */
	char name[PEER_WORD];
	uint8_t key[PEER_AUTH_KEY];
};

/* One authenticated request: the connection it came on (the engine's
 * number), the request's id, the host whose key made its MAC. */
struct engine_peer_request {
	uint64_t conn;
	int64_t id;
	uint32_t host;
	uint32_t pad;
	struct peer_typed t;
};

/* hsd's answer: rc 0 and the result's JSON text, or an hs_rc and the
 * error's one line. */
struct engine_peer_reply {
	uint64_t conn;
	int64_t id;
	int32_t rc;
	uint32_t pad;
};

/* A call hsd makes to another host, through the engine: hsd makes and
 * connects the socket (the engine may not), the engine seals the request,
 * reads the reply, checks its MAC and answers with PEER_RESULT. */
struct engine_peer_call {
	uint64_t call;        /* hsd's number for it */
	uint32_t host;        /* the callee's index in cluster.json's hosts */
	uint32_t cmd;         /* enum peer_cmd_id */
	uint32_t timeout_ms;  /* the engine gives up after this */
	uint32_t pad;
};

/* The call's outcome: rc 0 and the result as peer_result records, or an
 * hs_rc and the error line (the callee's, or the engine's: HS_EUNREACH
 * when the host did not answer, HS_ESYS for a malformed reply). */
struct engine_peer_result {
	uint64_t call;
	int32_t rc;
	uint32_t flags;       /* ENGINE_RESULT_* */
};
#define ENGINE_RESULT_TIMEOUT 1u /* no reply within the call's time */

/* A line for hsd's log, which escapes it and limits the rate. */
#define ENGINE_LOG_MAX 512
enum engine_log_level { ENGINE_LOG_WARN = 1, ENGINE_LOG_INFO };
struct engine_log {
	uint32_t level;
	uint32_t pad;
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

/* The same with nfds (at most ENGINE_MSG_FDS) descriptors passed along
 * (SCM_RIGHTS). */
#define ENGINE_MSG_FDS 2
int engine_msg_send_fds(int fd, enum engine_msg_type type, const void *body, size_t body_len,
			const void *items, size_t item_len, uint32_t count, const int *fds,
			size_t nfds, char *err, size_t errlen);

/* Receive one message into buf (MSG_TRUNC: the return may exceed len,
 * which the caller refuses) and the descriptors that came with it, at
 * most ENGINE_MSG_FDS (*nfds; the caller closes them).  A message that
 * brought more, or a control message of another kind, gets -1 with
 * errno EBADMSG (and none left open).  Non-blocking. */
ssize_t engine_msg_recv(int fd, void *buf, size_t len, int fds[ENGINE_MSG_FDS], size_t *nfds);

#endif
