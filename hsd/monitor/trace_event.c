/* trace_event.c - the event frame both backends send, written straight
 * into a caller's buffer: no json_t, nothing allocated per event.
 *
 * Fields in one order for both (t, pid, syscall, args, ret, tid, err), in
 * jansson's compact spelling (trace_jw.c), so a reader cannot tell which
 * backend an event came from (test_trace_decode compares them byte for
 * byte).
 */
#include "trace_int.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "frame.h"
#include "syscalls.h"

int trace_event_frame(const struct trace_event *e, trace_event_args_fn *args, const void *ctx,
		      uint8_t *out, size_t cap, size_t *len)
{
	struct trace_jw w;
	char other[32];
	const char *name = e->compat ? NULL : syscalls_name(e->nr);

	if (cap <= FRAME_HDR)
		return HS_EINPUT;
	if (!name) {
		snprintf(other, sizeof(other), "%s%ld", e->compat ? "compat_" : "syscall_", e->nr);
		name = other;
	}
	trace_jw_init(&w, (char *)out + FRAME_HDR, cap - FRAME_HDR);
	trace_jw_open(&w, '{');
	trace_jw_key(&w, "t");
	trace_jw_int(&w, e->t_ns);
	trace_jw_key(&w, "pid");
	trace_jw_int(&w, e->pid);
	trace_jw_key(&w, "syscall");
	trace_jw_str(&w, name);
	trace_jw_key(&w, "args");
	if (e->compat) { /* other ABIs' arguments are not decoded */
		trace_jw_open(&w, '[');
		trace_jw_close(&w, ']');
	} else {
		args(&w, ctx);
	}
	trace_jw_key(&w, "ret");
	if (e->done)
		trace_jw_int(&w, e->ret);
	else
		trace_jw_lit(&w, "null");
	if (e->tid != e->pid) {
		trace_jw_key(&w, "tid");
		trace_jw_int(&w, e->tid);
	}
	if (e->done && e->is_error && strerrorname_np((int)-e->ret)) {
		trace_jw_key(&w, "err");
		trace_jw_str(&w, strerrorname_np((int)-e->ret));
	}
	trace_jw_close(&w, '}');
	if (w.overflow || w.len > TRACE_FRAME_MAX)
		return HS_EINPUT;
	out[0] = (uint8_t)(w.len >> 24);
	out[1] = (uint8_t)(w.len >> 16);
	out[2] = (uint8_t)(w.len >> 8);
	out[3] = (uint8_t)w.len;
	*len = FRAME_HDR + w.len;
	return 0;
}
