/* fleetdb.c - starting, feeding and restarting hsfleetdb (fleetdb.h). */
#include "fleetdb.h"
#include "daemon.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "mesh.h"
#include "netns.h"
#include "space.h"
#include "textesc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define FLEETDB_BACKOFF_MIN_MS 200
#define FLEETDB_BACKOFF_MAX_MS 10000
#define FLEETDB_RELEASE_RETRY_MS 5000
#define FLEETDB_LOG_PER_S 20

struct fleetdb_pending {
	struct fleetdb_pending *next;
	uint32_t id;
	uint64_t deadline;
	fleetdb_cb cb;
	void *arg;
};

/* A claim to give back (fleetdb_release). */
struct fleetdb_release {
	struct fleetdb_release *next;
	struct fleetdb_sup *s;
	struct fleetdb_request req;
	bool in_flight, warned;
};

struct fleetdb_sup {
	struct hsd *d;
	int exe_fd;
	uv_process_t proc;
	bool running, stopping;
	int chan;
	uv_poll_t poll;
	uv_timer_t restart, expire;
	uint32_t backoff_ms, next_id;
	bool voter; /* the role this process was started with */
	struct fleetdb_pending *pending;
	struct fleetdb_release *releases;
	uv_timer_t retry;
	int closing; /* handles not yet closed after fleetdb_stop */
	uint64_t log_window_ms;
	uint32_t log_lines, log_dropped;
};

bool fleetdb_enabled(const struct hsd *d)
{
	return d->cluster.nvoters > 0;
}

/* On the stack: a callback may make another call that fails at once. */
static void fail(struct fleetdb_pending *p, int rc, const char *why)
{
	struct fleetdb_reply rep = { .id = p->id, .rc = rc };
	snprintf(rep.text, sizeof(rep.text), "%s", why);
	p->cb(p->arg, &rep);
}

/* Every request in flight fails: the process that had them is gone. */
static void fail_all(struct fleetdb_sup *s, const char *why)
{
	struct fleetdb_pending *p;
	while ((p = s->pending)) {
		s->pending = p->next;
		fail(p, HS_EUNREACH, why);
		free(p);
	}
}

