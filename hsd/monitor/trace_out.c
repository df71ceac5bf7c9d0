/* trace_out.c - the bounded, non-blocking queue of frames to the reader.
 *
 * The tracer must never wait for the reader while a tracee is stopped,
 * so nothing here blocks: frames are encoded into a ring and sent with
 * MSG_DONTWAIT as the socket takes them.  When max_events are waiting the
 * NEWEST event is dropped (and counted by the caller): the reader keeps a
 * contiguous history up to the gap, and the stats frames say how much
 * was lost.  Stats and error frames have a few reserved slots so the
 * reader still learns about drops while the queue is full.
 */
#include "trace_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "err.h"
#include "frame.h"

#define TRACE_OUTQ_CONTROL 16
#define TRACE_OUTQ_AVG 256 /* arena bytes per queued event, on average */

int trace_outq_init(struct trace_outq *q, size_t max_events)
{
	*q = (struct trace_outq){.max_events = max_events ? max_events : 1};
	q->cap = q->max_events + TRACE_OUTQ_CONTROL;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	return q->ring ? 0 : HS_ESYS;
}

void trace_outq_free(struct trace_outq *q)
{
	for (size_t i = 0; q->ring && i < q->n; i++)
		if (!q->ring[(q->head + i) % q->cap].arena)
			free(q->ring[(q->head + i) % q->cap].buf);
	free(q->ring);
	free(q->arena);
	*q = (struct trace_outq){0};
}

int trace_outq_push(struct trace_outq *q, const json_t *msg, bool control)
{
	uint8_t *buf;
	size_t len;
	if (q->n >= q->cap || (!control && q->n >= q->max_events))
		return 1;
	if (frame_encode(msg, TRACE_FRAME_MAX, &buf, &len, NULL, 0))
		return HS_ESYS;
	q->ring[(q->head + q->n) % q->cap] = (struct trace_outq_item){buf, len, false};
	q->n++;
	return 0;
}

/* len bytes at the arena's tail, wrapping to its start when the end is
 * too short; NULL when full.  The tail never catches up with the head
 * (strict comparisons), so a_tail == a_head only when it is empty. */
static uint8_t *arena_take(struct trace_outq *q, size_t len)
{
	size_t at;
	if (!q->arena) {
		q->a_size = q->max_events * TRACE_OUTQ_AVG + 2 * (TRACE_FRAME_MAX + FRAME_HDR);
		if (!(q->arena = malloc(q->a_size)))
			return NULL;
	}
	if (q->a_n == 0)
		q->a_head = q->a_tail = 0;
	if (q->a_n == 0 || q->a_tail > q->a_head) { /* used: [head, tail) */
		if (q->a_size - q->a_tail >= len)
			at = q->a_tail;
		else if (q->a_head > len)
			at = 0;
		else
			return NULL;
	} else { /* used: [head, size) and [0, tail) */
		if (q->a_head - q->a_tail > len)
			at = q->a_tail;
		else
			return NULL;
	}
	q->a_tail = at + len;
	q->a_n++;
	return q->arena + at;
}

/* The head item left the arena: the next arena item (if any) is now the
 * oldest. */
static void arena_release(struct trace_outq *q)
{
	if (--q->a_n == 0)
		return;
	for (size_t i = 0; i < q->n; i++) {
		const struct trace_outq_item *it = &q->ring[(q->head + i) % q->cap];
		if (it->arena) {
			q->a_head = (size_t)(it->buf - q->arena);
			return;
		}
	}
}

int trace_outq_push_frame(struct trace_outq *q, const uint8_t *frame, size_t len)
{
	uint8_t *buf;
	if (q->n >= q->cap || q->n >= q->max_events || !(buf = arena_take(q, len)))
		return 1;
	memcpy(buf, frame, len);
	q->ring[(q->head + q->n) % q->cap] = (struct trace_outq_item){buf, len, true};
	q->n++;
	return 0;
}

/* The head item is sent: free it (or give back its arena bytes). */
static void pop(struct trace_outq *q)
{
	struct trace_outq_item *it = &q->ring[q->head];
	bool arena = it->arena;
	if (!arena)
		free(it->buf);
	*it = (struct trace_outq_item){0};
	q->off = 0;
	q->head = (q->head + 1) % q->cap;
	q->n--;
	if (arena)
		arena_release(q);
}

/* Up to TRACE_OUTQ_IOV frames per sendmsg: one call per event would
 * cost the session more than the event (the eBPF backend's rate). */
#define TRACE_OUTQ_IOV 64

int trace_outq_flush(struct trace_outq *q, int fd)
{
	while (q->n) {
		struct iovec iov[TRACE_OUTQ_IOV];
		size_t k = 0;
		for (; k < q->n && k < TRACE_OUTQ_IOV; k++) {
			struct trace_outq_item *it = &q->ring[(q->head + k) % q->cap];
			size_t skip = k ? 0 : q->off;
			iov[k] = (struct iovec){it->buf + skip, it->len - skip};
		}
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = k};
		ssize_t w = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return HS_ESYS;
		}
		size_t left = (size_t)w;
		while (q->n && left >= q->ring[q->head].len - q->off) {
			left -= q->ring[q->head].len - q->off;
			pop(q);
		}
		q->off += left;
		if (left || k < TRACE_OUTQ_IOV)
			return 0; /* the socket took what it could */
	}
	return 0;
}
