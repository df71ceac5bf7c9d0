/* watch.c - the live monitors of audit spaces: packets, syslog, syscalls.
 *
 *   packets  every audit space that monitors something gets mon0, a
 *            receive-only copy of the base's interfaces and of every server
 *            veth (hsd/monitor/mirror.c); base end hsx<N>
 *   syslog   every server space's /dev/log is a relay socket of hsd's that
 *            forwards each message to the normal destination and copies it
 *            to /run/hsd-syslog.sock in each monitoring audit space
 *   syscalls each monitoring audit space finds a broker socket per server,
 *            /run/hsd-trace/SERVER.sock (and /run/hsd-trace.sock for its
 *            first server), and the hstrace client; each server space has
 *            one forked trace session (hsd/monitor/trace_session.c) for
 *            all its readers: hsd passes it each new connection
 * What lives in the kernel (tc filters) survives hsd; the sockets are
 * re-created when hsd re-adopts the spaces.
 */
#include "watch.h"
#include "daemon.h"
#include "err.h"
#include "ifnames.h"
#include "linknet.h"
#include "fdpass.h"
#include "fsutil.h"
#include "fsview.h"
#include "log.h"
#include "mirror.h"
#include "spaces.h"
#include "syslog_relay.h"
#include "trace.h"
#include "userns.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct watch_relay {
	char server[SPACE_ROW_NAME];
	struct syslog_relay *relay;
	uv_poll_t poll;     /* the relay socket: readable */
	uv_poll_t fwd_poll; /* the normal destination: writable, while waiting */
	int open_handles;
	struct watch_relay *next;
};

struct watch_trace {
	char audit[SPACE_ROW_NAME], server[SPACE_ROW_NAME];
	char path[PATH_MAX];
	uv_pipe_t pipe;
	struct hsd *d;
	struct watch_trace *next;
};

struct watch_child {
	uv_poll_t poll; /* its pidfd */
	int pidfd;
};

/* The trace session of a server space: its process and our end of the
 * socket new readers are passed over. */
struct watch_tracer {
	char server[SPACE_ROW_NAME];
	pid_t pid;
	int ctl;
	struct watch_tracer *next;
};

struct watch {
	struct watch_relay *relays;
	struct watch_trace *traces;
	struct watch_tracer *tracers;
};

static int row_netidx(struct hsd *d, const char *name, int64_t *out)
{
	struct space_row row;
	int rc = store_space_get(d->store, name, &row, NULL, 0);
	if (rc != 1)
		return -1;
	*out = row.netidx;
	space_row_clear(&row);
	return *out >= 0 ? 0 : -1;
}

static void mirror_name(int64_t n, char *out, size_t len)
{
	snprintf(out, len, IFNAME_MIRROR "%u", (unsigned)(n & 0xffff));
}

/* --- packets ----------------------------------------------------------- */

/* The base's own interfaces and every running server's veth. */
static size_t mirror_sources(char names[][IF_NAMESIZE], size_t max)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	size_t n = 0;

	for (i = ifs; i && i->if_index && n < max; i++)
		if (strcmp(i->if_name, "lo") && strncmp(i->if_name, IFNAME_MIRROR, sizeof(IFNAME_MIRROR) - 1))
			snprintf(names[n++], IF_NAMESIZE, "%s", i->if_name);
	if (ifs)
		if_freenameindex(ifs);
	return n;
}

static void watch_mirror_attach(struct hsd *d, const struct space_view *audit)
{
	char names[64][IF_NAMESIZE], base_if[IF_NAMESIZE], err[HS_ERRLEN];
	const char *srcs[64];
	int64_t n;
	int fd;

	if (row_netidx(d, audit->name, &n))
		return;
	mirror_name(n, base_if, sizeof(base_if));
	size_t ns = mirror_sources(names, 64);
	for (size_t i = 0; i < ns; i++)
		srcs[i] = names[i];
	if (if_nametoindex(base_if)) {
		/* Re-adopted: keep the IDS's mon0, catch up on new sources. */
		if (mirror_readopt(base_if, srcs, ns, err, sizeof(err)))
			log_warn("space %s: packet mirror: %s", audit->name, err);
		return;
	}
	if ((fd = space_ns_open(audit->init, "net", err, sizeof(err))) < 0 ||
	    mirror_attach(fd, base_if, srcs, ns, err, sizeof(err)))
		log_error("space %s: packet mirror: %s", audit->name, err);
	if (fd >= 0)
		close(fd);
	spaces_fastpath_mirrors(d);
}

