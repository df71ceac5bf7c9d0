/* test_trace_decode.c - trace broker pieces that need no tracee: syscall
 * names, argument decoding (reading our own memory through the real
 * process_vm_readv reader), request validation and refused ops, the
 * human line format, the read-only seccomp filter, and the eBPF
 * backend's event encoding (byte for byte the ptrace backend's frame). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "trace.h"
#include "trace_bpf_enc.h"

static struct trace_limits lim;
static struct trace_mem self_mem;

static void setup(void)
{
	trace_limits_default(&lim);
	self_mem = (struct trace_mem){trace_mem_read_pid, (void *)(intptr_t)getpid()};
}

TestSuite(trace_decode, .init = setup);

static json_t *decode(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
	return trace_decode_args(nr, a, &self_mem, &lim);
}

static char *dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	return s;
}

static void expect(json_t *v, const char *want)
{
	char *s = dump(v);
	cr_expect_str_eq(s, want);
	free(s);
}

Test(trace_decode, names)
{
	cr_expect_str_eq(syscalls_name(__NR_openat), "openat");
	cr_expect_str_eq(syscalls_name(__NR_exit_group), "exit_group");
	cr_expect_eq(syscalls_lookup("renameat2"), __NR_renameat2);
	cr_expect_eq(syscalls_lookup("nosuchcall"), -1);
	cr_expect_null(syscalls_name(-1));
	cr_expect_null(syscalls_name(100000));
	/* every number up to the newest in the table has a name, except the
	 * gap between the legacy and the shared syscalls */
	for (long nr = 0; nr <= __NR_set_mempolicy_home_node; nr++)
		if (nr < 335 || nr >= 424)
			cr_expect_not_null(syscalls_name(nr), "nr %ld", nr);
}

Test(trace_decode, openat_path_and_flags)
{
	static const char path[] = "/etc/passwd";
	expect(decode(__NR_openat, (uint64_t)(int64_t)AT_FDCWD, (uintptr_t)path,
		      O_RDONLY | O_CLOEXEC, 0),
	       "[\"AT_FDCWD\",{\"str\":\"/etc/passwd\"},\"O_RDONLY|O_CLOEXEC\",\"0\"]");
	expect(decode(__NR_openat, 3, (uintptr_t)path, O_WRONLY | O_CREAT | O_TRUNC, 0644),
	       "[3,{\"str\":\"/etc/passwd\"},\"O_WRONLY|O_CREAT|O_TRUNC\",\"0644\"]");
	expect(decode(__NR_open, 0, O_RDWR, 0, 0), "[\"NULL\",\"O_RDWR\",\"0\"]");
	/* an unreadable address is shown, not followed */
	expect(decode(__NR_unlink, 8, 0, 0, 0), "[\"0x8\"]");
}

Test(trace_decode, files_and_creds)
{
	expect(decode(__NR_rename, (uintptr_t)"a", (uintptr_t)"b", 0, 0),
	       "[{\"str\":\"a\"},{\"str\":\"b\"}]");
	uint64_t a[6] = {(uint64_t)(int64_t)AT_FDCWD, (uintptr_t)"x", 5, (uintptr_t)"y", 1, 0};
	expect(trace_decode_args(__NR_renameat2, a, &self_mem, &lim),
	       "[\"AT_FDCWD\",{\"str\":\"x\"},5,{\"str\":\"y\"},\"RENAME_NOREPLACE\"]");
	expect(decode(__NR_unlinkat, 4, (uintptr_t)"d", AT_REMOVEDIR, 0),
	       "[4,{\"str\":\"d\"},\"AT_REMOVEDIR\"]");
	expect(decode(__NR_write, 1, 0x1000, 42, 0), "[1,\"0x1000\",42]");
	expect(decode(__NR_chown, (uintptr_t)"f", 0xffffffffu, 7, 0), "[{\"str\":\"f\"},-1,7]");
	expect(decode(__NR_setuid, 0, 0, 0, 0), "[0]");
	expect(decode(__NR_kill, (uint32_t)-1, SIGKILL, 0, 0), "[-1,\"SIGKILL\"]");
	expect(decode(__NR_ptrace, PTRACE_POKEDATA, 12, 0, 0),
	       "[\"PTRACE_POKEDATA\",12,\"NULL\",\"NULL\"]");
	expect(decode(__NR_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0),
	       "[\"CLONE_NEWPID|SIGCHLD\",\"NULL\",\"NULL\",\"NULL\",0]");
	expect(decode(__NR_fork, 0, 0, 0, 0), "[]");
	expect(decode(__NR_getpid, 0, 0, 0, 0), "[]"); /* named, not decoded */
}

