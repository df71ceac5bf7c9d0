/* engine.h - hsengine: hsroute and the route socket, unprivileged.
 *
 * hsd starts it (hsd/daemon/mesh/engine_sup.c) with the channel on fd 3, the
 * bound route socket (in the mesh namespace) on fd 4 and the listening
 * peer socket on fd 5 (engine_peer.h), as its own uid with no capability.  The engine confines itself further (engine_sandbox.c),
 * then turns route packets and timer ticks into packets it sends itself
 * and ROUTE/SEQNO/SNAPSHOT messages to hsd, and peer requests into
 * PEER_REQUEST messages (proto/engine_msg.h).
 */
#ifndef HS_ENGINE_H
#define HS_ENGINE_H

#include <stddef.h>

#define ENGINE_CHAN_FD 3
#define ENGINE_ROUTE_FD 4
#define ENGINE_ROUTE_PORT 6696 /* = MESH_ROUTE_PORT */

/* no_new_privs, not dumpable, Landlock with no access, seccomp allow-list. */
int engine_sandbox(char *err, size_t errlen);

/* Serve until hsd closes the channel (0) or something fails (HS_E*, err
 * says what). */
int engine_run(int chan, int sock, int listen_fd, char *err, size_t errlen);

#endif
