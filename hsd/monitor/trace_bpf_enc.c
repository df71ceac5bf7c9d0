/* trace_bpf_enc.c - one eBPF record to one event frame, without a json_t.
 *
 * The record holds the call's raw arguments and copies of the user
 * memory the program read at entry (paths, a sockaddr, argv).  Those
 * copies are served to the argument decoder as "tracee memory"
 * (struct trace_mem): the decoder cannot tell them from process_vm_readv,
 * so each argument is spelled exactly as the ptrace backend spells it,
 * and trace_event_frame writes the event as it writes ptrace's.  Nothing
 * is allocated: the text goes straight into the caller's buffer.
 */
#include "trace_bpf_enc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

struct region {
	uint64_t addr;
	const uint8_t *p;
	size_t n;
};

struct record_mem {
	struct region r[TRACE_BPF_STRS + 2 + TRACE_BPF_ARGV];
	size_t n;
};

static ssize_t record_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct record_mem *m = ctx;
	for (size_t i = 0; i < m->n; i++) {
		const struct region *r = &m->r[i];
		if (addr < r->addr || addr - r->addr >= r->n)
			continue;
		size_t off = (size_t)(addr - r->addr), n = r->n - off;
		if (n > len)
			n = len;
		memcpy(buf, r->p + off, n);
		return (ssize_t)n;
	}
	return -1; /* not read at entry: unreadable then, or not captured */
}

static void add(struct record_mem *m, uint64_t addr, const void *p, size_t n)
{
	if (addr && n && m->n < sizeof(m->r) / sizeof(m->r[0]))
		m->r[m->n++] = (struct region){addr, p, n};
}

/* A string slot as the memory it was read from.  len is what
 * bpf_probe_read_user_str returned: the bytes with the NUL, or a full
 * slot whose last byte is the NUL it added (the string went on: leave
 * the NUL out, so the decoder sees a string longer than str_max). */
static void add_str(struct record_mem *m, uint64_t addr, const char *s, int32_t len)
{
	if (len <= 0)
		return;
	add(m, addr, s, (size_t)len < TRACE_BPF_STR ? (size_t)len : TRACE_BPF_STR - 1);
}

static void record_regions(const void *rec, size_t size, struct record_mem *m)
{
	const struct trace_bpf_head *h = rec;
	struct syscall_desc d = syscalls_desc(h->nr);
	unsigned ns = 0;

	m->n = 0;
	if (!(h->flags & TRACE_BPF_F_STRS) || size < sizeof(struct trace_bpf_small))
		return;
	const struct trace_bpf_small *sm = rec;
	for (unsigned i = 0; i < d.nargs && i < 6; i++) {
		if (d.arg[i] == SC_PATH && ns < TRACE_BPF_STRS) {
			add_str(m, h->args[i], sm->str[ns], h->str_len[ns]);
			ns++;
		} else if (d.arg[i] == SC_SOCKADDR && h->sa_len > 0) {
			add(m, h->args[i], sm->sa, (size_t)h->sa_len);
		} else if (d.arg[i] == SC_ARGV && (h->flags & TRACE_BPF_F_ARGV) &&
			   size >= sizeof(struct trace_bpf_big)) {
			const struct trace_bpf_argv *a = &((const struct trace_bpf_big *)rec)->a;
			uint32_t argc = h->argc < TRACE_BPF_ARGV ? h->argc : TRACE_BPF_ARGV;
			add(m, h->args[i], a->ptr, argc * sizeof(a->ptr[0]));
			for (uint32_t k = 0; k < argc; k++)
				add_str(m, a->ptr[k], a->s[k], a->len[k]);
		}
	}
}

struct record_args {
	const void *rec;
	size_t size;
	const struct trace_limits *lim;
};

static void record_args(struct trace_jw *w, const void *ctx)
{
	const struct record_args *ra = ctx;
	const struct trace_bpf_head *h = ra->rec;
	struct record_mem m;
	struct trace_mem mem = {record_read, &m};
	uint64_t args[6];
	memcpy(args, h->args, sizeof(args)); /* __u64 is another type than uint64_t */
	record_regions(ra->rec, ra->size, &m);
	trace_decode_args_jw(h->nr, args, &mem, ra->lim, w);
}

int trace_bpf_encode(const void *rec, size_t size, const struct trace_limits *lim,
		     int64_t boot_to_real_ns, uint8_t *out, size_t cap, size_t *len)
{
	const struct trace_bpf_head *h = rec;
	if (size < sizeof(*h))
		return HS_EINPUT;
	bool done = !(h->flags & TRACE_BPF_F_NORET);
	struct trace_event e = {
		.t_ns = (int64_t)h->t_ns + boot_to_real_ns,
		.pid = h->pid,
		.tid = h->tid,
		.nr = (long)h->nr,
		.compat = h->flags & TRACE_BPF_F_COMPAT,
		.done = done,
		/* what the kernel counts as an error return (IS_ERR_VALUE) */
		.is_error = done && h->ret < 0 && h->ret >= -4095,
		.ret = h->ret,
	};
	struct record_args ra = {rec, size, lim};
	return trace_event_frame(&e, record_args, &ra, out, cap, len);
}
