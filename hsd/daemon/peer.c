/* peer.c - hsd <-> hsd calls: the listener inside the mesh, and the
 * protocol's life cycle (outgoing calls are peer_out.c).
 *
 * Every socket is created inside the mesh namespace and bound to our
 * overlay address (prefix + 1), so only the overlay can reach the server.
 * A connection from an address that is no other host's is closed unread;
 * a request counts as that host's only if it carries a MAC under the key
 * we share with it (proto/peer_auth.h): a relay on the path can put any
 * overlay address on its side, but holds neither host's private key.
 */
#include "peer.h"
#include "peer_int.h"
#include "daemon.h"
#include "err.h"
#include "frame.h"
#include "log.h"
#include "mesh.h"
#include "netns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(PEER_NAME_MAX == CLUSTER_NAME_MAX, "host names must fit requests");

/* The kernel's queue of connections not yet accepted.  A host that floods
 * the port fills it faster than hsd takes them off (and refuses those over
 * its share); a short queue then drops everyone's SYNs, and a caller's
 * retransmit comes a second later.  Deep enough for a flood of hundreds. */
#define PEER_BACKLOG 1024

/* An accepted connection. */
struct peer_conn {
	uv_tcp_t tcp;
	uv_timer_t idle;     /* closes a connection that neither asks nor waits */
	uv_shutdown_t shutdown;
	struct peers *p;
	struct frame_reader reader;
	uint32_t src;        /* source address, host order: the caller */
	struct peer_conn *next;
	bool ending;         /* refused: flush what was sent, then close */
	bool closing;
	int refs;            /* its two handles + deferred calls pending */
};

#define CONN_HANDLES 2

struct peer_call {
	struct peer_conn *conn;
	int64_t id;
	struct peer_seal seal;
};

void peers_unref(struct peers *p)
{
	if (--p->refs == 0) {
		while (p->nonces) {
			struct peer_nonces *n = p->nonces;
			p->nonces = n->next;
			peer_replay_free(&n->replay);
			free(n);
		}
		free(p);
	}
}

const char *peer_ip4(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(addr) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* The host whose overlay address is addr, never ourselves; or -1. */
static int peer_host_by_addr(const struct hsd *d, uint32_t addr)
{
	for (size_t i = 0; i < d->cluster.nhosts; i++)
		if ((int)i != d->self && d->cluster.hosts[i].prefix + 1 == addr)
			return (int)i;
	return -1;
}

int64_t peer_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key only we and host share (proto/peer_auth.h), from the keys
 * cluster.json holds now. */
int peer_pair_key(const struct hsd *d, int host, uint8_t key[PEER_AUTH_KEY],
		  char *err, size_t errlen)
{
	return peer_auth_key(d->private_key, d->cluster.hosts[d->self].public_key,
			     d->cluster.hosts[host].public_key, key, err, errlen);
}

/* A TCP socket in the mesh namespace bound to our overlay address: port
 * PEER_PORT and listening for the server, any port for a client. */
int peer_socket(struct hsd *d, bool server, int *out, char *err, size_t errlen)
{
	uint32_t self = d->cluster.hosts[d->self].prefix + 1;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(server ? PEER_PORT : 0),
				   .sin_addr.s_addr = htonl(self) };
	char a[INET_ADDRSTRLEN];
	int saved, fd, one = 1, rc;

	*out = -1;
	if ((rc = netns_enter(d->mesh->ns.fd, &saved, err, errlen)))
		return rc;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (server && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    /* Clients: pick the port at connect(), so the 4-tuple decides. */
	    (!server && setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (server && listen(fd, PEER_BACKLOG)))
		rc = err_sys(err, errlen, "peer: socket on %s:%d", peer_ip4(self, a),
			     server ? PEER_PORT : 0);
	netns_leave(saved, NULL, 0);
	if (rc && fd >= 0)
		close(fd);
	else
		*out = fd;
	return rc;
}

void peer_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(PEER_READ_CHUNK);
	buf->len = buf->base ? PEER_READ_CHUNK : 0;
}

/* ---- server ---------------------------------------------------------- */

