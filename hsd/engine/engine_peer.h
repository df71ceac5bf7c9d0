/* engine_peer.h - the peer listener inside hsengine.
 *
 * Every connection from another host's hsd ends here, not in root hsd:
 * the engine accepts on the listening socket hsd made in the mesh
 * namespace, frames the stream, checks each request's MAC under the key
 * the two hosts share (never a private key), its freshness and nonce,
 * parses its JSON and decodes its arguments (proto/peer_typed.h), then
 * hands hsd one PEER_REQUEST.  hsd's PEER_REPLY is sealed and written back
 * here.  Anything that fails on the way is answered (or the connection
 * closed) here and counted; hsd never sees it.
 */
#ifndef HS_ENGINE_PEER_H
#define HS_ENGINE_PEER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_msg.h"

#define ENGINE_PEER_FD 5

struct engine_peers;

/* listen_fd < 0: no listener (the peer messages are then refused). */
struct engine_peers *epeer_new(int listen_fd, int chan);
void epeer_free(struct engine_peers *p);

/* hsd's PEER_HOSTS and PEER_REPLY messages. */
int epeer_on_hosts(struct engine_peers *p, const struct engine_msg *m, char *err,
		   size_t errlen);
int epeer_on_reply(struct engine_peers *p, const struct engine_msg *m, char *err,
		   size_t errlen);

/* The descriptors to poll (at most epeer_max_fds), and what came of it:
 * 0, or an error that ends the engine (the channel failed). */
size_t epeer_max_fds(void);
size_t epeer_fill(struct engine_peers *p, struct pollfd *pfd);
int epeer_events(struct engine_peers *p, const struct pollfd *pfd, size_t n, uint64_t now,
		 char *err, size_t errlen);
/* When the next idle connection is due to close (UINT64_MAX: none). */
uint64_t epeer_wakeup(const struct engine_peers *p);

void epeer_stats(const struct engine_peers *p, struct engine_peer_stats *st);

/* The wall clock in ms, as MACs' timestamps count it. */
int64_t epeer_wall_ms(void);

/* What hsd told of the hosts: by cluster index (NULL if none), and ours. */
const struct engine_peer_host *epeer_host(const struct engine_peers *p, uint32_t index);
const char *epeer_self(const struct engine_peers *p);

#endif
