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

/* The pid (NStgid) and tid (NSpid) of tid as seen in the PID namespace
 * at depth level (0 = ours).  HS_ESYS if gone or not that deep. */
int trace_proc_ids(pid_t tid, unsigned level, pid_t *pid, pid_t *ns_tid);
/* Depth of pid's own PID namespace (number of NSpid fields - 1). */
int trace_proc_level(pid_t pid, unsigned *level);
/* The processes (thread-group leaders, our pids) to attach for rq in the
 * PID namespace of space_init.  *out is malloc'd. */
int trace_proc_targets(pid_t space_init, unsigned level,
		       const struct trace_request *rq, pid_t **out, size_t *n,
		       char *err, size_t errlen);
/* Thread ids of process pid.  *out is malloc'd. */
int trace_proc_tasks(pid_t pid, pid_t **out, size_t *n);

/* ---- trace_out.c: the bounded queue towards the reader ---- */

struct trace_outq {
	struct trace_outq_item {
		uint8_t *buf;
		size_t len;
	} *ring;
	size_t cap;        /* ring slots: max_events + room for control frames */
	size_t max_events; /* events beyond this many queued are dropped */
	size_t head, n;
	size_t off;        /* bytes of the head item already sent */
};

int trace_outq_init(struct trace_outq *q, size_t max_events);
void trace_outq_free(struct trace_outq *q);
/* Queue msg (not consumed).  Events are dropped (returns 1) when
 * max_events are waiting; control frames (stats, errors) only when the
 * ring is full.  0 when queued, HS_ESYS on encoding failure. */
int trace_outq_push(struct trace_outq *q, const json_t *msg, bool control);
/* Send what the socket takes now, never blocking.  0, or HS_ESYS when
 * the reader is gone (EPIPE, ECONNRESET, ...). */
int trace_outq_flush(struct trace_outq *q, int fd);
static inline bool trace_outq_empty(const struct trace_outq *q)
{
	return q->n == 0;
}

#endif
