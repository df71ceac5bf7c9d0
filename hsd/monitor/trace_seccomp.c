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
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "err.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

#define X32_BIT 0x40000000u

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4) /* little endian */

/* Jumps are written to symbolic labels and resolved at the end, so the
 * program can be read top to bottom. */
enum label {
	L_NONE, L_ALLOW, L_DENY, L_KILL, L_PTRACE, L_OPTS, L_OPEN1, L_OPEN2,
	L_IOCTL, L_BPF, L_NLABELS
};

struct prog {
	struct sock_filter ins[96];
	uint8_t jt[96], jf[96]; /* labels to resolve, L_NONE = fall through */
	unsigned n;
	unsigned at[L_NLABELS];
};

static void emit(struct prog *p, uint16_t code, uint32_t k, enum label jt, enum label jf)
{
	p->ins[p->n] = (struct sock_filter)BPF_STMT(code, k);
	p->jt[p->n] = (uint8_t)jt;
	p->jf[p->n] = (uint8_t)jf;
	p->n++;
}

static void mark(struct prog *p, enum label l)
{
	p->at[l] = p->n;
}

static int resolve(struct prog *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (p->jt[i] != L_NONE) {
			unsigned to = p->at[p->jt[i]];
			if (to <= i || to - i - 1 > 255)
				return -1;
			p->ins[i].jt = (uint8_t)(to - i - 1);
		}
		if (p->jf[i] != L_NONE) {
			unsigned to = p->at[p->jf[i]];
			if (to <= i || to - i - 1 > 255)
				return -1;
			p->ins[i].jf = (uint8_t)(to - i - 1);
		}
	}
	return 0;
}

static const uint32_t ptrace_allowed[] = {
	PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSER, PTRACE_GETREGS,
	PTRACE_GETFPREGS, PTRACE_GETREGSET, PTRACE_GETSIGINFO,
	PTRACE_PEEKSIGINFO, PTRACE_GETEVENTMSG, PTRACE_GET_SYSCALL_INFO,
	PTRACE_INTERRUPT, PTRACE_LISTEN, PTRACE_CONT, PTRACE_SYSCALL,
	PTRACE_DETACH,
};

int trace_seccomp_install(char *err, size_t errlen)
{
	struct prog p = {.n = 0};
	const uint16_t LD = BPF_LD | BPF_W | BPF_ABS;
	const uint16_t JEQ = BPF_JMP | BPF_JEQ | BPF_K;
	const uint16_t JGE = BPF_JMP | BPF_JGE | BPF_K;
	const uint16_t JSET = BPF_JMP | BPF_JSET | BPF_K;

	/* Another ABI would have other syscall numbers: kill outright. */
	emit(&p, LD, offsetof(struct seccomp_data, arch), 0, 0);
	emit(&p, JEQ, AUDIT_ARCH_X86_64, L_NONE, L_KILL);
	emit(&p, LD, offsetof(struct seccomp_data, nr), 0, 0);
	emit(&p, JGE, X32_BIT, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_ptrace, L_PTRACE, L_NONE);
	emit(&p, JEQ, __NR_process_vm_writev, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_pidfd_getfd, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_creat, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_openat2, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_ioctl, L_IOCTL, L_NONE);
	emit(&p, JEQ, __NR_bpf, L_BPF, L_NONE);
	emit(&p, JEQ, __NR_perf_event_open, L_DENY, L_NONE);
	emit(&p, JEQ, __NR_open, L_OPEN1, L_NONE);
	emit(&p, JEQ, __NR_openat, L_OPEN2, L_ALLOW);

	/* ioctl(fd, cmd): the kernel reads cmd as 32 bits, so do we */
	mark(&p, L_IOCTL);
	emit(&p, LD, ARG_LO(1), 0, 0);
	emit(&p, JEQ, NS_GET_PARENT, L_ALLOW, L_DENY);

	/* bpf(cmd, ...): maps only; cmd is an int, read as 32 bits */
	mark(&p, L_BPF);
	emit(&p, LD, ARG_LO(0), 0, 0);
	emit(&p, JEQ, BPF_MAP_LOOKUP_ELEM, L_ALLOW, L_NONE);
	emit(&p, JEQ, BPF_MAP_UPDATE_ELEM, L_ALLOW, L_NONE);
	emit(&p, JEQ, BPF_MAP_DELETE_ELEM, L_ALLOW, L_NONE);
	emit(&p, JEQ, BPF_MAP_GET_NEXT_KEY, L_ALLOW, L_DENY);

	/* open(path, flags): read-only, no create, no truncate */
	mark(&p, L_OPEN1);
	emit(&p, LD, ARG_LO(1), 0, 0);
	emit(&p, JSET, O_ACCMODE | O_CREAT | O_TRUNC, L_DENY, L_ALLOW);
	mark(&p, L_OPEN2);
	emit(&p, LD, ARG_LO(2), 0, 0);
	emit(&p, JSET, O_ACCMODE | O_CREAT | O_TRUNC, L_DENY, L_ALLOW);

	mark(&p, L_PTRACE);
	emit(&p, LD, ARG_HI(0), 0, 0);
	emit(&p, JEQ, 0, L_NONE, L_DENY);
	emit(&p, LD, ARG_LO(0), 0, 0);
	emit(&p, JEQ, PTRACE_SEIZE, L_OPTS, L_NONE);
	emit(&p, JEQ, PTRACE_SETOPTIONS, L_OPTS, L_NONE);
	size_t nallowed = sizeof(ptrace_allowed) / sizeof(ptrace_allowed[0]);
	for (size_t i = 0; i < nallowed; i++)
		emit(&p, JEQ, ptrace_allowed[i], L_ALLOW,
		     i + 1 == nallowed ? L_DENY : L_NONE);

	/* options are in data (arg 3) for both SEIZE and SETOPTIONS */
	mark(&p, L_OPTS);
	emit(&p, LD, ARG_LO(3), 0, 0);
	emit(&p, JSET, PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP, L_DENY, L_NONE);
	emit(&p, LD, ARG_HI(3), 0, 0);
	emit(&p, JEQ, 0, L_ALLOW, L_DENY);

	mark(&p, L_DENY);
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA), 0, 0);
	mark(&p, L_ALLOW);
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	mark(&p, L_KILL);
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);

	if (resolve(&p))
		return err_set(err, errlen, HS_ESYS, "trace: seccomp program layout");
	struct sock_fprog fprog = {.len = (unsigned short)p.n, .filter = p.ins};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, errlen, "trace: PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
		return err_sys(err, errlen, "trace: install seccomp filter");
	return 0;
}
