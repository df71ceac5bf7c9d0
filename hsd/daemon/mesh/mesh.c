/* mesh.c - this host's part of the audit-space VPN.
 *
 * A mesh namespace holds one WireGuard interface per neighbour (hsm<p>,
 * AllowedIPs the overlay: kernel routes choose the interface), the overlay
 * address PREFIX+1 on its loopback, the audit spaces' veths, and hsroute's
 * UDP socket.  hsroute decides the routes in the unprivileged route engine
 * (engine_sup.c); this file sets up the namespace, links and firewall, and
 * turns cluster.json reloads into link changes.
 */
#include "mesh.h"
#include "daemon.h"
#include "engine_sup.h"
#include "fleetdb_msg.h"
#include "err.h"
#include "ifnames.h"
#include "link.h"
#include "log.h"
#include "meshfw.h"
#include "netns.h"
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void mesh_ifname(int peer, char *out, size_t len)
{
	snprintf(out, len, IFNAME_MESH "%d", peer);
}

/* The WireGuard link to cluster host p, as this cluster file says. */
static void mesh_link_config(struct hsd *d, int p, struct mesh_link *l)
{
	const struct cluster_host *me = &d->cluster.hosts[d->self];
	const struct cluster_host *peer = &d->cluster.hosts[p];

	memset(&l->ml, 0, sizeof(l->ml));
	l->peer = p;
	l->id = cluster_router_id(peer->name);
	snprintf(l->name, sizeof(l->name), "%s", peer->name);
	mesh_ifname(p, l->ml.ifname, sizeof(l->ml.ifname));
	/* Each link has its own port on both sides: host h listens for p on
	 * port(h) + p and reaches p at endpoint(p) port(p) + h. */
	l->ml.listen_port = (uint16_t)(cluster_host_port(me) + p);
	memcpy(l->ml.private_key, d->private_key, KEY_LEN);
	memcpy(l->ml.peer_public_key, peer->public_key, KEY_LEN);
	/* Only the end listed first initiates: the other is given no
	 * endpoint and learns it from the first handshake (WireGuard's
	 * roaming).  With both ends initiating, initiations sent at the same
	 * moment cross, each end drops the handshake its answer names, and
	 * the two can stay in step for minutes (docs/mesh.md). */
	if (d->self < p) {
		l->ml.peer_endpoint = peer->addr;
		if (peer->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&l->ml.peer_endpoint)->sin_port =
				htons((uint16_t)(cluster_host_port(peer) + d->self));
		else
			((struct sockaddr_in6 *)&l->ml.peer_endpoint)->sin6_port =
				htons((uint16_t)(cluster_host_port(peer) + d->self));
	}
	l->ml.local.s_addr = htonl(me->prefix + 1);
	l->ml.peer.s_addr = htonl(peer->prefix + 1);
	/* The peer may send only overlay addresses through the tunnel. */
	l->ml.allowed.s_addr = htonl(d->cluster.overlay);
	l->ml.allowed_len = d->cluster.overlay_len;
}

static int mesh_link_up(struct hsd *d, struct mesh_link *l, char *err, size_t errlen)
{
	struct mesh *m = d->mesh;
	int rc;

	if ((rc = meshns_add_link(&m->ns, &l->ml, err, errlen)) ||
	    (rc = link_index(m->ns.fd, l->ml.ifname, &l->ifindex, err, errlen)))
		return rc;
	if (!l->wg_started_ms)
		l->wg_started_ms = uv_now(d->loop);
	/* New, or its device was re-created with a new index. */
	l->active = true;
	engine_sup_link_add(d, l);
	return 0;
}

/* The mesh namespace's firewall (meshfw.h) for the current cluster file:
 * every host's mesh address, and which neighbour owns which link. */
static int mesh_firewall(struct hsd *d, char *err, size_t errlen)
{
	const struct cluster_host *me = &d->cluster.hosts[d->self];
	size_t n = d->cluster.nhosts, k = 0;
	uint32_t *hosts = calloc(n, sizeof(*hosts));
	struct meshfw_neigh *neigh = calloc(n, sizeof(*neigh));
	int rc;

	if (!hosts || !neigh) {
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
		goto out;
	}
	for (size_t p = 0; p < n; p++) {
		hosts[p] = d->cluster.hosts[p].prefix + 1;
		if (!cluster_linked(&d->cluster, (size_t)d->self, p))
			continue;
		mesh_ifname((int)p, neigh[k].ifname, sizeof(neigh[k].ifname));
		neigh[k++].addr = d->cluster.hosts[p].prefix + 1;
	}
	struct meshfw fw = { .prefix = me->prefix, .prefix_len = me->prefix_len,
			     .hosts = hosts, .nhosts = n, .neigh = neigh, .nneigh = k,
			     .route_port = MESH_ROUTE_PORT, .peer_port = PEER_PORT,
			     .fleetdb_port = FLEETDB_PORT };
	rc = meshfw_apply(d->mesh->ns.fd, &fw, err, errlen);
out:
	free(hosts);
	free(neigh);
	return rc;
}

static int mesh_socket(struct mesh *m, char *err, size_t errlen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(MESH_ROUTE_PORT) };
	int saved, one = 1, rc;

	if ((rc = netns_enter(m->ns.fd, &saved, err, errlen)))
		return rc;
	m->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->sock < 0 || setsockopt(m->sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    bind(m->sock, (struct sockaddr *)&sin, sizeof(sin)))
		rc = err_sys(err, errlen, "mesh: route socket");
	netns_leave(saved, NULL, 0);
	return rc;
}

