/* mesh.c - this host's part of the audit-space VPN.
 *
 * A mesh namespace holds one WireGuard interface per neighbour (hsm<p>,
 * AllowedIPs the overlay: kernel routes choose the interface), the overlay
 * address PREFIX+1 on its loopback, the audit spaces' veths, and hsroute's
 * UDP socket.  hsroute decides the routes; this file turns its actions into
 * packets and rtnetlink routes, and cluster.json reloads into link changes.
 */
#include "mesh.h"
#include "daemon.h"
#include "err.h"
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
	snprintf(out, len, "hsm%d", peer);
}

/* Who may originate what, from cluster.json: each host its own prefix
 * (under its router id), all of it inside the overlay.  hsroute drops
 * any other announcement, so a host cannot claim another's traffic. */
static struct hsr_origin *mesh_origins(const struct hsd *d, struct hsr_prefix *overlay)
{
	struct hsr_origin *o = calloc(d->cluster.nhosts + 1, sizeof(*o));

	if (!o)
		return NULL;
	for (size_t i = 0; i < d->cluster.nhosts; i++) {
		o[i].router_id = cluster_router_id(d->cluster.hosts[i].name);
		o[i].prefix.addr = d->cluster.hosts[i].prefix;
		o[i].prefix.len = d->cluster.hosts[i].prefix_len;
	}
	overlay->addr = d->cluster.overlay;
	overlay->len = d->cluster.overlay_len;
	return o;
}

static struct mesh_link *mesh_link_of(struct mesh *m, uint32_t link_id)
{
	for (size_t i = 0; i < m->nlinks; i++)
		if (m->links[i].active && m->links[i].id == link_id)
			return &m->links[i];
	return NULL;
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
	l->ml.peer_endpoint = peer->addr;
	if (peer->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&l->ml.peer_endpoint)->sin_port =
			htons((uint16_t)(cluster_host_port(peer) + d->self));
	else
		((struct sockaddr_in6 *)&l->ml.peer_endpoint)->sin6_port =
			htons((uint16_t)(cluster_host_port(peer) + d->self));
	l->ml.local.s_addr = htonl(me->prefix + 1);
	l->ml.peer.s_addr = htonl(peer->prefix + 1);
	/* The peer may send only overlay addresses through the tunnel. */
	l->ml.allowed.s_addr = htonl(d->cluster.overlay);
	l->ml.allowed_len = d->cluster.overlay_len;
}

static void on_timer(uv_timer_t *t);

static void mesh_run_actions(struct hsd *d)
{
	struct mesh *m = d->mesh;
	char err[HS_ERRLEN];

	for (size_t i = 0; i < m->acts.n; i++) {
		const struct hsr_action *a = &m->acts.v[i];
		struct mesh_link *l = mesh_link_of(m, a->link_id);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(MESH_ROUTE_PORT) };

		switch (a->type) {
		case HSR_ACT_SEND:
			if (!l)
				break;
			to.sin_addr = l->ml.peer;
			/* A full socket buffer loses a packet: the protocol
			 * repeats itself, the loop must never wait. */
			if (sendto(m->sock, hsr_action_bytes(&m->acts, a), a->len, MSG_DONTWAIT,
				   (struct sockaddr *)&to, sizeof(to)) < 0)
				m->send_errors++;
			break;
		case HSR_ACT_ROUTE_INSTALL:
		case HSR_ACT_ROUTE_REPLACE:
			if (!l || link_route_replace(m->ns.fd, a->prefix.addr, a->prefix.len, 0,
						     l->ml.ifname, RTN_UNICAST, MESH_RTPROT, err, sizeof(err)))
				log_error("mesh: install route: %s", l ? err : "unknown link");
			break;
		case HSR_ACT_ROUTE_REMOVE:
			if (link_route_delete(m->ns.fd, a->prefix.addr, a->prefix.len, err, sizeof(err)))
				log_error("mesh: remove route: %s", err);
			break;
		}
	}
	if (m->acts.oom)
		log_error("mesh: hsroute ran out of memory for its actions");
	uint64_t now = uv_now(d->loop);
	if (m->running && m->acts.wakeup_ms != HSR_NEVER)
		uv_timer_start(&m->timer, on_timer,
			       m->acts.wakeup_ms > now ? m->acts.wakeup_ms - now : 0, 0);
	hsr_actions_reset(&m->acts);
}

static void on_timer(uv_timer_t *t)
{
	struct hsd *d = t->data;
	hsr_timer(d->mesh->router, uv_now(d->loop), &d->mesh->acts);
	mesh_run_actions(d);
}

