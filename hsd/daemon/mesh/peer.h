/* peer.h - hsd <-> hsd calls over TCP inside the mesh namespace.
 *
 * The server (in the route engine, hsd/engine/engine_peer.c) listens on
 * our overlay address (prefix + 1) port PEER_PORT in the mesh namespace; clients connect from a socket bound to their own
 * overlay address, so the source address names the calling host
 * (WireGuard has authenticated the tunnel it came through).  Messages are
 * proto/peer.h; the protocol is docs/peer-protocol.md.
 */
#ifndef HS_DAEMON_PEER_H
#define HS_DAEMON_PEER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* proto/peer.h shares this file's name: a plain "peer.h" here would find
 * this very file first. */
#include "../../../proto/peer.h"
#include "rpc.h"

struct hsd;
struct peers;
struct peer_call;

/* Another host's requests are served by "ping" and what the service
 * peer_init is given offers: the fleet's commands (fleet.h), handed over by
 * daemon.c so that the mesh needs nothing of the fleet.  A handler sees
 * the caller as req->from. */
struct bundle_files;
struct peer_service {
	const struct rpc_cmd *cmds;
	/* bundle.put with its files decoded: sig_text (NULL: none sent) must be
	 * an operator's signature of id and hash. */
	int (*bundle_put)(struct hsd *d, const char *id, const char *hash, const char *sig_text,
			  size_t sig_len, struct bundle_files *f, json_t **result, char *err,
			  size_t errlen);
};

/* Called exactly once per successful peer_send(), never from inside
 * peer_send() itself: rc 0 with the result, the remote command's hs_rc and
 * message, HS_EUNREACH on connect failure, timeout or connection loss, or
 * HS_ESYS on a malformed reply or hsd stopping.  result is borrowed during
 * the call. */
typedef void (*peer_cb)(struct hsd *d, void *arg, int rc, json_t *result,
			const char *err);

/* Call cmd on host (an index in d->cluster.hosts, not ourselves); args is
 * stolen, even on failure.  Returns 0 (cb will follow) or, with no cb
 * ever: HS_ESTATE when the mesh is not running, HS_EINPUT for a bad host,
 * command or oversized request, HS_ESYS when no socket could be made,
 * HS_EUNREACH when the connect fails at once (no route). */
int peer_send(struct hsd *d, int host, const char *cmd, json_t *args,
	      uint32_t timeout_ms, peer_cb cb, void *arg);

/* A PEER_REQUEST from the route engine generation gen (fd: bundle.put's
 * files, else -1; the caller closes it).  0, or HS_EINPUT when the engine
 * broke the protocol (the caller then restarts it). */
struct engine_msg;
int peer_request_in(struct hsd *d, uint32_t gen, const struct engine_msg *m, int fd,
		    char *err, size_t errlen);

/* A PEER_RESULT of engine generation gen: the call it answers gets its
 * callback (a result decoded from bytes, or the error line).  And every
 * call that engine carried, when it ends: HS_EUNREACH. */
struct engine_peer_result;
void peer_result_in(struct hsd *d, uint32_t gen, const struct engine_peer_result *r,
		    const uint8_t *bytes, size_t len);
void peer_outs_engine_gone(struct hsd *d, uint32_t gen);

/* Set up outgoing calls when the mesh runs (otherwise nothing happens);
 * the listener is the route engine's (engine_sup.h). */
int peer_init(struct hsd *d, const struct peer_service *svc, char *err, size_t errlen);
/* Close everything: pending client calls get cb(HS_ESYS, "hsd is
 * stopping"), pending server calls are dropped.  Safe to call twice. */
void peer_free(struct hsd *d);

/* Counters and state as a JSON object (new reference in *out). */
void peer_stats(struct hsd *d, json_t **out);

#endif
