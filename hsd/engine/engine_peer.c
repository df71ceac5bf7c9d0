/* engine_peer.c - the peer listener inside hsengine (engine_peer.h).
 *
 * A caller sends its request at once and closes after the reply, so the
 * loop is small: accept, read and frame, check and decode, hand hsd the
 * request, write hsd's reply back sealed.  A connection refused for its
 * source or for a host's share of slots is closed unread; one that fails
 * framing or authentication gets one unsealed error and is closed; a
 * well-authenticated request with bad arguments gets a sealed error and
 * the connection stays.
 */
#include "engine_peer.h"
#include "engine_msg.h"
#include "err.h"
#include "frame.h"
#include "fsutil.h"
#include "peer.h"
#include "peer_auth.h"
#include "peer_typed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define ACCEPT_BUDGET 64 /* connections taken per wakeup: the loop goes on */

/* A request hsd has not answered yet: what its reply is sealed with. */
struct epeer_call {
	int64_t id;
	uint8_t nonce[PEER_AUTH_NONCE];
};

struct epeer_conn {
	int fd;
	uint64_t id;
	uint32_t src;              /* host order */
	struct frame_reader reader;
	uint8_t *out;              /* reply bytes not written yet */
	size_t out_len, out_off;
	uint64_t idle_at;
	struct epeer_call *calls;
	size_t ncalls;
	bool ending;               /* write what is queued, then close */
};

struct epeer_replay {
	char name[PEER_WORD];
	struct peer_replay replay;
};

struct engine_peers {
	int listen_fd, chan;
	char self[PEER_WORD];
	struct engine_peer_host *hosts;
	size_t nhosts;
	struct epeer_replay *replays; /* per host name, kept across PEER_HOSTS */
	size_t nreplays;
	struct epeer_conn *conns[PEER_MAX_CONNS];
	size_t nconns;
	uint64_t next_id;
	struct engine_peer_stats st;
};

