/* peer_out.c - outgoing hsd-to-hsd calls.
 *
 * One connection per call: no connection state to keep consistent across
 * failures, and calls are rare next to their payloads.  Each request is
 * sealed for its target (proto/peer_auth.h) and only a reply sealed for
 * that request counts as the target's answer.
 */
#include "peer_int.h"
#include "err.h"
#include "frame.h"
#include "log.h"
#include "mesh.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One outgoing call on its own connection. */
struct peer_out {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t connect;
	uv_write_t write;
	struct peers *p;
	struct frame_reader reader;
	uint8_t *buf;        /* the encoded request */
	size_t len;
	char host[PEER_NAME_MAX + 1];
	char cmd[PEER_CMD_MAX + 1];
	int64_t id;
	struct peer_seal seal; /* the reply must carry our nonce, under this key */
	uint32_t timeout_ms;
	peer_cb cb;
	void *arg;
	bool done;           /* cb has been called, or never will be */
	int open;            /* handles not yet closed */
	struct peer_out *next;
};

static void out_closed(uv_handle_t *h)
{
	struct peer_out *o = h->data;
	struct peers *p = o->p;

	if (--o->open > 0)
		return;
	for (struct peer_out **pp = &p->outs; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	p->nouts--;
	frame_reader_free(&o->reader);
	free(o->buf);
	free(o);
	peers_unref(p);
}

static void out_close(struct peer_out *o)
{
	if (!uv_is_closing((uv_handle_t *)&o->tcp))
		uv_close((uv_handle_t *)&o->tcp, out_closed);
	if (!uv_is_closing((uv_handle_t *)&o->timer))
		uv_close((uv_handle_t *)&o->timer, out_closed);
}

/* Call cb (once) and close the call's handles. */
__attribute__((format(printf, 4, 5)))
static void out_finish(struct peer_out *o, int rc, json_t *result, const char *fmt, ...)
{
	char msg[HS_ERRLEN];
	va_list ap;

	if (o->done)
		return;
	o->done = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rc) {
		o->p->calls_failed++;
		log_debug("peer: %s on %s: %s", o->cmd, o->host, msg);
	}
	o->cb(o->p->d, o->arg, rc, result, msg);
	out_close(o);
}

static void out_timeout(uv_timer_t *t)
{
	struct peer_out *o = t->data;

	if (o->done)
		return;
	o->p->timeouts++;
	out_finish(o, HS_EUNREACH, NULL, "peer %s: no reply to %s within %u ms", o->host,
		   o->cmd, o->timeout_ms);
}

static void out_reply(struct peer_out *o, json_t *msg)
{
	struct peer_reply r;
	char err[HS_ERRLEN];

	/*
	 * An unauthenticated reply may come from any relay on the way, so
	 * it decides nothing: the host counts as not reached.  Its text is
	 * kept for the operator (a refusal of our own request looks so).
	 */
	if (peer_auth_open_reply(msg, o->seal.nonce, o->seal.key, err, sizeof(err))) {
		const char *said = json_string_value(json_object_get(msg, "error"));
		out_finish(o, HS_EUNREACH, NULL, "peer %s: unauthenticated reply (%s)%s%.200s",
			   o->host, err, said ? ": " : "", said ? said : "");
		return;
	}
	if (peer_reply_parse(msg, &r, err, sizeof(err)))
		out_finish(o, HS_ESYS, NULL, "peer %s: malformed reply: %s", o->host, err);
	else if (r.id != o->id)
		out_finish(o, HS_ESYS, NULL, "peer %s: reply.id %lld does not match request %lld",
			   o->host, (long long)r.id, (long long)o->id);
	else if (!r.ok)
		out_finish(o, r.rc, NULL, "%s: %s", o->host, r.error);
	else
		out_finish(o, 0, r.result, "%s", "");
}

static void out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct peer_out *o = s->data;
	char err[HS_ERRLEN];
	json_t *msg;
	int rc;

	if (o->done)
		goto out;
	if (n < 0) {
		out_finish(o, HS_EUNREACH, NULL, "peer %s: connection lost before the reply to %s: %s",
			   o->host, o->cmd, n == UV_EOF ? "closed by peer" : uv_strerror((int)n));
		goto out;
	}
	if ((rc = frame_reader_feed(&o->reader, buf->base, (size_t)n, err, sizeof(err))) ||
	    (rc = frame_reader_next(&o->reader, &msg, err, sizeof(err))) < 0) {
		out_finish(o, HS_ESYS, NULL, "peer %s: malformed reply: %s", o->host, err);
		goto out;
	}
	if (rc == 1) {
		out_reply(o, msg);
		json_decref(msg);
	}
