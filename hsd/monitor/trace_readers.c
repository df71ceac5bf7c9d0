/* trace_readers.c - the readers of a trace session.
 *
 * Each reader has its own request (whole space or one process, syscall
 * filter), its own bounded queue and its own counters: a slow reader
 * loses its own events and slows neither the tracees nor the other
 * readers.  A reader's bad request or departure ends only that reader.
 */
#include "trace_session.h"

#include <errno.h>
#include <linux/audit.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t bit(const struct session *s, const struct reader *r)
{
	return 1u << (r - s->r);
}

/* One error frame, sent blocking (only to a reader that gets nothing
 * else); MSG_NOSIGNAL: a vanished reader must not kill us with SIGPIPE. */
void trace_answer_error(int fd, const char *text)
{
	uint8_t *buf;
	size_t len, off = 0;
	json_t *m = json_pack("{s:s}", "error", text);
	if (m && frame_encode(m, TRACE_FRAME_MAX, &buf, &len, NULL, 0) == 0) {
		while (off < len) {
			ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(buf);
	}
	json_decref(m);
}

void readers_add(struct session *s, int fd)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (r->fd >= 0)
			continue;
		*r = (struct reader){.fd = fd};
		r->deadline_ns = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)TRACE_REQ_TIMEOUT_MS * 1000000;
		frame_reader_init(&r->fr, TRACE_FRAME_MAX);
		if (trace_outq_init(&r->q, s->lim.queue_max) == 0)
			return;
		frame_reader_free(&r->fr);
		r->fd = -1;
		break;
	}
	/* No slot (or no memory): this reader is told, the others go on. */
	trace_answer_error(fd, "trace: too many readers of this server space");
	close(fd);
}

/* ptrace's side counts only its own readers: an eBPF reader needs no
 * tracee (trace_bpf_session.c serves it). */
bool reader_is_ptrace(const struct reader *r)
{
	return r->backend == TRACE_BACKEND_PTRACE;
}

static void reader_close(struct session *s, struct reader *r)
{
	bool bpf = r->backend == TRACE_BACKEND_EBPF;
	for (size_t i = 0; i < s->nt; i++)
		s->t[i].rmask &= ~bit(s, r);
	close(r->fd);
	trace_outq_free(&r->q);
	frame_reader_free(&r->fr);
	trace_bpf_reader_free(r);
	r->fd = -1;
	if (bpf)
		trace_bpf_readers_changed(s);
}

static bool follows(const struct session *s, const struct reader *r, const struct tracee *t)
{
	return reader_is_ptrace(r) && (r->rq.whole_space || (t->rmask & bit(s, r)));
}

static bool reader_wants(const struct session *s, const struct reader *r,
			 const struct tracee *t, long nr)
{
	if (r->fd < 0 || !r->asked || r->ending || !follows(s, r, t))
		return false;
	if (!r->rq.filter)
		return true;
	return t->arch == AUDIT_ARCH_X86_64 && nr >= 0 && nr < SYSCALLS_NR_MAX &&
	       (r->rq.want[nr / 8] & (1u << (nr % 8)));
}

bool readers_want(const struct session *s, const struct tracee *t, long nr)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		if (reader_wants(s, &s->r[i], t, nr))
			return true;
	return false;
}

size_t readers_active(const struct session *s)
{
	size_t n = 0;
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		n += s->r[i].fd >= 0 && s->r[i].asked && !s->r[i].ending &&
		     reader_is_ptrace(&s->r[i]);
	return n;
}

bool readers_whole_space(const struct session *s)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		if (s->r[i].fd >= 0 && s->r[i].asked && !s->r[i].ending && s->r[i].rq.whole_space &&
		    reader_is_ptrace(&s->r[i]))
			return true;
	return false;
}

/* Queue msg (not consumed); events are counted, or dropped and counted. */
static void push(struct reader *r, const json_t *msg, bool control)
{
	if (!msg)
		return;
	int rc = trace_outq_push(&r->q, msg, control);
	if (control)
		return;
	if (rc)
		r->dropped++;
	else
		r->events++;
}

