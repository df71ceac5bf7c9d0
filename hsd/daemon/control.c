/* control.c - the control socket server.
 *
 * A Unix stream socket in the run directory, mode 0600 (root only).  Each
 * connection carries length-prefixed JSON requests (proto/ctl.h); replies
 * go back in order.  A malformed frame gets an error reply and the
 * connection is closed: a client that cannot frame cannot be resynced.
 */
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "frame.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct control_client {
	uv_pipe_t pipe;
	struct control *owner;
	struct frame_reader reader;
	struct control_client *next;
	bool closing, closed;
	int refs; /* the connection itself + deferred calls still pending */
};

struct control_call {
	struct control_client *client;
	int64_t id;
};

struct control {
	uv_pipe_t server;
	struct hsd *d;
	char *path;
	struct control_client *clients;
	int nclients;
	bool server_closed; /* freed when the server and every client closed */
};

static void control_maybe_free(struct control *c)
{
	if (c->server_closed && c->nclients == 0) {
		free(c->path);
		free(c);
	}
}

static void client_unref(struct control_client *cl)
{
	struct control *c = cl->owner;

	if (--cl->refs > 0)
		return;
	for (struct control_client **p = &c->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	c->nclients--;
	frame_reader_free(&cl->reader);
	free(cl);
	control_maybe_free(c);
}

static void client_closed(uv_handle_t *h)
{
	struct control_client *cl = h->data;
	cl->closed = true;
	client_unref(cl);
}

static void client_close(struct control_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = true;
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void write_done(uv_write_t *w, int status)
{
	(void)status; /* a client that went away loses its reply; nothing to undo */
	free(w->data);
	free(w);
}

static void client_send(struct control_client *cl, json_t *msg)
{
	char err[HS_ERRLEN];
	uint8_t *buf;
	size_t len;

	if (!msg)
		return;
	if (frame_encode(msg, FRAME_MAX_CTL, &buf, &len, err, sizeof(err))) {
		json_t *e = ctl_reply_error(json_integer_value(json_object_get(msg, "id")),
					    HS_ESYS, "reply too large");
		json_decref(msg);
		if (!e || frame_encode(e, FRAME_MAX_CTL, &buf, &len, err, sizeof(err))) {
			json_decref(e);
			client_close(cl);
			return;
		}
		json_decref(e);
	} else {
		json_decref(msg);
	}
	uv_write_t *w = malloc(sizeof(*w));
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	if (!w) {
		free(buf);
		client_close(cl);
		return;
	}
	w->data = buf;
	if (uv_write(w, (uv_stream_t *)&cl->pipe, &b, 1, write_done)) {
		free(buf);
		free(w);
		client_close(cl);
	}
}

void control_finish(struct control_call *call, int rc, json_t *result,
		    const char *err)
{
	struct control_client *cl = call->client;

	if (cl->closing || rc)
		json_decref(result);
	if (!cl->closing)
		client_send(cl, rc ? ctl_reply_error(call->id, rc, err)
				   : ctl_reply_ok(call->id, result));
	free(call);
	client_unref(cl);
}

static const struct rpc_cmd *control_find(const char *name)
{
	static const struct rpc_cmd *const tables[] = {
		control_cmds, control_space_cmds, control_monitor_cmds, control_bundle_cmds,
		control_instance_cmds, control_rollout_cmds,
	};
	const struct rpc_cmd *c = NULL;

	for (size_t t = 0; t < sizeof(tables) / sizeof(*tables) && !c; t++)
		c = rpc_find(tables[t], name);
	return c;
}

int control_local(struct hsd *d, const char *cmd, json_t **result, char *err, size_t errlen)
{
	const struct rpc_cmd *c = control_find(cmd);
	struct rpc_req req = { cmd, json_object(), RPC_OPERATOR };
	const struct done nowhere = { NULL, NULL };
	char e[HS_ERRLEN] = "";
	int rc;

	*result = NULL;
	if (!c || !req.args) {
		json_decref(req.args);
		return err_set(err, errlen, HS_EINPUT, "cmd: unknown command \"%s\"", cmd);
	}
	rc = c->fn(d, &req, &nowhere, result, e, sizeof(e));
	json_decref(req.args);
	if (rc) {
		json_decref(*result);
		*result = NULL;
		return err_set(err, errlen, rc == RPC_DEFERRED ? HS_ESYS : rc, "%s: %s", cmd,
			       rc == RPC_DEFERRED ? "answers later, not in-process" : e);
	}
	return 0;
}

/* Returns the reply, or NULL when a handler deferred it. */
static json_t *control_dispatch(struct control_client *cl, json_t *msg)
{
	char err[HS_ERRLEN] = "";
	const struct rpc_cmd *c;
	struct control_call *call;
	struct ctl_request creq;
	json_t *result = NULL;
	int rc;

	if ((rc = ctl_request_parse(msg, &creq, err, sizeof(err))))
		return ctl_reply_error(json_integer_value(json_object_get(msg, "id")), rc, err);
	if (!(c = control_find(creq.cmd))) {
		err_set(err, sizeof(err), HS_EINPUT, "cmd: unknown command \"%s\"", creq.cmd);
		return ctl_reply_error(creq.id, HS_EINPUT, err);
	}
	if ((rc = rpc_args_check(c, creq.args, err, sizeof(err))))
		return ctl_reply_error(creq.id, rc, err);
	if (!(call = calloc(1, sizeof(*call))))
		return ctl_reply_error(creq.id, HS_ESYS, "out of memory");
	call->client = cl;
	call->id = creq.id;
	/* The call holds the client from now: a handler may even finish it
	 * before returning RPC_DEFERRED. */
	cl->refs++;
	struct rpc_req req = { creq.cmd, creq.args, RPC_OPERATOR };
	struct done dn = done_control(call);
	rc = c->fn(cl->owner->d, &req, &dn, &result, err, sizeof(err));
	if (rc == RPC_DEFERRED)
		return NULL;
	cl->refs--;
	free(call);
	if (rc) {
		log_debug("control: %s: %s", creq.cmd, err);
		return ctl_reply_error(creq.id, rc, err);
	}
	return ctl_reply_ok(creq.id, result);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct control_client *cl = s->data;
	char err[HS_ERRLEN];
	json_t *msg;
	int rc;

	if (n < 0) {
		client_close(cl);
		goto out;
	}
	if (n == 0)
		goto out;
	rc = frame_reader_feed(&cl->reader, buf->base, (size_t)n, err, sizeof(err));
	while (!rc && (rc = frame_reader_next(&cl->reader, &msg, err, sizeof(err))) == 1) {
		client_send(cl, control_dispatch(cl, msg));
		json_decref(msg);
		rc = 0;
	}
	if (rc < 0) {
		log_warn("control: dropping client: %s", err);
		client_send(cl, ctl_reply_error(0, rc, err));
		uv_read_stop(s);
		client_close(cl);
	}
out:
	free(buf->base);
}

static void connection_cb(uv_stream_t *server, int status)
{
	struct control *c = server->data;
	struct control_client *cl;

	if (status < 0)
		return;
	if (!(cl = calloc(1, sizeof(*cl))))
		return;
	cl->owner = c;
	cl->refs = 1;
	frame_reader_init(&cl->reader, FRAME_MAX_CTL);
	uv_pipe_init(server->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = c->clients;
	c->clients = cl;
	c->nclients++;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) ||
	    c->nclients > CONTROL_MAX_CLIENTS ||
	    uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, read_cb)) {
		if (c->nclients > CONTROL_MAX_CLIENTS)
			log_warn("control: too many clients, refusing one");
		client_close(cl);
	}
}

