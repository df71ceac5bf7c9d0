/* trace_seccomp.c - defense in depth for the session process: a seccomp
 * filter that lets ptrace only observe.
 *
 * Allowed ptrace requests: PEEK{TEXT,DATA,USER}, GETREGS, GETFPREGS,
 * GETREGSET, GETSIGINFO, PEEKSIGINFO, GETEVENTMSG, GET_SYSCALL_INFO,
 * SEIZE/INTERRUPT/LISTEN, CONT/SYSCALL/DETACH, SETOPTIONS; SEIZE and
 * SETOPTIONS only without PTRACE_O_EXITKILL and PTRACE_O_SUSPEND_SECCOMP.
 * Everything else (POKE*, SETREGS*, SETSIGINFO, KILL, SINGLESTEP, ATTACH,
 * TRACEME, ...) fails with EPERM.  process_vm_writev and pidfd_getfd
 * always fail, and so does opening any file for writing (this also covers
 * /proc/PID/mem), creat and openat2 (its flags are behind a pointer).
 *
 * ioctl is allowed only as NS_GET_PARENT, which the session needs to tell
 * whether a nested PID namespace is below the space's; any other ioctl
 * (TIOCSTI into a terminal the session inherited, ...) fails with EPERM.
 *
 * bpf is allowed only for reading and updating maps (MAP_LOOKUP_ELEM,
 * MAP_UPDATE_ELEM, MAP_DELETE_ELEM, MAP_GET_NEXT_KEY): the session
 * changes what its eBPF program keeps and reads its drop counter, but
 * it loaded and attached that program before the filter went in, and can
 * load, attach or create nothing after (PROG_LOAD, MAP_CREATE,
 * LINK_CREATE, RAW_TRACEPOINT_OPEN, BTF_LOAD, *_GET_FD_BY_ID, ... fail
 * with EPERM).  perf_event_open (which could attach programs to other
 * events) always fails.
 *
 * What seccomp cannot check: the signal argument of CONT/SYSCALL/DETACH.
 * trace_session.c only ever passes the signal of the signal-delivery-stop
 * the tracee is in (or 0), from one place each for resuming (tracee_resume)
 * and detaching (detach_signal).
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "err.h"
#include "seccomp_asm.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

#define X32_BIT 0x40000000u

enum label { L_NONE = SECCOMP_ASM_NEXT, L_ALLOW, L_DENY, L_KILL, L_PTRACE, L_OPTS, L_OPEN1,
	     L_OPEN2, L_IOCTL, L_BPF };

static const uint32_t ptrace_allowed[] = {
	PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSER, PTRACE_GETREGS,
	PTRACE_GETFPREGS, PTRACE_GETREGSET, PTRACE_GETSIGINFO,
	PTRACE_PEEKSIGINFO, PTRACE_GETEVENTMSG, PTRACE_GET_SYSCALL_INFO,
	PTRACE_INTERRUPT, PTRACE_LISTEN, PTRACE_CONT, PTRACE_SYSCALL,
	PTRACE_DETACH,
};

int trace_seccomp_install(char *err, size_t errlen)
{
	struct seccomp_asm a = {.n = 0};

	/* Another ABI would have other syscall numbers: kill outright. */
	seccomp_asm_load(&a, SECCOMP_ASM_ARCH);
	seccomp_asm_jeq(&a, AUDIT_ARCH_X86_64, L_NONE, L_KILL);
	seccomp_asm_load(&a, SECCOMP_ASM_NR);
	seccomp_asm_jge(&a, X32_BIT, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_ptrace, L_PTRACE, L_NONE);
	seccomp_asm_jeq(&a, __NR_process_vm_writev, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_pidfd_getfd, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_creat, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_openat2, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_ioctl, L_IOCTL, L_NONE);
	seccomp_asm_jeq(&a, __NR_bpf, L_BPF, L_NONE);
	seccomp_asm_jeq(&a, __NR_perf_event_open, L_DENY, L_NONE);
	seccomp_asm_jeq(&a, __NR_open, L_OPEN1, L_NONE);
	seccomp_asm_jeq(&a, __NR_openat, L_OPEN2, L_ALLOW);

	/* ioctl(fd, cmd): the kernel reads cmd as 32 bits, so do we */
	seccomp_asm_place(&a, L_IOCTL);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(1));
	seccomp_asm_jeq(&a, NS_GET_PARENT, L_ALLOW, L_DENY);

	/* bpf(cmd, ...): maps only; cmd is an int, read as 32 bits */
	seccomp_asm_place(&a, L_BPF);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(0));
	seccomp_asm_jeq(&a, BPF_MAP_LOOKUP_ELEM, L_ALLOW, L_NONE);
	seccomp_asm_jeq(&a, BPF_MAP_UPDATE_ELEM, L_ALLOW, L_NONE);
	seccomp_asm_jeq(&a, BPF_MAP_DELETE_ELEM, L_ALLOW, L_NONE);
	seccomp_asm_jeq(&a, BPF_MAP_GET_NEXT_KEY, L_ALLOW, L_DENY);

	/* open(path, flags): read-only, no create, no truncate */
	seccomp_asm_place(&a, L_OPEN1);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(1));
	seccomp_asm_jset(&a, O_ACCMODE | O_CREAT | O_TRUNC, L_DENY, L_ALLOW);
	seccomp_asm_place(&a, L_OPEN2);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(2));
	seccomp_asm_jset(&a, O_ACCMODE | O_CREAT | O_TRUNC, L_DENY, L_ALLOW);

	seccomp_asm_place(&a, L_PTRACE);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_HI(0));
	seccomp_asm_jeq(&a, 0, L_NONE, L_DENY);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(0));
	seccomp_asm_jeq(&a, PTRACE_SEIZE, L_OPTS, L_NONE);
	seccomp_asm_jeq(&a, PTRACE_SETOPTIONS, L_OPTS, L_NONE);
	size_t nallowed = sizeof(ptrace_allowed) / sizeof(ptrace_allowed[0]);
	for (size_t i = 0; i < nallowed; i++)
		seccomp_asm_jeq(&a, ptrace_allowed[i], L_ALLOW, i + 1 == nallowed ? L_DENY : L_NONE);

	/* options are in data (arg 3) for both SEIZE and SETOPTIONS */
	seccomp_asm_place(&a, L_OPTS);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(3));
	seccomp_asm_jset(&a, PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP, L_DENY, L_NONE);
	seccomp_asm_load(&a, SECCOMP_ASM_ARG_HI(3));
	seccomp_asm_jeq(&a, 0, L_ALLOW, L_DENY);

	seccomp_asm_place(&a, L_DENY);
	seccomp_asm_ret(&a, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	seccomp_asm_place(&a, L_ALLOW);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	seccomp_asm_place(&a, L_KILL);
	seccomp_asm_ret(&a, SECCOMP_RET_KILL_PROCESS);

	return seccomp_asm_install(&a, true, "trace", err, errlen);
}