static int send_msg(struct fleetdb_sup *s, uint16_t type, const void *body, size_t len)
{
	uint64_t buf[FLEETDB_MSG_MAX / 8 + 1];
	size_t n = fleetdb_msg_pack(buf, type, body, len);
	if (s->chan < 0 || send(s->chan, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		return HS_EUNREACH;
	return 0;
}

static void host_of(const struct hsd *d, size_t h, struct fleetdb_host *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", d->cluster.hosts[h].name);
	out->addr = d->cluster.hosts[h].prefix + 1; /* the mesh's own address */
}

static void send_config(struct fleetdb_sup *s)
{
	const struct hsd *d = s->d;
	struct fleetdb_config c;

	memset(&c, 0, sizeof(c));
	host_of(d, (size_t)d->self, &c.self);
	c.voter = cluster_is_voter(&d->cluster, (size_t)d->self);
	c.nvoters = (uint8_t)d->cluster.nvoters;
	for (size_t i = 0; i < d->cluster.nvoters; i++)
		host_of(d, d->cluster.voters[i], &c.voters[i]);
	if (send_msg(s, FLEETDB_MSG_CONFIG, &c, sizeof(c)))
		log_warn("fleet db: configuration not sent (hsfleetdb away)");
}

/* Its lines, at most FLEETDB_LOG_PER_S a second: a compromised hsfleetdb
 * must not fill hsd's log. */
static void on_log(struct fleetdb_sup *s, const struct fleetdb_log *l)
{
	char text[FLEETDB_ERR_LEN];
	uint64_t now = uv_now(s->d->loop);

	if (now - s->log_window_ms >= 1000) {
		if (s->log_dropped)
			log_warn("hsfleetdb: %u lines not logged (over %d a second)", s->log_dropped,
				 FLEETDB_LOG_PER_S);
		s->log_window_ms = now;
		s->log_lines = s->log_dropped = 0;
	}
	if (s->log_lines++ >= FLEETDB_LOG_PER_S) {
		s->log_dropped++;
		return;
	}
	fleetdb_escape(l->text, text);
	if (l->level <= LOG_ERR)
		log_error("hsfleetdb: %s", text);
	else if (l->level <= LOG_WARNING)
		log_warn("hsfleetdb: %s", text);
	else if (l->level <= LOG_INFO)
		log_info("hsfleetdb: %s", text);
	else
		log_debug("hsfleetdb: %s", text);
}

static void on_reply(struct fleetdb_sup *s, const struct fleetdb_reply *rep)
{
	for (struct fleetdb_pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
		struct fleetdb_pending *p = *pp;
		if (p->id != rep->id)
			continue;
		*pp = p->next;
		p->cb(p->arg, rep);
		free(p);
		return;
	}
	/* An answer after its deadline: the caller heard already. */
}

/* After fleetdb_stop, s goes with its last handle. */
static void on_closed(uv_handle_t *h)
{
	struct fleetdb_sup *s = h->data;
	if (--s->closing == 0)
		free(s);
}

static void close_chan(struct fleetdb_sup *s)
{
	if (s->chan < 0)
		return;
	uv_poll_stop(&s->poll);
	if (s->stopping)
		s->closing++;
	uv_close((uv_handle_t *)&s->poll, s->stopping ? on_closed : NULL);
	close(s->chan);
	s->chan = -1;
}

static void on_chan(uv_poll_t *h, int status, int events)
{
	struct fleetdb_sup *s = h->data;
	uint64_t buf[FLEETDB_MSG_MAX / 8 + 1];
	char err[HS_ERRLEN] = "";
	const void *body;
	uint16_t type;

	(void)status;
	(void)events;
	for (;;) {
		ssize_t n = recv(s->chan, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			close_chan(s); /* the exit callback follows */
			return;
		}
		if (fleetdb_msg_check(buf, (size_t)n, &type, &body, err, sizeof(err)) ||
		    (type != FLEETDB_MSG_REPLY && type != FLEETDB_MSG_LOG)) {
			log_error("fleet db: hsfleetdb broke the protocol (%s); restarting it",
				  err[0] ? err : "a message for it, not us");
			uv_process_kill(&s->proc, SIGKILL);
			close_chan(s);
			return;
		}
		if (type == FLEETDB_MSG_LOG) {
			struct fleetdb_log l;
			memcpy(&l, body, sizeof(l));
			on_log(s, &l);
		} else {
			struct fleetdb_reply rep;
			memcpy(&rep, body, sizeof(rep));
			on_reply(s, &rep);
		}
	}
}

static void on_expire(uv_timer_t *t)
{
	struct fleetdb_sup *s = t->data;
	uint64_t now = uv_now(s->d->loop);

	for (struct fleetdb_pending **pp = &s->pending; *pp;) {
		struct fleetdb_pending *p = *pp;
		if (p->deadline > now) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		fail(p, HS_EUNREACH, "fleet db: hsfleetdb did not answer in time");
		free(p);
	}
}

void fleetdb_call(struct hsd *d, const struct fleetdb_request *req, fleetdb_cb cb, void *arg)
{
	struct fleetdb_sup *s = d->fleetdb;
	struct fleetdb_request r = *req;
	struct fleetdb_pending *p = calloc(1, sizeof(*p));

	if (!p) {
		struct fleetdb_pending tmp = { .cb = cb, .arg = arg };
		fail(&tmp, HS_ESYS, "out of memory");
		return;
	}
	p->cb = cb;
	p->arg = arg;
	if (!s) {
		fail(p, HS_ESTATE, "fleet db: off (cluster.json names no voters)");
		free(p);
		return;
	}
	p->id = r.id = ++s->next_id;
	p->deadline = uv_now(d->loop) + FLEETDB_CALL_MS;
	if (send_msg(s, FLEETDB_MSG_REQUEST, &r, sizeof(r))) {
		fail(p, HS_EUNREACH, "fleet db: hsfleetdb is not running");
		free(p);
		return;
	}
	p->next = s->pending;
	s->pending = p;
}

/* The host whose mesh address is addr, or NULL (a stranger's). */
static const char *host_at(const struct hsd *d, uint32_t addr)
{
	for (size_t i = 0; i < d->cluster.nhosts; i++)
		if (d->cluster.hosts[i].prefix + 1 == addr)
			return d->cluster.hosts[i].name;
	return NULL;
}

const char *fleetdb_escape(const char *s, char out[FLEETDB_ERR_LEN])
{
	s = s ? s : "";
	textesc_encode(out, FLEETDB_ERR_LEN, s, strnlen(s, FLEETDB_TEXT_MAX), TEXTESC_TERM);
	return out;
}

json_t *fleetdb_text(const char *s)
{
	char out[FLEETDB_ERR_LEN];

	return json_string(fleetdb_escape(s, out));
}

json_t *fleetdb_status_json(const struct hsd *d, const struct fleetdb_reply *rep)
{
	static const char *const roles[] = { "voter", "standby", "spare" };
	json_t *o = json_object(), *voters = json_array(), *members = json_array();
	const char *leader = rep->leader_addr ? host_at(d, rep->leader_addr) : NULL;

	for (size_t i = 0; i < d->cluster.nvoters; i++)
		json_array_append_new(voters, json_string(d->cluster.hosts[d->cluster.voters[i]].name));
	for (size_t i = 0; i < rep->nmembers; i++) {
		const char *h = host_at(d, rep->members[i].addr);
		json_array_append_new(members,
				      json_pack("{s:s?, s:s}", "host", h, "role",
						rep->members[i].role < 3 ? roles[rep->members[i].role] : "?"));
	}
	json_object_set_new(o, "voters", voters);
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "leader", leader ? json_string(leader) : json_null());
	json_object_set_new(o, "quorum", json_boolean(rep->rc == 0 && rep->quorum));
	json_object_set_new(o, "voter", json_boolean(cluster_is_voter(&d->cluster, (size_t)d->self)));
	json_object_set_new(o, "pid", json_integer(d->fleetdb && d->fleetdb->running ? d->fleetdb->proc.pid : 0));
	if (rep->rc || !rep->quorum)
		json_object_set_new(o, "error", fleetdb_text(rep->text));
	return o;
}

static void release_send(struct fleetdb_release *r);

static void on_released(void *arg, const struct fleetdb_reply *rep)
{
	struct fleetdb_release *r = arg;
	struct fleetdb_sup *s = r->s;
	char text[FLEETDB_ERR_LEN];

	r->in_flight = false;
	if (rep->rc == 0 || s->stopping) {
		if (rep->rc)
			log_warn("fleet db: claim of %s not given back before hsd stopped", r->req.ids);
		for (struct fleetdb_release **pp = &s->releases; *pp; pp = &(*pp)->next)
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		free(r);
		return;
	}
	/* Once: without a quorum it fails every few seconds. */
	if (!r->warned)
		log_warn("fleet db: claim of %s not given back yet (%s); trying again every %d s",
			 r->req.ids, fleetdb_escape(rep->text, text), FLEETDB_RELEASE_RETRY_MS / 1000);
	r->warned = true;
}

static void release_send(struct fleetdb_release *r)
{
	r->in_flight = true;
	fleetdb_call(r->s->d, &r->req, on_released, r);
}

static void on_retry(uv_timer_t *t)
{
	struct fleetdb_sup *s = t->data;
	for (struct fleetdb_release *r = s->releases; r; r = r->next)
		if (!r->in_flight)
			release_send(r);
}

void fleetdb_release(struct hsd *d, const char *ids, const char *intent)
{
	struct fleetdb_sup *s = d->fleetdb;
	struct fleetdb_release *r;

	if (!s || !(r = calloc(1, sizeof(*r)))) {
		log_warn("fleet db: claim of %s for intent %s not given back (%s)", ids, intent,
			 s ? "out of memory" : "no fleet database");
		return;
	}
	r->s = s;
	r->req.op = FLEETDB_OP_RELEASE;
	snprintf(r->req.ids, sizeof(r->req.ids), "%s", ids);
	snprintf(r->req.intent, sizeof(r->req.intent), "%s", intent);
	r->next = s->releases;
	s->releases = r;
	release_send(r);
}

static void on_restart(uv_timer_t *t);

static void on_proc_closed(uv_handle_t *h)
{
	struct fleetdb_sup *s = h->data;
	s->running = false;
	if (s->stopping)
		on_closed(h);
	else
		uv_timer_start(&s->restart, on_restart, s->backoff_ms, 0);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct fleetdb_sup *s = p->data;

	close_chan(s);
	fail_all(s, "fleet db: hsfleetdb ended");
	if (!s->stopping)
		log_warn("fleet db: hsfleetdb (pid %d) ended (%s %d); restart in %u ms", p->pid,
			 sig ? "signal" : "status", sig ? sig : (int)status, s->backoff_ms);
	s->backoff_ms = s->backoff_ms * 2 < FLEETDB_BACKOFF_MAX_MS ? s->backoff_ms * 2
								: FLEETDB_BACKOFF_MAX_MS;
	uv_close((uv_handle_t *)p, on_proc_closed);
}

/* The data directory belongs to hsfleetdb's uid; hsd only makes it. */
static int data_dir(struct fleetdb_sup *s, uint32_t uid, char *path, size_t len, char *err,
		    size_t errlen)
{
	int rc;
	snprintf(path, len, "%s/fleetdb", s->d->opt.state_dir);
	if ((rc = fs_mkdir_p(path, 0700, err, errlen)))
		return rc;
	if (chown(path, uid, uid) || chmod(path, 0700))
		return err_sys(err, errlen, "fleet db: %s", path);
	return 0;
}

static int spawn(struct fleetdb_sup *s, char *err, size_t errlen)
{
	struct hsd *d = s->d;
	uint32_t id = d->opt.pool.start - 2; /* hsengine has pool.start - 1 */
	char file[32], dir[PATH_MAX];
	int sv[2], saved = -1, rc;

	if ((rc = data_dir(s, id, dir, sizeof(dir), err, errlen)))
		return rc;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return err_sys(err, errlen, "fleet db: channel");
	uv_stdio_container_t stdio[4] = {
		{ .flags = UV_IGNORE }, { .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO },
		{ .flags = UV_INHERIT_FD, .data.fd = sv[1] },
	};
	/* The data directory is its working directory: libuv changes there
	 * before it drops to the uid, which cannot search the state
	 * directory above it. */
	char *args[] = { "hsfleetdb", NULL };
	snprintf(file, sizeof(file), "/proc/self/fd/%d", s->exe_fd);
	uv_process_options_t o = {
		.exit_cb = on_exit_cb, .file = file, .args = args, .cwd = dir,
		.stdio_count = 4, .stdio = stdio,
		.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID, .uid = id, .gid = id,
	};
	s->proc.data = s;
	/* Forked from a thread in the mesh namespace: the node listens on
	 * the overlay address and reaches the other voters through the
	 * tunnels, never the host's own network. */
	if ((rc = netns_enter(d->mesh->ns.fd, &saved, err, errlen))) {
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	rc = uv_spawn(d->loop, &s->proc, &o);
	netns_leave(saved, NULL, 0);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		uv_close((uv_handle_t *)&s->proc, NULL);
		return err_set(err, errlen, HS_ESYS, "fleet db: start hsfleetdb: %s", uv_strerror(rc));
	}
	s->running = true;
	s->chan = sv[0];
	s->voter = cluster_is_voter(&d->cluster, (size_t)d->self);
	uv_poll_init(d->loop, &s->poll, s->chan);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE | UV_DISCONNECT, on_chan);
	send_config(s);
	log_info("fleet db: hsfleetdb pid %d, %s", s->proc.pid, s->voter ? "voter" : "agent");
	return 0;
}