static void watch_mirror_add_server(struct hsd *d, const char *server)
{
	char host_if[16], base_if[IF_NAMESIZE], err[HS_ERRLEN];
	int64_t sn, an;

	if (row_netidx(d, server, &sn))
		return;
	linknet_host_ifname((uint32_t)sn, host_if, sizeof(host_if));
	struct space_view r;
	for (const struct space_rt *it = NULL; (it = spaces_next(d, it, &r));) {
		if (r.kind != SPACE_AUDIT || row_netidx(d, r.name, &an))
			continue;
		mirror_name(an, base_if, sizeof(base_if));
		if (if_nametoindex(base_if) && mirror_add_source(base_if, host_if, err, sizeof(err)))
			log_warn("mirror %s: add %s: %s", base_if, host_if, err);
	}
}

/* --- syslog ------------------------------------------------------------- */

static void relay_path(struct hsd *d, const char *server, char *out, size_t len)
{
	spaces_run_path(d, server, "log.sock", out, len);
}

/* The audit space's copy socket is named inside its root and resolved
 * by the relay with no symlink followed: the audit space owns that path. */
#define RECEIVER_PATH "/run/hsd-syslog.sock"

static void receiver_root(pid_t audit_init, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/root", (int)audit_init);
}

static struct watch_relay *relay_find(struct watch *w, const char *server)
{
	for (struct watch_relay *r = w->relays; r; r = r->next)
		if (strcmp(r->server, server) == 0)
			return r;
	return NULL;
}

/* Either the relay socket is readable or, while a datagram waits for the
 * normal destination, that destination has room: never both, so that
 * nothing more is read from the server until its syslog takes what it
 * has (the server's sends then wait, as on a slow syslogd). */
static void on_relay(uv_poll_t *p, int status, int events)
{
	struct watch_relay *r = p->data;
	char err[HS_ERRLEN];
	(void)status;
	(void)events;
	if (syslog_relay_handle(r->relay, err, sizeof(err)))
		log_warn("syslog relay %s: %s", r->server, err);
	if (syslog_relay_waiting(r->relay)) {
		uv_poll_stop(&r->poll);
		uv_poll_start(&r->fwd_poll, UV_WRITABLE, on_relay);
	} else {
		uv_poll_stop(&r->fwd_poll);
		uv_poll_start(&r->poll, UV_READABLE, on_relay);
	}
}

static void relay_closed(uv_handle_t *h)
{
	struct watch_relay *r = h->data;
	if (--r->open_handles)
		return;
	syslog_relay_close(r->relay);
	free(r);
}

static void watch_relay_open(struct hsd *d, const struct space_view *server)
{
	struct watch *w = d->watch;
	char path[PATH_MAX], err[HS_ERRLEN];
	struct watch_relay *r;
	json_t *audits, *v;
	size_t i;

	if ((r = relay_find(w, server->name)))
		return;
	relay_path(d, server->name, path, sizeof(path));
	uint32_t base = 0;
	/* The copies show ids as the server numbers them. */
	if (!(r = calloc(1, sizeof(*r))) ||
	    syslog_relay_open(path, server->name, d->opt.syslog_forward, &r->relay, err, sizeof(err)) ||
	    userns_root_of(server->init->pid, &base, err, sizeof(err)) ||
	    syslog_relay_set_idmap(r->relay, base, base, USERNS_SPAN, err, sizeof(err)) ||
	    fsview_bind(server->init->pid, path, "/dev/log", false, err, sizeof(err))) {
		log_error("space %s: syslog relay: %s", server->name, r ? err : "out of memory");
		if (r && r->relay)
			syslog_relay_close(r->relay);
		free(r);
		return;
	}
	snprintf(r->server, sizeof(r->server), "%s", server->name);
	uv_poll_init(d->loop, &r->poll, syslog_relay_fd(r->relay));
	uv_poll_init(d->loop, &r->fwd_poll, syslog_relay_forward_fd(r->relay));
	r->poll.data = r->fwd_poll.data = r;
	r->open_handles = 2;
	uv_poll_start(&r->poll, UV_READABLE, on_relay);
	r->next = w->relays;
	w->relays = r;
	if (store_monitor_list(d->store, NULL, server->name, &audits, NULL, 0))
		return;
	json_array_foreach(audits, i, v) {
		struct space_view a;
		if (spaces_find(d, json_string_value(v), &a)) {
			receiver_root(a.init->pid, path, sizeof(path));
			syslog_relay_add_receiver(r->relay, path, RECEIVER_PATH, NULL, 0);
		}
	}
	json_decref(audits);
}

