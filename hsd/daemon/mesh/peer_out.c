/* peer_out.c - outgoing hsd-to-hsd calls, carried by the engine.
 *
 * One connection per call: no connection state to keep consistent across
 * failures, and calls are rare next to their payloads.  hsd makes the
 * socket in the mesh namespace, bound to its overlay address, starts the
 * connect and hands it to the engine with the command and its arguments
 * (engine_call.c); the engine seals the request, reads the reply, checks
 * its MAC and parses it, and hands back the result as records of the
 * command's schema (proto/peer_result.h), which are all hsd decodes.
 */
#include "peer_int.h"
#include "engine_sup.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "mesh.h"
#include "peer_result.h"
#include "peer_typed.h"
#include "textesc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Past the call's own time the engine answers by itself; this is for an
 * engine that cannot (it died; its death also ends the call at once). */
#define PEER_OUT_GRACE_MS 2000

/* One outgoing call. */
struct peer_out {
	uv_timer_t timer;
	struct peers *p;
	uint64_t call;
	uint32_t gen;        /* the engine that carries it */
	uint32_t cmd;
	char host[PEER_NAME_MAX + 1];
	uint32_t timeout_ms;
	peer_cb cb;
	void *arg;
	bool done;           /* cb has been called, or never will be */
	struct peer_out *next;
};

static void out_closed(uv_handle_t *h)
{
	struct peer_out *o = h->data;
	struct peers *p = o->p;

	for (struct peer_out **pp = &p->outs; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	p->nouts--;
	free(o);
	peers_unref(p);
}

/* Call cb (once) and close the call's timer. */
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
		log_debug("peer: %s on %s: %s", peer_cmd_name(o->cmd), o->host, msg);
	}
	o->cb(o->p->d, o->arg, rc, result, msg);
	uv_close((uv_handle_t *)&o->timer, out_closed);
}

static void out_timeout(uv_timer_t *t)
{
	struct peer_out *o = t->data;

	o->p->timeouts++;
	out_finish(o, HS_EUNREACH, NULL, "peer %s: no reply to %s within %u ms", o->host,
		   peer_cmd_name(o->cmd), o->timeout_ms);
}

void peer_result_in(struct hsd *d, uint32_t gen, const struct engine_peer_result *r,
		    const uint8_t *bytes, size_t len)
{
	struct peers *p = d->peers;
	struct peer_out *o = p ? p->outs : NULL;
	char why[HS_ERRLEN], *text = NULL;
	json_t *result = NULL;

	while (o && (o->call != r->call || o->gen != gen || o->done))
		o = o->next;
	if (!o)
		return; /* ended already (timed out, hsd stopping) */
	if (r->flags & ENGINE_RESULT_TIMEOUT)
		p->timeouts++;
	if (r->rc == 0) {
		if (peer_result_decode(o->cmd, bytes, len, &result, why, sizeof(why)))
			out_finish(o, HS_ESYS, NULL, "peer %s: malformed result: %s", o->host, why);
		else
			out_finish(o, 0, result, "%s", "");
		json_decref(result);
		return;
	}
	/* The line may quote the other host: escaped before anyone prints it. */
	if (textesc_dup(bytes, len, TEXTESC_TERM, &text, why, sizeof(why)))
		out_finish(o, r->rc, NULL, "peer %s: %s failed", o->host, peer_cmd_name(o->cmd));
	else
		out_finish(o, r->rc, NULL, "%s", text);
	free(text);
}

void peer_outs_engine_gone(struct hsd *d, uint32_t gen)
{
	struct peers *p = d->peers;

	for (struct peer_out *o = p ? p->outs : NULL; o; o = o->next)
		if (o->gen == gen)
			out_finish(o, HS_EUNREACH, NULL, "peer %s: the route engine ended during %s",
				   o->host, peer_cmd_name(o->cmd));
}

/* The arguments in a memfd, for those over what one message carries. */
static int args_memfd(const char *text, size_t len)
{
	int fd = memfd_create("peer-args", MFD_CLOEXEC);

	if (fd >= 0 && fs_write_all(fd, text, len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Our socket to host's peer port, its connect under way. */
static int out_connect(struct hsd *d, int host, int *fd, char *err, size_t errlen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT),
				   .sin_addr.s_addr = htonl(d->cluster.hosts[host].prefix + 1) };
	int rc = peer_socket(d, false, fd, err, errlen);

	if (rc)
		return rc;
	if (connect(*fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS) {
		/* No route yet, or refused at once: unreachable, not broken. */
		err_sys(err, errlen, "peer %s: connect", d->cluster.hosts[host].name);
		close(*fd);
		*fd = -1;
		return HS_EUNREACH;
	}
	return 0;
}

int peer_send(struct hsd *d, int host, const char *cmd, json_t *args,
	      uint32_t timeout_ms, peer_cb cb, void *arg)
{
	struct peers *p = d->peers;
	char err[HS_ERRLEN];
	struct peer_out *o;
	uint32_t id = cmd ? peer_cmd_id(cmd) : 0;
	char *text;
	int fds[2] = { -1, -1 }, rc;

	if (!p || !d->mesh || !d->mesh->running) {
		json_decref(args);
		return HS_ESTATE;
	}
	if (host < 0 || (size_t)host >= d->cluster.nhosts || host == d->self || !cb || !id ||
	    (args && !json_is_object(args))) {
		json_decref(args);
		return HS_EINPUT;
	}
	text = json_dumps(args ? args : json_object(), JSON_COMPACT);
	json_decref(args);
	if (!text || !(o = calloc(1, sizeof(*o)))) {
		free(text);
		return HS_ESYS;
	}
	o->p = p;
	o->call = (uint64_t)++p->next_id;
	o->cmd = id;
	o->cb = cb;
	o->arg = arg;
	o->timeout_ms = timeout_ms;
	snprintf(o->host, sizeof(o->host), "%s", d->cluster.hosts[host].name);
	size_t len = strlen(text);
	rc = out_connect(d, host, &fds[0], err, sizeof(err));
	if (!rc && len > ENGINE_REPLY_MAX && (fds[1] = args_memfd(text, len)) < 0)
		rc = err_sys(err, sizeof(err), "peer: arguments of %s", cmd);
	if (!rc) {
		struct engine_peer_call pc = { .call = o->call, .host = (uint32_t)host, .cmd = id,
					       .timeout_ms = timeout_ms };
		rc = engine_sup_peer_call(d, &pc, fds[1] >= 0 ? "" : text, fds[1] >= 0 ? 0 : len,
					  fds, fds[1] >= 0 ? 2 : 1, &o->gen, err, sizeof(err));
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(text);
	if (rc) {
		log_warn("peer: %s on %s: %s", cmd, o->host, err);
		free(o);
		return rc;
	}
	uv_timer_init(d->loop, &o->timer);
	o->timer.data = o;
	uv_timer_start(&o->timer, out_timeout, (uint64_t)timeout_ms + PEER_OUT_GRACE_MS, 0);
	o->next = p->outs;
	p->outs = o;
	p->nouts++;
	p->refs++;
	p->calls_sent++;
	return 0;
}

void peer_outs_stop(struct peers *p)
{
	for (struct peer_out *o = p->outs; o; o = o->next)
		out_finish(o, HS_ESYS, NULL, "hsd is stopping");
}