static void on_restart(uv_timer_t *t)
{
	struct fleetdb_sup *s = t->data;
	char err[HS_ERRLEN];

	if (s->stopping || s->running)
		return;
	if (spawn(s, err, sizeof(err))) {
		log_error("%s; next try in %u ms", err, s->backoff_ms);
		uv_timer_start(&s->restart, on_restart, s->backoff_ms, 0);
	}
}

int fleetdb_start(struct hsd *d, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];
	struct fleetdb_sup *s;
	int rc;

	if (!fleetdb_enabled(d) || d->fleetdb)
		return 0;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	d->fleetdb = s;
	s->d = d;
	s->chan = -1;
	s->exe_fd = -1;
	s->backoff_ms = FLEETDB_BACKOFF_MIN_MS;
	uv_timer_init(d->loop, &s->restart);
	uv_timer_init(d->loop, &s->expire);
	uv_timer_init(d->loop, &s->retry);
	s->restart.data = s->expire.data = s->retry.data = s;
	uv_timer_start(&s->expire, on_expire, 1000, 1000);
	uv_timer_start(&s->retry, on_retry, FLEETDB_RELEASE_RETRY_MS, FLEETDB_RELEASE_RETRY_MS);
	space_exe_beside("HSD_HSFLEETDB", "hsfleetdb", path, sizeof(path));
	if ((rc = space_exe_seal(path, &s->exe_fd, err, errlen)))
		return rc;
	return spawn(s, err, errlen);
}

