/* engine_call.c - hsd's calls to other hosts, carried by hsengine
 * (engine_call.h).  One connection per call, as hsd made it. */
#include "engine_call.h"
#include "err.h"
#include "frame.h"
#include "peer.h"
#include "peer_auth.h"
#include "peer_result.h"
#include "peer_typed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct ecall {
	uint64_t call;
	int fd;
	uint32_t cmd;
	char host[PEER_WORD];
	uint8_t key[PEER_AUTH_KEY];
	uint8_t nonce[PEER_AUTH_NONCE];
	int64_t id;
	uint8_t *out;        /* the sealed request not written yet */
	size_t out_len, out_off;
	struct frame_reader reader;
	uint64_t deadline;
	uint32_t timeout_ms;
	bool connected;
	bool done;
};

struct engine_calls {
	int chan;
	const struct engine_peers *peers;
	struct ecall *v[ENGINE_CALLS_MAX];
	size_t n;
	int64_t next_id;
};

struct engine_calls *ecalls_new(int chan, const struct engine_peers *peers)
{
	struct engine_calls *c = calloc(1, sizeof(*c));

	if (c) {
		c->chan = chan;
		c->peers = peers;
	}
	return c;
}

static void call_free(struct ecall *k)
{
	if (k->fd >= 0)
		close(k->fd);
	frame_reader_free(&k->reader);
	free(k->out);
	free(k);
}

void ecalls_free(struct engine_calls *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		call_free(c->v[i]);
	free(c);
}

static int send_result(struct engine_calls *c, uint64_t call, int rc, uint32_t flags,
		       const void *bytes, size_t len, char *err, size_t errlen)
{
	struct engine_peer_result r = { .call = call, .rc = rc, .flags = flags };

	if (len > ENGINE_REPLY_MAX) { /* an error line never is */
		static const char big[] = "the result is larger than hsd takes";
		r.rc = HS_ESYS;
		bytes = big;
		len = sizeof(big) - 1;
	}
	return engine_msg_send(c->chan, ENGINE_MSG_PEER_RESULT, &r, sizeof(r), bytes, len,
			       (uint32_t)len, err, errlen);
}

/* End call k with an error line (rc != 0); the loop frees it. */
__attribute__((format(printf, 7, 8)))
static int call_fail(struct engine_calls *c, struct ecall *k, int rc, uint32_t flags, char *err,
		     size_t errlen, const char *fmt, ...)
{
	char msg[HS_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->done = true;
	return send_result(c, k->call, rc, flags, msg, strlen(msg), err, errlen);
}

/* The arguments hsd wrote: inline, or in a memfd when large. */
static json_t *call_args(const struct engine_msg *m, int *fds, size_t nfds)
{
	json_error_t je;

	if (m->count || nfds < 2)
		return json_loadb(m->items, m->count, 0, &je);
	struct stat st;
	if (fstat(fds[1], &st) || st.st_size > (off_t)FRAME_MAX_PEER)
		return NULL;
	char *text = malloc(st.st_size ? (size_t)st.st_size : 1);
	ssize_t n = text ? pread(fds[1], text, (size_t)st.st_size, 0) : -1;
	json_t *args = n == st.st_size ? json_loadb(text, (size_t)n, 0, &je) : NULL;
	free(text);
	return args;
}

int ecalls_on_call(struct engine_calls *c, const struct engine_msg *m, int *fds, size_t nfds,
		   uint64_t now, char *err, size_t errlen)
{
	struct engine_peer_call pc;
	const struct engine_peer_host *h;
	char why[HS_ERRLEN];
	struct ecall *k;
	json_t *args = NULL, *req = NULL;
	int rc;

	memcpy(&pc, m->body, sizeof(pc));
	if (nfds < 1 || (m->count == 0) != (nfds == 2)) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return err_set(err, errlen, HS_EINPUT, "engine: a call without its socket");
	}
	if (!(k = calloc(1, sizeof(*k)))) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return err_set(err, errlen, HS_ESYS, "engine: out of memory");
	}
	k->call = pc.call;
	k->fd = fds[0];
	k->cmd = pc.cmd;
	k->timeout_ms = pc.timeout_ms;
	k->deadline = now + pc.timeout_ms;
	frame_reader_init(&k->reader, FRAME_MAX_PEER);
	args = call_args(m, fds, nfds);
	if (nfds == 2)
		close(fds[1]);
	h = epeer_host(c->peers, pc.host);
	if (h)
		snprintf(k->host, sizeof(k->host), "%s", h->name);
	if (c->n == ENGINE_CALLS_MAX) {
		rc = call_fail(c, k, HS_EUNREACH, 0, err, errlen, "peer %s: too many calls under way",
			       k->host);
	} else if (!h || !peer_cmd_name(pc.cmd) || !json_is_object(args)) {
		rc = call_fail(c, k, HS_EINPUT, 0, err, errlen, "engine: call %u to host %u: not one it can make",
			       pc.cmd, pc.host);
	} else {
		memcpy(k->key, h->key, sizeof(k->key));
		k->id = ++c->next_id;
		req = peer_request_new(k->id, epeer_self(c->peers), peer_cmd_name(pc.cmd),
				       json_incref(args));
		if (!req ||
		    peer_auth_seal_request(req, k->host, epeer_wall_ms(), k->key, k->nonce, why, sizeof(why)) ||
		    frame_encode(req, FRAME_MAX_PEER, &k->out, &k->out_len, why, sizeof(why)))
			rc = call_fail(c, k, HS_EINPUT, 0, err, errlen, "peer %s: %s: %s", k->host,
				       peer_cmd_name(pc.cmd), req ? why : "out of memory");
		else
			rc = 0;
	}
	json_decref(req);
	json_decref(args);
	if (k->done) {
		call_free(k);
		return rc;
	}
	c->v[c->n++] = k;
	return 0;
}

