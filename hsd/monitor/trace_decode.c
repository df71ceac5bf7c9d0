/* trace_decode.c - raw syscall arguments to JSON values.
 *
 * Value forms in "args" (docs/trace.md):
 *   JSON integer            a number (fd, count, pid, id)
 *   JSON string             a symbol or formatted number: "AT_FDCWD",
 *                           "O_WRONLY|O_CREAT", "0644", "0x7ffd...", "NULL"
 *   {"str": S}              a string read from tracee memory, escaped by
 *                           trace_escape; "trunc": true if cut at str_max
 *   {"argv": [S...]}        execve arguments; "trunc": true if cut
 *   {"family": F, ...}      a socket address
 * Memory is read at syscall entry: that is when paths and argv exist
 * (after execve the old image is gone).
 */
#include "trace_int.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

struct flagname {
	unsigned long long v;
	const char *n;
};

#define F(x) {x, #x}

static const struct flagname oflag_names[] = {
	/* composite flags first, so O_SYNC is not shown as O_DSYNC|0x100000 */
	F(O_TMPFILE), F(O_SYNC), F(O_CREAT), F(O_EXCL), F(O_NOCTTY),
	F(O_TRUNC), F(O_APPEND), F(O_NONBLOCK), F(O_DSYNC), F(O_DIRECT),
	F(O_LARGEFILE), F(O_DIRECTORY), F(O_NOFOLLOW), F(O_NOATIME),
	F(O_CLOEXEC), F(O_PATH), F(O_ASYNC), {0, NULL}};

static const struct flagname atflag_names[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW),
	F(AT_NO_AUTOMOUNT), F(AT_EMPTY_PATH), {0, NULL}};

static const struct flagname clone_names[] = {
	F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND),
	F(CLONE_PIDFD), F(CLONE_PTRACE), F(CLONE_VFORK), F(CLONE_PARENT),
	F(CLONE_THREAD), F(CLONE_NEWNS), F(CLONE_SYSVSEM), F(CLONE_SETTLS),
	F(CLONE_PARENT_SETTID), F(CLONE_CHILD_CLEARTID), F(CLONE_UNTRACED),
	F(CLONE_CHILD_SETTID), F(CLONE_NEWCGROUP), F(CLONE_NEWUTS),
	F(CLONE_NEWIPC), F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWNET),
	F(CLONE_IO), {0, NULL}};

static const struct flagname mount_names[] = {
	F(MS_RDONLY), F(MS_NOSUID), F(MS_NODEV), F(MS_NOEXEC),
	F(MS_SYNCHRONOUS), F(MS_REMOUNT), F(MS_MANDLOCK), F(MS_DIRSYNC),
	F(MS_NOATIME), F(MS_NODIRATIME), F(MS_BIND), F(MS_MOVE), F(MS_REC),
	F(MS_SILENT), F(MS_POSIXACL), F(MS_UNBINDABLE), F(MS_PRIVATE),
	F(MS_SLAVE), F(MS_SHARED), F(MS_RELATIME), F(MS_STRICTATIME),
	F(MS_LAZYTIME), {0, NULL}};

