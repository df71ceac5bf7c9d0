/* trace.h - the trace broker: read-only syscall events of server
 * processes, streamed to a reader in an audit space.
 *
 * An audit space cannot see server PIDs (sibling PID namespaces), so hsd
 * traces on its behalf.  One session per server space = one dedicated
 * process (forked by hsd) that runs trace_session_run() for every reader
 * of that space, each with its own request and queue.  The
 * session only ever reads from tracees: it never writes registers or
 * memory, never injects or suppresses a signal, never keeps a tracee
 * stopped waiting for the reader (events go to a bounded queue, overflow
 * is dropped and counted), and detaches from everything when it ends.
 * The protocol is in docs/trace.md.
 */
#ifndef HS_TRACE_H
#define HS_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "syscalls.h"

#define TRACE_PROTO_V 1
#define TRACE_FRAME_MAX (64u * 1024) /* requests and events */

/* Where events come from (docs/trace.md, "Backends"). */
enum trace_backend {
	TRACE_BACKEND_AUTO = 0, /* eBPF when its program loaded, else ptrace */
	TRACE_BACKEND_PTRACE,   /* stops each traced thread at each call */
	TRACE_BACKEND_EBPF,     /* kernel-side filter and ring buffer, no stop */
};

/* "auto", "ptrace", "ebpf" */
const char *trace_backend_name(enum trace_backend b);

struct trace_limits {
	size_t queue_max;   /* events waiting for the reader; more are dropped */
	size_t str_max;     /* bytes read per string argument */
	size_t argv_max;    /* execve arguments reported */
	size_t tracees_max; /* threads traced at once; new ones beyond run untraced */
	unsigned stats_ms;  /* interval of {"stats":...} frames */
	unsigned detach_ms; /* wait for running tracees to stop for detach */
	/* What "auto" means for this session: AUTO loads the eBPF program at
	 * start and serves auto readers with it when it loaded; PTRACE never
	 * loads it (every reader gets ptrace, eBPF is refused). */
	enum trace_backend backend;
	size_t ring_bytes;  /* eBPF ring buffer: a power of two, >= a page */
};

/* queue 4096, strings 256 bytes, argv 32, 8192 threads, stats 1 s,
 * detach 2 s, backend auto, ring buffer 2 MiB. */
void trace_limits_default(struct trace_limits *lim);

struct trace_request {
	bool whole_space;
	pid_t target;                          /* pid in the server space's namespace */
	bool filter;                           /* only the syscalls in want */
	uint8_t want[SYSCALLS_NR_MAX / 8];     /* bitmap by syscall number */
	enum trace_backend backend;            /* "backend", default auto */
};

/* Validate the first frame of a session.  Any op other than "trace" is
 * refused (HS_EINPUT, "op: \"X\" refused: the broker only reads"). */
int trace_request_parse(const json_t *req, struct trace_request *out,
			char *err, size_t errlen);

/* The session.  Runs in a process of its own (it blocks SIGCHLD, SIGTERM
 * and SIGINT and installs a seccomp filter that stays for the process's
 * life; the caller exits when it returns).  It traces the server space
 * whose PID 1 (in our PID namespace) is space_init for every reader it
 * has: conn_fd (a connected stream socket, or -1) and, when ctl_fd >= 0,
 * each one hsd passes later over ctl_fd (one byte with the fd as
 * SCM_RIGHTS).  One tracer per thread is all ptrace allows, so readers of
 * the same space must share a session.  With ctl_fd < 0 it returns when
 * its one reader is done: 0, or HS_EINPUT for a bad or refused request /
 * HS_ESYS when attaching failed (the reader was answered with
 * {"error": ...}).  With ctl_fd >= 0 it returns 0 at EOF on ctl_fd (hsd
 * stopped, or the server space did) or on SIGTERM/SIGINT.  Every tracee
 * is detached before it returns. */
int trace_session_run(int ctl_fd, int conn_fd, pid_t space_init,
		      const struct trace_limits *lim, char *err, size_t errlen);

/* ---- pieces, exposed for tests and for hstrace ---- */

/* Tracee memory, so decoding can be tested without a tracee.  read
 * returns the bytes copied from addr (possibly fewer than len at an
 * unmapped page) or -1. */
struct trace_mem {
	ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* process_vm_readv of pid, split at page boundaries so a string ending
 * just before an unmapped page is still read. */
ssize_t trace_mem_read_pid(void *ctx_pid, uint64_t addr, void *buf, size_t len);

/* The "args" array of an event (see docs/trace.md for the value forms), as
 * a json_t for the tests and the fuzz target; the session itself writes
 * the same text without one (trace_decode_args_jw). */
json_t *trace_decode_args(long nr, const uint64_t args[6],
			  const struct trace_mem *mem,
			  const struct trace_limits *lim);

/* Escape bytes for JSON-safe display: printable ASCII stays, backslash
 * becomes \\, \n \t \r, anything else \xNN.  out needs 4*n+1 bytes. */
void trace_escape(const uint8_t *s, size_t n, char *out);

/* One human-readable line (no newline) for an event or stats frame:
 *   12:00:01.123456 pid 7 openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3
 * Returns 0, or HS_EINPUT if ev is not an event. */
int trace_format_event(const json_t *ev, char *buf, size_t len);

/* Allow only read-only ptrace requests and no ioctl but NS_GET_PARENT,
 * deny process_vm_writev, pidfd_getfd and opening anything for writing,
 * for this process and its future children (irreversible). */
int trace_seccomp_install(char *err, size_t errlen);

#endif
