/* mesh.h - this host's part of the audit-space VPN. */
#ifndef HS_MESH_H
#define HS_MESH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hsroute.h"
#include "meshns.h"

struct hsd;

#define MESH_ROUTE_PORT 6696 /* hsroute's UDP port inside the mesh */
#define MESH_RTPROT 188      /* rtnetlink protocol of hsd's routes */

struct mesh_link {
	bool active;
	int peer;                 /* index in cluster.hosts */
	uint32_t id;              /* hsroute link id: the peer's router id */
	char name[33];            /* the peer's host name */
	int ifindex;              /* of ml.ifname in the mesh namespace */
	struct meshns_link ml;
	/* Supervision of its wireguard-go (mesh_sup.c). */
	uint64_t wg_started_ms;   /* loop time of the last (re)start */
	uint64_t wg_retry_at;     /* 0, or when to try the next restart */
	uint32_t wg_backoff_ms;   /* wait before the next restart */
	uint32_t wg_restarts;
};

struct mesh {
	bool running;
	struct meshns ns;
	const struct wg_backend *be;
	struct mesh_link *links;  /* one slot per cluster host */
	size_t nlinks;
	int sock;                 /* hsroute's UDP socket, in the mesh ns: the
				   * engine's, kept here to hand to a new one */
	struct engine_sup *engine; /* the route engine (engine_sup.c) */
	uv_timer_t sup_timer;     /* wireguard-go supervision (userspace) */
	bool sup_running;
};

int mesh_start(struct hsd *d, char *err, size_t errlen);
void mesh_stop(struct hsd *d);
int mesh_reload(struct hsd *d, char *err, size_t errlen);

/* wireguard-go supervision: a dead process is reaped (only ours), and the
 * link re-created and re-configured, with backoff (mesh_sup.c). */
void mesh_sup_start(struct hsd *d);
void mesh_sup_stop(struct hsd *d);
int mesh_link_restart(struct hsd *d, struct mesh_link *l, char *err, size_t errlen);

/* hsctl routes / peers. */
int mesh_routes_json(struct hsd *d, json_t **out, char *err, size_t errlen);
int mesh_peers_json(struct hsd *d, json_t **out, char *err, size_t errlen);

/* An audit space's place in the mesh: a veth "mesh0" inside it with
 * address PREFIX + 2 + n, the other end hsa<n> in the mesh namespace. */
int mesh_audit_attach(struct hsd *d, int audit_netns_fd, uint32_t n,
		      char *err, size_t errlen);
void mesh_audit_detach(struct hsd *d, uint32_t n);
uint32_t mesh_audit_addr(const struct hsd *d, uint32_t n);

#endif
