/* engine_call.h - hsd's calls to other hosts, carried by hsengine.
 *
 * hsd makes the socket in the mesh namespace, binds it to its overlay
 * address and starts the connect (the engine may open no socket); it
 * passes it with a PEER_CALL.  The engine builds and seals the request
 * under the pair's key, writes it, reads the reply, checks its MAC, parses
 * it and answers hsd with a PEER_RESULT: the result as peer_result
 * records, or the error.  hsd parses nothing another host wrote.
 */
#ifndef HS_ENGINE_CALL_H
#define HS_ENGINE_CALL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_msg.h"
#include "engine_peer.h"

#define ENGINE_CALLS_MAX 512 /* calls under way at once */

struct engine_calls;

struct engine_calls *ecalls_new(int chan, const struct engine_peers *peers);
void ecalls_free(struct engine_calls *c);

/* A PEER_CALL and the descriptors that came with it (taken over). */
int ecalls_on_call(struct engine_calls *c, const struct engine_msg *m, int *fds, size_t nfds,
		   uint64_t now, char *err, size_t errlen);

size_t ecalls_fill(struct engine_calls *c, struct pollfd *pfd);
int ecalls_events(struct engine_calls *c, const struct pollfd *pfd, size_t n, uint64_t now,
		  char *err, size_t errlen);
uint64_t ecalls_wakeup(const struct engine_calls *c);

#endif
