/* engine.c - hsengine's loop: route packets and ticks in, actions out.
 *
 * What mesh.c did inside root hsd before the split: feed hsroute the
 * packets of the route socket and its timer, send the packets it asks for,
 * and tell hsd which kernel routes to install or remove.  The engine knows
 * links by id, ifindex and neighbour address only; it never sees a key, a
 * device name or the store.  Every SNAPSHOT_MS, and right after any route
 * changes, it sends hsd what `hsctl routes` and `hsctl peers` show.
 */
#include "engine.h"
#include "engine_call.h"
#include "engine_msg.h"
#include "engine_peer.h"
#include "err.h"
#include "hsroute.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SNAPSHOT_MS 500

struct engine_peer {
	struct engine_link l;
	uint64_t bad_source;
};

struct engine {
	int chan, sock;
	struct engine_peers *peer;  /* the peer listener (engine_peer.c) */
	struct engine_calls *calls; /* hsd's calls to other hosts (engine_call.c) */
	struct pollfd *pfd;
	struct hsr_router *router;
	struct hsr_actions acts;
	uint64_t wakeup_ms;
	struct engine_peer *peers;
	size_t npeers;
	uint64_t unknown_link, bad_source, send_errors;
	uint32_t seqno_told;      /* UINT32_MAX: none yet */
	uint64_t snapshot_at;
	uint8_t *buf;             /* ENGINE_MSG_MAX: channel in, snapshots out */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct engine_peer *peer_by_id(struct engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->npeers; i++)
		if (e->peers[i].l.link_id == id)
			return &e->peers[i];
	return NULL;
}

static int send_route(struct engine *e, uint32_t op, const struct hsr_action *a, char *err,
		      size_t errlen)
{
	struct engine_route r = { .op = op, .link_id = a->link_id, .addr = a->prefix.addr,
				  .len = a->prefix.len };
	return engine_msg_send(e->chan, ENGINE_MSG_ROUTE, &r, sizeof(r), NULL, 0, 0, err, errlen);
}

/* Carry out what hsroute returned: packets go out here, routes to hsd. */
static int run_actions(struct engine *e, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < e->acts.n && !rc; i++) {
		const struct hsr_action *a = &e->acts.v[i];
		struct engine_peer *p = peer_by_id(e, a->link_id);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(ENGINE_ROUTE_PORT) };

		switch (a->type) {
		case HSR_ACT_SEND:
			if (!p)
				break;
			to.sin_addr.s_addr = p->l.peer_addr;
			/* A full buffer loses a packet: the protocol repeats
			 * itself, the loop never waits. */
			if (sendto(e->sock, hsr_action_bytes(&e->acts, a), a->len, MSG_DONTWAIT,
				   (struct sockaddr *)&to, sizeof(to)) < 0)
				e->send_errors++;
			break;
		case HSR_ACT_ROUTE_INSTALL:
		case HSR_ACT_ROUTE_REPLACE:
			rc = send_route(e, ENGINE_ROUTE_INSTALL, a, err, errlen);
			e->snapshot_at = 0; /* hsctl routes shows it at once */
			break;
		case HSR_ACT_ROUTE_REMOVE:
			rc = send_route(e, ENGINE_ROUTE_REMOVE, a, err, errlen);
			e->snapshot_at = 0;
			break;
		}
	}
	e->wakeup_ms = e->acts.wakeup_ms;
	/* Some action was lost: start over with a clean router (hsd
	 * restarts us) rather than run with a partial table. */
	if (!rc && e->acts.oom)
		rc = err_set(err, errlen, HS_ESYS, "engine: hsroute ran out of memory for its actions");
	hsr_actions_reset(&e->acts);
	if (rc)
		return rc;
	/* hsd stores the sequence number so that a restarted engine never
	 * reuses one its neighbours remember. */
	struct hsr_stats st;
	hsr_router_stats(e->router, &st);
	if (st.seqno != e->seqno_told) {
		struct engine_seqno s = { st.seqno };
		e->seqno_told = st.seqno;
		rc = engine_msg_send(e->chan, ENGINE_MSG_SEQNO, &s, sizeof(s), NULL, 0, 0, err, errlen);
	}
	return rc;
}

struct snap_fill {
	uint8_t *at, *end;
	uint32_t n;
};

