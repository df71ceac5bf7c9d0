/* engine_sup.c - starting, feeding and restarting hsengine.
 *
 * As in OpenBSD's ripd, what parses packets from other hosts is a separate
 * process with no privilege: hsengine runs hsroute on the mesh's route
 * socket as a uid of its own (the one just below the --subuid pool), and
 * hsd only carries out the routes it decides, named by link id and prefix
 * in checked, fixed-size messages (proto/engine_msg.h).  Its executable is
 * a sealed in-memory copy, so neither a path the uid cannot search nor a
 * replaced file on disk matters.
 */
#include "engine_sup.h"
#include "addr.h"
#include "daemon.h"
#include "err.h"
#include "link.h"
#include "log.h"
#include "mesh.h"
#include "peer.h"
#include "peer_int.h"
#include "space.h"
#include "textesc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ENGINE_LOG_PER_S 20

struct engine_route_row {
	uint32_t addr, len, link_id;
	uint32_t gen; /* the engine generation that installed it last */
};

struct engine_sup {
	struct hsd *d;
	int exe_fd;               /* sealed copy of hsengine */
	int listen_fd;            /* the peer listener, passed to each engine */
	uv_process_t proc;
	bool running;             /* proc is an open handle */
	int chan;                 /* our end of the channel, -1 while away */
	uv_poll_t poll;
	uv_timer_t restart, sweep;
	bool stopping;
	uint32_t backoff_ms, restarts, gen;
	uint64_t started_ms, refused;
	/* The engine's sequence number, stored at most once a second: an
	 * engine gone wrong must not make hsd write the store in a loop. */
	uint32_t seqno;
	bool seqno_dirty;
	uint64_t seqno_stored_ms;
	struct engine_route_row *routes;
	size_t nroutes;
	uint8_t *snap;            /* the last SNAPSHOT's body and items */
	struct engine_peer_stats peer_base; /* of the engines before this one */
	uint64_t log_window_ms;   /* the engine's log lines: at most */
	uint32_t log_lines, log_dropped; /* ENGINE_LOG_PER_S a second */
	uint8_t *buf;             /* ENGINE_MSG_MAX */
};

static const struct mesh_link *link_by_id(const struct mesh *m, uint32_t id)
{
	for (size_t i = 0; i < m->nlinks; i++)
		if (m->links[i].active && m->links[i].id == id)
			return &m->links[i];
	return NULL;
}

static void sup_send(struct engine_sup *s, enum engine_msg_type type, const void *body,
		     size_t body_len, const void *items, size_t item_len, uint32_t count)
{
	char err[HS_ERRLEN];

	if (!s || s->chan < 0)
		return; /* the next engine is told everything */
	/* Our end does not block: an engine that stops reading is stuck,
	 * and a stuck engine is killed and started again. */
	if (engine_msg_send(s->chan, type, body, body_len, items, item_len, count, err,
			    sizeof(err))) {
		log_error("mesh: %s; stopping the route engine", err);
		if (s->running)
			uv_process_kill(&s->proc, SIGKILL);
	}
}

/* Send a CONFIG or ORIGINS message with the origin table of the cluster
 * file: each host its own prefix, inside the overlay; ov (in body) gets
 * the overlay. */
static void send_with_origins(struct engine_sup *s, enum engine_msg_type type, const void *body,
			      size_t body_len, struct engine_origins *ov)
{
	if (!s)
		return;
	const struct cluster *c = &s->d->cluster;
	struct engine_origin *o = calloc(c->nhosts + 1, sizeof(*o));

	if (!o) {
		log_error("mesh: out of memory for the origin table");
		return;
	}
	for (size_t i = 0; i < c->nhosts; i++)
		o[i] = (struct engine_origin){ cluster_router_id(c->hosts[i].name), c->hosts[i].prefix,
					       c->hosts[i].prefix_len };
	*ov = (struct engine_origins){ c->overlay, c->overlay_len };
	sup_send(s, type, body, body_len, o, c->nhosts * sizeof(*o), (uint32_t)c->nhosts);
	free(o);
}

void engine_sup_origins(struct hsd *d)
{
	struct engine_origins ov = { 0 };
	send_with_origins(d->mesh->engine, ENGINE_MSG_ORIGINS, &ov, sizeof(ov), &ov);
}

