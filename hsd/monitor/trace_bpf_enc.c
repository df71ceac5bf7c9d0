/* trace_bpf_enc.c - one eBPF record to one event frame, without a json_t.
 *
 * The record holds the call's raw arguments and copies of the user
 * memory the program read at entry (paths, a sockaddr, argv).  Those
 * copies are served to the argument decoder as "tracee memory"
 * (struct trace_mem): the decoder cannot tell them from process_vm_readv,
 * so each argument is spelled exactly as the ptrace backend spells it,
 * and the event's fields come in the ptrace backend's order (t, pid,
 * syscall, args, ret, tid, err).  Nothing is allocated: the text goes
 * straight into the caller's buffer after the frame header.
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

int trace_bpf_encode(const void *rec, size_t size, const struct trace_limits *lim,
		     int64_t boot_to_real_ns, uint8_t *out, size_t cap, size_t *len)
{
	const struct trace_bpf_head *h = rec;
	struct record_mem m;
	struct trace_mem mem = {record_read, &m};
	struct trace_jw w;
	char other[32];
	bool compat = h->flags & TRACE_BPF_F_COMPAT;
	const char *name = compat ? NULL : syscalls_name(h->nr);

	if (size < sizeof(*h) || cap <= FRAME_HDR)
		return HS_EINPUT;
	if (!name) {
		snprintf(other, sizeof(other), "%s%lld", compat ? "compat_" : "syscall_",
			 (long long)h->nr);
		name = other;
	}
	trace_jw_init(&w, (char *)out + FRAME_HDR, cap - FRAME_HDR);
	trace_jw_open(&w, '{');
	trace_jw_key(&w, "t");
	trace_jw_int(&w, (int64_t)h->t_ns + boot_to_real_ns);
	trace_jw_key(&w, "pid");
	trace_jw_int(&w, h->pid);
	trace_jw_key(&w, "syscall");
	trace_jw_str(&w, name);
	trace_jw_key(&w, "args");
	if (compat) {
		trace_jw_open(&w, '[');
		trace_jw_close(&w, ']');
	} else {
		uint64_t args[6];
		memcpy(args, h->args, sizeof(args)); /* __u64 is another type than uint64_t */
		record_regions(rec, size, &m);
		trace_decode_args_jw(h->nr, args, &mem, lim, &w);
	}
	trace_jw_key(&w, "ret");
	bool done = !(h->flags & TRACE_BPF_F_NORET);
	if (done)
		trace_jw_int(&w, h->ret);
	else
		trace_jw_lit(&w, "null");
	if (h->tid != h->pid) {
		trace_jw_key(&w, "tid");
		trace_jw_int(&w, h->tid);
	}
	/* what the kernel counts as an error return (IS_ERR_VALUE) */
	if (done && h->ret < 0 && h->ret >= -4095 && strerrorname_np((int)-h->ret)) {
		trace_jw_key(&w, "err");
		trace_jw_str(&w, strerrorname_np((int)-h->ret));
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