static int snap_route(const struct hsr_route_info *r, void *arg)
{
	struct snap_fill *f = arg;
	struct engine_route_info ri = {
		.addr = r->prefix.addr, .len = r->prefix.len, .nexthop_id = r->nexthop_id,
		.link_id = r->link_id, .source_id = r->source_id, .metric = r->metric,
		.seqno = r->seqno, .age_ms = r->age_ms,
		.flags = (r->own ? ENGINE_RI_OWN : 0) | (r->selected ? ENGINE_RI_SELECTED : 0) |
			 (r->installed ? ENGINE_RI_INSTALLED : 0),
	};
	if (!r->selected && !r->own)
		return 0;
	if (f->n == 2 * ENGINE_MAX_ITEMS || f->end - f->at < (ptrdiff_t)sizeof(ri))
		return 1;
	memcpy(f->at, &ri, sizeof(ri));
	f->at += sizeof(ri);
	f->n++;
	return 0;
}

struct snap_neigh_fill {
	struct snap_fill f;
	struct engine *e;
};

static int snap_neigh(const struct hsr_neigh_info *n, void *arg)
{
	struct snap_neigh_fill *c = arg;
	struct engine_peer *p = peer_by_id(c->e, n->link_id);
	struct engine_neigh_info ni = {
		.link_id = n->link_id, .router_id = n->router_id, .up = n->up,
		.hello_age_ms = n->hello_age_ms, .pkts_in = n->pkts_in, .pkts_out = n->pkts_out,
		.bad_source = p ? p->bad_source : 0,
	};
	memcpy(ni.drops, n->drops, sizeof(ni.drops));
	if (c->f.n == ENGINE_MAX_ITEMS || c->f.end - c->f.at < (ptrdiff_t)sizeof(ni))
		return 1;
	memcpy(c->f.at, &ni, sizeof(ni));
	c->f.at += sizeof(ni);
	c->f.n++;
	return 0;
}

static int send_snapshot(struct engine *e, uint64_t now, char *err, size_t errlen)
{
	struct engine_snapshot s = { .unknown_link = e->unknown_link, .bad_source = e->bad_source,
				     .send_errors = e->send_errors };
	struct hsr_stats st;
	struct snap_neigh_fill nf = { .e = e };
	struct snap_fill rf = { e->buf, e->buf + ENGINE_MSG_MAX - 4096, 0 };

	hsr_router_stats(e->router, &st);
	s.seqno = st.seqno;
	s.hello_ms = st.hello_ms;
	s.dead_ms = st.dead_ms;
	memcpy(s.drops, st.drops, sizeof(s.drops));
	hsr_route_foreach(e->router, now, snap_route, &rf);
	nf.f = (struct snap_fill){ rf.at, rf.end, 0 };
	hsr_neigh_foreach(e->router, now, snap_neigh, &nf);
	s.n_routes = rf.n;
	s.n_neigh = nf.f.n;
	epeer_stats(e->peer, &s.peer);
	return engine_msg_send(e->chan, ENGINE_MSG_SNAPSHOT, &s, sizeof(s), e->buf,
			       (size_t)(nf.f.at - e->buf), 0, err, errlen);
}

/* The origin table of a CONFIG or ORIGINS message, as hsroute takes it. */
static struct hsr_origin *origins_of(const struct engine_msg *m)
{
	struct hsr_origin *o = calloc(m->count ? m->count : 1, sizeof(*o));

	for (uint32_t i = 0; o && i < m->count; i++) {
		struct engine_origin eo;
		memcpy(&eo, (const uint8_t *)m->items + i * sizeof(eo), sizeof(eo));
		o[i] = (struct hsr_origin){ eo.router_id, { eo.addr, (uint8_t)eo.len } };
	}
	return o;
}

static int on_config(struct engine *e, const struct engine_msg *m, uint64_t now, char *err,
		     size_t errlen)
{
	struct engine_config c;
	struct hsr_origin *o = origins_of(m);

	if (!o)
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	memcpy(&c, m->body, sizeof(c));
	struct hsr_prefix own = { c.own_addr, (uint8_t)c.own_len };
	struct hsr_config cfg = {
		.router_id = c.router_id, .prefixes = &own, .n_prefixes = 1,
		.hello_ms = c.hello_ms, .dead_ms = c.dead_ms, .seed = c.seed,
		.initial_seqno = (uint16_t)c.initial_seqno,
		.overlay = { c.overlay.overlay_addr, (uint8_t)c.overlay.overlay_len },
		.origins = o, .n_origins = m->count,
	};
	e->router = hsr_router_create(&cfg, now, err, errlen);
	free(o);
	return e->router ? 0 : HS_EINPUT;
}