void engine_sup_link_add(struct hsd *d, const struct mesh_link *l)
{
	struct engine_link el = { l->id, (uint32_t)l->ifindex, l->ml.peer.s_addr, HSR_COST_DEFAULT };
	sup_send(d->mesh->engine, ENGINE_MSG_LINK_ADD, &el, sizeof(el), NULL, 0, 0);
}

void engine_sup_link_del(struct hsd *d, uint32_t link_id)
{
	struct engine_link el = { .link_id = link_id };
	sup_send(d->mesh->engine, ENGINE_MSG_LINK_DEL, &el, sizeof(el), NULL, 0, 0);
}

void engine_sup_peers(struct hsd *d)
{
	struct engine_sup *s = d->mesh->engine;
	const struct cluster *c = &d->cluster;
	struct engine_peer_self self = { 0 };
	struct engine_peer_host *h;
	char err[HS_ERRLEN];
	uint32_t n = 0;

	if (!s || s->chan < 0)
		return;
	if (!(h = calloc(c->nhosts, sizeof(*h)))) {
		log_error("mesh: out of memory for the peer hosts");
		return;
	}
	snprintf(self.name, sizeof(self.name), "%s", c->hosts[d->self].name);
	for (size_t i = 0; i < c->nhosts; i++) {
		if ((int)i == d->self)
			continue;
		h[n] = (struct engine_peer_host){ .index = (uint32_t)i, .addr = c->hosts[i].prefix + 1 };
		snprintf(h[n].name, sizeof(h[n].name), "%s", c->hosts[i].name);
		/* A key that makes no pair key (a low-order point): that
		 * host's requests cannot authenticate, as before. */
		if (peer_pair_key(d, (int)i, h[n].key, err, sizeof(err)))
			log_warn("peer: %s: %s", c->hosts[i].name, err);
		n++;
	}
	sup_send(s, ENGINE_MSG_PEER_HOSTS, &self, sizeof(self), h, n * sizeof(*h), n);
	sodium_memzero(h, c->nhosts * sizeof(*h));
	free(h);
}

void engine_sup_peer_reply(struct hsd *d, uint32_t gen, uint64_t conn, int64_t id, int rc,
			   const char *text)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;
	struct engine_peer_reply r = { .conn = conn, .id = id, .rc = rc };
	size_t len = strlen(text);

	if (!s || s->gen != gen)
		return;
	if (len > ENGINE_REPLY_MAX)
		len = ENGINE_REPLY_MAX;
	sup_send(s, ENGINE_MSG_PEER_REPLY, &r, sizeof(r), text, len, (uint32_t)len);
}

int engine_sup_peer_call(struct hsd *d, const struct engine_peer_call *pc, const char *args,
			 size_t len, const int *fds, size_t nfds, uint32_t *gen, char *err,
			 size_t errlen)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;

	if (!s || s->chan < 0)
		return err_set(err, errlen, HS_EUNREACH, "the route engine is away (restarting)");
	if (engine_msg_send_fds(s->chan, ENGINE_MSG_PEER_CALL, pc, sizeof(*pc), args, len,
				(uint32_t)len, fds, nfds, err, errlen)) {
		log_error("mesh: %s; stopping the route engine", err);
		if (s->running)
			uv_process_kill(&s->proc, SIGKILL);
		return HS_EUNREACH;
	}
	*gen = s->gen;
	return 0;
}

static void stats_add(struct engine_peer_stats *a, const struct engine_peer_stats *b)
{
	a->accepted += b->accepted;
	a->refused += b->refused;
	a->auth_refused += b->auth_refused;
	a->over_host_limit += b->over_host_limit;
	a->served += b->served;
	a->idle_closed += b->idle_closed;
}

int engine_sup_peer_stats(struct hsd *d, struct engine_peer_stats *st)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;

	memset(st, 0, sizeof(*st));
	if (!s)
		return -1;
	*st = s->peer_base;
	if (s->snap) {
		struct engine_snapshot snap;
		memcpy(&snap, s->snap, sizeof(snap));
		stats_add(st, &snap.peer);
		st->connections = snap.peer.connections;
	}
	return 0;
}