Test(trace_decode, execve_argv)
{
	const char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
	json_t *v = decode(__NR_execve, (uintptr_t)argv[0], (uintptr_t)argv, 0, 0);
	expect(json_incref(json_array_get(v, 1)), "{\"argv\":[\"/bin/sh\",\"-c\",\"echo hi\"]}");
	json_decref(v);
	lim.argv_max = 2;
	expect(decode(__NR_execve, (uintptr_t)argv[0], (uintptr_t)argv, 0, 0),
	       "[{\"str\":\"/bin/sh\"},{\"argv\":[\"/bin/sh\",\"-c\"],\"trunc\":true},\"NULL\"]");
}

Test(trace_decode, sockaddrs)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(443)};
	inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
	expect(decode(__NR_connect, 3, (uintptr_t)&in, sizeof(in), 0),
	       "[3,{\"family\":\"AF_INET\",\"addr\":\"192.0.2.7\",\"port\":443},16]");
	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	json_t *v = decode(__NR_bind, 4, (uintptr_t)&un, sizeof(un), 0);
	expect(json_incref(json_array_get(v, 1)), "{\"family\":\"AF_UNIX\",\"path\":\"/dev/log\"}");
	json_decref(v);
	expect(decode(__NR_socket, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0, 0),
	       "[\"AF_INET6\",\"SOCK_STREAM|SOCK_CLOEXEC\",0]");
}

/* A tracee may pass a sockaddr as long as sockaddr_storage with AF_UNIX and
 * high bytes (the kernel refuses the call; the decoder still reads it):
 * its path is the 108 bytes of sun_path at most, each escaped, and the
 * decoder's buffer holds that - 126 such bytes once overflowed it. */
Test(trace_decode, a_unix_sockaddr_longer_than_sun_path)
{
	struct sockaddr_storage ss;
	memset(&ss, 0xff, sizeof(ss));
	ss.ss_family = AF_UNIX;
	json_t *v = decode(__NR_bind, 4, (uintptr_t)&ss, sizeof(ss), 0);
	const char *path = json_string_value(json_object_get(json_array_get(v, 1), "path"));
	cr_assert_not_null(path);
	cr_expect_eq(strlen(path), 4 * sizeof(((struct sockaddr_un *)0)->sun_path),
		     "%zu: %s", strlen(path), path);
	json_decref(v);
	/* the abstract form, @ and the rest */
	((struct sockaddr_un *)&ss)->sun_path[0] = '\0';
	v = decode(__NR_bind, 4, (uintptr_t)&ss, sizeof(ss), 0);
	path = json_string_value(json_object_get(json_array_get(v, 1), "path"));
	cr_assert(path && path[0] == '@', "%s", path ? path : "(none)");
	json_decref(v);
}

Test(trace_decode, escaping_and_truncation)
{
	char out[64];
	trace_escape((const uint8_t *)"a\\b\n\xff\"", 6, out);
	cr_expect_str_eq(out, "a\\\\b\\n\\xff\"");

	lim.str_max = 4;
	expect(decode(__NR_unlink, (uintptr_t)"abcdefgh", 0, 0, 0),
	       "[{\"str\":\"abcd\",\"trunc\":true}]");

	/* a string that ends right before an unmapped page is still read */
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(m, MAP_FAILED);
	munmap(m + page, (size_t)page);
	memcpy(m + page - 4, "xyz", 4);
	lim.str_max = 256;
	expect(decode(__NR_unlink, (uintptr_t)(m + page - 4), 0, 0, 0), "[{\"str\":\"xyz\"}]");
	munmap(m, (size_t)page);
}

/* ---- requests ---- */

