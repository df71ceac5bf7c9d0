/* trace_bpf.bpf.c - the eBPF side of the trace broker's eBPF backend.
 *
 * Attached to the raw_syscalls tracepoints (BTF-typed, tp_btf) and to
 * sched_process_fork/exit.  For a task of the server space (its active
 * PID namespace is the space's or nested below it) it keeps the entry of
 * each wanted call in a per-thread map (number, arguments, the strings
 * they point to) and, at the call's exit, writes one record with the
 * return value to a ring buffer.  When the ring buffer is full the record
 * is dropped and counted (drops map).  It only ever reads: user memory
 * with bpf_probe_read_user(_str), kernel memory with CO-RE reads; it
 * never stops the task, and no helper that writes to a task is used.
 * Layouts: trace_bpf_abi.h.  Loaded by trace_bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_bpf_abi.h"

/* The probe_read helpers are GPL-only. */
char LICENSE[] SEC("license") = "GPL";

/* The space's PID namespace inode, set before loading.  Every PID
 * namespace's inode is on the one nsfs, so the number alone names it. */
const volatile __u32 space_ino = 0;
/* Records are written without waking the session until this many bytes
 * wait (set by the loader: a quarter of the ring); the session drains on
 * a short timer besides.  A wakeup per record cost a busy server more
 * than the record itself: the session woke for every call. */
const volatile __u32 wake_bytes = 1;

#define TS_COMPAT_BIT 0x0002 /* x86 thread_info.status: a 32-bit call */
#define NS_DEPTH_MAX 33      /* PID namespaces nest at most 32 deep */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_BPF_NR_MAX);
	__type(key, __u32);
	__type(value, struct trace_bpf_plan);
} plans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trace_bpf_conf);
} conf SEC(".maps");

/* Entries waiting for their exit, by tid.  LRU: the entry of a thread
 * that vanished without an exit (a non-leader's execve takes another
 * tid) is reclaimed instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct trace_bpf_small);
} pending SEC(".maps");

/* execve argv, apart: 8.5 KiB that only execs need. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct trace_bpf_argv);
} pending_argv SEC(".maps");

/* Records are built here (the BPF stack is 512 bytes). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trace_bpf_big);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
									  : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* p->numbers[lvl]: numbers is a flexible array, indexed by hand. */
static __always_inline struct upid *upid_at(struct pid *p, unsigned int lvl)
{
	return (struct upid *)((char *)p + bpf_core_field_offset(struct pid, numbers) +
			       (lvl & 63) * bpf_core_type_size(struct upid));
}

/* The task is the space's when its active PID namespace is the space's
 * or one nested below it: walk up from it, at most 32 parents, comparing
 * inodes.  *pid and *tid get its numbers at the space's level (what a
 * process of the space sees), like the ptrace backend's NStgid/NSpid. */
static __always_inline bool in_space(struct task_struct *task, __s32 *pid, __s32 *tid)
{
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	unsigned int lvl = BPF_CORE_READ(tp, level);
	struct pid_namespace *ns = BPF_CORE_READ(upid_at(tp, lvl), ns);

	for (int i = 0; i < NS_DEPTH_MAX && ns; i++) {
		if (BPF_CORE_READ(ns, ns.inum) == space_ino) {
			unsigned int at = BPF_CORE_READ(ns, level);
			struct pid *lp = BPF_CORE_READ(task, group_leader, thread_pid);
			*tid = BPF_CORE_READ(upid_at(tp, at), nr);
			*pid = BPF_CORE_READ(upid_at(lp, at), nr);
			return true;
		}
		ns = BPF_CORE_READ(ns, parent);
	}
	return false;
}

static __always_inline __u64 reg_arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return BPF_CORE_READ(regs, di);
	case 1: return BPF_CORE_READ(regs, si);
	case 2: return BPF_CORE_READ(regs, dx);
	case 3: return BPF_CORE_READ(regs, r10); /* the syscall ABI's 4th */
	case 4: return BPF_CORE_READ(regs, r8);
	default: return BPF_CORE_READ(regs, r9);
	}
}

static __always_inline __u64 arg_of(const struct trace_bpf_head *h, __u8 idx1)
{
	__u32 i = idx1 - 1;
	if (i > 5) /* bounds the index for the verifier; plans never say more */
		i = 5;
	return h->args[i];
}

