/*
 * metrics_http.c - GET /metrics for a Prometheus server (hsd --metrics).
 *
 * Off by default; when on, bound to the address given (127.0.0.1 in the
 * docs' examples).  As little HTTP as a scraper needs: one request per
 * connection, read up to the end of its header (at most 4 KiB, within 5 s),
 * the request line checked, one answer, then close.  At most 16
 * connections at once; more are closed unanswered.  Nothing of the request
 * is used but its method and path.
 */
#include "metrics.h"
#include "daemon.h"
#include "err.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MHTTP_MAX_CONNS 16
#define MHTTP_HEADER_MAX 4096
#define MHTTP_TIMEOUT_MS 5000

struct metrics_http {
	uv_tcp_t server;
	struct hsd *d;
	struct mhttp_conn *conns;
	int refs; /* the server handle and each connection */
};

struct mhttp_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write;
	uv_shutdown_t shutdown;
	struct metrics_http *m;
	char req[MHTTP_HEADER_MAX + 1];
	size_t len;
	char *reply;
	bool answered;
	int open; /* handles not yet closed */
	struct mhttp_conn *next;
};

static void mhttp_unref(struct metrics_http *m)
{
	if (--m->refs == 0)
		free(m);
}

static void conn_closed(uv_handle_t *h)
{
	struct mhttp_conn *c = h->data;

	if (--c->open > 0)
		return;
	for (struct mhttp_conn **pp = &c->m->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	mhttp_unref(c->m);
	free(c->reply);
	free(c);
}

static void conn_close(struct mhttp_conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, conn_closed);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void on_shutdown(uv_shutdown_t *s, int status)
{
	(void)status;
	conn_close(s->data);
}

static void on_written(uv_write_t *w, int status)
{
	struct mhttp_conn *c = w->data;

	c->shutdown.data = c;
	if (status < 0 || uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown))
		conn_close(c);
}

static void answer(struct mhttp_conn *c, const char *status, const char *type, const char *body)
{
	size_t blen = strlen(body);
	int n;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	n = asprintf(&c->reply, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			       "Connection: close\r\n\r\n%s", status, type, blen, body);
	if (n < 0) {
		c->reply = NULL;
		conn_close(c);
		return;
	}
	uv_buf_t b = uv_buf_init(c->reply, (unsigned)n);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written))
		conn_close(c);
}

/* The request line of a complete header: METHOD SP TARGET SP HTTP/1.x */
static void handle(struct mhttp_conn *c)
{
	char method[8], target[256], version[16], err[HS_ERRLEN];
	char *text;

	if (sscanf(c->req, "%7s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		answer(c, "400 Bad Request", "text/plain", "bad request line\n");
		return;
	}
	target[strcspn(target, "?")] = 0;
	if (strcmp(target, "/metrics") != 0) {
		answer(c, "404 Not Found", "text/plain", "only /metrics is here\n");
		return;
	}
	if (strcmp(method, "GET") != 0) {
		answer(c, "405 Method Not Allowed", "text/plain", "GET only\n");
		return;
	}
	if (metrics_collect(c->m->d, &text, err, sizeof(err))) {
		log_warn("metrics: %s", err);
		answer(c, "500 Internal Server Error", "text/plain", "metrics: failed\n");
		return;
	}
	answer(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct mhttp_conn *c = h->data;

	(void)hint;
	buf->base = c->req + c->len;
	buf->len = MHTTP_HEADER_MAX - c->len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct mhttp_conn *c = s->data;

	(void)buf;
	if (c->answered)
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		handle(c);
	else if (c->len == MHTTP_HEADER_MAX)
		answer(c, "431 Request Header Fields Too Large", "text/plain", "header too large\n");
}

static void on_timeout(uv_timer_t *t)
{
	struct mhttp_conn *c = t->data;

	if (!c->answered)
		conn_close(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct metrics_http *m = server->data;
	struct mhttp_conn *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->m = m;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open = 2;
	c->next = m->conns;
	m->conns = c;
	m->refs++;
	int n = 0;
	for (struct mhttp_conn *o = m->conns; o; o = o->next)
		n++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) || n > MHTTP_MAX_CONNS ||
	    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read)) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, MHTTP_TIMEOUT_MS, 0);
}

int metrics_http_parse(const char *spec, struct sockaddr_storage *out, char *err,
		       size_t errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;

	memset(out, 0, sizeof(*out));
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = 0;
		if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)out))
			goto bad;
		return 0;
	}
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0)
		return 0;
bad:
	return err_set(err, errlen, HS_EINPUT,
		       "--metrics: want ADDR:PORT (127.0.0.1:9469, [::1]:9469), not \"%s\"", spec);
}

int metrics_http_start(struct hsd *d, const struct sockaddr_storage *addr, char *err,
		       size_t errlen)
{
	struct metrics_http *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return err_set(err, errlen, HS_ESYS, "metrics: out of memory");
	m->d = d;
	m->refs = 1;
	uv_tcp_init(d->loop, &m->server);
	m->server.data = m;
	d->metrics = m;
	if ((rc = uv_tcp_bind(&m->server, (const struct sockaddr *)addr, 0)) ||
	    (rc = uv_listen((uv_stream_t *)&m->server, 16, on_connection)))
		return err_set(err, errlen, HS_ESYS, "--metrics: listen: %s", uv_strerror(rc));
	log_info("metrics: serving GET /metrics on --metrics %s", d->opt.metrics);
	return 0;
}

static void server_closed(uv_handle_t *h)
{
	mhttp_unref(h->data);
}

void metrics_http_stop(struct hsd *d)
{
	struct metrics_http *m = d->metrics;

	if (!m)
		return;
	d->metrics = NULL;
	for (struct mhttp_conn *c = m->conns; c; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&m->server, server_closed);
}