static int parse(const char *text, struct trace_request *rq, char *err)
{
	json_t *j = json_loads(text, 0, NULL);
	cr_assert_not_null(j, "%s", text);
	int rc = trace_request_parse(j, rq, err, HS_ERRLEN);
	json_decref(j);
	return rc;
}

Test(trace_request, valid)
{
	struct trace_request rq;
	char err[HS_ERRLEN];
	cr_assert_eq(parse("{\"v\":1,\"op\":\"trace\",\"target\":\"space\"}", &rq, err), 0, "%s", err);
	cr_expect(rq.whole_space);
	cr_expect(!rq.filter);
	cr_assert_eq(parse("{\"v\":1,\"op\":\"trace\",\"target\":7,\"syscalls\":[\"openat\",\"execve\"]}",
			   &rq, err), 0, "%s", err);
	cr_expect(!rq.whole_space);
	cr_expect_eq(rq.target, 7);
	cr_expect(rq.filter);
	cr_expect(rq.want[__NR_openat / 8] & (1u << (__NR_openat % 8)));
	cr_expect(!(rq.want[__NR_read / 8] & (1u << (__NR_read % 8))));
}

Test(trace_request, refused_ops)
{
	static const char *const ops[] = {"poke", "setregs", "inject", "kill", "detach"};
	struct trace_request rq;
	char err[HS_ERRLEN], text[128];
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		snprintf(text, sizeof(text), "{\"v\":1,\"op\":\"%s\",\"target\":1}", ops[i]);
		cr_expect_eq(parse(text, &rq, err), HS_EINPUT);
		cr_expect(strstr(err, "refused: the broker only reads"), "%s", err);
		cr_expect(strstr(err, ops[i]), "%s", err);
	}
}

Test(trace_request, invalid)
{
	static const char *const bad[] = {
		"{\"op\":\"trace\",\"target\":1}",                       /* no v */
		"{\"v\":2,\"op\":\"trace\",\"target\":1}",               /* version */
		"{\"v\":1,\"target\":1}",                                /* no op */
		"{\"v\":1,\"op\":\"trace\"}",                            /* no target */
		"{\"v\":1,\"op\":\"trace\",\"target\":0}",
		"{\"v\":1,\"op\":\"trace\",\"target\":-5}",
		"{\"v\":1,\"op\":\"trace\",\"target\":\"host\"}",
		"{\"v\":1,\"op\":\"trace\",\"target\":1,\"syscalls\":[]}",
		"{\"v\":1,\"op\":\"trace\",\"target\":1,\"syscalls\":[\"nope\"]}",
		"{\"v\":1,\"op\":\"trace\",\"target\":1,\"syscalls\":[3]}",
		"{\"v\":1,\"op\":\"trace\",\"target\":1,\"regs\":{}}",    /* unknown key */
	};
	struct trace_request rq;
	char err[HS_ERRLEN];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse(bad[i], &rq, err), HS_EINPUT, "%s", bad[i]);
}

Test(trace_format, human_line)
{
	char line[512];
	json_t *ev = json_loads("{\"t\":1700000000123456789,\"pid\":7,\"syscall\":\"openat\","
				"\"args\":[\"AT_FDCWD\",{\"str\":\"/etc/passwd\"},\"O_RDONLY\",\"0\"],"
				"\"ret\":3}", 0, NULL);
	cr_assert_eq(trace_format_event(ev, line, sizeof(line)), 0);
	cr_expect(strstr(line, ".123456 pid 7 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY, 0) = 3"),
		  "%s", line);
	json_decref(ev);
	ev = json_loads("{\"t\":1,\"pid\":2,\"tid\":3,\"syscall\":\"unlink\","
			"\"args\":[{\"str\":\"x\"}],\"ret\":-2,\"err\":\"ENOENT\"}", 0, NULL);
	cr_assert_eq(trace_format_event(ev, line, sizeof(line)), 0);
	cr_expect(strstr(line, "pid 2 unlink(\"x\") = -1 ENOENT"), "%s", line);
	json_decref(ev);
	ev = json_loads("{\"stats\":{\"events\":5,\"dropped\":2}}", 0, NULL);
	cr_assert_eq(trace_format_event(ev, line, sizeof(line)), 0);
	cr_expect_str_eq(line, "-- events 5, dropped 2");
	json_decref(ev);
}

