/* sandbox.c - the seccomp deny-list and the Landlock scope of space processes.
 *
 * The seccomp filter allows by default: a space already runs with a small
 * docker-like capability set, so the list only closes what capabilities do
 * not cover or what the kernel does not namespace.  It follows Docker's
 * default profile (moby/profiles seccomp/default.json), turned into a
 * deny-list.  Groups, and why each is denied:
 *
 * - ABI: the numbers below are x86_64 numbers, so any other audit arch
 *   (i386 through int 0x80) kills the process; x32 numbers get EPERM.
 * - keyctl, add_key, request_key: kernel keyrings are not namespaced; keys
 *   of the host and of other spaces live in the same kernel.
 * - bpf, perf_event_open, userfaultfd, io_uring_*: large kernel attack
 *   surface no space needs (userfaultfd makes kernel races easy to win;
 *   io_uring and bpf are a steady source of kernel exploits; perf leaks
 *   kernel addresses).
 * - init/finit/delete_module, kexec_load, kexec_file_load: replace or
 *   extend the running kernel.
 * - open_by_handle_at, name_to_handle_at: open any inode of a filesystem by
 *   its handle, escaping the space's root ("shocker"); audit spaces keep
 *   CAP_DAC_READ_SEARCH, which is all open_by_handle_at asks for.
 * - mount, umount2, pivot_root and the new mount API (move_mount,
 *   open_tree, open_tree_attr, fsopen, fsconfig, fsmount, fspick,
 *   mount_setattr): a space's root and masks are hsd's, not the space's.
 * - setns; unshare and clone with any CLONE_NEW* flag: a new user namespace
 *   hands back every capability inside it and with them kernel code that
 *   otherwise needs CAP_SYS_ADMIN.  clone3 keeps its flags in memory the
 *   filter cannot read, so it gets ENOSYS and glibc falls back to clone.
 * - swapon, swapoff, reboot, syslog, acct, quotactl, quotactl_fd,
 *   settimeofday, clock_settime, clock_adjtime, adjtimex, vhangup: act on
 *   the whole host (time, swap, kernel log, accounting, terminals).
 * - kcmp, fanotify_init: compare other processes' kernel objects, watch a
 *   whole filesystem.
 * - iopl, ioperm: raw I/O ports.  uselib, ustat, sysfs, _sysctl,
 *   lookup_dcookie, nfsservctl: obsolete, only old attack surface.
 * - personality other than Docker's values (0, PER_LINUX32, UNAME26 and
 *   both, 0xffffffff to query): e.g. READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE
 *   weaken exploit mitigations.
 * - ioctl TIOCSTI, TIOCLINUX: push input into a terminal the operator may
 *   share (TIOCLINUX on a virtual console).
 * - socket AF_VSOCK (reaches the hypervisor host, not namespaced by
 *   default) and AF_ALG (kernel crypto API), as Docker does today.
 *
 * Arguments the kernel reads as (unsigned) int (clone flags, ioctl request,
 * personality, socket family) are compared on their low 32 bits only, so
 * garbage in the high bits cannot slip a value past the filter.  unshare
 * takes a long but refuses any high bit, and all CLONE_NEW* are low bits.
 *
 * ptrace stays allowed: processes of one space may debug each other; the
 * Landlock domain keeps them away from everything outside the space.
 *
 * The list is checked linearly: since Linux 5.11 the kernel caches, per
 * filter, the syscalls whose verdict is ALLOW whatever their arguments, so
 * ordinary calls never run the program at all.
 */
#include "sandbox.h"
#include "err.h"
#include "seccomp_asm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <asm/unistd.h> /* __X32_SYSCALL_BIT */
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#define SB_X32_BIT ((uint32_t)__X32_SYSCALL_BIT)
/* Linux 6.15; the number is ABI, Debian 12's headers just predate it. */
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif
/* Another architecture needs its own branch here: its audit arch, how its
 * compat ABIs are told apart (the arch check kills other audit arches), and
 * its arch-only syscalls in sb_denied. */