static const struct flagname rename_names[] = {
	{1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"},
	{0, NULL}};

static const struct flagname sockflag_names[] = {
	F(SOCK_NONBLOCK), F(SOCK_CLOEXEC), {0, NULL}};

/* Values, not bits. */
static const struct flagname ptrace_names[] = {
	F(PTRACE_TRACEME), F(PTRACE_PEEKTEXT), F(PTRACE_PEEKDATA),
	F(PTRACE_PEEKUSER), F(PTRACE_POKETEXT), F(PTRACE_POKEDATA),
	F(PTRACE_POKEUSER), F(PTRACE_CONT), F(PTRACE_KILL),
	F(PTRACE_SINGLESTEP), F(PTRACE_GETREGS), F(PTRACE_SETREGS),
	F(PTRACE_GETFPREGS), F(PTRACE_SETFPREGS), F(PTRACE_ATTACH),
	F(PTRACE_DETACH), F(PTRACE_SYSCALL), F(PTRACE_SETOPTIONS),
	F(PTRACE_GETEVENTMSG), F(PTRACE_GETSIGINFO), F(PTRACE_SETSIGINFO),
	F(PTRACE_GETREGSET), F(PTRACE_SETREGSET), F(PTRACE_SEIZE),
	F(PTRACE_INTERRUPT), F(PTRACE_LISTEN), F(PTRACE_PEEKSIGINFO),
	{0x420e, "PTRACE_GET_SYSCALL_INFO"}, {0, NULL}};

static const struct flagname domain_names[] = {
	F(AF_UNIX), F(AF_INET), F(AF_INET6), F(AF_NETLINK), F(AF_PACKET),
	{0, NULL}};

static const struct flagname socktype_names[] = {
	F(SOCK_STREAM), F(SOCK_DGRAM), F(SOCK_RAW), F(SOCK_SEQPACKET),
	{0, NULL}};

#undef F

/* "A|B|0x40" for a bit set; "0" when empty. */
static void flags_fmt(unsigned long long v, const struct flagname *t,
		      const char *first, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	if (first)
		off += (size_t)snprintf(buf, len, "%s", first);
	for (; t->n && off < len; t++) {
		if (!t->v || (v & t->v) != t->v)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "|" : "", t->n);
		v &= ~t->v;
	}
	if (off < len && (v || off == 0))
		snprintf(buf + off, len - off, off ? "|%#llx" : "%#llx", v);
	if (strcmp(buf, "0x0") == 0)
		snprintf(buf, len, "0");
}

static const char *value_name(unsigned long long v, const struct flagname *t)
{
	for (; t->n; t++)
		if (t->v == v)
			return t->n;
	return NULL;
}

void trace_escape(const uint8_t *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c == '\n' || c == '\t' || c == '\r') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			/* keeps every JSON string valid UTF-8 whatever the bytes */
			o += (size_t)sprintf(out + o, "\\x%02x", c);
		}
	}
	out[o] = '\0';
}

static void hex_value(struct trace_jw *w, uint64_t v)
{
	char b[24];
	if (!v) {
		trace_jw_str(w, "NULL");
		return;
	}
	snprintf(b, sizeof(b), "%#llx", (unsigned long long)v);
	trace_jw_str(w, b);
}

/* The escaped string at addr into esc (4*max+1 bytes): 1, and *trunc if
 * cut at max; 0 when it cannot be read. */
static int read_string(uint64_t addr, const struct trace_mem *mem, size_t max,
		       char *esc, bool *trunc)
{
	uint8_t raw[TRACE_STR_CAP + 1];
	if (max > TRACE_STR_CAP)
		max = TRACE_STR_CAP;
	ssize_t n = mem->read(mem->ctx, addr, raw, max + 1);
	if (n <= 0)
		return 0;
	uint8_t *nul = memchr(raw, 0, (size_t)n);
	size_t len = nul ? (size_t)(nul - raw) : (size_t)n;
	*trunc = !nul;
	if (len > max)
		len = max;
	trace_escape(raw, len, esc);
	return 1;
}

/* {"str": ...} for a NUL-terminated string at addr, or the address when
 * it cannot be read. */
static void string_value(struct trace_jw *w, uint64_t addr, const struct trace_mem *mem,
			 size_t max)
{
	char esc[4 * TRACE_STR_CAP + 1];
	bool trunc;
	if (!addr || !read_string(addr, mem, max, esc, &trunc)) {
		hex_value(w, addr);
		return;
	}
	trace_jw_open(w, '{');
	trace_jw_key(w, "str");
	trace_jw_str(w, esc);
	if (trunc) {
		trace_jw_key(w, "trunc");
		trace_jw_lit(w, "true");
	}
	trace_jw_close(w, '}');
}

static void argv_value(struct trace_jw *w, uint64_t addr, const struct trace_mem *mem,
		       const struct trace_limits *lim)
{
	char esc[4 * TRACE_STR_CAP + 1];
	bool trunc = true, strunc;
	if (!addr) {
		trace_jw_str(w, "NULL");
		return;
	}
	trace_jw_open(w, '{');
	trace_jw_key(w, "argv");
	trace_jw_open(w, '[');
	for (size_t i = 0; i < lim->argv_max; i++) {
		uint64_t p;
		if (mem->read(mem->ctx, addr + i * sizeof(p), &p, sizeof(p)) != sizeof(p) || !p) {
			trunc = false;
			break;
		}
		if (read_string(p, mem, lim->str_max, esc, &strunc)) {
			trace_jw_str(w, esc);
		} else { /* the address, as string_value gives it */
			char b[24];
			snprintf(b, sizeof(b), "%#llx", (unsigned long long)p);
			trace_jw_str(w, b);
		}
	}
	trace_jw_close(w, ']');
	if (trunc) {
		trace_jw_key(w, "trunc");
		trace_jw_lit(w, "true");
	}
	trace_jw_close(w, '}');
}

