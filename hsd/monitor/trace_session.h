/* trace_session.h - the session process's state, shared by
 * trace_session.c (tracees: stops, attaching, detaching) and
 * trace_readers.c (readers: requests, queues, stats).
 *
 * One session traces one server space for every reader that asks: ptrace
 * allows a single tracer per thread, so two readers of the same space
 * (an old and a new IDS version during a rollout) must share it.
 */
#ifndef HS_TRACE_SESSION_H
#define HS_TRACE_SESSION_H

#include "trace_int.h"
#include "err.h"
#include "frame.h"

#include <time.h>

#define TRACE_READERS_MAX 32      /* bits of tracee.rmask */
#define TRACE_REQ_TIMEOUT_MS 10000 /* for a reader's first request */
#define TRACE_FINAL_MS 1000        /* to flush a leaving reader's last frames */

struct tracee {
	pid_t tid;       /* ours */
	pid_t pid, ntid; /* in the server space's namespace */
	bool in_call;    /* between syscall-entry and -exit stops */
	bool wanted;     /* some reader wants the pending call */
	long nr;
	uint32_t arch;
	uint32_t rmask;  /* readers of a process target that follow it */
	int64_t t_ns;
	char *args;      /* the pending call's "args" as text, decoded at entry */
	size_t args_len; /* 0: none (sent as []) */
	size_t args_cap; /* grown, never shrunk: no allocation per call */
};

struct reader {
	int fd;              /* -1: a free slot */
	bool asked;          /* its request was accepted: it gets events */
	bool ending;         /* its last frames are queued: flush, then close */
	int64_t deadline_ns; /* for its request, then for its last frames */
	struct trace_request rq;
	struct trace_outq q;
	struct frame_reader fr;
	uint64_t events, dropped;
	enum trace_backend backend; /* PTRACE or EBPF once asked */
	/* eBPF readers (trace_bpf_session.c) */
	uint64_t ring_dropped;  /* lost in the kernel's ring buffer (in dropped too) */
	uint64_t ring_seen;     /* the ring's drop count when last added in */
	int64_t bthreads;       /* threads it follows, as of the last scan */
	pid_t *follow;          /* a process target: the processes (space pids) */
	size_t nfollow, capfollow;
};

struct trace_bpf;

struct session {
	int ctl;        /* hsd's end passing new readers; -1: one reader only */
	struct trace_limits lim;
	pid_t space_init;
	unsigned level; /* depth of the server space's PID namespace */
	struct tracee *t;
	size_t nt, cap, last;
	struct reader r[TRACE_READERS_MAX];
	int sfd;
	bool stop;
	int single_rc;  /* one-reader mode: why its request was refused */
	char single_err[HS_ERRLEN];
	/* the eBPF backend (trace_bpf_session.c) */
	struct trace_bpf *bpf;       /* NULL: not loaded */
	char bpf_err[HS_ERRLEN];     /* why not, when it failed */
	uint8_t *evbuf;              /* one encoded event frame (both backends) */
	char *argbuf;                /* the ptrace backend decodes args here */
	int64_t boot_to_real;        /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
};

static inline int64_t trace_now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* trace_session.c */
int trace_attach_all(struct session *s, const struct trace_request *rq, uint32_t mask,
		     char *err, size_t errlen);
void trace_detach_all(struct session *s);

/* trace_readers.c */
void trace_answer_error(int fd, const char *text);
void readers_add(struct session *s, int fd);
size_t readers_active(const struct session *s); /* asked and not ending */
bool readers_want(const struct session *s, const struct tracee *t, long nr);
bool readers_whole_space(const struct session *s);
/* Queue an encoded event frame (NULL: it could not be encoded, a drop)
 * to every reader that wants call nr of t. */
void readers_emit(struct session *s, const struct tracee *t, const uint8_t *frame, size_t len,
		  long nr);
void readers_stats(struct session *s);
/* Flush, close the finished, time out the silent. */
void readers_service(struct session *s);
void readers_read(struct session *s, struct reader *r);
/* Every reader gets its final stats; wait up to TRACE_FINAL_MS. */
void readers_finish(struct session *s);
void readers_free(struct session *s);
void reader_end(struct session *s, struct reader *r);
bool reader_is_ptrace(const struct reader *r);

/* trace_bpf_session.c: the readers served by eBPF */
/* Load the program for the space (before the seccomp filter).  A failure
 * is kept in s->bpf_err and logged: "auto" readers then get ptrace. */
void trace_bpf_session_open(struct session *s);
void trace_bpf_session_close(struct session *s);
/* The poll fd of the ring buffer, or -1. */
int trace_bpf_session_fd(const struct session *s);
/* Fan the waiting records out to the eBPF readers. */
void trace_bpf_session_drain(struct session *s);
/* How long the loop may wait before draining again: the program wakes
 * the session only once a quarter of the ring is full, so while an eBPF
 * reader is served the loop drains every TRACE_BPF_FLUSH_MS; -1 when no
 * eBPF reader is served. */
#define TRACE_BPF_FLUSH_MS 10
int trace_bpf_session_wait_ms(const struct session *s);
/* Start serving r (its request parsed) with eBPF: what it follows, how
 * many threads, the kernel's filter widened.  HS_EINPUT/HS_ESYS with the
 * reason when it cannot. */
int trace_bpf_reader_start(struct session *s, struct reader *r, char *err, size_t errlen);
/* A reader started, ended or left: narrow or widen the kernel's filter. */
void trace_bpf_readers_changed(struct session *s);
/* Each stats interval: ring drops added in, threads recounted, readers
 * whose processes all exited ended. */
void trace_bpf_readers_tick(struct session *s);
void trace_bpf_reader_free(struct reader *r);

#endif