/* ---- the seccomp filter, in a child (it is irreversible) ---- */

enum { BAD_POKE = 1, BAD_SETREGS = 2, BAD_KILL = 4, BAD_EXITKILL = 8, BAD_VMWRITE = 16,
       BAD_OPENW = 32, BAD_PEEK = 64, BAD_OPENR = 128 };

static int seccomp_child(pid_t gone)
{
	char e[HS_ERRLEN];
	int bad = 0, z = 0;
	struct iovec io = {&z, sizeof(z)};
	if (trace_seccomp_install(e, sizeof(e)))
		return 255;
	/* denied: EPERM before the kernel even looks at the pid */
	if (ptrace(PTRACE_POKEDATA, gone, 0, 0) != -1 || errno != EPERM)
		bad |= BAD_POKE;
	struct user_regs_struct regs;
	memset(&regs, 0, sizeof(regs));
	if (ptrace(PTRACE_SETREGS, gone, 0, &regs) != -1 || errno != EPERM)
		bad |= BAD_SETREGS;
	if (ptrace(PTRACE_KILL, gone, 0, 0) != -1 || errno != EPERM)
		bad |= BAD_KILL;
	if (ptrace(PTRACE_SEIZE, gone, 0, (void *)(uintptr_t)PTRACE_O_EXITKILL) != -1 ||
	    errno != EPERM)
		bad |= BAD_EXITKILL;
	if (process_vm_writev(gone, &io, 1, &io, 1, 0) != -1 || errno != EPERM)
		bad |= BAD_VMWRITE;
	if (open("/proc/self/mem", O_RDWR) != -1 || errno != EPERM)
		bad |= BAD_OPENW;
	/* allowed: reaches the kernel, which finds no such tracee */
	errno = 0;
	if (ptrace(PTRACE_PEEKDATA, gone, 0, 0) != -1 || errno != ESRCH)
		bad |= BAD_PEEK;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bad |= BAD_OPENR;
	else
		close(fd);
	return bad;
}

Test(trace_seccomp, read_only_ptrace)
{
	pid_t gone = fork();
	cr_assert_geq(gone, 0);
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0); /* a pid nobody has */
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0)
		_exit(seccomp_child(gone));
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st));
	cr_expect_eq(WEXITSTATUS(st), 0, "failed checks: %#x", WEXITSTATUS(st));
}

/* ---- the eBPF backend's encoding: the same frame as the ptrace path ---- */

/* The frame the ptrace backend sends for a call (trace_session.c's emit:
 * the same json_pack, the same extra keys, frame_encode), with the
 * arguments read from our own memory. */
static void ptrace_frame(long nr, const uint64_t a[6], int64_t t, int pid, int tid, bool done,
			 int64_t ret, uint8_t **buf, size_t *len)
{
	json_t *ev = json_pack("{s:I,s:i,s:s,s:o,s:o}", "t", (json_int_t)t, "pid", pid,
			       "syscall", syscalls_name(nr), "args",
			       trace_decode_args(nr, a, &self_mem, &lim),
			       "ret", done ? json_integer(ret) : json_null());
	if (tid != pid)
		json_object_set_new(ev, "tid", json_integer(tid));
	if (done && ret < 0 && ret >= -4095)
		json_object_set_new(ev, "err", json_string(strerrorname_np((int)-ret)));
	cr_assert_eq(frame_encode(ev, TRACE_FRAME_MAX, buf, len, NULL, 0), 0);
	json_decref(ev);
}

/* The string at addr as bpf_probe_read_user_str leaves it in a slot. */
static int32_t slot(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n + 1 > TRACE_BPF_STR)
		n = TRACE_BPF_STR - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return (int32_t)n + 1;
}

static void expect_same(const void *rec, size_t size, const uint64_t a[6], bool done,
			int64_t ret)
{
	const struct trace_bpf_head *h = rec;
	static uint8_t out[TRACE_FRAME_MAX + FRAME_HDR];
	uint8_t *want;
	size_t len, wlen;
	cr_assert_eq(trace_bpf_encode(rec, size, &lim, 5, out, sizeof(out), &len), 0);
	ptrace_frame(h->nr, a, (int64_t)h->t_ns + 5, h->pid, h->tid, done, ret, &want, &wlen);
	cr_expect_eq(len, wlen, "length %zu vs ptrace's %zu", len, wlen);
	cr_expect_eq(memcmp(out, want, len < wlen ? len : wlen), 0, "ebpf: %.*s\nptrace: %.*s",
		     (int)(len - FRAME_HDR), out + FRAME_HDR, (int)(wlen - FRAME_HDR), want + FRAME_HDR);
	free(want);
}