static void conn_unref(struct peer_conn *c)
{
	struct peers *p = c->p;

	if (--c->refs > 0)
		return;
	for (struct peer_conn **pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	p->nconns--;
	frame_reader_free(&c->reader);
	free(c);
	peers_unref(p);
}

static void conn_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void conn_close(struct peer_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->idle, conn_closed);
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

/* A caller sends its request at once and closes after the reply, so a
 * connection with nothing to read and no call under way is dead weight:
 * without this a peer could hold every slot (PEER_MAX_CONNS). */
static void conn_idle(uv_timer_t *t)
{
	struct peer_conn *c = t->data;
	char a[INET_ADDRSTRLEN];

	if (c->refs > CONN_HANDLES) {
		uv_timer_start(&c->idle, conn_idle, PEER_IDLE_MS, 0);
		return;
	}
	c->p->idle_closed++;
	log_info("peer: closing idle connection from %s", peer_ip4(c->src, a));
	conn_close(c);
}

static void conn_shutdown_done(uv_shutdown_t *s, int status)
{
	(void)status;
	conn_close(s->data);
}

/* Stop reading, let the replies already queued go out, then close. */
static void conn_end(struct peer_conn *c)
{
	if (c->ending || c->closing)
		return;
	c->ending = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->shutdown.data = c;
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, conn_shutdown_done))
		conn_close(c);
}

static void conn_write_done(uv_write_t *w, int status)
{
	(void)status; /* a caller that went away loses its reply */
	free(w->data);
	free(w);
}

/* Sends a reply, sealed for the request it answers; a refusal of a
 * request that did not authenticate goes out unsealed (seal NULL). */
static void conn_send(struct peer_conn *c, const struct peer_seal *seal, json_t *msg)
{
	char err[HS_ERRLEN];
	uint8_t *buf;
	size_t len;
	uv_write_t *w;

	if (!msg) {
		conn_end(c);
		return;
	}
	if (c->ending || c->closing) {
		json_decref(msg);
		return;
	}
	if (seal && peer_auth_seal_reply(msg, seal->nonce, seal->key, err, sizeof(err))) {
		json_decref(msg);
		log_warn("peer: reply: %s", err);
		conn_end(c);
		return;
	}
	if (frame_encode(msg, FRAME_MAX_PEER, &buf, &len, err, sizeof(err))) {
		int64_t id = json_integer_value(json_object_get(msg, "id"));
		json_decref(msg);
		log_warn("peer: reply to call %lld: %s", (long long)id, err);
		msg = peer_reply_error(id, HS_ESYS, err);
		if (msg)
			conn_send(c, seal, msg);
		else
			conn_end(c);
		return;
	}
	json_decref(msg);
	if (!(w = malloc(sizeof(*w)))) {
		free(buf);
		conn_end(c);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	w->data = buf;
	if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, conn_write_done)) {
		free(buf);
		free(w);
		conn_close(c);
	}
}

void peer_finish(struct peer_call *call, int rc, json_t *result, const char *err)
{
	struct peer_conn *c = call->conn;

	if (rc || c->ending || c->closing) {
		json_decref(result);
		result = NULL;
	}
	if (!c->ending && !c->closing)
		conn_send(c, &call->seal, rc ? peer_reply_error(call->id, rc, err)
					     : peer_reply_ok(call->id, result));
	free(call);
	conn_unref(c);
}

static int peer_cmd_ping(struct hsd *d, int from_host, json_t *args,
			 struct peer_call *call, json_t **result, char *err,
			 size_t errlen)
{
	(void)from_host;
	(void)call;
	if (json_object_size(args))
		return err_set(err, errlen, HS_EINPUT, "ping: takes no arguments");
	/* Wall-clock time: lets the caller see clock skew between hosts. */
	*result = json_pack("{s:s, s:I}", "host", d->cluster.hosts[d->self].name,
			    "time_ms", (json_int_t)peer_wall_ms());
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "ping: out of memory");
}

static const struct peer_cmd peer_builtin_cmds[] = {
	{ "ping", peer_cmd_ping },
	{ NULL, NULL },
};