/* argv: the pointers, then each string, into the per-thread argv map. */
static __always_inline void capture_argv(__u32 tid, struct trace_bpf_argv *a, __u64 addr,
					 struct trace_bpf_head *h)
{
	h->argc = 0;
	for (int i = 0; i < TRACE_BPF_ARGV; i++) {
		if (bpf_probe_read_user(&a->ptr[i], sizeof(a->ptr[i]),
					(const void *)(addr + i * sizeof(__u64))) < 0)
			break;
		h->argc = i + 1;
		if (!a->ptr[i])
			break;
		a->len[i] = bpf_probe_read_user_str(a->s[i], TRACE_BPF_STR,
						    (const void *)a->ptr[i]);
	}
	if (bpf_map_update_elem(&pending_argv, &tid, a, BPF_ANY) == 0)
		h->flags |= TRACE_BPF_F_ARGV;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(trace_bpf_enter, struct pt_regs *regs, long id)
{
	__u32 k = 0, nr = (__u32)id;
	struct task_struct *task = bpf_get_current_task_btf();
	bool compat = BPF_CORE_READ(task, thread_info.status) & TS_COMPAT_BIT;
	struct trace_bpf_plan *plan = NULL;
	__s32 pid, tid;

	/* cheap tests first: this runs for every call on the host */
	if (compat) {
		struct trace_bpf_conf *c = bpf_map_lookup_elem(&conf, &k);
		if (!c || !c->compat)
			return 0;
	} else {
		if (id < 0 || id >= TRACE_BPF_NR_MAX)
			nr = TRACE_BPF_NR_MAX - 1; /* unnamed numbers: as wanted as the last one */
		plan = bpf_map_lookup_elem(&plans, &nr);
		if (!plan || !plan->want)
			return 0;
	}
	if (!in_space(task, &pid, &tid))
		return 0;
	struct trace_bpf_big *b = bpf_map_lookup_elem(&scratch, &k);
	if (!b)
		return 0;
	struct trace_bpf_head *h = &b->s.h;
	h->kind = TRACE_BPF_SYSCALL;
	h->flags = compat ? TRACE_BPF_F_COMPAT : 0;
	h->t_ns = bpf_ktime_get_boot_ns();
	h->pid = pid;
	h->tid = tid;
	h->ppid = 0;
	h->nr = id;
	h->ret = 0;
	h->argc = 0;
	h->sa_len = -1;
	for (int i = 0; i < 6; i++)
		h->args[i] = compat ? 0 : reg_arg(regs, i);
	for (int i = 0; i < TRACE_BPF_STRS; i++) {
		__u8 at = plan ? plan->str[i] : 0;
		h->str_len[i] = -1;
		if (!at)
			continue;
		h->flags |= TRACE_BPF_F_STRS;
		h->str_len[i] = bpf_probe_read_user_str(b->s.str[i], TRACE_BPF_STR,
							(const void *)arg_of(h, at));
	}
	if (plan && plan->sa) {
		__u32 li = plan->sa; /* the length follows the address */
		if (li > 5)
			li = 5;
		__u64 len = h->args[li];
		h->flags |= TRACE_BPF_F_STRS;
		if (len > TRACE_BPF_SA)
			len = TRACE_BPF_SA;
		if (len && bpf_probe_read_user(b->s.sa, (__u32)len,
					       (const void *)arg_of(h, plan->sa)) == 0)
			h->sa_len = (__s32)len;
	}
	__u32 key = (__u32)bpf_get_current_pid_tgid();
	if (plan && plan->argv)
		capture_argv(key, &b->a, arg_of(h, plan->argv), h);
	bpf_map_update_elem(&pending, &key, &b->s, BPF_ANY);
	return 0;
}

/* The pending call of tid goes out (ret, or none with NORET). */
static __always_inline void emit_pending(__u32 tid, __s64 ret, __u32 more_flags)
{
	struct trace_bpf_small *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return;
	p->h.ret = ret;
	p->h.flags |= more_flags;
	if (p->h.flags & TRACE_BPF_F_ARGV) {
		struct trace_bpf_argv *a = bpf_map_lookup_elem(&pending_argv, &tid);
		struct trace_bpf_big *out = NULL;
		if (a)
			out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
		if (out) {
			bpf_probe_read_kernel(&out->s, sizeof(out->s), p);
			bpf_probe_read_kernel(&out->a, sizeof(out->a), a);
			bpf_ringbuf_submit(out, wake_flag());
		} else {
			count_drop();
		}
		bpf_map_delete_elem(&pending_argv, &tid);
	} else {
		__u64 size = (p->h.flags & TRACE_BPF_F_STRS) ? sizeof(*p) : sizeof(p->h);
		if (bpf_ringbuf_output(&events, p, size, wake_flag()) < 0)
			count_drop();
	}
	bpf_map_delete_elem(&pending, &tid);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(trace_bpf_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* As at entry, the cheap test first: a 64-bit call nobody wants has
	 * no pending entry, and the hash lookup below would be paid by every
	 * call on the host.  (The number is the entry's: orig_ax.) */
	if (!(BPF_CORE_READ(task, thread_info.status) & TS_COMPAT_BIT)) {
		__u32 nr = (__u32)BPF_CORE_READ(regs, orig_ax);
		if (nr >= TRACE_BPF_NR_MAX)
			nr = TRACE_BPF_NR_MAX - 1;
		struct trace_bpf_plan *plan = bpf_map_lookup_elem(&plans, &nr);
		if (!plan || !plan->want)
			return 0;
	}
	emit_pending((__u32)bpf_get_current_pid_tgid(), ret, 0);
	return 0;
}

static __always_inline bool records_wanted(void)
{
	__u32 k = 0;
	struct trace_bpf_conf *c = bpf_map_lookup_elem(&conf, &k);
	return c && c->any;
}

static __always_inline void emit_proc(__u32 kind, __s32 pid, __s32 ppid)
{
	struct trace_bpf_head *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		count_drop();
		return;
	}
	__builtin_memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->t_ns = bpf_ktime_get_boot_ns();
	h->pid = pid;
	h->tid = pid;
	h->ppid = ppid;
	bpf_ringbuf_submit(h, wake_flag());
}

/* New processes, so a reader following one process follows its children. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(trace_bpf_fork, struct task_struct *parent, struct task_struct *child)
{
	__s32 pid, tid, ppid = 0, ptid;
	if (!records_wanted() || BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread, not a process */
	if (!in_space(child, &pid, &tid))
		return 0;
	if (!in_space(parent, &ppid, &ptid))
		ppid = 0;
	emit_proc(TRACE_BPF_FORK, pid, ppid);
	return 0;
}

/* A thread ends: its pending call never returns (exit, exit_group, a
 * kill); the last thread of a process ends the process. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(trace_bpf_proc_exit, struct task_struct *task)
{
	__s32 pid, tid;
	emit_pending((__u32)BPF_CORE_READ(task, pid), 0, TRACE_BPF_F_NORET);
	if (!records_wanted() || BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (in_space(task, &pid, &tid))
		emit_proc(TRACE_BPF_EXIT, pid, 0);
	return 0;
}
