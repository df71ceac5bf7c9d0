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
#include <sys/socket.h>

#include "err.h"
#include "frame.h"

#define TRACE_OUTQ_CONTROL 16

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
		free(q->ring[(q->head + i) % q->cap].buf);
	free(q->ring);
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
	q->ring[(q->head + q->n) % q->cap] = (struct trace_outq_item){buf, len};
	q->n++;
	return 0;
}

int trace_outq_flush(struct trace_outq *q, int fd)
{
	while (q->n) {
		struct trace_outq_item *it = &q->ring[q->head];
		ssize_t w = send(fd, it->buf + q->off, it->len - q->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return HS_ESYS;
		}
		q->off += (size_t)w;
		if (q->off < it->len)
			return 0;
		free(it->buf);
		it->buf = NULL;
		q->off = 0;
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	return 0;
}
