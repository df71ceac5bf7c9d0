/* peer.h - the hsd <-> hsd protocol (version 1): messages only.
 *
 * Transport (hsd/daemon/mesh/peer.c): TCP port PEER_PORT inside the mesh
 * namespace, length-prefixed JSON frames (frame.h) of at most
 * FRAME_MAX_PEER bytes.  See docs/peer-protocol.md.
 *
 * Request: {"v":1, "id":N, "from":"a", "cmd":"ping", "args":{...}}
 * Reply:   {"v":1, "id":N, "ok":true,  "result":{...}}
 *          {"v":1, "id":N, "ok":false, "code":2, "error":"one line"}
 *
 * Everything here is pure (no I/O) so that it can be unit-tested and, later,
 * run in an unprivileged parser process.  Validation is strict: unknown keys,
 * wrong types and oversized strings are refused with one line naming the
 * field.
 */
#ifndef HS_PEER_PROTO_H
#define HS_PEER_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PEER_VERSION 1
#define PEER_PORT 7070
#define FRAME_MAX_PEER (32u << 20) /* 32 MiB: bundles travel in frames */
#define PEER_NAME_MAX 32           /* = CLUSTER_NAME_MAX */
#define PEER_CMD_MAX 64
#define PEER_ERROR_MAX 1024        /* bytes of a reply's "error" */
#define PEER_ID_MAX ((int64_t)1 << 53) /* exact in every JSON reader */

/* The listener (hsengine's, hsd/engine/engine_peer.c). */
#define PEER_MAX_CONNS 256 /* accepted connections at once */
/* ... from one host: a coordinator has a few calls under way per host, so
 * this is ample, and one host cannot take the slots of the others. */
#define PEER_MAX_CONNS_PER_HOST 32
#define PEER_IDLE_MS 10000 /* an accepted connection with nothing to do */

struct peer_request {
	int64_t id;
	char from[PEER_NAME_MAX + 1];
	char cmd[PEER_CMD_MAX + 1];
	json_t *args; /* borrowed from the message; an empty object if absent */
};

struct peer_reply {
	int64_t id;
	bool ok;
	json_t *result;                  /* borrowed; set when ok */
	int rc;                          /* hs_rc carried by an error reply */
	char error[PEER_ERROR_MAX + 1];  /* its message */
};

/* Validate a request.  HS_EINPUT naming the field on error; out->id is
 * still set when the id itself was valid (-1 otherwise), so the error
 * reply can carry it. */
int peer_request_parse(json_t *msg, struct peer_request *out, char *err,
		       size_t errlen);

/* Build messages; NULL only when out of memory.  args/result are stolen
 * (NULL = empty object).  peer_reply_error flattens msg to one line and
 * truncates it to PEER_ERROR_MAX. */
json_t *peer_request_new(int64_t id, const char *from, const char *cmd,
			 json_t *args);
json_t *peer_reply_ok(int64_t id, json_t *result);
json_t *peer_reply_error(int64_t id, int rc, const char *msg);

/* Validate a reply (HS_EINPUT naming the field when malformed).  A
 * well-formed error reply returns 0 with out->ok false and out->rc/error
 * set: it is the remote command that failed, not the message. */
int peer_reply_parse(json_t *msg, struct peer_reply *out, char *err,
		     size_t errlen);

/* A host or command name: 1..max of a-z 0-9 '-' '_' '.', first not '-'. */
bool peer_name_ok(const char *s, size_t max);

#endif
