/* peer_int.h - what the two halves of the peer protocol share: peer.c
 * (requests from the engine and the life cycle) and peer_out.c (outgoing calls). */
#ifndef HS_PEER_INT_H
#define HS_PEER_INT_H

#include "peer.h"
#include "peer_auth.h"
#include "daemon.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct peers {
	struct hsd *d;
	int refs;            /* d->peers + calls under way */
	struct peer_out *outs;
	int nouts;
	int64_t next_id;
	uint64_t calls_sent, calls_failed, timeouts;
	struct peer_service svc; /* what other hosts may ask */
};

void peers_unref(struct peers *p);
int64_t peer_wall_ms(void);
/* The key only we and host share (proto/peer_auth.h), from the keys
 * cluster.json holds now. */
int peer_pair_key(const struct hsd *d, int host, uint8_t key[PEER_AUTH_KEY],
		  char *err, size_t errlen);
/* A TCP socket in the mesh namespace bound to our overlay address: port
 * PEER_PORT and listening for the server, any port for a client. */
int peer_socket(struct hsd *d, bool server, int *out, char *err, size_t errlen);

/* peer_out.c: every call under way gets HS_ESYS "hsd is stopping". */
void peer_outs_stop(struct peers *p);

#endif