static void pair_str(struct trace_jw *w, const char *k, const char *v)
{
	trace_jw_key(w, k);
	trace_jw_str(w, v);
}

static void sockaddr_value(struct trace_jw *w, uint64_t addr, uint64_t alen,
			   const struct trace_mem *mem)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];
	if (!addr) {
		trace_jw_str(w, "NULL");
		return;
	}
	size_t want = alen < sizeof(ss) ? (size_t)alen : sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (want < sizeof(sa_family_t) ||
	    mem->read(mem->ctx, addr, &ss, want) != (ssize_t)want) {
		hex_value(w, addr);
		return;
	}
	trace_jw_open(w, '{');
	switch (ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		pair_str(w, "family", "AF_INET");
		pair_str(w, "addr", ip);
		trace_jw_key(w, "port");
		trace_jw_int(w, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		pair_str(w, "family", "AF_INET6");
		pair_str(w, "addr", ip);
		trace_jw_key(w, "port");
		trace_jw_int(w, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		size_t n = want > off ? want - off : 0;
		if (n > sizeof(un->sun_path)) /* ss is larger than sockaddr_un */
			n = sizeof(un->sun_path);
		char esc[4 * sizeof(un->sun_path) + 2];
		if (n && un->sun_path[0] == '\0') { /* abstract: shown as @name */
			esc[0] = '@';
			trace_escape((const uint8_t *)un->sun_path + 1, n - 1, esc + 1);
		} else {
			const char *nul = memchr(un->sun_path, 0, n);
			trace_escape((const uint8_t *)un->sun_path,
				     nul ? (size_t)(nul - un->sun_path) : n, esc);
		}
		pair_str(w, "family", "AF_UNIX");
		pair_str(w, "path", esc);
		break;
	}
	default: {
		const char *name = value_name(ss.ss_family, domain_names);
		trace_jw_key(w, "family");
		if (name)
			trace_jw_str(w, name);
		else
			trace_jw_int(w, ss.ss_family);
	}
	}
	trace_jw_close(w, '}');
}