static int on_origins(struct engine *e, const struct engine_msg *m, uint64_t now, char *err,
		      size_t errlen)
{
	struct engine_origins ov;
	struct hsr_origin *o = origins_of(m);

	if (!o)
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	memcpy(&ov, m->body, sizeof(ov));
	int rc = hsr_origin_set(e->router, (struct hsr_prefix){ ov.overlay_addr, (uint8_t)ov.overlay_len },
				o, m->count, now, &e->acts);
	free(o);
	return rc < 0 ? err_set(err, errlen, HS_EINPUT, "engine: origin table refused") : 0;
}

static int on_link(struct engine *e, const struct engine_msg *m, uint64_t now, char *err,
		   size_t errlen)
{
	struct engine_link l;
	memcpy(&l, m->body, sizeof(l));
	struct engine_peer *p = peer_by_id(e, l.link_id);

	if (m->type == ENGINE_MSG_LINK_DEL) {
		if (!p)
			return 0;
		hsr_link_del(e->router, l.link_id, now, &e->acts);
		*p = e->peers[--e->npeers];
		return 0;
	}
	if (p) { /* a restarted WireGuard device: a new ifindex */
		p->l = l;
		return 0;
	}
	if (e->npeers == ENGINE_MAX_ITEMS || l.cost == 0 || l.cost > UINT16_MAX)
		return err_set(err, errlen, HS_EINPUT, "engine: link %08x refused", l.link_id);
	struct engine_peer *v = realloc(e->peers, (e->npeers + 1) * sizeof(*v));
	if (!v)
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	e->peers = v;
	e->peers[e->npeers++] = (struct engine_peer){ .l = l };
	hsr_link_add(e->router, l.link_id, (uint16_t)l.cost, now, &e->acts);
	return 0;
}

/* One message from hsd: 1 when the channel closed, 0, or an error. */
static int on_chan(struct engine *e, uint64_t now, char *err, size_t errlen)
{
	struct engine_msg m;
	int fds[ENGINE_MSG_FDS];
	size_t nfds;
	ssize_t n;
	int rc;

	n = engine_msg_recv(e->chan, e->buf, ENGINE_MSG_MAX, fds, &nfds);
	if (n < 0)
		return errno == EAGAIN ? 0 : err_sys(err, errlen, "engine: channel");
	if (n == 0)
		return 1;
	if (n > ENGINE_MSG_MAX)
		rc = err_set(err, errlen, HS_EINPUT, "engine: %zd-byte message", n);
	else if (!(rc = engine_msg_check(e->buf, (size_t)n, &m, err, errlen)) &&
		 (m.type == ENGINE_MSG_CONFIG) != !e->router)
		rc = err_set(err, errlen, HS_EINPUT, "engine: message type %u out of order", m.type);
	if (!rc && m.type == ENGINE_MSG_PEER_CALL)
		return ecalls_on_call(e->calls, &m, fds, nfds, now, err, errlen);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (!rc && nfds)
		rc = err_set(err, errlen, HS_EINPUT, "engine: descriptors with message type %u", m.type);
	if (rc)
		return rc;
	switch (m.type) {
	case ENGINE_MSG_CONFIG:
		return on_config(e, &m, now, err, errlen);
	case ENGINE_MSG_ORIGINS:
		return on_origins(e, &m, now, err, errlen);
	case ENGINE_MSG_LINK_ADD:
	case ENGINE_MSG_LINK_DEL:
		return on_link(e, &m, now, err, errlen);
	case ENGINE_MSG_PEER_HOSTS:
		return epeer_on_hosts(e->peer, &m, err, errlen);
	case ENGINE_MSG_PEER_REPLY:
		return epeer_on_reply(e->peer, &m, err, errlen);
	default:
		return err_set(err, errlen, HS_EINPUT, "engine: message type %u goes up, not down",
			       m.type);
	}
}