Test(trace_decode, bpf_encoding_matches_ptrace_frames)
{
	static struct trace_bpf_big r;
	static char quoted[] = "/etc/pa\"ss\\wd\n\x01";
	static char longp[400];
	memset(longp, 'x', sizeof(longp) - 1);

	/* openat of a path with quotes, backslashes and controls, tid != pid */
	memset(&r, 0, sizeof(r));
	uint64_t a[6] = {(uint64_t)(int64_t)AT_FDCWD, (uintptr_t)quoted, O_RDONLY | O_CLOEXEC, 0, 0, 0};
	r.s.h = (struct trace_bpf_head){.kind = TRACE_BPF_SYSCALL, .flags = TRACE_BPF_F_STRS,
		.t_ns = 1700000000123456789ull, .pid = 7, .tid = 9, .nr = __NR_openat, .ret = 3,
		.str_len = {slot(r.s.str[0], quoted), -1, -1}, .sa_len = -1};
	memcpy(r.s.h.args, a, sizeof(a));
	expect_same(&r, sizeof(r.s), a, true, 3);

	/* a path longer than str_max, an error return */
	a[1] = (uintptr_t)longp;
	r.s.h.str_len[0] = slot(r.s.str[0], longp);
	r.s.h.tid = 7;
	r.s.h.ret = -ENOENT;
	memcpy(r.s.h.args, a, sizeof(a));
	expect_same(&r, sizeof(r.s), a, true, -ENOENT);

	/* connect to 192.0.2.7:443 */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(443)};
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	uint64_t c[6] = {5, (uintptr_t)&sin, sizeof(sin), 0, 0, 0};
	memset(&r, 0, sizeof(r));
	r.s.h = (struct trace_bpf_head){.kind = TRACE_BPF_SYSCALL, .flags = TRACE_BPF_F_STRS,
		.pid = 7, .tid = 7, .nr = __NR_connect, .ret = -EINPROGRESS,
		.str_len = {-1, -1, -1}, .sa_len = sizeof(sin)};
	memcpy(r.s.sa, &sin, sizeof(sin));
	memcpy(r.s.h.args, c, sizeof(c));
	expect_same(&r, sizeof(r.s), c, true, -EINPROGRESS);

	/* execve with argv, never returned here (NORET) */
	static char prog[] = "/bin/sh", a1[] = "-c", a2[] = "echo \"hi\"";
	static char *argv[] = {prog, a1, a2, NULL};
	uint64_t e[6] = {(uintptr_t)prog, (uintptr_t)argv, 0, 0, 0, 0};
	memset(&r, 0, sizeof(r));
	r.s.h = (struct trace_bpf_head){.kind = TRACE_BPF_SYSCALL,
		.flags = TRACE_BPF_F_STRS | TRACE_BPF_F_ARGV | TRACE_BPF_F_NORET,
		.pid = 1, .tid = 1, .nr = __NR_execve, .str_len = {slot(r.s.str[0], prog), -1, -1},
		.sa_len = -1, .argc = 4};
	for (int i = 0; i < 4; i++) {
		r.a.ptr[i] = (uintptr_t)argv[i];
		if (argv[i])
			r.a.len[i] = slot(r.a.s[i], argv[i]);
	}
	memcpy(r.s.h.args, e, sizeof(e));
	expect_same(&r, sizeof(r), e, false, 0);

	/* a call without decoded arguments, header only */
	uint64_t z[6] = {0};
	memset(&r, 0, sizeof(r));
	r.s.h = (struct trace_bpf_head){.kind = TRACE_BPF_SYSCALL, .pid = 3, .tid = 3,
		.nr = __NR_getpid, .ret = 3};
	expect_same(&r, sizeof(r.s.h), z, true, 3);
}