/* The first messages of an engine: who we are, who owns what, the links. */
static void sup_configure(struct engine_sup *s)
{
	struct hsd *d = s->d;
	const struct cluster_host *me = &d->cluster.hosts[d->self];
	struct engine_config c = {
		.router_id = cluster_router_id(me->name),
		.own_addr = me->prefix, .own_len = me->prefix_len,
		/* cluster.json's "mesh" (400 and 1300 ms unless set): a
		 * silently cut link is routed around about dead_ms after
		 * the last hello heard.  Read at each engine's start, so
		 * a reload that changes them restarts the engine. */
		.hello_ms = d->cluster.hello_ms, .dead_ms = d->cluster.dead_ms,
		.seed = (uint64_t)cluster_router_id(me->name) + s->restarts,
	};
	char seq[16];
	/* A new engine must not reuse sequence numbers its neighbours still
	 * remember: start past the last one stored. */
	if (store_meta_get(d->store, "hsroute_seqno", seq, sizeof(seq), NULL, 0) == 1)
		c.initial_seqno = (uint16_t)(atoi(seq) + 256);
	snprintf(seq, sizeof(seq), "%u", c.initial_seqno);
	store_meta_set(d->store, "hsroute_seqno", seq, NULL, 0);
	send_with_origins(s, ENGINE_MSG_CONFIG, &c, sizeof(c), &c.overlay);
	engine_sup_peers(d);
	for (size_t i = 0; i < d->mesh->nlinks; i++)
		if (d->mesh->links[i].active)
			engine_sup_link_add(d, &d->mesh->links[i]);
}

static struct engine_route_row *route_row(struct engine_sup *s, uint32_t addr, uint32_t len)
{
	for (size_t i = 0; i < s->nroutes; i++)
		if (s->routes[i].addr == addr && s->routes[i].len == len)
			return &s->routes[i];
	return NULL;
}

static void route_drop(struct engine_sup *s, struct engine_route_row *r)
{
	char err[HS_ERRLEN];

	if (link_route_delete(s->d->mesh->ns.fd, r->addr, (int)r->len, err, sizeof(err)))
		log_error("mesh: remove route: %s", err);
	*r = s->routes[--s->nroutes];
}

static void on_route(struct engine_sup *s, const struct engine_route *er)
{
	struct mesh *m = s->d->mesh;
	struct engine_route_row *r = route_row(s, er->addr, er->len);
	const struct mesh_link *l = link_by_id(m, er->link_id);
	/* Each change once, timed: how long a reroute took is read here. */
	bool moved = !r || r->link_id != er->link_id;
	char err[HS_ERRLEN], pfx[INET_ADDRSTRLEN];

	addr_format_ip4(er->addr, pfx, sizeof(pfx));
	if (er->op == ENGINE_ROUTE_REMOVE) {
		if (r) {
			log_info("mesh: route %s/%u removed", pfx, er->len);
			route_drop(s, r);
		}
		return;
	}
	/* Only prefixes of the overlay, and never this host's own: whatever
	 * the engine says, it cannot point the kernel elsewhere. */
	uint32_t mask = s->d->cluster.overlay_len ? UINT32_MAX << (32 - s->d->cluster.overlay_len) : 0;
	const struct cluster_host *me = &s->d->cluster.hosts[s->d->self];
	if (!l || er->len < s->d->cluster.overlay_len ||
	    (er->addr & mask) != s->d->cluster.overlay ||
	    (er->addr == me->prefix && er->len == me->prefix_len)) {
		s->refused++;
		log_warn("mesh: route engine asked for %08x/%u via link %08x: refused", er->addr,
			 er->len, er->link_id);
		return;
	}
	if (!r) {
		struct engine_route_row *v = realloc(s->routes, (s->nroutes + 1) * sizeof(*v));
		if (!v) {
			log_error("mesh: out of memory for a route");
			return;
		}
		s->routes = v;
		r = &s->routes[s->nroutes++];
		*r = (struct engine_route_row){ er->addr, er->len, 0, 0 };
	}
	if (moved)
		log_info("mesh: route %s/%u via %s", pfx, er->len, l->name);
	r->link_id = er->link_id;
	r->gen = s->gen;
	if (link_route_replace(m->ns.fd, er->addr, (int)er->len, 0, l->ml.ifname, RTN_UNICAST,
			       MESH_RTPROT, err, sizeof(err)))
		log_error("mesh: install route: %s", err);
}

void engine_sup_reinstall(struct hsd *d, const struct mesh_link *l)
{
	struct engine_sup *s = d->mesh->engine;
	char err[HS_ERRLEN];

	for (size_t i = 0; s && i < s->nroutes; i++)
		if (s->routes[i].link_id == l->id &&
		    link_route_replace(d->mesh->ns.fd, s->routes[i].addr, (int)s->routes[i].len, 0,
				       l->ml.ifname, RTN_UNICAST, MESH_RTPROT, err, sizeof(err)))
			log_error("mesh: reinstall route: %s", err);
}

