/* trace_bpf_enc.h - an eBPF record (trace_bpf_abi.h) as an event frame. */
#ifndef HS_TRACE_BPF_ENC_H
#define HS_TRACE_BPF_ENC_H

#include "err.h"
#include "trace_bpf_abi.h"
#include "trace_int.h"

/* Encode the SYSCALL record rec (size bytes) as one frame (4-byte length,
 * then the event's JSON) into out: the same bytes the ptrace backend
 * sends for the same call.  t is the record's boot-clock time plus
 * boot_to_real_ns.  0 and *len, or HS_EINPUT (a short record, or an
 * event larger than cap or TRACE_FRAME_MAX). */
int trace_bpf_encode(const void *rec, size_t size, const struct trace_limits *lim,
		     int64_t boot_to_real_ns, uint8_t *out, size_t cap, size_t *len);

#endif
