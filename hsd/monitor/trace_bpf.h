/* trace_bpf.h - the eBPF backend's loader: the program of
 * bpf/trace_bpf.bpf.c, its maps and its ring buffer, for one server
 * space.  The session (trace_bpf_session.c) decides what to do with the
 * records; this file only talks to libbpf.  Built when HSD_EBPF is set;
 * otherwise trace_bpf_none.c says why there is no eBPF.
 */
#ifndef HS_TRACE_BPF_H
#define HS_TRACE_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_int.h"

struct trace_bpf;

/* Called for each ring-buffer record (a trace_bpf_head first). */
typedef void (*trace_bpf_fn)(void *ctx, const void *rec, size_t size);

/* Load the program for the space's PID namespace, attach it and map its
 * ring buffer (ring_bytes, a power of two of at least a page).  Nothing
 * is wanted yet (trace_bpf_want).  HS_ESYS with the reason (no BTF, no
 * permission, a kernel too old) when it cannot. */
int trace_bpf_open(const struct trace_nsid *space, size_t ring_bytes, trace_bpf_fn fn,
		   void *ctx, struct trace_bpf **out, char *err, size_t errlen);
/* An fd that polls readable when records wait. */
int trace_bpf_fd(const struct trace_bpf *b);
/* Hand the waiting records to fn, at most 4096 (more stay for the next
 * call, and the fd stays readable).  The number handled, or -1. */
int trace_bpf_consume(struct trace_bpf *b);
/* What the kernel side keeps: the calls in want (a SYSCALLS_NR_MAX bit
 * map; NULL = none), fork/exit records when any, compat calls when
 * compat.  Only entries that change are written. */
int trace_bpf_want(struct trace_bpf *b, const uint8_t *want, bool any, bool compat);
/* Records lost to a full ring buffer since the load. */
uint64_t trace_bpf_drops(struct trace_bpf *b);
void trace_bpf_close(struct trace_bpf *b);

#endif