out:
	free(buf->base);
}

static void out_written(uv_write_t *w, int status)
{
	struct peer_out *o = w->data;

	if (status < 0 && !o->done)
		out_finish(o, HS_EUNREACH, NULL, "peer %s: send %s: %s", o->host, o->cmd,
			   uv_strerror(status));
}

static void out_connected(uv_connect_t *req, int status)
{
	struct peer_out *o = req->data;
	uv_buf_t b = uv_buf_init((char *)o->buf, (unsigned)o->len);
	int rc;

	if (o->done)
		return;
	if (status < 0) {
		out_finish(o, HS_EUNREACH, NULL, "peer %s: connect: %s", o->host,
			   uv_strerror(status));
		return;
	}
	o->write.data = o;
	if ((rc = uv_write(&o->write, (uv_stream_t *)&o->tcp, &b, 1, out_written)) ||
	    (rc = uv_read_start((uv_stream_t *)&o->tcp, peer_alloc_cb, out_read)))
		out_finish(o, HS_EUNREACH, NULL, "peer %s: %s", o->host, uv_strerror(rc));
}

int peer_send(struct hsd *d, int host, const char *cmd, json_t *args,
	      uint32_t timeout_ms, peer_cb cb, void *arg)
{
	struct peers *p = d->peers;
	char err[HS_ERRLEN];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };
	struct peer_out *o;
	json_t *req;
	int fd, rc;

	if (!p || !d->mesh || !d->mesh->running) {
		json_decref(args);
		return HS_ESTATE;
	}
	if (host < 0 || (size_t)host >= d->cluster.nhosts || host == d->self || !cb ||
	    !cmd || !peer_name_ok(cmd, PEER_CMD_MAX) || (args && !json_is_object(args))) {
		json_decref(args);
		return HS_EINPUT;
	}
	if (!(o = calloc(1, sizeof(*o)))) {
		json_decref(args);
		return HS_ESYS;
	}
	o->p = p;
	o->id = ++p->next_id;
	o->cb = cb;
	o->arg = arg;
	o->timeout_ms = timeout_ms;
	snprintf(o->host, sizeof(o->host), "%s", d->cluster.hosts[host].name);
	snprintf(o->cmd, sizeof(o->cmd), "%s", cmd);
	frame_reader_init(&o->reader, FRAME_MAX_PEER);
	req = peer_request_new(o->id, d->cluster.hosts[d->self].name, cmd, args);
	rc = req ? peer_pair_key(d, host, o->seal.key, err, sizeof(err))
		 : err_set(err, sizeof(err), HS_ESYS, "out of memory");
	if (!rc)
		rc = peer_auth_seal_request(req, o->host, peer_wall_ms(), o->seal.key,
					    o->seal.nonce, err, sizeof(err));
	if (!rc)
		rc = frame_encode(req, FRAME_MAX_PEER, &o->buf, &o->len, err, sizeof(err));
	json_decref(req);
	if (!rc)
		rc = peer_socket(d, false, &fd, err, sizeof(err));
	if (rc) {
		log_warn("peer: %s on %s: %s", cmd, o->host, err);
		frame_reader_free(&o->reader);
		free(o->buf);
		free(o);
		return rc;
	}
	/* From here on the handles own o: it is freed when both have closed. */
	uv_tcp_init(d->loop, &o->tcp);
	uv_timer_init(d->loop, &o->timer);
	o->tcp.data = o->timer.data = o->connect.data = o;
	o->open = 2;
	o->next = p->outs;
	p->outs = o;
	p->nouts++;
	p->refs++;
	sin.sin_addr.s_addr = htonl(d->cluster.hosts[host].prefix + 1);
	if ((rc = uv_tcp_open(&o->tcp, fd))) {
		close(fd);
	} else {
		rc = uv_tcp_connect(&o->connect, &o->tcp, (struct sockaddr *)&sin, out_connected);
	}
	if (rc) {
		log_warn("peer: %s on %s: %s", cmd, o->host, uv_strerror(rc));
		o->done = true; /* the caller hears it from our return value */
		out_close(o);
		return HS_EUNREACH;
	}
	uv_timer_start(&o->timer, out_timeout, timeout_ms, 0);
	p->calls_sent++;
	return 0;
}

void peer_outs_stop(struct peers *p)
{
	for (struct peer_out *o = p->outs; o; o = o->next)
		out_finish(o, HS_ESYS, NULL, "hsd is stopping");
}
