/* engine_sup.h - hsd's side of the route engine (hsd/engine/engine.h).
 *
 * hsd starts hsengine with the mesh's route socket and the listening peer
 * socket, tells it the links, who may originate what and the hosts' MAC
 * keys, carries out the routes it decides and serves the peer requests it
 * decodes; it never reads a route packet or a peer's frame.  A dead engine is started again with backoff; the
 * kernel routes stay meanwhile, and those the new engine has not installed
 * again within ENGINE_ROUTE_HOLD_MS go.
 */
#ifndef HS_ENGINE_SUP_H
#define HS_ENGINE_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_msg.h"

struct hsd;
struct mesh_link;

#define ENGINE_BACKOFF_MIN_MS 100
#define ENGINE_BACKOFF_MAX_MS 10000
#define ENGINE_STABLE_MS 30000     /* alive this long: the next restart is at once */
#define ENGINE_ROUTE_HOLD_MS 10000 /* a restarted engine re-learns routes within this */

/* Start the engine for d->mesh (its socket and links are set up). */
int engine_sup_start(struct hsd *d, char *err, size_t errlen);
/* Close the channel (the engine ends) and every handle. */
void engine_sup_stop(struct hsd *d);
/* cluster.json's mesh timers changed: the running engine is ended and the
 * next (started as after any exit, routes kept) runs with them. */
void engine_sup_restart(struct hsd *d);

/* Tell the engine of a link (new, or a new ifindex), of one gone, and of a
 * new origin table (mesh_origins).  Lost if the engine is away: a new one
 * is told everything when it starts. */
void engine_sup_link_add(struct hsd *d, const struct mesh_link *l);
void engine_sup_link_del(struct hsd *d, uint32_t link_id);
void engine_sup_origins(struct hsd *d);

/* Tell the engine whose peer requests to take (after a reload too): each
 * other host's index, overlay address and the MAC key we share with it. */
void engine_sup_peers(struct hsd *d);

/* Answer the request conn/id that engine generation gen handed over: rc 0
 * and the result's JSON text, or an hs_rc and the error line.  Dropped if
 * that engine is gone (its connections went with it). */
void engine_sup_peer_reply(struct hsd *d, uint32_t gen, uint64_t conn, int64_t id, int rc,
			   const char *text);

/* Hand the engine a call to another host: its socket (connect under way)
 * in fds[0], the arguments' JSON inline (len bytes) or, when len is 0, in
 * the memfd fds[1].  *gen gets the engine's generation; HS_EUNREACH when
 * no engine runs.  The caller keeps and closes fds. */
int engine_sup_peer_call(struct hsd *d, const struct engine_peer_call *pc, const char *args,
			 size_t len, const int *fds, size_t nfds, uint32_t *gen, char *err,
			 size_t errlen);

/* The peer listener's counters over every engine since hsd started: 0, or
 * -1 (zeros) when there is no engine. */
int engine_sup_peer_stats(struct hsd *d, struct engine_peer_stats *st);

/* Put back the routes through link l (its device was re-created). */
void engine_sup_reinstall(struct hsd *d, const struct mesh_link *l);

/* The running engine's pid, 0 while it is away. */
int engine_sup_pid(struct hsd *d);

/* The engine's last snapshot (all zero before the first, and reported
 * false): the body, then n_routes route and n_neigh neighbour records. */
struct engine_view {
	bool reported;
	struct engine_snapshot s;
	const struct engine_route_info *routes;
	const struct engine_neigh_info *neigh;
	int pid;           /* of the running engine, 0 while it is away */
	uint32_t restarts; /* since hsd started */
	uint64_t refused;  /* messages from the engine that failed the check */
};
int engine_sup_view(struct hsd *d, struct engine_view *v);

#endif
