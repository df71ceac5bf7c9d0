/* trace_int.h - internals of the trace session shared by its files. */
#ifndef HS_TRACE_INT_H
#define HS_TRACE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace.h"

/* ---- trace_proc.c: /proc lookups ---- */

/* A namespace as the kernel names it (the nsfs inode). */
struct trace_nsid {
	dev_t dev;
	ino_t ino;
};

/* PID namespaces nest at most 32 deep. */
#define TRACE_NS_DEPTH_MAX 32

/* The server space's PID namespace, for deciding who belongs to it. */
struct trace_space {
	struct trace_nsid self;
	unsigned level;       /* its depth below our /proc's namespace */
	struct trace_nsid own; /* ours (the session's) */
	bool own_out;         /* ours is not below the space's: its processes are out */
};

enum trace_ns_rule {
	TRACE_NS_TREE,  /* the space's namespace or any nested below it */
	TRACE_NS_EXACT, /* the space's namespace only: the rule before nested
			 * namespaces were followed, kept for tests to show
			 * what it missed */
};

/* A process found by a scan: the seize checks the pid still names it. */
struct trace_found {
	pid_t pid;                /* ours */
	unsigned long long start; /* /proc/PID/stat starttime */
};

/* The pid (NStgid) and tid (NSpid) of tid as seen in the PID namespace
 * at depth level (0 = ours).  HS_ESYS if gone or not that deep. */
int trace_proc_ids(pid_t tid, unsigned level, pid_t *pid, pid_t *ns_tid);
/* Depth of pid's own PID namespace (number of NSpid fields - 1). */
int trace_proc_level(pid_t pid, unsigned *level);
/* The PID namespace of space_init. */
int trace_proc_space(pid_t space_init, struct trace_space *sp, char *err, size_t errlen);
/* 1 if pid's own PID namespace belongs to the space under rule, 0 if
 * not, HS_ESYS if pid is gone. */
int trace_proc_in_space(pid_t pid, const struct trace_space *sp, enum trace_ns_rule rule);
/* The processes (thread-group leaders, our pids) to attach for rq in the
 * space.  *out is malloc'd. */
int trace_proc_targets(const struct trace_space *sp, const struct trace_request *rq,
		       struct trace_found **out, size_t *n, char *err, size_t errlen);
/* Thread ids of process pid, through handle if >= 0.  *out is malloc'd. */
int trace_proc_tasks(int handle, pid_t pid, pid_t **out, size_t *n);

/* A handle on the process pid names now: an open /proc/PID directory.
 * What is read through it is that process's even after pid is reused.
 * -1 with errno if there is none. */
int trace_proc_handle(pid_t pid);
/* The handle's process started at start and is in the space. */
bool trace_proc_identity(int handle, const struct trace_space *sp, unsigned long long start);
/* The handle's process has not been reaped (so its pid is still its own). */
bool trace_proc_alive(int handle);
/* tid is a thread of the handle's process. */
bool trace_proc_thread_of(int handle, pid_t tid);

/* ---- trace_session.c: a seam for tests ---- */

/* Where the session stands while seizing a process found by a scan. */
enum trace_seize_step {
	TRACE_SEIZE_FOUND,    /* before the handle is opened: only a number */
	TRACE_SEIZE_VERIFIED, /* start time and namespace checked through the
			       * handle, this tid listed there: its seize is next */
	TRACE_SEIZE_SEIZED,   /* PTRACE_SEIZE of this tid just succeeded */
};
/* NULL except in tests, which set it in the session's process to make the
 * found process exit and its pid be reused at a chosen step. */
extern void (*trace_seize_hook)(enum trace_seize_step step, pid_t pid);

/* ---- trace_jw.c: JSON text into a fixed buffer (jansson's compact
 * spelling), for events encoded without a json_t ---- */

struct trace_jw {
	char *buf;
	size_t cap, len;   /* buf[len] is always '\0' */
	bool overflow;     /* something did not fit: the text is unusable */
	bool key_pending;  /* a key was written, its value comes next */
	unsigned depth;    /* open containers (at most 31) */
	uint32_t more;     /* bit d-1: container at depth d has an element */
};

void trace_jw_init(struct trace_jw *w, char *buf, size_t cap);
void trace_jw_open(struct trace_jw *w, char c);  /* '{' or '[' */
void trace_jw_close(struct trace_jw *w, char c); /* '}' or ']' */
void trace_jw_key(struct trace_jw *w, const char *k);
void trace_jw_str(struct trace_jw *w, const char *s);
void trace_jw_int(struct trace_jw *w, int64_t v);
void trace_jw_lit(struct trace_jw *w, const char *lit); /* null, true */

/* ---- trace_event.c: one event frame, for both backends ---- */

struct trace_event {
	int64_t t_ns;       /* CLOCK_REALTIME at entry */
	pid_t pid, tid;     /* as the server space numbers them */
	long nr;
	bool compat;        /* another ABI than x86-64: nr is that ABI's */
	bool done;          /* "ret" is known (else null: died in the call) */
	bool is_error;      /* ret is -errno */
	int64_t ret;
};

/* Writes the event's "args" value. */
typedef void trace_event_args_fn(struct trace_jw *w, const void *ctx);

/* The frame (4-byte length, then the event's JSON) into out.  0 and
 * *len, or HS_EINPUT when it does not fit cap or TRACE_FRAME_MAX. */
int trace_event_frame(const struct trace_event *e, trace_event_args_fn *args, const void *ctx,
		      uint8_t *out, size_t cap, size_t *len);

/* ---- trace_decode.c: the "args" array as text ---- */

/* str_max above this is read as this (the buffers are on the stack). */
#define TRACE_STR_CAP 4096

/* Write the "args" array of call nr (what trace_decode_args returns, as
 * text).  No allocation: string buffers are on the stack. */
void trace_decode_args_jw(long nr, const uint64_t args[6], const struct trace_mem *mem,
			  const struct trace_limits *lim, struct trace_jw *w);

/* ---- trace_out.c: the bounded queue towards the reader ---- */

struct trace_outq {
	struct trace_outq_item {
		uint8_t *buf;
		size_t len;
		bool arena;    /* buf is in the arena, not malloc'd */
	} *ring;
	size_t cap;        /* ring slots: max_events + room for control frames */
	size_t max_events; /* events beyond this many queued are dropped */
	size_t head, n;
	size_t off;        /* bytes of the head item already sent */
	/* Encoded event frames (eBPF backend), FIFO in one block allocated
	 * at the first one: [a_head, a_tail) is used, or wrapped around. */
	uint8_t *arena;
	size_t a_size, a_head, a_tail, a_n;
};

int trace_outq_init(struct trace_outq *q, size_t max_events);
void trace_outq_free(struct trace_outq *q);
/* Queue msg (not consumed).  Events are dropped (returns 1) when
 * max_events are waiting; control frames (stats, errors) only when the
 * ring is full.  0 when queued, HS_ESYS on encoding failure. */
int trace_outq_push(struct trace_outq *q, const json_t *msg, bool control);
/* Queue an encoded event frame (copied into the queue's arena, allocated
 * once): 1 when dropped (max_events waiting, or the arena full). */
int trace_outq_push_frame(struct trace_outq *q, const uint8_t *frame, size_t len);
/* Send what the socket takes now, never blocking.  0, or HS_ESYS when
 * the reader is gone (EPIPE, ECONNRESET, ...). */
int trace_outq_flush(struct trace_outq *q, int fd);
static inline bool trace_outq_empty(const struct trace_outq *q)
{
	return q->n == 0;
}

#endif