#elif defined(__aarch64__)
#error "hsd/space/sandbox.c: no space seccomp filter for aarch64 yet (only x86_64)"
#elif defined(__i386__)
#error "hsd/space/sandbox.c: no space seccomp filter for i386 (only x86_64)"
#elif defined(__riscv)
#error "hsd/space/sandbox.c: no space seccomp filter for riscv yet (only x86_64)"
#else
#error "hsd/space/sandbox.c: no space seccomp filter for this architecture (only x86_64)"
#endif


#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

/* Syscalls that always fail with EPERM, grouped as in the comment above. */
static const uint32_t sb_denied[] = {
	__NR_keyctl, __NR_add_key, __NR_request_key,
	__NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
	__NR_init_module, __NR_finit_module, __NR_delete_module,
	__NR_kexec_load, __NR_kexec_file_load,
	__NR_open_by_handle_at, __NR_name_to_handle_at,
	__NR_mount, __NR_umount2, __NR_pivot_root, __NR_move_mount,
	__NR_open_tree, __NR_open_tree_attr, __NR_fsopen, __NR_fsconfig,
	__NR_fsmount, __NR_fspick, __NR_mount_setattr,
	__NR_setns,
	__NR_swapon, __NR_swapoff, __NR_reboot, __NR_syslog, __NR_acct,
	__NR_quotactl, __NR_quotactl_fd,
	__NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex,
	__NR_vhangup,
	__NR_kcmp, __NR_fanotify_init,
	__NR_lookup_dcookie, __NR_nfsservctl,
#if defined(__x86_64__)
	/* not in the generic syscall table other architectures use */
	__NR_iopl, __NR_ioperm, __NR_uselib, __NR_ustat, __NR_sysfs, __NR__sysctl,
#endif
};

/* personality() values Docker allows: PER_LINUX, PER_LINUX32, UNAME26,
 * PER_LINUX32|UNAME26, and 0xffffffff, which only queries. */
static const uint32_t sb_personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffffu};

#define SB_NS_FLAGS                                                                   \
	((uint32_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |       \
		    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME))
/* For clone() the CLONE_NEWTIME bit lies in the exit signal byte (clone()
 * cannot ask for a time namespace); a signal >= 128 is invalid anyway, so
 * one mask serves both clone and unshare. */

enum sb_label {
	SB_NEXT = SECCOMP_ASM_NEXT, /* fall through */
	SB_ALLOW, SB_EPERM, SB_ENOSYS, SB_KILL,
	SB_X32, SB_NSFLAGS, SB_IOCTL, SB_PERSONA, SB_SOCKET, SB_TCP,
	SB_A2, SB_A1, SB_A0,
};

