/* trace_bpf_none.c - the eBPF backend when it was not built (no clang,
 * bpftool, libbpf or kernel BTF at build time: cmake said so).  Every
 * session then uses ptrace, and a reader asking for eBPF is told why. */
#include "trace_bpf.h"

#include "err.h"

int trace_bpf_open(const struct trace_nsid *space, size_t ring_bytes, trace_bpf_fn fn,
		   void *ctx, struct trace_bpf **out, char *err, size_t errlen)
{
	(void)space;
	(void)ring_bytes;
	(void)fn;
	(void)ctx;
	*out = NULL;
	return err_set(err, errlen, HS_ESYS, "ebpf: not built into this hsd (see cmake's output)");
}

int trace_bpf_fd(const struct trace_bpf *b)
{
	(void)b;
	return -1;
}

int trace_bpf_consume(struct trace_bpf *b)
{
	(void)b;
	return -1;
}

int trace_bpf_want(struct trace_bpf *b, const uint8_t *want, bool any, bool compat)
{
	(void)b;
	(void)want;
	(void)any;
	(void)compat;
	return HS_ESYS;
}

uint64_t trace_bpf_drops(struct trace_bpf *b)
{
	(void)b;
	return 0;
}

void trace_bpf_close(struct trace_bpf *b)
{
	(void)b;
}