static void watch_relay_close(struct hsd *d, const char *server)
{
	for (struct watch_relay **p = &d->watch->relays; *p; p = &(*p)->next)
		if (strcmp((*p)->server, server) == 0) {
			struct watch_relay *r = *p;
			*p = r->next;
			uv_close((uv_handle_t *)&r->poll, relay_closed);
			uv_close((uv_handle_t *)&r->fwd_poll, relay_closed);
			return;
		}
}

/* --- syscalls ----------------------------------------------------------- */

static void child_closed(uv_handle_t *h)
{
	struct watch_child *c = h->data;
	close(c->pidfd);
	free(c);
}

static void on_child(uv_poll_t *p, int status, int events)
{
	struct watch_child *c = p->data;
	siginfo_t si;
	(void)status;
	(void)events;
	syscall(SYS_waitid, P_PIDFD, c->pidfd, &si, WEXITED | WNOHANG, NULL);
	uv_poll_stop(p);
	uv_close((uv_handle_t *)p, child_closed);
}

/* A trace session is a child of ours: reap it when it ends. */
static void watch_child(struct hsd *d, pid_t pid)
{
	struct watch_child *c = calloc(1, sizeof(*c));
	if (!c || (c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
		free(c);
		return;
	}
	uv_poll_init(d->loop, &c->poll, c->pidfd);
	c->poll.data = c;
	uv_poll_start(&c->poll, UV_READABLE, on_child);
}

/* Closing our end tells the session to finish: final stats to its
 * readers, every tracee detached. */
static void tracer_close(struct hsd *d, const char *server)
{
	for (struct watch_tracer **p = &d->watch->tracers; *p; p = &(*p)->next)
		if (!strcmp((*p)->server, server)) {
			struct watch_tracer *t = *p;
			*p = t->next;
			close(t->ctl);
			free(t);
			return;
		}
}

static struct watch_tracer *tracer_start(struct hsd *d, const struct space_view *server)
{
	struct watch_tracer *t = calloc(1, sizeof(*t));
	int sv[2];

	if (!t || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(t);
		return NULL;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* The session keeps only its control socket: no store, no sockets. */
		struct trace_limits lim;
		char err[HS_ERRLEN];
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4, ~0u, 0);
		signal(SIGPIPE, SIG_IGN);
		trace_limits_default(&lim);
		_exit(trace_session_run(3, -1, server->init->pid, &lim, err, sizeof(err)) ? 1 : 0);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		free(t);
		return NULL;
	}
	watch_child(d, pid);
	snprintf(t->server, sizeof(t->server), "%s", server->name);
	t->pid = pid;
	t->ctl = sv[0];
	t->next = d->watch->tracers;
	d->watch->tracers = t;
	return t;
}

static void conn_closed(uv_handle_t *h)
{
	free(h);
}

/* The connection is taken out of libuv (its fd dup'd to the tracer): the
 * pipe libuv accepted into lives on the heap until its close completes,
 * on a later turn of the loop. */
static void on_trace_conn(uv_stream_t *s, int status)
{
	struct watch_trace *w = s->data;
	struct hsd *d = w->d;
	uv_pipe_t *conn;
	uv_os_fd_t fd;

	if (status < 0 || !(conn = malloc(sizeof(*conn))))
		return;
	uv_pipe_init(d->loop, conn, 0);
	if (uv_accept(s, (uv_stream_t *)conn) || uv_fileno((uv_handle_t *)conn, &fd)) {
		uv_close((uv_handle_t *)conn, conn_closed);
		return;
	}
	struct space_view server;
	bool running = spaces_find(d, w->server, &server);
	int cfd = dup(fd);
	uv_close((uv_handle_t *)conn, conn_closed);
	if (cfd < 0)
		return;
	if (!running) {
		close(cfd); /* the reader sees EOF: nothing to trace now */
		return;
	}
	struct watch_tracer *t;
	for (t = d->watch->tracers; t && strcmp(t->server, w->server); t = t->next)
		;
	int rc = t ? fdpass_send(t->ctl, cfd, MSG_DONTWAIT) : -ENOENT; /* never block hsd */
	if (rc == -EPIPE || rc == -ECONNRESET || rc == -ENOENT) {
		/* none yet, or it died: start one */
		if (t)
			tracer_close(d, w->server);
		rc = (t = tracer_start(d, &server)) ? fdpass_send(t->ctl, cfd, MSG_DONTWAIT) : -errno;
	}
	if (rc)
		log_error("trace %s -> %s: %s", w->audit, w->server, strerror(-rc));
	close(cfd); /* the session has its own copy */
}