static void push_new(struct reader *r, json_t *msg)
{
	push(r, msg, true);
	json_decref(msg);
}

void readers_emit(struct session *s, const struct tracee *t, const uint8_t *frame, size_t len,
		  long nr)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (!reader_wants(s, r, t, nr))
			continue;
		if (!frame || trace_outq_push_frame(&r->q, frame, len))
			r->dropped++;
		else
			r->events++;
	}
}

static json_int_t threads_of(const struct session *s, const struct reader *r)
{
	json_int_t n = 0;
	if (r->backend == TRACE_BACKEND_EBPF)
		return (json_int_t)r->bthreads;
	for (size_t i = 0; i < s->nt; i++)
		n += follows(s, r, &s->t[i]);
	return n;
}

static json_t *stats_msg(const struct session *s, const struct reader *r, bool final)
{
	json_t *m = json_pack("{s:{s:I,s:I,s:I}}", "stats", "events", (json_int_t)r->events,
			      "dropped", (json_int_t)r->dropped, "threads", threads_of(s, r));
	if (m && r->backend == TRACE_BACKEND_EBPF) /* of dropped, lost in the kernel */
		json_object_set_new(json_object_get(m, "stats"), "ring_dropped",
				    json_integer((json_int_t)r->ring_dropped));
	if (m && final)
		json_object_set_new(m, "final", json_true());
	return m;
}

void readers_stats(struct session *s)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		if (s->r[i].fd >= 0 && s->r[i].asked && !s->r[i].ending)
			push_new(&s->r[i], stats_msg(s, &s->r[i], false));
}

/* Its final stats go out, then the connection closes. */
void reader_end(struct session *s, struct reader *r)
{
	if (r->ending)
		return;
	if (r->backend == TRACE_BACKEND_EBPF)
		trace_bpf_readers_tick(s); /* the last ring drops and threads */
	push_new(r, stats_msg(s, r, true));
	r->ending = true;
	if (r->backend == TRACE_BACKEND_EBPF)
		trace_bpf_readers_changed(s);
	r->deadline_ns = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)TRACE_FINAL_MS * 1000000;
}

static void reader_refuse(struct session *s, struct reader *r, int rc, const char *msg)
{
	push_new(r, json_pack("{s:s}", "error", msg));
	r->ending = true;
	r->deadline_ns = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)TRACE_FINAL_MS * 1000000;
	if (s->ctl < 0 && !s->single_rc) {
		s->single_rc = rc;
		snprintf(s->single_err, sizeof(s->single_err), "%s", msg);
	}
}

/* The backend a request gets.  One session serves each reader with the
 * backend it asked for, side by side (docs/trace.md, "Backends"): "auto"
 * means eBPF when the program loaded and the session's default allows
 * it, else ptrace. */
static enum trace_backend choose(const struct session *s, const struct trace_request *rq)
{
	if (rq->backend != TRACE_BACKEND_AUTO)
		return rq->backend;
	return s->bpf && s->lim.backend != TRACE_BACKEND_PTRACE ? TRACE_BACKEND_EBPF
								 : TRACE_BACKEND_PTRACE;
}

static void on_request(struct session *s, struct reader *r, const json_t *req)
{
	char e[HS_ERRLEN] = "";
	int rc = trace_request_parse(req, &r->rq, e, sizeof(e));

	if (!rc) {
		r->backend = choose(s, &r->rq);
		r->asked = true; /* from here it counts as one of its backend's readers */
		if (r->backend == TRACE_BACKEND_EBPF)
			rc = trace_bpf_reader_start(s, r, e, sizeof(e));
		else
			rc = trace_attach_all(s, &r->rq, r->rq.whole_space ? 0 : bit(s, r), e, sizeof(e));
	}
	if (rc) {
		r->asked = false;
		reader_refuse(s, r, rc, e);
		return;
	}
	json_int_t n = threads_of(s, r);
	if (!n) {
		r->asked = false;
		reader_refuse(s, r, HS_ESYS, e[0] ? e : "trace: attach: no thread to follow");
		return;
	}
	json_t *ok = json_pack("{s:b,s:I,s:s}", "ok", 1, "threads", n, "backend",
			       trace_backend_name(r->backend));
	/* auto fell back: the reader learns why there is no eBPF */
	if (ok && r->rq.backend == TRACE_BACKEND_AUTO && r->backend == TRACE_BACKEND_PTRACE &&
	    s->bpf_err[0])
		json_object_set_new(ok, "ebpf_error", json_string(s->bpf_err));
	push_new(r, ok);
}