size_t ecalls_fill(struct engine_calls *c, struct pollfd *pfd)
{
	for (size_t i = 0; i < c->n; i++) {
		struct ecall *k = c->v[i];
		pfd[i] = (struct pollfd){ k->fd, k->out_off < k->out_len ? POLLOUT : POLLIN, 0 };
	}
	return c->n;
}

uint64_t ecalls_wakeup(const struct engine_calls *c)
{
	uint64_t w = UINT64_MAX;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->deadline < w)
			w = c->v[i]->deadline;
	return w;
}

static int call_reply(struct engine_calls *c, struct ecall *k, json_t *msg, char *err,
		      size_t errlen)
{
	struct peer_reply r;
	char why[HS_ERRLEN];
	uint8_t *rec;
	size_t len;
	int rc;

	/* An unauthenticated reply may come from any relay on the way, so
	 * it decides nothing: the host counts as not reached.  Its text is
	 * kept for the operator (a refusal of our own request looks so). */
	if (peer_auth_open_reply(msg, k->nonce, k->key, why, sizeof(why))) {
		const char *said = json_string_value(json_object_get(msg, "error"));
		return call_fail(c, k, HS_EUNREACH, 0, err, errlen, "peer %s: unauthenticated reply (%s)%s%.200s",
				 k->host, why, said ? ": " : "", said ? said : "");
	}
	if (peer_reply_parse(msg, &r, why, sizeof(why)))
		return call_fail(c, k, HS_ESYS, 0, err, errlen, "peer %s: malformed reply: %s", k->host, why);
	if (r.id != k->id)
		return call_fail(c, k, HS_ESYS, 0, err, errlen,
				 "peer %s: reply.id %lld does not match request %lld", k->host,
				 (long long)r.id, (long long)k->id);
	if (!r.ok)
		return call_fail(c, k, r.rc, 0, err, errlen, "%s: %s", k->host, r.error);
	if ((rc = peer_result_encode(k->cmd, r.result, &rec, &len, why, sizeof(why))))
		return call_fail(c, k, HS_ESYS, 0, err, errlen, "peer %s: malformed reply: %s", k->host, why);
	k->done = true;
	rc = send_result(c, k->call, 0, 0, rec, len, err, errlen);
	free(rec);
	return rc;
}

static int call_io(struct engine_calls *c, struct ecall *k, short revents, char *err,
		   size_t errlen)
{
	static uint8_t buf[65536];
	char why[HS_ERRLEN];

	if (!k->connected && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr)
			return call_fail(c, k, HS_EUNREACH, 0, err, errlen, "peer %s: connect: %s", k->host,
					 strerror(soerr ? soerr : errno));
		k->connected = true;
	}
	while (k->connected && k->out_off < k->out_len) {
		ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return call_fail(c, k, HS_EUNREACH, 0, err, errlen, "peer %s: send %s: %s", k->host,
					 peer_cmd_name(k->cmd), strerror(errno));
		k->out_off += (size_t)n;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || k->out_off < k->out_len)
		return 0;
	ssize_t n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return call_fail(c, k, HS_EUNREACH, 0, err, errlen,
				 "peer %s: connection lost before the reply to %s: %s", k->host,
				 peer_cmd_name(k->cmd), n == 0 ? "closed by peer" : strerror(errno));
	json_t *msg = NULL;
	int rc = frame_reader_feed(&k->reader, buf, (size_t)n, why, sizeof(why));
	if (!rc)
		rc = frame_reader_next(&k->reader, &msg, why, sizeof(why));
	if (rc < 0)
		return call_fail(c, k, HS_ESYS, 0, err, errlen, "peer %s: malformed reply: %s", k->host, why);
	if (rc == 1) {
		rc = call_reply(c, k, msg, err, errlen);
		json_decref(msg);
		return rc;
	}
	return 0;
}

int ecalls_events(struct engine_calls *c, const struct pollfd *pfd, size_t n, uint64_t now,
		  char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < n && i < c->n && !rc; i++)
		if (pfd[i].revents)
			rc = call_io(c, c->v[i], pfd[i].revents, err, errlen);
	for (size_t i = 0; i < c->n && !rc; i++) {
		struct ecall *k = c->v[i];
		if (!k->done && now >= k->deadline)
			rc = call_fail(c, k, HS_EUNREACH, ENGINE_RESULT_TIMEOUT, err, errlen,
				       "peer %s: no reply to %s within %u ms", k->host,
				       peer_cmd_name(k->cmd), k->timeout_ms);
	}
	for (size_t i = 0; i < c->n;) {
		if (c->v[i]->done) {
			call_free(c->v[i]);
			c->v[i] = c->v[--c->n];
			continue;
		}
		i++;
	}
	return rc;
}