static void trace_closed(uv_handle_t *h)
{
	struct watch_trace *t = h->data;
	unlink(t->path);
	free(t);
}

static void watch_trace_open(struct hsd *d, const struct space_view *audit, const char *server,
			     bool first)
{
	char leaf[SPACE_ROW_NAME + 16], dst[PATH_MAX], err[HS_ERRLEN];
	struct watch_trace *t;

	for (t = d->watch->traces; t; t = t->next)
		if (!strcmp(t->audit, audit->name) && !strcmp(t->server, server))
			return;
	if (!(t = calloc(1, sizeof(*t))))
		return;
	snprintf(t->audit, sizeof(t->audit), "%s", audit->name);
	snprintf(t->server, sizeof(t->server), "%s", server);
	snprintf(leaf, sizeof(leaf), "trace-%s.sock", server);
	spaces_run_path(d, audit->name, leaf, t->path, sizeof(t->path));
	t->d = d;
	uv_pipe_init(d->loop, &t->pipe, 0);
	t->pipe.data = t;
	unlink(t->path);
	snprintf(dst, sizeof(dst), "/run/hsd-trace/%s.sock", server);
	/* The audit space's root is "other" to hsd: the socket is for it. */
	if (uv_pipe_bind(&t->pipe, t->path) || chmod(t->path, 0666) ||
	    uv_listen((uv_stream_t *)&t->pipe, 8, on_trace_conn) ||
	    fsview_bind(audit->init->pid, t->path, dst, false, err, sizeof(err)) ||
	    (first && fsview_bind(audit->init->pid, t->path, "/run/hsd-trace.sock", false, err, sizeof(err)))) {
		log_error("space %s: trace broker for %s: %s", audit->name, server, err);
		uv_close((uv_handle_t *)&t->pipe, trace_closed);
		return;
	}
	t->next = d->watch->traces;
	d->watch->traces = t;
}

static void watch_trace_close(struct hsd *d, const char *audit)
{
	for (struct watch_trace **p = &d->watch->traces; *p;) {
		struct watch_trace *t = *p;
		if (strcmp(t->audit, audit)) {
			p = &t->next;
			continue;
		}
		*p = t->next;
		uv_close((uv_handle_t *)&t->pipe, trace_closed);
	}
}

/* --- hooks ---------------------------------------------------------------- */