int control_open(struct hsd *d, const char *path, struct control **out,
		 char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return err_set(err, errlen, HS_ESYS, "control: out of memory");
	}
	c->d = d;
	uv_pipe_init(d->loop, &c->server, 0);
	c->server.data = c;
	/* We hold the run-dir lock, so a socket left here is a dead hsd's. */
	unlink(path);
	mode_t old = umask(077);
	rc = uv_pipe_bind(&c->server, path);
	umask(old);
	if (!rc && chmod(path, 0600))
		rc = uv_translate_sys_error(errno);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&c->server, 16, connection_cb);
	if (rc) {
		err_set(err, errlen, HS_ESYS, "control socket %s: %s", path, uv_strerror(rc));
		control_close(c);
		return HS_ESYS;
	}
	*out = c;
	return 0;
}

static void server_closed(uv_handle_t *h)
{
	struct control *c = h->data;
	c->server_closed = true;
	control_maybe_free(c);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (struct control_client *cl = c->clients; cl; cl = cl->next)
		client_close(cl);
	if (c->path)
		unlink(c->path);
	uv_close((uv_handle_t *)&c->server, server_closed);
}

static void done_control_fn(void *arg, int rc, json_t *result, const char *err)
{
	control_finish(arg, rc, result, err);
}

struct done done_control(struct control_call *call)
{
	return (struct done){ done_control_fn, call };
}