int64_t epeer_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A line for hsd's log (hsd rate-limits and escapes it). */
__attribute__((format(printf, 3, 4)))
static void epeer_log(struct engine_peers *p, uint32_t level, const char *fmt, ...)
{
	struct engine_log l = { .level = level };
	char line[ENGINE_LOG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* A line that cannot go is lost: the channel's failure, if it is
	 * one, shows on the next message that matters. */
	(void)engine_msg_send(p->chan, ENGINE_MSG_LOG, &l, sizeof(l), line, (size_t)n, (uint32_t)n,
			      NULL, 0);
}

static const char *ip4(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(addr) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

struct engine_peers *epeer_new(int listen_fd, int chan)
{
	struct engine_peers *p = calloc(1, sizeof(*p));

	if (p) {
		p->listen_fd = listen_fd;
		p->chan = chan;
	}
	return p;
}

static void conn_free(struct epeer_conn *c)
{
	close(c->fd);
	frame_reader_free(&c->reader);
	free(c->out);
	free(c->calls);
	free(c);
}

void epeer_free(struct engine_peers *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nconns; i++)
		conn_free(p->conns[i]);
	for (size_t i = 0; i < p->nreplays; i++)
		peer_replay_free(&p->replays[i].replay);
	free(p->replays);
	free(p->hosts);
	free(p);
}

static const struct engine_peer_host *host_by_addr(const struct engine_peers *p, uint32_t addr)
{
	for (size_t i = 0; i < p->nhosts; i++)
		if (p->hosts[i].addr == addr)
			return &p->hosts[i];
	return NULL;
}

int epeer_on_hosts(struct engine_peers *p, const struct engine_msg *m, char *err,
		   size_t errlen)
{
	struct engine_peer_self self;
	struct engine_peer_host *v = calloc(m->count ? m->count : 1, sizeof(*v));

	if (!v)
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	memcpy(&self, m->body, sizeof(self));
	memcpy(v, m->items, m->count * sizeof(*v));
	for (uint32_t i = 0; i < m->count; i++)
		if (!memchr(v[i].name, 0, PEER_WORD)) {
			free(v);
			return err_set(err, errlen, HS_EINPUT, "engine: peer host %u: name", i);
		}
	if (!memchr(self.name, 0, PEER_WORD)) {
		free(v);
		return err_set(err, errlen, HS_EINPUT, "engine: own name");
	}
	memcpy(p->self, self.name, PEER_WORD);
	free(p->hosts);
	p->hosts = v;
	p->nhosts = m->count;
	return 0;
}

/* The host's nonce cache, made on its first authenticated request: a
 * stranger cannot fill one, and a host that floods fills only its own. */
static struct peer_replay *replay_of(struct engine_peers *p, const char *name, int64_t now)
{
	for (size_t i = 0; i < p->nreplays; i++)
		if (!strcmp(p->replays[i].name, name))
			return &p->replays[i].replay;
	struct epeer_replay *v = realloc(p->replays, (p->nreplays + 1) * sizeof(*v));
	if (!v)
		return NULL;
	p->replays = v;
	v = &p->replays[p->nreplays++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	peer_replay_init(&v->replay, now);
	return &v->replay;
}

/* ---- writing ---------------------------------------------------------- */

static void conn_flush(struct epeer_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* a caller that went away loses its reply */
			c->out_off = c->out_len;
			c->ending = true;
			break;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

/* Queue msg (stolen) sealed for the request of nonce under key, or
 * unsealed when key is NULL. */
static void conn_send(struct epeer_conn *c, const uint8_t *key, const uint8_t *nonce,
		      json_t *msg)
{
	char err[HS_ERRLEN];
	uint8_t *buf;
	size_t len;

	if (!msg || (key && peer_auth_seal_reply(msg, nonce, key, err, sizeof(err))) ||
	    frame_encode(msg, FRAME_MAX_PEER, &buf, &len, err, sizeof(err))) {
		json_decref(msg);
		c->ending = true;
		return;
	}
	json_decref(msg);
	uint8_t *v = realloc(c->out, c->out_len + len);
	if (!v) {
		free(buf);
		c->ending = true;
		return;
	}
	memcpy(v + c->out_len, buf, len);
	free(buf);
	c->out = v;
	c->out_len += len;
	conn_flush(c);
}

/* One error, then close: sealed under key for the request of nonce once
 * the request authenticated, unsealed (key NULL) before. */
static void conn_refuse(struct engine_peers *p, struct epeer_conn *c, const uint8_t *key,
			const uint8_t *nonce, int64_t id, int rc, const char *why)
{
	char a[INET_ADDRSTRLEN];

	p->st.refused++;
	epeer_log(p, ENGINE_LOG_WARN, "peer: refusing %s: %s", ip4(c->src, a), why);
	conn_send(c, key, nonce, peer_reply_error(id < 0 ? 0 : id, rc, why));
	c->ending = true;
}

/* ---- requests --------------------------------------------------------- */

/* bundle.put's files as records in a sealed memfd, for hsd to read. */
static int files_memfd(const struct bundle_files *f, int *out)
{
	uint8_t *buf;
	size_t len;
	int fd;

	*out = -1;
	if (bundle_files_encode(f, &buf, &len))
		return HS_ESYS;
	fd = memfd_create("bundle", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && fs_write_all(fd, buf, len)) {
		close(fd);
		fd = -1;
	}
	free(buf);
	if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
					       F_SEAL_SEAL) < 0) {
		if (fd >= 0)
			close(fd);
		return HS_ESYS;
	}
	*out = fd;
	return 0;
}

static int conn_request(struct engine_peers *p, struct epeer_conn *c, json_t *msg, char *err,
			size_t errlen)
{
	const struct engine_peer_host *h = host_by_addr(p, c->src);
	int64_t now = epeer_wall_ms(), id = json_integer_value(json_object_get(msg, "id"));
	struct engine_peer_request r = { .conn = c->id };
	uint8_t nonce[PEER_AUTH_NONCE];
	struct peer_request req;
	struct peer_word *hosts = NULL;
	struct bundle_files files;
	struct peer_replay *rp;
	char why[HS_ERRLEN], a[INET_ADDRSTRLEN];
	int rc, fd = -1;

	if (!h) {
		snprintf(why, sizeof(why), "peer: %s is no longer a cluster host's overlay address",
			 ip4(c->src, a));
		conn_refuse(p, c, NULL, NULL, id, HS_EINPUT, why);
		return 0;
	}
	if ((rc = peer_auth_open_request(msg, p->self, now, h->key, nonce, why, sizeof(why))) ||
	    !(rp = replay_of(p, h->name, now)) ||
	    (rc = peer_replay_check(rp, nonce, now, why, sizeof(why)))) {
		if (!rc)
			return err_set(err, errlen, HS_ESYS, "engine: out of memory");
		p->st.auth_refused++;
		conn_refuse(p, c, NULL, NULL, id, rc, why);
		return 0;
	}
	if ((rc = peer_request_parse(msg, &req, why, sizeof(why)))) {
		conn_refuse(p, c, h->key, nonce, req.id, rc, why);
		return 0;
	}
	if (strcmp(req.from, h->name)) {
		snprintf(why, sizeof(why),
			 "request.from: \"%s\" but the connection comes from host %s (%s)", req.from,
			 h->name, ip4(c->src, a));
		conn_refuse(p, c, h->key, nonce, req.id, HS_EINPUT, why);
		return 0;
	}
	rc = peer_typed_decode(req.cmd, req.args, &r.t, &hosts, &files, why, sizeof(why));
	if (!rc && r.t.cmd == PEER_CMD_BUNDLE_PUT)
		rc = files_memfd(&files, &fd);
	bundle_files_free(&files);
	if (rc) { /* the remote command fails; the connection is fine */
		free(hosts);
		if (rc == HS_ESYS)
			snprintf(why, sizeof(why), "out of memory");
		conn_send(c, h->key, nonce, peer_reply_error(req.id, rc, why));
		return 0;
	}
	struct epeer_call *v = realloc(c->calls, (c->ncalls + 1) * sizeof(*v));
	if (!v) {
		free(hosts);
		if (fd >= 0)
			close(fd);
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	}
	c->calls = v;
	v[c->ncalls].id = req.id;
	memcpy(v[c->ncalls].nonce, nonce, sizeof(nonce));
	c->ncalls++;
	p->st.served++;
	r.id = req.id;
	r.host = h->index;
	rc = engine_msg_send_fds(p->chan, ENGINE_MSG_PEER_REQUEST, &r, sizeof(r), hosts,
				 r.t.intent.nhosts * sizeof(*hosts), r.t.intent.nhosts, &fd,
				 fd >= 0 ? 1 : 0, err, errlen);
	free(hosts);
	if (fd >= 0)
		close(fd);
	return rc;
}

static struct epeer_conn *conn_by_id(struct engine_peers *p, uint64_t id)
{
	for (size_t i = 0; i < p->nconns; i++)
		if (p->conns[i]->id == id)
			return p->conns[i];
	return NULL;
}

int epeer_on_reply(struct engine_peers *p, const struct engine_msg *m, char *err,
		   size_t errlen)
{
	struct engine_peer_reply r;
	struct epeer_conn *c;
	size_t i;

	(void)err;
	(void)errlen;
	memcpy(&r, m->body, sizeof(r));
	/* The caller may have gone, or an earlier engine took the request. */
	if (!(c = conn_by_id(p, r.conn)))
		return 0;
	for (i = 0; i < c->ncalls && c->calls[i].id != r.id; i++)
		;
	if (i == c->ncalls)
		return 0;
	struct epeer_call call = c->calls[i];
	c->calls[i] = c->calls[--c->ncalls];
	const struct engine_peer_host *h = host_by_addr(p, c->src);
	if (!h) { /* no longer a host: nothing to seal with */
		c->ending = true;
		return 0;
	}
	json_t *msg;
	if (r.rc == 0) {
		json_error_t je;
		/* hsd's own JSON, the result of the command. */
		json_t *res = json_loadb(m->items, m->count, JSON_REJECT_DUPLICATES, &je);
		msg = res ? peer_reply_ok(r.id, res)
			  : peer_reply_error(r.id, HS_ESYS, "hsd's reply is not JSON");
	} else {
		char text[PEER_ERROR_MAX + 1];
		size_t n = m->count < PEER_ERROR_MAX ? m->count : PEER_ERROR_MAX;
		memcpy(text, m->items, n);
		text[n] = 0;
		msg = peer_reply_error(r.id, r.rc, text);
	}
	conn_send(c, h->key, call.nonce, msg);
	return 0;
}

/* ---- the loop's side -------------------------------------------------- */

size_t epeer_max_fds(void)
{
	return 1 + PEER_MAX_CONNS;
}

size_t epeer_fill(struct engine_peers *p, struct pollfd *pfd)
{
	size_t n = 0;

	if (p->listen_fd < 0 || !p->nhosts)
		return 0;
	pfd[n++] = (struct pollfd){ p->listen_fd, POLLIN, 0 };
	for (size_t i = 0; i < p->nconns; i++) {
		struct epeer_conn *c = p->conns[i];
		short ev = c->ending ? 0 : POLLIN;
		if (c->out_len)
			ev |= POLLOUT;
		pfd[n++] = (struct pollfd){ c->fd, ev, 0 };
	}
	return n;
}

uint64_t epeer_wakeup(const struct engine_peers *p)
{
	uint64_t w = UINT64_MAX;

	for (size_t i = 0; i < p->nconns; i++) {
		const struct epeer_conn *c = p->conns[i];
		if (c->ending && !c->out_len)
			return 0; /* to be closed at once */
		if (!c->ncalls && c->idle_at < w)
			w = c->idle_at;
	}
	return w;
}

static void on_accept(struct engine_peers *p, uint64_t now)
{
	char a[INET_ADDRSTRLEN];

	for (int budget = ACCEPT_BUDGET; budget > 0; budget--) {
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);
		int fd = accept4(p->listen_fd, (struct sockaddr *)&sin, &slen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		uint32_t src = ntohl(sin.sin_addr.s_addr);
		/* Nothing is read from a stranger: it could only be a confused
		 * or hostile process inside the mesh namespace. */
		if (sin.sin_family != AF_INET || !host_by_addr(p, src)) {
			p->st.refused++;
			epeer_log(p, ENGINE_LOG_WARN,
				  "peer: refusing connection from %s: not another host's overlay address",
				  ip4(src, a));
			close(fd);
			continue;
		}
		if (p->nconns == PEER_MAX_CONNS) {
			p->st.refused++;
			close(fd);
			continue;
		}
		int from_src = 0;
		for (size_t i = 0; i < p->nconns; i++)
			from_src += p->conns[i]->src == src;
		if (from_src >= PEER_MAX_CONNS_PER_HOST) {
			/* Counted, logged once per burst. */
			if (p->st.over_host_limit++ % 64 == 0)
				epeer_log(p, ENGINE_LOG_WARN, "peer: %s holds %d connections, refusing more",
					  ip4(src, a), PEER_MAX_CONNS_PER_HOST);
			close(fd);
			continue;
		}
		struct epeer_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->id = ++p->next_id;
		c->src = src;
		c->idle_at = now + PEER_IDLE_MS;
		frame_reader_init(&c->reader, FRAME_MAX_PEER);
		p->conns[p->nconns++] = c;
		p->st.accepted++;
	}
}

static int on_readable(struct engine_peers *p, struct epeer_conn *c, uint64_t now, char *err,
		       size_t errlen)
{
	static uint8_t buf[READ_CHUNK];
	char why[HS_ERRLEN];
	json_t *msg;
	ssize_t n;
	int rc;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) { /* the caller is done, or gone */
		c->ending = true;
		c->out_len = c->out_off = 0;
		return 0;
	}
	c->idle_at = now + PEER_IDLE_MS;
	rc = frame_reader_feed(&c->reader, buf, (size_t)n, why, sizeof(why));
	while (!rc && !c->ending &&
	       (rc = frame_reader_next(&c->reader, &msg, why, sizeof(why))) == 1) {
		rc = conn_request(p, c, msg, err, errlen);
		json_decref(msg);
		if (rc)
			return rc; /* the channel failed */
	}
	/* A stream that cannot be framed cannot be resynced. */
	if (rc < 0)
		conn_refuse(p, c, NULL, NULL, 0, rc, why);
	return 0;
}

