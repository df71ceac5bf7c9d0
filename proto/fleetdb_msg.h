/* fleetdb_msg.h - the typed messages between hsd and hsfleetdb.
 *
 * hsfleetdb (hsd/fleetdb/) runs this host's dqlite node when the host is a
 * voter, and is every host's client of the replicated fleet database: it
 * reads what other hosts send (Raft, dqlite answers), so it runs without
 * privilege and hsd only ever sees these fixed-size messages over a
 * SOCK_SEQPACKET socketpair, one per datagram, checked by size before a
 * field is read (fleetdb_msg_check).  Texts are NUL-terminated within
 * their field; hsd escapes them before they go anywhere.
 *
 * Down: CONFIG (at start and on every cluster.json reload), REQUEST.
 * Up: REPLY (one per REQUEST, same id), LOG.
 */
#ifndef HS_FLEETDB_MSG_H
#define HS_FLEETDB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

#define FLEETDB_PORT 6699 /* the dqlite node's TCP port, overlay address */
#define FLEETDB_TEXT_MAX 256
#define FLEETDB_MEMBERS_MAX 8
/* A rollout's replicated state (its snapshot: JSON written and read by
 * hsd only; hsfleetdb stores it as it is).  A rollout whose state does
 * not fit is refused at its start. */
#define FLEETDB_SNAP_MAX 65536
#define FLEETDB_CLAIMS_MAX 8 /* claims listed: one per IDS under way */
#define FLEETDB_STEPS_MAX 32 /* timeline steps in one SAVE or STEPS reply */

enum fleetdb_msg_type {
	FLEETDB_MSG_CONFIG = 1, /* fleetdb_config */
	FLEETDB_MSG_REQUEST,    /* fleetdb_request */
	FLEETDB_MSG_REPLY = 64, /* fleetdb_reply */
	FLEETDB_MSG_LOG,        /* fleetdb_log */
};

struct fleetdb_hdr {
	uint16_t type;
	uint16_t pad;
	uint32_t len; /* of the whole message, header included */
};

struct fleetdb_host {
	char name[CLUSTER_NAME_MAX + 1];
	uint8_t pad[3];
	uint32_t addr; /* overlay address (prefix + 1), host byte order */
};

struct fleetdb_config {
	struct fleetdb_host self;
	uint8_t voter;   /* this host runs a node */
	uint8_t nvoters;
	uint16_t pad;
	struct fleetdb_host voters[CLUSTER_VOTERS_MAX]; /* cluster.json's order */
};

enum fleetdb_op {
	FLEETDB_OP_STATUS = 1, /* leader, members, quorum (a write through the leader) */
	FLEETDB_OP_CLAIM,      /* take the rollout claim of an IDS */
	FLEETDB_OP_RELEASE,    /* give it back */
	FLEETDB_OP_SAVE = 5,       /* the holder writes its rollout's state (epoch-fenced) */
	FLEETDB_OP_CLAIMS,     /* list the claims, their epochs and lease beats */
	FLEETDB_OP_TAKE,       /* take a claim over from its holder (epoch + 1) */
	FLEETDB_OP_STEPS,      /* a rollout's replicated timeline, after a step */
	FLEETDB_OP_INVENTORY,  /* this host's row of the inventory (snap: its JSON) */
	FLEETDB_OP_FLEET,      /* every host's row (snap: "HOST\tAT\tJSON\n" lines), claims */
	FLEETDB_OP_READ,       /* a rollout under way: its claim (holder), state, last step */
};

/* One step of a rollout's timeline, numbered by its rollout (seq). */
struct fleetdb_step {
	int64_t at_ms;
	uint32_t seq;
	char host[CLUSTER_NAME_MAX + 1];
	char step[27];
	char detail[256];
};

struct fleetdb_request {
	uint32_t id;
	uint16_t op;
	uint16_t pad;
	char intent[72];   /* CLAIM/RELEASE: the id of the rollout's signed intent */
	char ids[64];      /* CLAIM/RELEASE: the IDS (bundle name) */
	char target[96];   /* CLAIM: the bundle it goes to */
	char from[CLUSTER_NAME_MAX + 1]; /* TAKE: the holder it is taken from */
	uint8_t pad2[7];
	uint64_t epoch;    /* SAVE: the holder's; TAKE: the one it is taken at */
	char snap[FLEETDB_SNAP_MAX]; /* SAVE */
	uint32_t nsteps;   /* SAVE: steps to append */
	uint32_t after;    /* STEPS: list those after this seq */
	struct fleetdb_step steps[FLEETDB_STEPS_MAX];
};

struct fleetdb_claim_row {
	char ids[64];
	char host[CLUSTER_NAME_MAX + 1];
	uint8_t pad[7];
	char intent[72];
	char target[96];
	uint64_t epoch;
	uint64_t beat; /* the holder's SAVEs: unchanged for a lease, it is gone */
};

struct fleetdb_member {
	uint64_t node_id;
	uint32_t addr;
	uint8_t role; /* enum fdb_role */
	uint8_t pad[3];
};

/* rc is an hs_rc; HS_ESTATE with a holder is a claim held elsewhere
 * (SAVE, TAKE: the claim moved on, to holder if it is still there),
 * HS_EUNREACH is no quorum (no leader reachable, or the write did not
 * commit in time). */
struct fleetdb_reply {
	uint32_t id;
	int32_t rc;
	char text[FLEETDB_TEXT_MAX]; /* the error line when rc != 0 */
	/* STATUS */
	uint8_t quorum;
	uint8_t nmembers;
	uint8_t self_voter;
	uint8_t pad;
	uint32_t leader_addr; /* 0: none known */
	uint64_t leader_id;
	struct fleetdb_member members[FLEETDB_MEMBERS_MAX];
	/* CLAIM refused: who holds it */
	char holder[CLUSTER_NAME_MAX + 1];
	char holder_intent[72];
	uint8_t pad2[7];
	int64_t holder_since; /* unix seconds */
	char holder_target[96];
	/* CLAIMS */
	uint8_t nclaims;
	uint8_t self_leader; /* this host's node leads the Raft cluster */
	uint8_t more;        /* FLEET: rows left out (snap is full) */
	uint8_t pad3[5];
	struct fleetdb_claim_row claims[FLEETDB_CLAIMS_MAX];
	/* TAKE: the new epoch, the rollout's last saved state, and its last
	 * step's seq */
	uint64_t epoch;
	char snap[FLEETDB_SNAP_MAX];
	uint32_t seq;
	uint32_t nsteps; /* STEPS */
	struct fleetdb_step steps[FLEETDB_STEPS_MAX];
};

struct fleetdb_log {
	int32_t level; /* LOG_ERR .. LOG_DEBUG */
	char text[FLEETDB_TEXT_MAX];
};

#define FLEETDB_MSG_MAX (sizeof(struct fleetdb_hdr) + sizeof(struct fleetdb_reply))

/* The body of a message of len bytes in buf: 0 with *type and *body set,
 * or HS_EINPUT (unknown type, wrong size, a text without its NUL). */
int fleetdb_msg_check(const void *buf, size_t len, uint16_t *type, const void **body,
		      char *err, size_t errlen);

/* Header + body into out (FLEETDB_MSG_MAX bytes); the length to send. */
size_t fleetdb_msg_pack(void *out, uint16_t type, const void *body, size_t body_len);

#endif