/* The last instructions, the returns every program jumps to. */
static void sb_returns(struct seccomp_asm *a)
{
	seccomp_asm_place(a, SB_ENOSYS);
	seccomp_asm_ret(a, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	seccomp_asm_place(a, SB_ALLOW);
	seccomp_asm_ret(a, SECCOMP_RET_ALLOW);
	seccomp_asm_place(a, SB_KILL);
	seccomp_asm_ret(a, SECCOMP_RET_KILL_PROCESS);
}

/* The space's deny-list, assembled. */
static void sb_deny_list(struct seccomp_asm *a)
{
	seccomp_asm_load(a, SECCOMP_ASM_ARCH);
	seccomp_asm_jeq(a, SB_AUDIT_ARCH, SB_NEXT, SB_KILL);
	seccomp_asm_load(a, SECCOMP_ASM_NR);
#ifdef SB_X32_BIT
	seccomp_asm_jge(a, SB_X32_BIT, SB_X32, SB_NEXT);
#endif
	for (size_t i = 0; i < sizeof(sb_denied) / sizeof(sb_denied[0]); i++)
		seccomp_asm_jeq(a, sb_denied[i], SB_EPERM, SB_NEXT);
	seccomp_asm_jeq(a, __NR_clone3, SB_ENOSYS, SB_NEXT);
	seccomp_asm_jeq(a, __NR_clone, SB_NSFLAGS, SB_NEXT);
	seccomp_asm_jeq(a, __NR_unshare, SB_NSFLAGS, SB_NEXT);
	seccomp_asm_jeq(a, __NR_ioctl, SB_IOCTL, SB_NEXT);
	seccomp_asm_jeq(a, __NR_personality, SB_PERSONA, SB_NEXT);
	seccomp_asm_jeq(a, __NR_socket, SB_SOCKET, SB_ALLOW);

	/* nr -1 is how a tracer skips a syscall (the kernel runs seccomp again
	 * after the tracer's change); let it through so the tracer's chosen
	 * return value stands.  Every other number up here is x32. */
#ifdef SB_X32_BIT
	seccomp_asm_place(a, SB_X32);
	seccomp_asm_jeq(a, 0xffffffffu, SB_ALLOW, SB_EPERM);
#endif

	seccomp_asm_place(a, SB_NSFLAGS); /* clone: flags; unshare: flags */
	seccomp_asm_load(a, SECCOMP_ASM_ARG_LO(0));
	seccomp_asm_jset(a, SB_NS_FLAGS, SB_EPERM, SB_ALLOW);

	seccomp_asm_place(a, SB_IOCTL); /* ioctl(fd, request, arg) */
	seccomp_asm_load(a, SECCOMP_ASM_ARG_LO(1));
	seccomp_asm_jeq(a, TIOCSTI, SB_EPERM, SB_NEXT);
	seccomp_asm_jeq(a, TIOCLINUX, SB_EPERM, SB_ALLOW);

	seccomp_asm_place(a, SB_PERSONA);
	seccomp_asm_load(a, SECCOMP_ASM_ARG_LO(0));
	size_t np = sizeof(sb_personas) / sizeof(sb_personas[0]);
	for (size_t i = 0; i < np; i++)
		seccomp_asm_jeq(a, sb_personas[i], SB_ALLOW, i + 1 < np ? SB_NEXT : SB_EPERM);

	seccomp_asm_place(a, SB_SOCKET); /* socket(family, type, protocol) */
	seccomp_asm_load(a, SECCOMP_ASM_ARG_LO(0));
	seccomp_asm_jeq(a, AF_VSOCK, SB_EPERM, SB_NEXT);
	seccomp_asm_jeq(a, AF_ALG, SB_EPERM, SB_ALLOW);

	seccomp_asm_place(a, SB_EPERM);
	seccomp_asm_ret(a, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	sb_returns(a);
}

int sandbox_seccomp_build(struct sock_filter *prog, size_t cap, size_t *len,
			  char *err, size_t errlen)
{
	struct seccomp_asm a = {.n = 0};

	sb_deny_list(&a);
	if (seccomp_asm_link(&a) || a.n > cap)
		return err_set(err, errlen, HS_ESYS,
			       "sandbox: the seccomp program does not fit in %zu instructions", cap);
	memcpy(prog, a.ins, a.n * sizeof(*prog));
	*len = a.n;
	return 0;
}

int sandbox_seccomp(char *err, size_t errlen)
{
	struct seccomp_asm a = {.n = 0};

	sb_deny_list(&a);
	/* no_new_privs is what lets an unprivileged process install a filter,
	 * and it keeps a setuid exec from running outside the filter's intent. */
	return seccomp_asm_install(&a, true, "sandbox", err, errlen);
}

int sandbox_seccomp_allow(const struct sandbox_allow *al, const char *who, char *err,
			  size_t errlen)
{
	struct seccomp_asm a = {.n = 0};

	/* listed, they would pass with any argument */
	for (size_t i = 0; i < al->ncalls; i++)
		if (al->calls[i] == __NR_clone || al->calls[i] == __NR_clone3 ||
		    al->calls[i] == __NR_socket || al->calls[i] == __NR_ioctl)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: call %u is allowed by an option, not in the list", who,
				       al->calls[i]);
	seccomp_asm_load(&a, SECCOMP_ASM_ARCH);
	seccomp_asm_jeq(&a, SB_AUDIT_ARCH, SB_NEXT, SB_KILL);
	/* x32 numbers carry a bit no allowed number has: they are killed */
	seccomp_asm_load(&a, SECCOMP_ASM_NR);
	if (al->threads) {
		/* clone3's flags are behind a pointer seccomp cannot read:
		 * ENOSYS, and libc makes its threads with clone instead */
		seccomp_asm_jeq(&a, __NR_clone3, SB_ENOSYS, SB_NEXT);
		seccomp_asm_jeq(&a, __NR_clone, SB_NSFLAGS, SB_NEXT);
	}
	if (al->nfamilies)
		seccomp_asm_jeq(&a, __NR_socket, SB_SOCKET, SB_NEXT);
	if (al->nioctls)
		seccomp_asm_jeq(&a, __NR_ioctl, SB_IOCTL, SB_NEXT);
	for (size_t i = 0; i < al->ncalls; i++)
		seccomp_asm_jeq(&a, al->calls[i], SB_ALLOW, SB_NEXT);
	seccomp_asm_ret(&a, SECCOMP_RET_KILL_PROCESS);

	if (al->threads) {
		/* a thread of this process, never a process or a namespace */
		seccomp_asm_place(&a, SB_NSFLAGS);
		seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(0));
		seccomp_asm_jset(&a, SB_NS_FLAGS, SB_KILL, SB_NEXT);
		seccomp_asm_jset(&a, CLONE_THREAD, SB_ALLOW, SB_KILL);
	}
	if (al->nfamilies) { /* socket(family, type, protocol) */
		seccomp_asm_place(&a, SB_SOCKET);
		seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(0));
		unsigned ok = al->tcp_only ? SB_TCP : SB_ALLOW;
		for (size_t i = 0; i < al->nfamilies; i++)
			seccomp_asm_jeq(&a, al->families[i], ok, i + 1 < al->nfamilies ? SB_NEXT : SB_KILL);
		if (al->tcp_only) {
			seccomp_asm_place(&a, SB_TCP);
			seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(1));
			seccomp_asm_put(&a, BPF_ALU | BPF_AND | BPF_K,
			       ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SB_NEXT, SB_NEXT);
			seccomp_asm_jeq(&a, SOCK_STREAM, SB_NEXT, SB_KILL);
			seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(2));
			seccomp_asm_jeq(&a, 0, SB_ALLOW, SB_NEXT);
			seccomp_asm_jeq(&a, IPPROTO_TCP, SB_ALLOW, SB_KILL);
		}
	}
	if (al->nioctls) { /* ioctl(fd, request, arg) */
		seccomp_asm_place(&a, SB_IOCTL);
		seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(1));
		for (size_t i = 0; i < al->nioctls; i++)
			seccomp_asm_jeq(&a, al->ioctls[i], SB_ALLOW, i + 1 < al->nioctls ? SB_NEXT : SB_KILL);
	}
	sb_returns(&a);

	return seccomp_asm_install(&a, false, who, err, errlen);
}