/* A restarted engine had its hold time to install its routes again;
 * those it did not are no longer routes anyone decided. */
static void on_sweep(uv_timer_t *t)
{
	struct engine_sup *s = t->data;

	for (size_t i = 0; i < s->nroutes;)
		if (s->routes[i].gen != s->gen)
			route_drop(s, &s->routes[i]);
		else
			i++;
}

static void seqno_store(struct engine_sup *s, bool now)
{
	char seq[16];

	if (!s->seqno_dirty || (!now && uv_now(s->d->loop) - s->seqno_stored_ms < 1000))
		return;
	snprintf(seq, sizeof(seq), "%u", s->seqno & 0xffff);
	store_meta_set(s->d->store, "hsroute_seqno", seq, NULL, 0);
	s->seqno_dirty = false;
	s->seqno_stored_ms = uv_now(s->d->loop);
}

/* An engine that breaks the protocol is not trusted to go on. */
static void sup_refuse(struct engine_sup *s, const char *why)
{
	s->refused++;
	log_error("mesh: route engine: %s; restarting it", why);
	if (s->running)
		uv_process_kill(&s->proc, SIGKILL);
}

/* A line the engine logs: escaped, and at most ENGINE_LOG_PER_S a second
 * (an engine gone wrong must not flood the log). */
static void sup_log(struct engine_sup *s, const struct engine_msg *m)
{
	struct engine_log l;
	uint64_t now = uv_now(s->d->loop);
	char *text = NULL, err[HS_ERRLEN];

	memcpy(&l, m->body, sizeof(l));
	if (now - s->log_window_ms >= 1000) {
		if (s->log_dropped)
			log_warn("engine: %u lines not logged (over %d a second)", s->log_dropped,
				 ENGINE_LOG_PER_S);
		s->log_window_ms = now;
		s->log_lines = s->log_dropped = 0;
	}
	if (s->log_lines++ >= ENGINE_LOG_PER_S) {
		s->log_dropped++;
		return;
	}
	if (textesc_dup(m->items, m->count, TEXTESC_TERM, &text, err, sizeof(err)))
		return;
	if (l.level == ENGINE_LOG_WARN)
		log_warn("engine: %s", text);
	else
		log_info("engine: %s", text);
	free(text);
}

static void sup_message(struct engine_sup *s, size_t n, int fd)
{
	struct engine_msg m;
	char err[HS_ERRLEN];

	if (engine_msg_check(s->buf, n, &m, err, sizeof(err)) == 0) {
		if (fd >= 0 && m.type != ENGINE_MSG_PEER_REQUEST) {
			close(fd);
			snprintf(err, sizeof(err), "a descriptor with message type %u", m.type);
			sup_refuse(s, err);
			return;
		}
		switch (m.type) {
		case ENGINE_MSG_PEER_REQUEST: {
			int rc = peer_request_in(s->d, s->gen, &m, fd, err, sizeof(err));
			if (fd >= 0)
				close(fd);
			if (rc)
				break;
			return;
		}
		case ENGINE_MSG_LOG:
			sup_log(s, &m);
			return;
		case ENGINE_MSG_PEER_RESULT: {
			struct engine_peer_result r;
			memcpy(&r, m.body, sizeof(r));
			peer_result_in(s->d, s->gen, &r, m.items, m.count);
			return;
		}
		case ENGINE_MSG_ROUTE: {
			struct engine_route r;
			memcpy(&r, m.body, sizeof(r));
			on_route(s, &r);
			return;
		}
		case ENGINE_MSG_SEQNO: {
			struct engine_seqno q;
			memcpy(&q, m.body, sizeof(q));
			s->seqno = q.seqno;
			s->seqno_dirty = true;
			seqno_store(s, false);
			return;
		}
		case ENGINE_MSG_SNAPSHOT: {
			size_t len = n - sizeof(struct engine_hdr);
			uint8_t *copy = malloc(len);
			seqno_store(s, false); /* a change held back above */
			if (copy) {
				memcpy(copy, m.body, len);
				free(s->snap);
				s->snap = copy;
			}
			return;
		}
		default:
			snprintf(err, sizeof(err), "message type %u goes down, not up", m.type);
		}
	} else if (fd >= 0) {
		close(fd);
	}
	sup_refuse(s, err);
}