int epeer_events(struct engine_peers *p, const struct pollfd *pfd, size_t n, uint64_t now,
		 char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	size_t nc = p->nconns; /* those polled; accepted ones come after */
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < nc && i + 1 < n; i++) {
		struct epeer_conn *c = p->conns[i];
		if (pfd[i + 1].revents & POLLOUT)
			conn_flush(c);
		if ((pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) && !c->ending &&
		    (rc = on_readable(p, c, now, err, errlen)))
			return rc;
	}
	if (pfd[0].revents & POLLIN)
		on_accept(p, now);
	/* Close what is done: ended with nothing left to write, or idle with
	 * no call under way (else a peer could hold every slot). */
	for (size_t i = 0; i < p->nconns;) {
		struct epeer_conn *c = p->conns[i];
		bool idle = !c->ncalls && now >= c->idle_at;
		if (idle && !c->ending) {
			p->st.idle_closed++;
			epeer_log(p, ENGINE_LOG_INFO, "peer: closing idle connection from %s",
				  ip4(c->src, a));
		}
		if (idle || (c->ending && !c->out_len)) {
			conn_free(c);
			p->conns[i] = p->conns[--p->nconns];
			continue;
		}
		i++;
	}
	return 0;
}

void epeer_stats(const struct engine_peers *p, struct engine_peer_stats *st)
{
	*st = p->st;
	st->connections = (uint32_t)p->nconns;
}

const struct engine_peer_host *epeer_host(const struct engine_peers *p, uint32_t index)
{
	for (size_t i = 0; i < p->nhosts; i++)
		if (p->hosts[i].index == index)
			return &p->hosts[i];
	return NULL;
}

const char *epeer_self(const struct engine_peers *p)
{
	return p->self;
}