void fleetdb_stop(struct hsd *d)
{
	struct fleetdb_sup *s = d->fleetdb;

	if (!s)
		return;
	d->fleetdb = NULL;
	s->stopping = true;
	s->closing = 1; /* until every close below is under way */
	fail_all(s, "fleet db: hsd is stopping");
	close_chan(s); /* hsfleetdb sees the end of its channel and stops its node */
	while (s->releases) { /* none in flight after fail_all */
		struct fleetdb_release *r = s->releases;
		log_warn("fleet db: claim of %s not given back before hsd stopped", r->req.ids);
		s->releases = r->next;
		free(r);
	}
	if (s->exe_fd >= 0)
		close(s->exe_fd);
	s->closing += 3 + s->running;
	uv_close((uv_handle_t *)&s->restart, on_closed);
	uv_close((uv_handle_t *)&s->expire, on_closed);
	uv_close((uv_handle_t *)&s->retry, on_closed);
	if (s->running)
		uv_close((uv_handle_t *)&s->proc, on_proc_closed);
	if (--s->closing == 0)
		free(s);
}

void fleetdb_reload(struct hsd *d)
{
	struct fleetdb_sup *s = d->fleetdb;
	char err[HS_ERRLEN];

	if (!fleetdb_enabled(d)) {
		fleetdb_stop(d);
		return;
	}
	if (!s) {
		if (fleetdb_start(d, err, sizeof(err)))
			log_error("%s", err);
		return;
	}
	/* A new role is a new process: a node starts or stops with it. */
	if (s->running && s->voter != cluster_is_voter(&d->cluster, (size_t)d->self)) {
		log_info("fleet db: this host is %s a voter; restarting hsfleetdb",
			 s->voter ? "no longer" : "now");
		s->backoff_ms = FLEETDB_BACKOFF_MIN_MS;
		uv_process_kill(&s->proc, SIGTERM);
		return;
	}
	send_config(s);
}
