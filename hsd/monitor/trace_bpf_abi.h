/* trace_bpf_abi.h - the records the eBPF program (bpf/trace_bpf.bpf.c)
 * writes to its ring buffer and the per-syscall capture plan userspace
 * gives it.  Shared by both sides, so only fixed-size __u/__s types: the
 * BPF side gets them from vmlinux.h, userspace from <linux/types.h>.
 */
#ifndef HS_TRACE_BPF_ABI_H
#define HS_TRACE_BPF_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TRACE_BPF_NR_MAX 512 /* = SYSCALLS_NR_MAX */
/* A string slot: 256 bytes (str_max), one more to tell a string of 256
 * from a longer one, and the NUL bpf_probe_read_user_str always adds. */
#define TRACE_BPF_STR 258
#define TRACE_BPF_STRS 3     /* path arguments of one call (mount has 3) */
#define TRACE_BPF_SA 128     /* sizeof(struct sockaddr_storage) */
#define TRACE_BPF_ARGV 32    /* argv_max */

enum trace_bpf_kind {
	TRACE_BPF_SYSCALL = 1, /* a call, emitted at its exit */
	TRACE_BPF_FORK = 2,    /* a new process (not thread) in the space */
	TRACE_BPF_EXIT = 3,    /* a process's last thread exited */
};

#define TRACE_BPF_F_COMPAT 0x1u /* another ABI (int 0x80): no arguments */
#define TRACE_BPF_F_NORET 0x2u  /* never returned (exit_group, killed) */
#define TRACE_BPF_F_STRS 0x4u   /* the record has the string/sockaddr part */
#define TRACE_BPF_F_ARGV 0x8u   /* ... and the argv part */

/* What to capture for syscall nr (an array map indexed by nr). */
struct trace_bpf_plan {
	__u8 want;                  /* some eBPF reader wants nr */
	__u8 str[TRACE_BPF_STRS];   /* argument index + 1 of each path, 0 = none */
	__u8 sa;                    /* argument index + 1 of a sockaddr (len follows) */
	__u8 argv;                  /* argument index + 1 of an argv array */
	__u8 pad[2];
};

/* Settings userspace changes while the program runs (array, one entry). */
struct trace_bpf_conf {
	__u32 any;    /* some eBPF reader is active: fork/exit records wanted */
	__u32 compat; /* some eBPF reader takes every call (no filter): compat too */
};

struct trace_bpf_head {
	__u32 kind;  /* enum trace_bpf_kind */
	__u32 flags; /* TRACE_BPF_F_* */
	__u64 t_ns;  /* CLOCK_BOOTTIME at entry */
	__s32 pid;   /* thread group, as the server space numbers it */
	__s32 tid;   /* thread, same */
	__s32 ppid;  /* FORK: the parent's pid there, 0 if outside */
	__s32 pad;
	__s64 nr;
	__s64 ret;
	__u64 args[6];
	__s32 str_len[TRACE_BPF_STRS]; /* bpf_probe_read_user_str's result */
	__s32 sa_len;                  /* bytes of sa read, -1 unreadable */
	__u32 argc;                    /* argv pointers read (a NULL included) */
};

struct trace_bpf_small {
	struct trace_bpf_head h;
	char str[TRACE_BPF_STRS][TRACE_BPF_STR];
	__u8 sa[TRACE_BPF_SA];
};

struct trace_bpf_argv {
	__u64 ptr[TRACE_BPF_ARGV];
	__s32 len[TRACE_BPF_ARGV];
	char s[TRACE_BPF_ARGV][TRACE_BPF_STR];
};

/* The largest record: an execve with its argv. */
struct trace_bpf_big {
	struct trace_bpf_small s;
	struct trace_bpf_argv a;
};

#endif