static void arg_value(struct trace_jw *w, const struct syscall_desc *d, unsigned i,
		      const uint64_t a[6], const struct trace_mem *mem,
		      const struct trace_limits *lim)
{
	char b[512];
	uint64_t v = a[i];
	int32_t iv = (int32_t)(uint32_t)v;
	const char *name;

	switch (d->arg[i]) {
	case SC_INT:
	case SC_FD:
		trace_jw_int(w, iv);
		return;
	case SC_UINT:
		if (v > INT64_MAX)
			hex_value(w, v);
		else
			trace_jw_int(w, (int64_t)v);
		return;
	case SC_DIRFD:
		if (iv == AT_FDCWD)
			trace_jw_str(w, "AT_FDCWD");
		else
			trace_jw_int(w, iv);
		return;
	case SC_PATH:
		string_value(w, v, mem, lim->str_max);
		return;
	case SC_OFLAGS: {
		unsigned acc = (unsigned)v & O_ACCMODE;
		const char *mode = acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR"
			: acc == O_RDONLY ? "O_RDONLY" : NULL;
		flags_fmt(v & ~(uint64_t)O_ACCMODE, oflag_names, mode, b, sizeof(b));
		break;
	}
	case SC_MODE:
		if (!(v & 07777))
			snprintf(b, sizeof(b), "0");
		else
			snprintf(b, sizeof(b), "0%llo", (unsigned long long)(v & 07777));
		break;
	case SC_ATFLAGS:
		flags_fmt(v & 0xffffffffu, atflag_names, NULL, b, sizeof(b));
		break;
	case SC_ARGV:
		argv_value(w, v, mem, lim);
		return;
	case SC_SOCKADDR:
		sockaddr_value(w, v, i + 1 < 6 ? a[i + 1] : 0, mem);
		return;
	case SC_SIG:
		if (!(iv > 0 && iv < NSIG && sigabbrev_np(iv))) {
			trace_jw_int(w, iv);
			return;
		}
		snprintf(b, sizeof(b), "SIG%s", sigabbrev_np(iv));
		break;
	case SC_PTRACE:
		if (!(name = value_name(v, ptrace_names))) {
			trace_jw_int(w, (int64_t)v);
			return;
		}
		snprintf(b, sizeof(b), "%s", name);
		break;
	case SC_CLONE: {
		unsigned sig = (unsigned)v & 0xff; /* clone: exit signal in the low byte */
		flags_fmt(v & ~0xffull, clone_names, NULL, b, sizeof(b));
		if (sig && sig < NSIG && sigabbrev_np((int)sig)) {
			size_t n = strlen(b);
			if (strcmp(b, "0") == 0)
				n = 0;
			snprintf(b + n, sizeof(b) - n, "%sSIG%s", n ? "|" : "",
				 sigabbrev_np((int)sig));
		}
		break;
	}
	case SC_MOUNTFL:
		flags_fmt(v & 0xffffffffu, mount_names, NULL, b, sizeof(b));
		break;
	case SC_RENAMEFL:
		flags_fmt(v, rename_names, NULL, b, sizeof(b));
		break;
	case SC_DOMAIN:
		if (!(name = value_name(v, domain_names))) {
			trace_jw_int(w, iv);
			return;
		}
		snprintf(b, sizeof(b), "%s", name);
		break;
	case SC_SOCKTYPE:
		name = value_name(v & 0xf, socktype_names);
		flags_fmt(v & ~0xfull, sockflag_names, name, b, sizeof(b));
		break;
	case SC_ID:
		trace_jw_int(w, (uint32_t)v == 0xffffffffu ? -1 : (int64_t)(uint32_t)v);
		return;
	case SC_PTR:
	case SC_HEX:
	default:
		if (d->arg[i] == SC_HEX && !v)
			trace_jw_str(w, "0");
		else
			hex_value(w, v);
		return;
	}
	trace_jw_str(w, b);
}

void trace_decode_args_jw(long nr, const uint64_t args[6], const struct trace_mem *mem,
			  const struct trace_limits *lim, struct trace_jw *w)
{
	struct syscall_desc d = syscalls_desc(nr);
	trace_jw_open(w, '[');
	for (unsigned i = 0; i < d.nargs; i++)
		arg_value(w, &d, i, args, mem, lim);
	trace_jw_close(w, ']');
}

/* The ptrace backend keeps a call's arguments as a json_t from entry to
 * exit; they are written once, by the writer above, and parsed back, so
 * both backends spell them the same. */
json_t *trace_decode_args(long nr, const uint64_t args[6],
			  const struct trace_mem *mem,
			  const struct trace_limits *lim)
{
	struct trace_jw w;
	char *buf = malloc(TRACE_FRAME_MAX);
	json_t *out = NULL;
	if (!buf)
		return NULL;
	trace_jw_init(&w, buf, TRACE_FRAME_MAX);
	trace_decode_args_jw(nr, args, mem, lim, &w);
	if (!w.overflow)
		out = json_loadb(buf, w.len, 0, NULL);
	free(buf);
	return out;
}
ssize_t trace_mem_read_pid(void *ctx_pid, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = (pid_t)(intptr_t)ctx_pid;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote[8];
	unsigned n = 0;
	/* One remote iovec per page: the kernel stops at the first one that
	 * faults, so we get everything up to an unmapped page. */
	for (size_t off = 0; off < len && n < 8; n++) {
		uint64_t at = addr + off;
		size_t chunk = page - (size_t)(at % page);
		if (chunk > len - off)
			chunk = len - off;
		remote[n].iov_base = (void *)(uintptr_t)at;
		remote[n].iov_len = chunk;
		off += chunk;
	}
	local.iov_len = 0;
	for (unsigned i = 0; i < n; i++)
		local.iov_len += remote[i].iov_len;
	return process_vm_readv(pid, &local, 1, remote, n, 0);
}
