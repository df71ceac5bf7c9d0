/* fuzz_trace_decode.c - decoding a tracee's syscall arguments from its
 * memory, which the traced server controls (trace_decode_args), and the
 * line hstrace prints from the result.
 *
 * Input: [nr:2 BE][str_max:1][6 x 8-byte BE args][memory].  The memory is
 * mapped at MEM_BASE; reads past its end are short, reads outside fail,
 * as process_vm_readv does at an unmapped page.  Property: the printed
 * line holds only printable ASCII (the tracee cannot reach the operator's
 * terminal). */
#include "fuzz_util.h"
#include "trace.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x1000u
#define HDR (2 + 1 + 6 * 8)

struct mem {
	const uint8_t *p;
	size_t len;
};

static ssize_t mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (addr < MEM_BASE || addr - MEM_BASE >= m->len)
		return -1;
	size_t off = (size_t)(addr - MEM_BASE);
	size_t n = m->len - off < len ? m->len - off : len;
	memcpy(buf, m->p + off, n);
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	long nr = (long)(data[0] << 8 | data[1]);
	uint64_t args[6];
	for (int i = 0; i < 6; i++) {
		args[i] = 0;
		for (int j = 0; j < 8; j++)
			args[i] = args[i] << 8 | data[3 + 8 * i + j];
	}
	struct mem m = {data + HDR, size - HDR};
	struct trace_mem tm = {mem_read, &m};
	struct trace_limits lim;
	trace_limits_default(&lim);
	if (data[2])
		lim.str_max = data[2];
	/* Numbers past the table are reported too (unnamed). */
	if (data[2] & 1)
		nr = -nr;

	json_t *a = trace_decode_args(nr, args, &tm, &lim);
	FUZZ_ASSERT(a != NULL && json_is_array(a));
	json_t *ev = json_pack("{s:I,s:i,s:s,s:o,s:i}", "t", (json_int_t)1, "pid", 7,
			       "syscall", "x", "args", a, "ret", 0);
	FUZZ_ASSERT(ev != NULL);
	char line[16384];
	FUZZ_ASSERT(trace_format_event(ev, line, sizeof(line)) == 0);
	for (const char *c = line; *c; c++)
		FUZZ_ASSERT(*c >= 0x20 && *c < 0x7f);
	json_decref(ev);

	/* The escaper alone: printable ASCII, at most 4 bytes per byte. */
	size_t n = m.len < 1024 ? m.len : 1024;
	char esc[4 * 1024 + 1];
	trace_escape(m.p, n, esc);
	FUZZ_ASSERT(strlen(esc) <= 4 * n);
	for (const char *c = esc; *c; c++)
		FUZZ_ASSERT(*c >= 0x20 && *c < 0x7f);
	return 0;
}
