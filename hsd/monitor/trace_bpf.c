/* trace_bpf.c - load, attach and feed the eBPF backend's program.
 *
 * The session calls trace_bpf_open before its seccomp filter goes in:
 * loading, attaching and mapping the ring buffer need bpf() commands the
 * filter refuses afterwards (trace_seccomp.c), so the session can change
 * what the program keeps (map updates) and read it, but never load
 * another program or attach one anywhere else.
 */
#include "trace_bpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "syscalls.h"
#include "trace_bpf_abi.h"
#include "trace_bpf.skel.h"

_Static_assert(TRACE_BPF_NR_MAX == SYSCALLS_NR_MAX, "one syscall table for both sides");

/* Records handled per trace_bpf_consume: a server making events faster
 * than the session handles them would otherwise keep it in one drain for
 * ever, and no reader would get a frame or a stats message. */
#define TRACE_BPF_BUDGET 4096
#define TRACE_BPF_EBUDGET 1 /* (negated) on_record's "budget spent" */

struct trace_bpf {
	struct trace_bpf_prog *skel;
	struct ring_buffer *rb;
	trace_bpf_fn fn;
	void *ctx;
	unsigned budget; /* records this consume may still hand on */
	int ncpu;
	uint64_t *percpu; /* the drops map's value on each CPU */
	struct trace_bpf_plan plan[TRACE_BPF_NR_MAX]; /* as written to the map */
	struct trace_bpf_conf conf;
};

/* libbpf's diagnostics: the last warning is kept for the error message
 * (why a load failed) instead of going to stderr. */
static char last_msg[256];

/* fmt is libbpf's own format, checked where libbpf calls it. */
__attribute__((format(printf, 2, 0))) static int
on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	int n = vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	if (n > 0 && (size_t)n < sizeof(last_msg) && last_msg[n - 1] == '\n')
		last_msg[n - 1] = '\0';
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace_bpf *b = ctx;
	if (size >= sizeof(struct trace_bpf_head))
		b->fn(b->ctx, data, size);
	/* libbpf has consumed this record already: stopping here loses
	 * nothing, the rest waits for the next call. */
	return --b->budget ? 0 : -TRACE_BPF_EBUDGET;
}

/* What to capture for each call: its path, sockaddr and argv arguments
 * (syscalls.c's table); nothing is wanted until a reader asks. */
static void plans_init(struct trace_bpf *b)
{
	for (long nr = 0; nr < TRACE_BPF_NR_MAX; nr++) {
		struct syscall_desc d = syscalls_desc(nr);
		struct trace_bpf_plan *p = &b->plan[nr];
		unsigned ns = 0;
		*p = (struct trace_bpf_plan){0};
		for (unsigned i = 0; i < d.nargs && i < 6; i++) {
			if (d.arg[i] == SC_PATH && ns < TRACE_BPF_STRS)
				p->str[ns++] = (uint8_t)(i + 1);
			else if (d.arg[i] == SC_SOCKADDR && i < 5)
				p->sa = (uint8_t)(i + 1);
			else if (d.arg[i] == SC_ARGV)
				p->argv = (uint8_t)(i + 1);
		}
	}
}

static int fail(struct trace_bpf *b, char *err, size_t errlen, int e, const char *what)
{
	err_set(err, errlen, HS_ESYS, "ebpf: %s: %s%s%s", what, strerror(e),
		last_msg[0] ? ": " : "", last_msg);
	trace_bpf_close(b);
	return HS_ESYS;
}

int trace_bpf_open(const struct trace_nsid *space, size_t ring_bytes, trace_bpf_fn fn,
		   void *ctx, struct trace_bpf **out, char *err, size_t errlen)
{
	struct trace_bpf *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	last_msg[0] = '\0';
	libbpf_set_print(on_libbpf_print);
	if (!b)
		return err_sys(err, errlen, "ebpf: calloc");
	b->fn = fn;
	b->ctx = ctx;
	/* read now: libbpf reads /sys/devices/system/cpu/possible once */
	b->ncpu = libbpf_num_possible_cpus();
	if (b->ncpu <= 0)
		return fail(b, err, errlen, -b->ncpu, "possible CPUs");
	if (!(b->percpu = calloc((size_t)b->ncpu, sizeof(*b->percpu))))
		return fail(b, err, errlen, errno, "calloc");
	b->skel = trace_bpf_prog__open();
	if (!b->skel)
		return fail(b, err, errlen, errno, "open");
	b->skel->rodata->space_ino = (uint32_t)space->ino;
	b->skel->rodata->wake_bytes = (uint32_t)(ring_bytes / 4);
	if ((rc = bpf_map__set_max_entries(b->skel->maps.events, (uint32_t)ring_bytes)))
		return fail(b, err, errlen, -rc, "ring buffer size");
	if ((rc = trace_bpf_prog__load(b->skel)))
		return fail(b, err, errlen, -rc, "load");
	plans_init(b);
	int pfd = bpf_map__fd(b->skel->maps.plans);
	for (uint32_t nr = 0; nr < TRACE_BPF_NR_MAX; nr++)
		if (bpf_map_update_elem(pfd, &nr, &b->plan[nr], BPF_ANY))
			return fail(b, err, errlen, errno, "plans");
	if ((rc = trace_bpf_prog__attach(b->skel)))
		return fail(b, err, errlen, -rc, "attach");
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_record, b, NULL);
	if (!b->rb)
		return fail(b, err, errlen, errno, "ring buffer");
	*out = b;
	return 0;
}

int trace_bpf_fd(const struct trace_bpf *b)
{
	return ring_buffer__epoll_fd(b->rb);
}

int trace_bpf_consume(struct trace_bpf *b)
{
	b->budget = TRACE_BPF_BUDGET;
	int n = ring_buffer__consume(b->rb);
	if (n == -TRACE_BPF_EBUDGET)
		return TRACE_BPF_BUDGET;
	return n < 0 ? -1 : n;
}

int trace_bpf_want(struct trace_bpf *b, const uint8_t *want, bool any, bool compat)
{
	int pfd = bpf_map__fd(b->skel->maps.plans), cfd = bpf_map__fd(b->skel->maps.conf);
	uint32_t k = 0;
	struct trace_bpf_conf c = {.any = any, .compat = compat};

	for (uint32_t nr = 0; nr < TRACE_BPF_NR_MAX; nr++) {
		uint8_t w = want && (want[nr / 8] & (1u << (nr % 8)));
		if (b->plan[nr].want == w)
			continue;
		b->plan[nr].want = w;
		if (bpf_map_update_elem(pfd, &nr, &b->plan[nr], BPF_ANY))
			return HS_ESYS;
	}
	if (memcmp(&c, &b->conf, sizeof(c)) != 0) {
		if (bpf_map_update_elem(cfd, &k, &c, BPF_ANY))
			return HS_ESYS;
		b->conf = c;
	}
	return 0;
}

uint64_t trace_bpf_drops(struct trace_bpf *b)
{
	uint64_t sum = 0;
	uint32_t k = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.drops), &k, b->percpu))
		return 0;
	for (int i = 0; i < b->ncpu; i++)
		sum += b->percpu[i];
	return sum;
}

void trace_bpf_close(struct trace_bpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	trace_bpf_prog__destroy(b->skel);
	free(b->percpu);
	free(b);
}
