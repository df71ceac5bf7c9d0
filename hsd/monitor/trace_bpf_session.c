/* trace_bpf_session.c - the session's readers served by the eBPF backend.
 *
 * The program (bpf/trace_bpf.bpf.c) is loaded once per session, before
 * the seccomp filter, and keeps the calls of the space's tasks that some
 * eBPF reader wants (the union of their filters: trace_bpf_want).  Its
 * records are fanned out here with the same per-reader rules as ptrace
 * events: whole space or a process and its descendants (followed from
 * the program's fork and exit records), the reader's syscall filter, its
 * bounded queue (drops counted).  Each event is encoded once into
 * s->evbuf and copied into each reader's queue: no allocation per event.
 * Records the kernel lost to a full ring buffer are counted for every
 * eBPF reader (the kernel cannot know whose they were).
 */
#include "trace_session.h"
#include "trace_bpf.h"
#include "trace_bpf_enc.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static bool serves(const struct reader *r)
{
	return r->fd >= 0 && r->asked && !r->ending && r->backend == TRACE_BACKEND_EBPF;
}

static void boot_offset(struct session *s)
{
	s->boot_to_real = trace_now_ns(CLOCK_REALTIME) - trace_now_ns(CLOCK_BOOTTIME);
}

static bool follows_pid(const struct reader *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfollow; i++)
		if (r->follow[i] == pid)
			return true;
	return false;
}

static int follow_add(struct reader *r, pid_t pid)
{
	if (follows_pid(r, pid))
		return 0;
	if (r->nfollow == r->capfollow) {
		size_t nc = r->capfollow ? r->capfollow * 2 : 16;
		pid_t *p = realloc(r->follow, nc * sizeof(*p));
		if (!p)
			return HS_ESYS;
		r->follow = p;
		r->capfollow = nc;
	}
	r->follow[r->nfollow++] = pid;
	return 0;
}

static void follow_remove(struct reader *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfollow; i++)
		if (r->follow[i] == pid) {
			r->follow[i] = r->follow[--r->nfollow];
			return;
		}
}

static bool wants(const struct reader *r, const struct trace_bpf_head *h)
{
	if (!serves(r) || (!r->rq.whole_space && !follows_pid(r, h->pid)))
		return false;
	if (!r->rq.filter)
		return true;
	return !(h->flags & TRACE_BPF_F_COMPAT) && h->nr >= 0 && h->nr < SYSCALLS_NR_MAX &&
	       (r->rq.want[h->nr / 8] & (1u << (h->nr % 8)));
}

static void on_syscall(struct session *s, const void *rec, size_t size)
{
	const struct trace_bpf_head *h = rec;
	size_t len = 0;
	int enc = -1; /* not encoded yet: only when some reader wants it */

	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (!wants(r, h))
			continue;
		if (enc < 0)
			enc = trace_bpf_encode(rec, size, &s->lim, s->boot_to_real, s->evbuf,
					       TRACE_FRAME_MAX + FRAME_HDR, &len);
		if (enc || trace_outq_push_frame(&r->q, s->evbuf, len))
			r->dropped++;
		else
			r->events++;
	}
}

/* A process target's reader follows the new process of a followed one;
 * when its last followed process exits, it is done. */
static void on_proc(struct session *s, const struct trace_bpf_head *h)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (!serves(r) || r->rq.whole_space)
			continue;
		if (h->kind == TRACE_BPF_FORK && h->ppid && follows_pid(r, h->ppid)) {
			follow_add(r, h->pid);
		} else if (h->kind == TRACE_BPF_EXIT && follows_pid(r, h->pid)) {
			follow_remove(r, h->pid);
			if (!r->nfollow)
				reader_end(s, r);
		}
	}
}

static void on_record(void *ctx, const void *rec, size_t size)
{
	struct session *s = ctx;
	const struct trace_bpf_head *h = rec;
	if (h->kind == TRACE_BPF_SYSCALL)
		on_syscall(s, rec, size);
	else
		on_proc(s, h);
}

void trace_bpf_session_open(struct session *s)
{
	struct trace_space sp;
	char e[HS_ERRLEN];
	int rc = trace_proc_space(s->space_init, &sp, e, sizeof(e));

	if (!rc)
		rc = trace_bpf_open(&sp.self, s->lim.ring_bytes, on_record, s, &s->bpf, e, sizeof(e));
	if (rc) {
		snprintf(s->bpf_err, sizeof(s->bpf_err), "%s", e);
		log_warn("trace: server space init %d: eBPF backend unavailable, ptrace for every "
			 "reader (%s)", (int)s->space_init, e);
		return;
	}
	boot_offset(s);
	log_info("trace: server space init %d: eBPF backend loaded", (int)s->space_init);
}