static void on_packets(struct engine *e, uint64_t now)
{
	uint8_t buf[2048];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];

	for (int budget = 64; budget > 0; budget--) {
		struct iovec iov = { buf, sizeof(buf) };
		struct sockaddr_in from = { 0 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(e->sock, &msg, MSG_DONTWAIT);
		if (n < 0)
			break;
		/* The interface a packet came in on names the neighbour:
		 * WireGuard authenticated the peer, but the peer forwards for
		 * others, so the source must also be the neighbour's own mesh
		 * address (the firewall enforces both; this is the backstop). */
		uint32_t ifindex = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				ifindex = (uint32_t)((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		struct engine_peer *p = NULL;
		for (size_t i = 0; i < e->npeers && !p; i++)
			if (e->peers[i].l.ifindex == ifindex)
				p = &e->peers[i];
		if (!p) {
			e->unknown_link++;
			continue;
		}
		if (from.sin_family != AF_INET || from.sin_addr.s_addr != p->l.peer_addr) {
			e->bad_source++;
			p->bad_source++;
			continue;
		}
		hsr_packet_in(e->router, p->l.link_id, buf, (size_t)n, now, &e->acts);
	}
}

static int engine_loop(struct engine *e, char *err, size_t errlen)
{
	for (;;) {
		uint64_t now = now_ms(), next = e->snapshot_at;
		if (e->router && e->wakeup_ms < next)
			next = e->wakeup_ms;
		struct pollfd *pfd = e->pfd;
		pfd[0] = (struct pollfd){ e->chan, POLLIN, 0 };
		pfd[1] = (struct pollfd){ e->sock, POLLIN, 0 };
		size_t npeer = 0, ncalls = 0;
		if (e->router) {
			npeer = epeer_fill(e->peer, pfd + 2);
			ncalls = ecalls_fill(e->calls, pfd + 2 + npeer);
			uint64_t w = epeer_wakeup(e->peer), wc = ecalls_wakeup(e->calls);
			if (wc < w)
				w = wc;
			if (w < next)
				next = w;
		}
		int timeout = !e->router ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(pfd, e->router ? 2 + npeer + ncalls : 1, timeout) < 0 && errno != EINTR)
			return err_sys(err, errlen, "engine: poll");
		now = now_ms();
		int rc = 0;
		if (pfd[0].revents) {
			if ((rc = on_chan(e, now, err, errlen)) == 1)
				return 0;
			if (rc)
				return rc;
		}
		if (!e->router)
			continue;
		if (pfd[1].revents)
			on_packets(e, now);
		if ((rc = epeer_events(e->peer, pfd + 2, npeer, now, err, errlen)) ||
		    (rc = ecalls_events(e->calls, pfd + 2 + npeer, ncalls, now, err, errlen)))
			return rc;
		/* Also refreshes the wakeup, whatever woke us. */
		hsr_timer(e->router, now, &e->acts);
		if ((rc = run_actions(e, err, errlen)))
			return rc;
		if (now >= e->snapshot_at) {
			e->snapshot_at = now + SNAPSHOT_MS;
			if ((rc = send_snapshot(e, now, err, errlen)))
				return rc;
		}
	}
}

int engine_run(int chan, int sock, int listen_fd, char *err, size_t errlen)
{
	struct engine e = { .chan = chan, .sock = sock, .seqno_told = UINT32_MAX,
			    .wakeup_ms = HSR_NEVER };
	int rc;

	hsr_actions_init(&e.acts);
	e.buf = malloc(ENGINE_MSG_MAX);
	e.pfd = calloc(2 + epeer_max_fds() + ENGINE_CALLS_MAX, sizeof(*e.pfd));
	e.peer = epeer_new(listen_fd, chan);
	e.calls = e.peer ? ecalls_new(chan, e.peer) : NULL;
	rc = e.buf && e.pfd && e.calls ? engine_loop(&e, err, errlen)
				       : err_set(err, errlen, HS_ESYS, "engine: out of memory");
	ecalls_free(e.calls);
	epeer_free(e.peer);
	free(e.pfd);
	hsr_router_destroy(e.router);
	hsr_actions_free(&e.acts);
	free(e.peers);
	free(e.buf);
	return rc;
}