static void sup_close_chan(struct engine_sup *s)
{
	if (s->chan < 0)
		return;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, NULL);
	close(s->chan);
	s->chan = -1;
}

static void on_chan(uv_poll_t *p, int status, int events)
{
	struct engine_sup *s = p->data;

	(void)status;
	(void)events;
	for (int budget = 256; budget > 0 && s->chan >= 0; budget--) {
		int fds[ENGINE_MSG_FDS];
		size_t nfds;
		ssize_t n = engine_msg_recv(s->chan, s->buf, ENGINE_MSG_MAX, fds, &nfds);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0 && errno == EBADMSG) {
			sup_refuse(s, "descriptors not as the protocol has them");
			return;
		}
		if (n <= 0) { /* it ended: its exit brings the restart */
			sup_close_chan(s);
			return;
		}
		int fd = nfds == 1 ? fds[0] : -1;
		if (nfds > 1 || n > ENGINE_MSG_MAX) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			sup_refuse(s, nfds > 1 ? "two descriptors with one message"
					       : "a message over the size limit");
			return;
		}
		sup_message(s, (size_t)n, fd);
	}
}

static void on_restart(uv_timer_t *t);

static void on_proc_closed(uv_handle_t *h)
{
	struct engine_sup *s = h->data;
	s->running = false;
	if (!s->stopping)
		uv_timer_start(&s->restart, on_restart, s->backoff_ms, 0);
}

static void on_engine_exit(uv_process_t *p, int64_t status, int sig)
{
	struct engine_sup *s = p->data;
	uint64_t now = uv_now(s->d->loop);

	sup_close_chan(s);
	seqno_store(s, true);
	/* Its calls went with it: their callers hear it now. */
	peer_outs_engine_gone(s->d, s->gen);
	/* Routes go only after an engine ran ENGINE_ROUTE_HOLD_MS without
	 * installing them again, never because engines kept dying. */
	uv_timer_stop(&s->sweep);
	if (s->snap) { /* its counters stay counted */
		struct engine_snapshot snap;
		memcpy(&snap, s->snap, sizeof(snap));
		stats_add(&s->peer_base, &snap.peer);
		free(s->snap);
		s->snap = NULL;
	}
	if (now - s->started_ms >= ENGINE_STABLE_MS)
		s->backoff_ms = ENGINE_BACKOFF_MIN_MS;
	else if (s->backoff_ms < ENGINE_BACKOFF_MAX_MS / 2)
		s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : ENGINE_BACKOFF_MIN_MS;
	else
		s->backoff_ms = ENGINE_BACKOFF_MAX_MS;
	if (!s->stopping)
		log_warn("mesh: route engine (pid %d) ended (%s %d); restart in %u ms, routes kept",
			 p->pid, sig ? "signal" : "status", sig ? sig : (int)status, s->backoff_ms);
	uv_close((uv_handle_t *)p, on_proc_closed);
}

static int sup_spawn(struct engine_sup *s, char *err, size_t errlen)
{
	struct hsd *d = s->d;
	int sv[2], size = 2 * ENGINE_MSG_MAX, rc;
	char file[32];

	/* Our end alone does not block (sup_send); the engine's may. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return err_sys(err, errlen, "mesh: engine channel");
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK)) {
		rc = err_sys(err, errlen, "mesh: engine channel");
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	/* Above the unprivileged limit, so the largest snapshot fits. */
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	}
	uv_stdio_container_t stdio[6] = {
		{ .flags = UV_IGNORE }, { .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO },
		{ .flags = UV_INHERIT_FD, .data.fd = sv[1] },
		{ .flags = UV_INHERIT_FD, .data.fd = d->mesh->sock },
		{ .flags = UV_INHERIT_FD, .data.fd = s->listen_fd },
	};
	char *args[] = { "hsengine", NULL };
	uint32_t id = d->opt.pool.start - 1;
	snprintf(file, sizeof(file), "/proc/self/fd/%d", s->exe_fd);
	uv_process_options_t o = {
		.exit_cb = on_engine_exit, .file = file, .args = args, .stdio_count = 6, .stdio = stdio,
		.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID, .uid = id, .gid = id,
	};
	s->proc.data = s;
	rc = uv_spawn(d->loop, &s->proc, &o);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		/* The handle is closed like any other, even when spawn failed. */
		uv_close((uv_handle_t *)&s->proc, NULL);
		return err_set(err, errlen, HS_ESYS, "mesh: start the route engine: %s", uv_strerror(rc));
	}
	s->running = true;
	s->chan = sv[0];
	/* What the last engine saw is not what this one knows. */
	free(s->snap);
	s->snap = NULL;
	s->started_ms = uv_now(d->loop);
	s->gen++;
	uv_poll_init(d->loop, &s->poll, s->chan);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE | UV_DISCONNECT, on_chan);
	sup_configure(s);
	if (s->nroutes)
		uv_timer_start(&s->sweep, on_sweep, ENGINE_ROUTE_HOLD_MS, 0);
	return 0;
}