void trace_bpf_session_close(struct session *s)
{
	trace_bpf_close(s->bpf);
	s->bpf = NULL;
}

int trace_bpf_session_fd(const struct session *s)
{
	return s->bpf ? trace_bpf_fd(s->bpf) : -1;
}

void trace_bpf_session_drain(struct session *s)
{
	if (s->bpf)
		trace_bpf_consume(s->bpf);
}

int trace_bpf_session_wait_ms(const struct session *s)
{
	for (size_t i = 0; s->bpf && i < TRACE_READERS_MAX; i++)
		if (serves(&s->r[i]))
			return TRACE_BPF_FLUSH_MS;
	return -1;
}

void trace_bpf_readers_changed(struct session *s)
{
	uint8_t want[SYSCALLS_NR_MAX / 8];
	bool any = false, all = false;

	if (!s->bpf)
		return;
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		const struct reader *r = &s->r[i];
		if (!serves(r))
			continue;
		any = true;
		if (!r->rq.filter)
			all = true;
		for (size_t b = 0; b < sizeof(want); b++)
			want[b] |= r->rq.filter ? r->rq.want[b] : 0xff;
	}
	trace_bpf_want(s->bpf, any ? want : NULL, any, all);
}

/* Threads of the space's processes that each eBPF reader follows, from
 * one scan of /proc; a process target's processes not found are gone
 * (their exit record may have been lost with a full ring buffer). */
static void recount(struct session *s)
{
	static const struct trace_request whole = {.whole_space = true};
	struct trace_space sp;
	struct trace_found *found = NULL;
	size_t n = 0;
	pid_t *spid = NULL;
	int64_t *nthreads = NULL;

	if (trace_proc_space(s->space_init, &sp, NULL, 0) ||
	    trace_proc_targets(&sp, &whole, &found, &n, NULL, 0))
		n = 0;
	if (n && (!(spid = calloc(n, sizeof(*spid))) || !(nthreads = calloc(n, sizeof(*nthreads)))))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		pid_t *tids, tid;
		size_t nt;
		if (trace_proc_ids(found[i].pid, s->level, &spid[i], &tid) ||
		    trace_proc_tasks(-1, found[i].pid, &tids, &nt))
			continue;
		nthreads[i] = (int64_t)nt;
		free(tids);
	}
	for (size_t k = 0; k < TRACE_READERS_MAX; k++) {
		struct reader *r = &s->r[k];
		if (!serves(r))
			continue;
		r->bthreads = 0;
		for (size_t i = 0; i < n; i++)
			if (r->rq.whole_space || (spid[i] && follows_pid(r, spid[i])))
				r->bthreads += nthreads[i];
		for (size_t j = 0; !r->rq.whole_space && j < r->nfollow;) {
			bool seen = false;
			for (size_t i = 0; i < n && !seen; i++)
				seen = spid[i] == r->follow[j];
			if (seen)
				j++;
			else
				follow_remove(r, r->follow[j]);
		}
	}
	free(found);
	free(spid);
	free(nthreads);
}

void trace_bpf_readers_tick(struct session *s)
{
	if (!s->bpf)
		return;
	uint64_t drops = trace_bpf_drops(s->bpf);
	boot_offset(s);
	for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
		struct reader *r = &s->r[i];
		if (!serves(r))
			continue;
		r->ring_dropped += drops - r->ring_seen;
		r->dropped += drops - r->ring_seen;
		r->ring_seen = drops;
	}
	recount(s);
}

int trace_bpf_reader_start(struct session *s, struct reader *r, char *err, size_t errlen)
{
	struct trace_space sp;
	struct trace_found *found;
	size_t n;
	int rc;

	if (!s->bpf)
		return err_set(err, errlen, HS_ESYS, "backend: ebpf unavailable: %s",
			       s->bpf_err[0] ? s->bpf_err : "this session runs ptrace only");
	if ((rc = trace_proc_space(s->space_init, &sp, err, errlen)) ||
	    (rc = trace_proc_targets(&sp, &r->rq, &found, &n, err, errlen)))
		return rc;
	for (size_t i = 0; !r->rq.whole_space && i < n; i++) {
		pid_t pid, tid;
		if (trace_proc_ids(found[i].pid, s->level, &pid, &tid) == 0 && follow_add(r, pid)) {
			free(found);
			return err_sys(err, errlen, "trace: follow");
		}
	}
	free(found);
	r->backend = TRACE_BACKEND_EBPF;
	r->ring_seen = trace_bpf_drops(s->bpf);
	trace_bpf_readers_changed(s);
	recount(s);
	return 0;
}

void trace_bpf_reader_free(struct reader *r)
{
	free(r->follow);
	r->follow = NULL;
	r->nfollow = r->capfollow = 0;
}