int watch_init(struct hsd *d, char *err, size_t errlen)
{
	if (!(d->watch = calloc(1, sizeof(*d->watch))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	return 0;
}

void watch_free(struct hsd *d)
{
	if (!d->watch)
		return;
	while (d->watch->relays)
		watch_relay_close(d, d->watch->relays->server);
	while (d->watch->traces)
		watch_trace_close(d, d->watch->traces->audit);
	while (d->watch->tracers)
		tracer_close(d, d->watch->tracers->server);
	uv_run(d->loop, UV_RUN_NOWAIT);
	free(d->watch);
	d->watch = NULL;
}

void watch_pair(struct hsd *d, const struct space_view *audit, const struct space_view *server,
		bool first)
{
	struct watch_relay *r = relay_find(d->watch, server->name);
	char path[PATH_MAX];

	if (r) {
		receiver_root(audit->init->pid, path, sizeof(path));
		syslog_relay_add_receiver(r->relay, path, RECEIVER_PATH, NULL, 0);
	}
	watch_trace_open(d, audit, server->name, first);
}

void watch_space_started(struct hsd *d, const struct space_view *me, bool monitors_any)
{
	char err[HS_ERRLEN];

	if (me->kind == SPACE_SERVER) {
		watch_relay_open(d, me);
		watch_mirror_add_server(d, me->name);
		return;
	}
	if (!monitors_any)
		return;
	watch_mirror_attach(d, me);
	/* A copy in the space's own run directory: the bind exposes that
	 * small filesystem, never the one hsd's binaries live on. */
	char copy[PATH_MAX];
	spaces_run_path(d, me->name, "hstrace", copy, sizeof(copy));
	if (fs_copy_file(spaces_hstrace(d), copy, 0755, err, sizeof(err)) ||
	    fsview_bind(me->init->pid, copy, "/usr/local/bin/hstrace", true, err, sizeof(err)))
		log_warn("space %s: hstrace: %s", me->name, err);
}

void watch_space_stopped(struct hsd *d, const char *name, enum space_kind kind,
			 pid_t init)
{
	char base_if[IF_NAMESIZE], path[PATH_MAX];
	int64_t n;

	if (kind == SPACE_SERVER) {
		watch_relay_close(d, name);
		tracer_close(d, name);
		return;
	}
	receiver_root(init, path, sizeof(path));
	for (struct watch_relay *r = d->watch->relays; r; r = r->next)
		syslog_relay_remove_receiver(r->relay, path, RECEIVER_PATH, NULL, 0);
	watch_trace_close(d, name);
	if (!row_netidx(d, name, &n)) {
		mirror_name(n, base_if, sizeof(base_if));
		mirror_detach(base_if, NULL, 0);
		spaces_fastpath_mirrors(d);
	}
}

/* --- counters ------------------------------------------------------------- */

static const char *audit_of_root(struct hsd *d, const char *root)
{
	int pid;
	if (sscanf(root, "/proc/%d/root", &pid) != 1)
		return NULL;
	struct space_view r;
	for (const struct space_rt *it = NULL; (it = spaces_next(d, it, &r));)
		if (r.kind == SPACE_AUDIT && r.init->pid == pid)
			return r.name;
	return NULL;
}

static json_t *relay_json(struct hsd *d, struct watch_relay *r, json_int_t *dropped)
{
	struct syslog_relay_stats st;
	json_t *copies = json_array();

	syslog_relay_stats(r->relay, &st);
	for (size_t i = 0; i < st.nreceivers; i++) {
		const char *audit = audit_of_root(d, st.receivers[i].root);
		json_array_append_new(copies, json_pack("{s:s, s:I, s:I}", "audit", audit ? audit : "?",
							"sent", (json_int_t)st.receivers[i].sent,
							"dropped", (json_int_t)st.receivers[i].dropped));
		*dropped += (json_int_t)st.receivers[i].dropped;
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:o}", "server", r->server,
			 "received", (json_int_t)st.received, "truncated", (json_int_t)st.truncated,
			 "forwarded", (json_int_t)st.forwarded,
			 "forward_dropped", (json_int_t)st.forward_dropped,
			 "forward_waits", (json_int_t)st.forward_waits,
			 "waiting", syslog_relay_waiting(r->relay), "copies", copies);
}

/* What the monitors lost, for hsctl status: syslog copies no audit reader
 * took, and frames audit spaces sent on mon0 that the mirror dropped. */
json_t *watch_stats_json(struct hsd *d)
{
	json_int_t copies_dropped = 0, mirror_drops = 0;
	char base_if[IF_NAMESIZE];
	int64_t n;

	if (!d->watch)
		return json_object();
	json_t *relays = json_array(), *mirrors = json_array();
	for (struct watch_relay *r = d->watch->relays; r; r = r->next)
		json_array_append_new(relays, relay_json(d, r, &copies_dropped));
	struct space_view r;
	for (const struct space_rt *it = NULL; (it = spaces_next(d, it, &r));) {
		uint64_t dropped;
		if (r.kind != SPACE_AUDIT || row_netidx(d, r.name, &n))
			continue;
		mirror_name(n, base_if, sizeof(base_if));
		if (!if_nametoindex(base_if) || mirror_dropped(base_if, &dropped, NULL, 0))
			continue;
		json_array_append_new(mirrors, json_pack("{s:s, s:s, s:I}", "audit", r.name,
							 "interface", base_if,
							 "dropped", (json_int_t)dropped));
		mirror_drops += (json_int_t)dropped;
	}
	return json_pack("{s:I, s:I, s:o, s:o}", "syslog_copies_dropped", copies_dropped,
			 "mirror_dropped", mirror_drops, "syslog", relays, "mirrors", mirrors);
}