static void on_packet(uv_poll_t *p, int status, int events)
{
	struct hsd *d = p->data;
	struct mesh *m = d->mesh;
	uint8_t buf[2048];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];

	(void)status;
	(void)events;
	for (int budget = 64; budget > 0; budget--) {
		struct iovec iov = { buf, sizeof(buf) };
		struct sockaddr_in from = { 0 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(m->sock, &msg, MSG_DONTWAIT);
		if (n < 0)
			break;
		/* The interface a packet came in on names the neighbour:
		 * WireGuard authenticated the peer, but the peer forwards for
		 * others, so the source must also be the neighbour's own mesh
		 * address (the firewall enforces both; this is the backstop). */
		int ifindex = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				ifindex = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		struct mesh_link *l = NULL;
		for (size_t i = 0; i < m->nlinks && !l; i++)
			if (m->links[i].active && m->links[i].ifindex == ifindex)
				l = &m->links[i];
		if (!l) {
			m->unknown_link++;
			continue;
		}
		if (from.sin_family != AF_INET || from.sin_addr.s_addr != l->ml.peer.s_addr) {
			m->bad_source++;
			l->bad_source++;
			continue;
		}
		hsr_packet_in(m->router, l->id, buf, (size_t)n, uv_now(d->loop), &m->acts);
	}
	mesh_run_actions(d);
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
	if (!l->active) {
		l->active = true;
		hsr_link_add(m->router, l->id, HSR_COST_DEFAULT, uv_now(d->loop), &m->acts);
	}
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
			     .route_port = MESH_ROUTE_PORT, .peer_port = PEER_PORT };
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
	char path[PATH_MAX], seq[16];
	struct mesh *m;
	int rc;

	if (!(m = d->mesh = calloc(1, sizeof(*m))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	m->sock = -1;
	m->ns.fd = -1;
	hsr_actions_init(&m->acts);
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

	struct hsr_prefix own = { me->prefix, me->prefix_len }, overlay;
	struct hsr_origin *origins = mesh_origins(d, &overlay);
	if (!origins)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	struct hsr_config cfg = {
		.router_id = cluster_router_id(me->name),
		.prefixes = &own,
		.n_prefixes = 1,
		/* A lost link must be routed around within 3 s: hellos every
		 * 400 ms, a neighbour is dead after 1.3 s of silence. */
		.hello_ms = 400,
		.dead_ms = 1300,
		.seed = cluster_router_id(me->name),
		.overlay = overlay,
		.origins = origins,
		.n_origins = d->cluster.nhosts,
	};
	/* A restarted router must not reuse sequence numbers its neighbours
	 * still remember: start past the last one stored. */
	if (store_meta_get(d->store, "hsroute_seqno", seq, sizeof(seq), NULL, 0) == 1)
		cfg.initial_seqno = (uint16_t)(atoi(seq) + 256);
	m->router = hsr_router_create(&cfg, uv_now(d->loop), err, errlen);
	free(origins); /* the router keeps its own copy */
	if (!m->router)
		return HS_ESYS;
	snprintf(seq, sizeof(seq), "%u", cfg.initial_seqno);
	store_meta_set(d->store, "hsroute_seqno", seq, NULL, 0);

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
	uv_poll_init(d->loop, &m->poll, m->sock);
	uv_timer_init(d->loop, &m->timer);
	m->poll.data = m->timer.data = d;
	uv_poll_start(&m->poll, UV_READABLE, on_packet);
	m->running = true;
	mesh_sup_start(d);
	hsr_timer(m->router, uv_now(d->loop), &m->acts);
	mesh_run_actions(d);
	size_t nlinks = 0;
	for (size_t i = 0; i < m->nlinks; i++)
		nlinks += m->links[i].active;
	log_info("mesh: %s WireGuard, %zu links, router id %08x", m->be->name, nlinks,
		 cfg.router_id);
	return 0;
}

/* hsd stops: the tunnels, wireguard-go and the routes stay (audit spaces
 * keep talking); only our handles go. */
void mesh_stop(struct hsd *d)
{
	struct mesh *m = d->mesh;

	if (!m)
		return;
	if (m->running) {
		char seq[16];
		struct hsr_stats st;
		hsr_router_stats(m->router, &st);
		snprintf(seq, sizeof(seq), "%u", st.seqno);
		store_meta_set(d->store, "hsroute_seqno", seq, NULL, 0);
		mesh_sup_stop(d);
		uv_close((uv_handle_t *)&m->poll, NULL);
		uv_close((uv_handle_t *)&m->timer, NULL);
		uv_run(d->loop, UV_RUN_NOWAIT);
	}
	if (m->sock >= 0)
		close(m->sock);
	hsr_router_destroy(m->router);
	hsr_actions_free(&m->acts);
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
			hsr_link_del(m->router, old->id, uv_now(d->loop), &m->acts);
			meshns_del_link(&m->ns, &old->ml, NULL, 0);
			log_info("mesh: link to %s removed", old->name);
			continue;
		}
		char want[16];
		mesh_ifname(p, want, sizeof(want));
		if (strcmp(want, old->ml.ifname) != 0) {
			/* The host moved within the file: its link is renamed. */
			hsr_link_del(m->router, old->id, uv_now(d->loop), &m->acts);
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
	/* Hosts, names or prefixes may have changed: so has who owns what. */
	struct hsr_prefix overlay;
	struct hsr_origin *origins = mesh_origins(d, &overlay);
	if (!origins || hsr_origin_set(m->router, overlay, origins, d->cluster.nhosts,
					uv_now(d->loop), &m->acts) < 0) {
		if (!rc)
			rc = err_set(err, errlen, HS_ESYS, "mesh: cannot replace the route origin table");
	}
	free(origins);
	/* Links may have changed names or neighbours. */
	int frc = mesh_firewall(d, rc ? NULL : err, errlen);
	mesh_run_actions(d);
	return rc ? rc : frc;
}