/* Frames after the request: only "stats" is answered, anything else is
 * refused and the reader goes on. */
static void on_frame(struct session *s, struct reader *r, const json_t *req)
{
	char e[HS_ERRLEN];
	const char *op = json_string_value(json_object_get(req, "op"));
	struct trace_request dummy;

	if (op && strcmp(op, "stats") == 0) {
		push_new(r, stats_msg(s, r, false));
		return;
	}
	if (op && strcmp(op, "trace") == 0) {
		push_new(r, json_pack("{s:s}", "error", "op: \"trace\" refused: this session is already tracing"));
		return;
	}
	trace_request_parse(req, &dummy, e, sizeof(e));
	push_new(r, json_pack("{s:s}", "error", e));
}

void readers_read(struct session *s, struct reader *r)
{
	char e[HS_ERRLEN];
	uint8_t buf[4096];
	json_t *msg;
	int rc;
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r->ending || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	if (n == 0 && r->asked) { /* done asking: final stats, then close */
		reader_end(s, r);
		return;
	}
	if (n <= 0) {
		if (!r->asked && s->ctl < 0 && !s->single_rc) {
			s->single_rc = HS_EINPUT;
			snprintf(s->single_err, sizeof(s->single_err), "request: reader closed before asking");
		}
		reader_close(s, r);
		return;
	}
	if (frame_reader_feed(&r->fr, buf, (size_t)n, e, sizeof(e))) {
		reader_refuse(s, r, HS_EINPUT, e); /* a stream that cannot be framed */
		return;
	}
	while (!r->ending && (rc = frame_reader_next(&r->fr, &msg, e, sizeof(e))) != 0) {
		if (rc < 0) {
			reader_refuse(s, r, HS_EINPUT, e);
			return;
		}
		r->asked ? on_frame(s, r, msg) : on_request(s, r, msg);
		json_decref(msg);
	}
}

void readers_service(struct session *s)
{
	int64_t now = trace_now_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (r->fd < 0)
			continue;
		if (trace_outq_flush(&r->q, r->fd) ||
		    (r->ending && (trace_outq_empty(&r->q) || now >= r->deadline_ns))) {
			reader_close(s, r);
			continue;
		}
		/* Everything it followed has exited: the process, or the space. */
		if (r->asked && !r->ending && !threads_of(s, r)) {
			reader_end(s, r);
			continue;
		}
		if (!r->asked && !r->ending && now >= r->deadline_ns) {
			char e[64];
			snprintf(e, sizeof(e), "request: none within %d ms", TRACE_REQ_TIMEOUT_MS);
			reader_refuse(s, r, HS_EINPUT, e);
		}
	}
}

void readers_finish(struct session *s)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (r->fd >= 0 && !r->ending)
			r->asked ? reader_end(s, r) : reader_close(s, r);
	}
	int64_t deadline = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)TRACE_FINAL_MS * 1000000;
	for (;;) {
		struct pollfd p[TRACE_READERS_MAX];
		nfds_t n = 0;
		readers_service(s);
		for (size_t i = 0; i < TRACE_READERS_MAX; i++)
			if (s->r[i].fd >= 0)
				p[n++] = (struct pollfd){.fd = s->r[i].fd, .events = POLLOUT};
		int64_t left = (deadline - trace_now_ns(CLOCK_MONOTONIC)) / 1000000;
		if (!n || left <= 0 || poll(p, n, (int)left) <= 0)
			break;
	}
	readers_free(s);
}

void readers_free(struct session *s)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		if (s->r[i].fd >= 0)
			reader_close(s, &s->r[i]);
}