/* ids: a second filter for audit spaces.  Their user namespace also maps
 * the ids of the servers they watch (userns.h); they keep CAP_SETUID and
 * CAP_SETGID so that an IDS can drop to its own user, and this filter keeps
 * every id they switch to below limit (their own range), -1 meaning "leave
 * it".  The argument is a 32-bit id: its low word is compared. */
int sandbox_seccomp_ids(uint32_t limit, char *err, size_t errlen)
{
	struct seccomp_asm a = {.n = 0};
	static const struct { uint32_t nr; enum sb_label last; } calls[] = {
		{ __NR_setuid, SB_A0 }, { __NR_setgid, SB_A0 }, { __NR_setfsuid, SB_A0 },
		{ __NR_setfsgid, SB_A0 }, { __NR_setreuid, SB_A1 }, { __NR_setregid, SB_A1 },
		{ __NR_setresuid, SB_A2 }, { __NR_setresgid, SB_A2 },
	};
	/* (the space's deny-list, before this one, checks the arch) */
	seccomp_asm_load(&a, SECCOMP_ASM_NR);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		seccomp_asm_jeq(&a, calls[i].nr, calls[i].last, SB_NEXT);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	/* Jumps go only forward: a call's checks run from its last id
	 * argument down to its first, then allow. */
	for (unsigned i = 3; i-- > 0;) {
		seccomp_asm_place(&a, SB_A0 - i);
		seccomp_asm_load(&a, SECCOMP_ASM_ARG_LO(i));
		seccomp_asm_jeq(&a, 0xffffffffu, i ? SB_A0 - i + 1 : SB_ALLOW, SB_NEXT);
		seccomp_asm_jge(&a, limit, SB_EPERM, i ? SB_NEXT : SB_ALLOW);
	}
	seccomp_asm_place(&a, SB_ALLOW);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	seccomp_asm_place(&a, SB_EPERM);
	seccomp_asm_ret(&a, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	return seccomp_asm_install(&a, true, "sandbox: the id filter", err, errlen);
}

/* Debian 12's linux/landlock.h predates scopes (Linux 6.12): our own copy of
 * the attribute layout of ABI 6, which the kernel reads by size. */
struct sb_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
#define SB_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)
#define SB_SCOPE_SIGNAL (1ull << 1)
#define SB_LANDLOCK_SCOPE_ABI 6

int sandbox_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* A ruleset for attr: its fd, or -1 with err filled.  The kernel reads
 * the attribute by size: an older ABI gets the fields it knows. */
static int ruleset_create(const struct sb_ruleset_attr *attr, int abi, char *err, size_t errlen)
{
	size_t size = abi >= SB_LANDLOCK_SCOPE_ABI ? sizeof(*attr)
		      : abi >= 4 ? offsetof(struct sb_ruleset_attr, scoped)
				 : offsetof(struct sb_ruleset_attr, handled_access_net);
	long fd = syscall(__NR_landlock_create_ruleset, attr, size, 0);
	if (fd < 0)
		err_sys(err, errlen, "sandbox: landlock_create_ruleset (ABI %d)", abi);
	return (int)fd;
}

/* Enter the ruleset's domain, and close it. */
static int ruleset_enforce(int fd, char *err, size_t errlen)
{
	long rc = syscall(__NR_landlock_restrict_self, fd, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	if (rc < 0 && saved == EPERM)
		return err_sys(err, errlen,
			       "sandbox: landlock_restrict_self needs no_new_privs or CAP_SYS_ADMIN");
	if (rc < 0)
		return err_sys(err, errlen, "sandbox: landlock_restrict_self");
	return 0;
}

static int landlock_restrict(const struct sb_ruleset_attr *attr, int abi, char *err,
			     size_t errlen)
{
	int fd = ruleset_create(attr, abi, err, errlen);
	return fd < 0 ? HS_ESYS : ruleset_enforce(fd, err, errlen);
}

/* Every file access right the kernel's ABI knows. */
static uint64_t fs_all(int abi)
{
	static const uint64_t end[] = { 0, 1ull << 13, 1ull << 14, 1ull << 15, 1ull << 15,
					1ull << 16, 1ull << 16 };
	int top = (int)(sizeof(end) / sizeof(end[0])) - 1;
	return end[abi < top ? abi : top] - 1;
}

int sandbox_landlock_scope(char *err, size_t errlen)
{
	int abi = sandbox_landlock_abi();
	if (abi < SB_LANDLOCK_SCOPE_ABI)
		return err_set(err, errlen, HS_ESYS,
			       "sandbox: Landlock scopes need ABI %d (Linux 6.12+), this kernel has ABI %d",
			       SB_LANDLOCK_SCOPE_ABI, abi);
	/* Nothing handled, only scoped: the domain restricts no file or port,
	 * it only separates this process tree from everything outside it
	 * (ptrace is always scoped by Landlock, signals and abstract unix
	 * sockets by these two flags). */
	struct sb_ruleset_attr attr = {
		.scoped = SB_SCOPE_ABSTRACT_UNIX_SOCKET | SB_SCOPE_SIGNAL,
	};
	return landlock_restrict(&attr, abi, err, errlen);
}

int sandbox_landlock_nothing(char *err, size_t errlen)
{
	int abi = sandbox_landlock_abi();
	if (abi < 1)
		return err_set(err, errlen, HS_ESYS, "sandbox: this kernel has no Landlock");
	/* Every access right the kernel's ABI knows is handled and no rule
	 * grants one: no file can be opened, created or executed. */
	struct sb_ruleset_attr attr = {
		.handled_access_fs = fs_all(abi),
		.handled_access_net = 3, /* bind and connect TCP (ABI 4) */
		.scoped = SB_SCOPE_ABSTRACT_UNIX_SOCKET | SB_SCOPE_SIGNAL,
	};
	return landlock_restrict(&attr, abi, err, errlen);
}

/* Debian 12's linux/landlock.h predates network rules (Linux 6.7, ABI 4):
 * our own copy of the port rule's layout. */
struct sb_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
#define SB_RULE_NET_PORT 2
#define SB_NET_BIND_TCP (1ull << 0)
#define SB_NET_CONNECT_TCP (1ull << 1)

static int add_rule(int ruleset, int type, const void *attr, char *err, size_t errlen)
{
	if (syscall(__NR_landlock_add_rule, ruleset, type, attr, 0) < 0)
		return err_sys(err, errlen, "sandbox: landlock_add_rule (type %d)", type);
	return 0;
}

int sandbox_landlock_beneath(int dirfd, uint16_t port, char *err, size_t errlen)
{
	int abi = sandbox_landlock_abi();
	if (abi < 1)
		return err_set(err, errlen, HS_ESYS, "sandbox: this kernel has no Landlock");
	struct sb_ruleset_attr attr = {
		.handled_access_fs = fs_all(abi),
		.handled_access_net = SB_NET_BIND_TCP | SB_NET_CONNECT_TCP,
		.scoped = SB_SCOPE_ABSTRACT_UNIX_SOCKET | SB_SCOPE_SIGNAL,
	};
	int fd = ruleset_create(&attr, abi, err, errlen);
	if (fd < 0)
		return HS_ESYS;
	/* Everything beneath the directory but running what is there. */
	struct landlock_path_beneath_attr dir = {
		.allowed_access = attr.handled_access_fs & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE,
		.parent_fd = dirfd,
	};
	struct sb_net_port_attr bind_port = { SB_NET_BIND_TCP, port };
	struct sb_net_port_attr connect_port = { SB_NET_CONNECT_TCP, port };
	int rc = add_rule(fd, LANDLOCK_RULE_PATH_BENEATH, &dir, err, errlen);
	if (!rc && abi >= 4)
		rc = add_rule(fd, SB_RULE_NET_PORT, &bind_port, err, errlen);
	if (!rc && abi >= 4)
		rc = add_rule(fd, SB_RULE_NET_PORT, &connect_port, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return ruleset_enforce(fd, err, errlen);
}

int sandbox_helper(const struct sandbox_allow *al, int dirfd, uint16_t port, const char *who,
		   char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_sys(err, errlen, "%s: prctl(PR_SET_DUMPABLE)", who);
	/* opened before Landlock, put in place once all is in: until then an
	 * error still reaches stderr */
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return err_sys(err, errlen, "%s: open /dev/null", who);
	int rc = dirfd < 0 ? sandbox_landlock_nothing(err, errlen)
			   : sandbox_landlock_beneath(dirfd, port, err, errlen);
	if (!rc)
		rc = sandbox_seccomp_allow(al, who, err, errlen);
	if (!rc && dup2(null, STDERR_FILENO) < 0)
		rc = err_sys(err, errlen, "%s: put stderr away", who);
	close(null);
	return rc;
}