static const struct peer_cmd *peer_find(const char *name)
{
	static const struct peer_cmd *const tables[] = { peer_builtin_cmds, peer_cmds };

	for (size_t t = 0; t < sizeof(tables) / sizeof(*tables); t++)
		for (const struct peer_cmd *c = tables[t]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

/* Refuse the caller: one error reply (sealed when the request
 * authenticated, else seal is NULL), then the connection is closed. */
static void conn_refuse(struct peer_conn *c, const struct peer_seal *seal,
			int64_t id, int rc, const char *msg)
{
	char a[INET_ADDRSTRLEN];

	c->p->refused++;
	log_warn("peer: refusing %s: %s", peer_ip4(c->src, a), msg);
	conn_send(c, seal, peer_reply_error(id < 0 ? 0 : id, rc, msg));
	conn_end(c);
}

/*
 * Authenticates msg as coming from host: a MAC only it and we can make,
 * addressed to us, fresh, never seen before.  Removes "auth" from msg.
 */
static int conn_authenticate(struct peer_conn *c, int host, json_t *msg,
			     struct peer_seal *seal, char *err, size_t errlen)
{
	struct hsd *d = c->p->d;
	int64_t now = peer_wall_ms();
	int rc;

	if ((rc = peer_pair_key(d, host, seal->key, err, errlen)) ||
	    (rc = peer_auth_open_request(msg, d->cluster.hosts[d->self].name, now,
					 seal->key, seal->nonce, err, errlen)))
		return rc;
	/* Only after the MAC: a stranger cannot fill a nonce cache. */
	const char *name = d->cluster.hosts[host].name;
	struct peer_nonces *n = c->p->nonces;
	while (n && strcmp(n->host, name) != 0)
		n = n->next;
	if (!n) {
		if (!(n = calloc(1, sizeof(*n))))
			return err_set(err, errlen, HS_ESYS, "out of memory");
		snprintf(n->host, sizeof(n->host), "%s", name);
		peer_replay_init(&n->replay, now);
		n->next = c->p->nonces;
		c->p->nonces = n;
	}
	return peer_replay_check(&n->replay, seal->nonce, now, err, errlen);
}

static void conn_request(struct peer_conn *c, json_t *msg)
{
	struct peers *p = c->p;
	struct hsd *d = p->d;
	char err[HS_ERRLEN] = "", a[INET_ADDRSTRLEN];
	const struct peer_cmd *cmd;
	struct peer_request req;
	struct peer_seal seal;
	struct peer_call *call;
	json_t *result = NULL;
	int64_t id;
	int rc, host;

	id = json_integer_value(json_object_get(msg, "id"));
	/* Looked up per request: a reload may have renumbered the hosts. */
	host = peer_host_by_addr(d, c->src);
	if (host < 0) {
		err_set(err, sizeof(err), HS_EINPUT,
			"peer: %s is no longer a cluster host's overlay address", peer_ip4(c->src, a));
		conn_refuse(c, NULL, id, HS_EINPUT, err);
		return;
	}
	if ((rc = conn_authenticate(c, host, msg, &seal, err, sizeof(err)))) {
		p->auth_refused++;
		conn_refuse(c, NULL, id, rc, err);
		return;
	}
	if ((rc = peer_request_parse(msg, &req, err, sizeof(err)))) {
		conn_refuse(c, &seal, req.id, rc, err);
		return;
	}
	if (strcmp(req.from, d->cluster.hosts[host].name) != 0) {
		err_set(err, sizeof(err), HS_EINPUT,
			"request.from: \"%s\" but the connection comes from host %s (%s)",
			req.from, d->cluster.hosts[host].name, peer_ip4(c->src, a));
		conn_refuse(c, &seal, req.id, HS_EINPUT, err);
		return;
	}
	if (!(cmd = peer_find(req.cmd))) {
		err_set(err, sizeof(err), HS_EINPUT, "request.cmd: unknown command \"%s\"", req.cmd);
		conn_send(c, &seal, peer_reply_error(req.id, HS_EINPUT, err));
		return;
	}
	if (!(call = calloc(1, sizeof(*call)))) {
		conn_send(c, &seal, peer_reply_error(req.id, HS_ESYS, "out of memory"));
		return;
	}
	call->conn = c;
	call->id = req.id;
	call->seal = seal;
	p->served++;
	rc = cmd->fn(d, host, req.args, call, &result, err, sizeof(err));
	if (rc == PEER_DEFERRED) {
		c->refs++;
		return;
	}
	free(call);
	if (rc) {
		log_debug("peer: %s from %s: %s", req.cmd, req.from, err);
		json_decref(result);
		conn_send(c, &seal, peer_reply_error(req.id, rc, err));
		return;
	}
	conn_send(c, &seal, peer_reply_ok(req.id, result));
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct peer_conn *c = s->data;
	char err[HS_ERRLEN];
	json_t *msg;
	int rc;

	if (n < 0) {
		conn_close(c);
		goto out;
	}
	if (n == 0 || c->ending || c->closing)
		goto out;
	uv_timer_start(&c->idle, conn_idle, PEER_IDLE_MS, 0);
	rc = frame_reader_feed(&c->reader, buf->base, (size_t)n, err, sizeof(err));
	while (!rc && !c->ending && !c->closing &&
	       (rc = frame_reader_next(&c->reader, &msg, err, sizeof(err))) == 1) {
		conn_request(c, msg);
		json_decref(msg);
		rc = 0;
	}
	/* A stream that cannot be framed cannot be resynced. */
	if (rc < 0)
		conn_refuse(c, NULL, 0, rc, err);
out:
	free(buf->base);
}

static void peer_accept(uv_stream_t *server, int status)
{
	struct peers *p = server->data;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int sslen = sizeof(ss);
	char a[INET_ADDRSTRLEN];
	struct peer_conn *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->p = p;
	c->refs = CONN_HANDLES;
	frame_reader_init(&c->reader, FRAME_MAX_PEER);
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	c->next = p->conns;
	p->conns = c;
	p->nconns++;
	p->refs++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
	    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sslen) ||
	    ss.ss_family != AF_INET) {
		conn_close(c);
		return;
	}
	c->src = ntohl(sin->sin_addr.s_addr);
	/* Nothing is read from a stranger: it could only be a confused or
	 * hostile process inside the mesh namespace. */
	if (peer_host_by_addr(p->d, c->src) < 0) {
		p->refused++;
		log_warn("peer: refusing connection from %s: not another host's overlay address",
			 peer_ip4(c->src, a));
		conn_close(c);
		return;
	}
	if (p->nconns > PEER_MAX_CONNS) {
		log_warn("peer: too many connections, refusing %s", peer_ip4(c->src, a));
		conn_close(c);
		return;
	}
	int from_src = 0;
	for (struct peer_conn *o = p->conns; o; o = o->next)
		from_src += o->src == c->src && !o->closing;
	if (from_src > PEER_MAX_CONNS_PER_HOST) {
		/* Counted, logged once per burst: a flood must not flood the log. */
		if (p->over_host_limit++ % 64 == 0)
			log_warn("peer: %s holds %d connections, refusing more",
				 peer_ip4(c->src, a), PEER_MAX_CONNS_PER_HOST);
		conn_close(c);
		return;
	}
	p->accepted++;
	uv_timer_start(&c->idle, conn_idle, PEER_IDLE_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, peer_alloc_cb, conn_read))
		conn_close(c);
}