static void on_restart(uv_timer_t *t)
{
	struct engine_sup *s = t->data;
	char err[HS_ERRLEN];

	if (s->stopping || s->running)
		return;
	if (sup_spawn(s, err, sizeof(err))) {
		s->backoff_ms = s->backoff_ms < ENGINE_BACKOFF_MAX_MS / 2 ? s->backoff_ms * 2
									  : ENGINE_BACKOFF_MAX_MS;
		log_error("%s; next try in %u ms", err, s->backoff_ms);
		uv_timer_start(&s->restart, on_restart, s->backoff_ms, 0);
		return;
	}
	s->restarts++;
	log_info("mesh: route engine restarted as pid %d (restart %u)", s->proc.pid, s->restarts);
}

int engine_sup_start(struct hsd *d, char *err, size_t errlen)
{
	struct engine_sup *s = calloc(1, sizeof(*s));
	char path[PATH_MAX + 16];
	int rc;

	if (!s || !(s->buf = malloc(ENGINE_MSG_MAX))) {
		free(s);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	d->mesh->engine = s;
	s->d = d;
	s->chan = -1;
	s->exe_fd = -1;
	s->listen_fd = -1;
	s->backoff_ms = ENGINE_BACKOFF_MIN_MS;
	uv_timer_init(d->loop, &s->restart);
	uv_timer_init(d->loop, &s->sweep);
	s->restart.data = s->sweep.data = s;
	space_exe_beside("HSD_HSENGINE", "hsengine", path, sizeof(path));
	/* Made here, kept across engines: connections waiting in its queue
	 * survive a restart of the engine. */
	if ((rc = space_exe_seal(path, &s->exe_fd, err, errlen)) ||
	    (rc = peer_socket(d, true, &s->listen_fd, err, errlen)))
		return rc;
	return sup_spawn(s, err, errlen);
}

void engine_sup_stop(struct hsd *d)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;

	if (!s)
		return;
	s->stopping = true;
	seqno_store(s, true);
	/* The engine ends when its channel closes. */
	sup_close_chan(s);
	if (s->running) {
		s->proc.exit_cb = NULL;
		uv_close((uv_handle_t *)&s->proc, NULL);
	}
	uv_close((uv_handle_t *)&s->restart, NULL);
	uv_close((uv_handle_t *)&s->sweep, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	if (s->exe_fd >= 0)
		close(s->exe_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->routes);
	free(s->snap);
	free(s->buf);
	free(s);
	d->mesh->engine = NULL;
}

void engine_sup_restart(struct hsd *d)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;

	/* An engine away (between restarts) starts with the new ones. */
	if (!s || s->stopping || !s->running || s->chan < 0)
		return;
	log_info("mesh: hsroute timers now hello %u ms, dead %u ms: restarting the route engine",
		 d->cluster.hello_ms, d->cluster.dead_ms);
	/* It ends when its channel closes; on_engine_exit starts the next. */
	sup_close_chan(s);
}

int engine_sup_pid(struct hsd *d)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;
	return s && s->running && s->chan >= 0 ? s->proc.pid : 0;
}

int engine_sup_view(struct hsd *d, struct engine_view *v)
{
	struct engine_sup *s = d->mesh ? d->mesh->engine : NULL;

	if (!s)
		return -1;
	memset(v, 0, sizeof(*v));
	if (s->snap) {
		memcpy(&v->s, s->snap, sizeof(v->s));
		v->routes = (const struct engine_route_info *)(s->snap + sizeof(v->s));
		v->neigh = (const struct engine_neigh_info *)(s->snap + sizeof(v->s) +
							       v->s.n_routes * sizeof(*v->routes));
	}
	v->reported = s->snap != NULL;
	v->pid = engine_sup_pid(d);
	v->restarts = s->restarts;
	v->refused = s->refused;
	return 0;
}
