/* syscalls.h - x86_64 syscall names and how to decode their arguments.
 *
 * The trace broker reports every syscall by name; for the ones an IDS
 * cares about (files, exec, sockets, credentials, signals, ptrace, mount)
 * it also says what each argument is, so trace_decode.c can turn raw
 * register values into paths, flags and addresses.  x86_64 only: the
 * broker refuses to run elsewhere rather than mislabel syscalls.
 */
#ifndef HS_SYSCALLS_H
#define HS_SYSCALLS_H

#include <stdint.h>

#define SYSCALLS_NR_MAX 512 /* table size; numbers at or above are unnamed */

/* What one argument register holds. */
enum sc_arg {
	SC_NONE = 0,  /* no such argument */
	SC_INT,       /* signed decimal */
	SC_UINT,      /* unsigned decimal (counts, sizes) */
	SC_PTR,       /* address, shown as hex, never dereferenced */
	SC_FD,        /* file descriptor */
	SC_DIRFD,     /* fd or AT_FDCWD */
	SC_PATH,      /* NUL-terminated string in tracee memory */
	SC_OFLAGS,    /* open(2) flags */
	SC_MODE,      /* permission bits, octal */
	SC_ATFLAGS,   /* AT_* flags */
	SC_ARGV,      /* NULL-terminated array of strings (execve argv) */
	SC_SOCKADDR,  /* struct sockaddr *, length in the next argument */
	SC_SIG,       /* signal number */
	SC_PTRACE,    /* ptrace request */
	SC_CLONE,     /* clone flags */
	SC_MOUNTFL,   /* mount flags */
	SC_RENAMEFL,  /* renameat2 flags */
	SC_DOMAIN,    /* socket domain */
	SC_SOCKTYPE,  /* socket type + SOCK_* flags */
	SC_ID,        /* uid/gid; -1 means "unchanged" */
	SC_HEX,       /* flags we do not name, hex */
};

struct syscall_desc {
	const char *name;
	uint8_t nargs;
	uint8_t arg[6]; /* enum sc_arg */
};

/* Name of syscall nr, or NULL when unknown. */
const char *syscalls_name(long nr);
/* Number of a syscall by name, or -1. */
long syscalls_lookup(const char *name);
/* Argument description of nr (nargs 0 when arguments are not decoded). */
struct syscall_desc syscalls_desc(long nr);

#endif