int mesh_start(struct hsd *d, char *err, size_t errlen)
{
	const struct cluster_host *me = &d->cluster.hosts[d->self];
	char path[PATH_MAX];
	struct mesh *m;
	int rc;

	if (!(m = d->mesh = calloc(1, sizeof(*m))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	m->sock = -1;
	m->ns.fd = -1;
	m->be = wg_backend_detect();
	snprintf(path, sizeof(path), "%s/mesh.netns", d->opt.run_dir);
	/* The firewall before the socket: no packet of an audit space ever
	 * reaches it. */
	if ((rc = meshns_open(&m->ns, path, m->be, err, errlen)) ||
	    (rc = link_addr_add(m->ns.fd, "lo", me->prefix + 1, 32, err, errlen)) ||
	    (rc = mesh_firewall(d, err, errlen)) ||
	    (rc = mesh_socket(m, err, errlen)))
		return rc;
	/* The base and the server spaces must never reach the overlay, not even
	 * by a default route that would carry it out of the real interface. */
	if ((rc = link_route_replace(-1, d->cluster.overlay, d->cluster.overlay_len, 0, NULL,
				     RTN_UNREACHABLE, MESH_RTPROT, err, errlen)))
		return rc;
	/* Routes of an earlier run are hsroute's to decide again. */
	for (size_t i = 0; i < d->cluster.nhosts; i++)
		if ((int)i != d->self)
			link_route_delete(m->ns.fd, d->cluster.hosts[i].prefix,
					  d->cluster.hosts[i].prefix_len, NULL, 0);

	m->links = calloc(d->cluster.nhosts, sizeof(*m->links));
	m->nlinks = d->cluster.nhosts;
	if (!m->links)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t p = 0; p < d->cluster.nhosts; p++) {
		if (!cluster_linked(&d->cluster, (size_t)d->self, p))
			continue;
		mesh_link_config(d, (int)p, &m->links[p]);
		if ((rc = mesh_link_up(d, &m->links[p], err, errlen)))
			return rc;
	}
	/* The engine is told the links it starts with (engine_sup.c). */
	if ((rc = engine_sup_start(d, err, errlen)))
		return rc;
	m->running = true;
	mesh_sup_start(d);
	size_t nlinks = 0;
	for (size_t i = 0; i < m->nlinks; i++)
		nlinks += m->links[i].active;
	log_info("mesh: %s WireGuard, %zu links, router id %08x, route engine pid %d",
		 m->be->name, nlinks, cluster_router_id(me->name), engine_sup_pid(d));
	return 0;
}

/* hsd stops: the tunnels, wireguard-go and the routes stay (audit spaces
 * keep talking); only our handles go. */
void mesh_stop(struct hsd *d)
{
	struct mesh *m = d->mesh;

	if (!m)
		return;
	if (m->running)
		mesh_sup_stop(d);
	engine_sup_stop(d); /* its last sequence number is stored already */
	if (m->sock >= 0)
		close(m->sock);
	for (size_t i = 0; i < m->nlinks; i++)
		memset(m->links[i].ml.private_key, 0, KEY_LEN);
	free(m->links);
	meshns_close(&m->ns);
	free(m);
	d->mesh = NULL;
}

/* Apply a new cluster file: links to hosts no longer neighbours go, new
 * neighbours come, and a changed endpoint or key is sent to WireGuard as a
 * difference; nothing else is touched. */
int mesh_reload(struct hsd *d, char *err, size_t errlen)
{
	struct mesh *m = d->mesh;
	struct mesh_link *next;
	int rc = 0;

	if (!m || !m->running)
		return 0;
	if (!(next = calloc(d->cluster.nhosts, sizeof(*next))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t i = 0; i < m->nlinks; i++) {
		struct mesh_link *old = &m->links[i];
		int p = old->active ? cluster_host_index(&d->cluster, old->name) : -1;
		if (!old->active)
			continue;
		if (p < 0 || p == d->self || !cluster_linked(&d->cluster, (size_t)d->self, (size_t)p)) {
			engine_sup_link_del(d, old->id);
			meshns_del_link(&m->ns, &old->ml, NULL, 0);
			log_info("mesh: link to %s removed", old->name);
			continue;
		}
		char want[16];
		mesh_ifname(p, want, sizeof(want));
		if (strcmp(want, old->ml.ifname) != 0) {
			/* The host moved within the file: its link is renamed. */
			engine_sup_link_del(d, old->id);
			meshns_del_link(&m->ns, &old->ml, NULL, 0);
			continue;
		}
		next[p] = *old; /* keeps the wireguard-go process it adopted */
	}
	free(m->links);
	m->links = next;
	m->nlinks = d->cluster.nhosts;
	for (size_t p = 0; p < d->cluster.nhosts && !rc; p++) {
		if (!cluster_linked(&d->cluster, (size_t)d->self, p))
			continue;
		struct wg_proc proc = m->links[p].ml.proc;
		bool was = m->links[p].active;
		mesh_link_config(d, (int)p, &m->links[p]);
		m->links[p].ml.proc = proc;
		m->links[p].active = was;
		rc = mesh_link_up(d, &m->links[p], err, errlen);
	}
	/* Hosts, names, prefixes or keys may have changed: so has who owns
	 * what, and whose requests the engine takes under which key. */
	engine_sup_origins(d);
	engine_sup_peers(d);
	/* Links may have changed names or neighbours. */
	int frc = mesh_firewall(d, rc ? NULL : err, errlen);
	return rc ? rc : frc;
}