/* ---- life cycle ------------------------------------------------------ */


static void server_closed(uv_handle_t *h)
{
	peers_unref(h->data);
}

int peer_init(struct hsd *d, char *err, size_t errlen)
{
	struct peers *p;
	char a[INET_ADDRSTRLEN];
	int fd, rc;

	if (!d->mesh || !d->mesh->running)
		return 0;
	if (!(p = d->peers = calloc(1, sizeof(*p))))
		return err_set(err, errlen, HS_ESYS, "peer: out of memory");
	p->d = d;
	p->refs = 1; /* d->peers, dropped by peer_free() */
	if ((rc = peer_socket(d, true, &fd, err, errlen)))
		return rc;
	uv_tcp_init(d->loop, &p->server);
	p->server.data = p;
	p->listening = true;
	p->refs++;
	if ((rc = uv_tcp_open(&p->server, fd))) {
		close(fd);
	} else {
		rc = uv_listen((uv_stream_t *)&p->server, PEER_BACKLOG, peer_accept);
	}
	if (rc)
		return err_set(err, errlen, HS_ESYS, "peer: listen: %s", uv_strerror(rc));
	log_info("peer: listening on %s:%d in the mesh",
		 peer_ip4(d->cluster.hosts[d->self].prefix + 1, a), PEER_PORT);
	return 0;
}

void peer_free(struct hsd *d)
{
	struct peers *p = d->peers;

	if (!p)
		return;
	d->peers = NULL; /* callbacks below must not start new calls */
	peer_outs_stop(p);
	for (struct peer_conn *c = p->conns; c; c = c->next)
		conn_close(c);
	if (p->listening) {
		p->listening = false;
		uv_close((uv_handle_t *)&p->server, server_closed);
	}
	peers_unref(p);
}

void peer_stats(struct hsd *d, json_t **out)
{
	struct peers *p = d->peers;

	if (!p) {
		*out = json_pack("{s:b}", "listening", 0);
		return;
	}
	*out = json_pack("{s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i}",
			 "listening", p->listening, "port", PEER_PORT,
			 "accepted", (json_int_t)p->accepted, "refused", (json_int_t)p->refused,
			 "auth_refused", (json_int_t)p->auth_refused,
			 "over_host_limit", (json_int_t)p->over_host_limit,
			 "served", (json_int_t)p->served, "idle_closed", (json_int_t)p->idle_closed,
			 "calls_sent", (json_int_t)p->calls_sent,
			 "calls_failed", (json_int_t)p->calls_failed,
			 "timeouts", (json_int_t)p->timeouts, "connections", p->nconns,
			 "pending", p->nouts);
}
