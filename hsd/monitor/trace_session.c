/* trace_session.c - one reader, one set of tracees, one process.
 *
 * Life of a session:
 *   1. read and validate the request (trace_proto.c), answer errors;
 *   2. seize every thread of the target(s) (PTRACE_SEIZE + INTERRUPT),
 *      following forks, vforks, clones and execs from then on;
 *   3. install the read-only seccomp filter (trace_seccomp.c);
 *   4. loop: every ptrace-stop is handled and the tracee resumed at once,
 *      events go to the bounded queue (trace_out.c), the socket is
 *      written only when it has room;
 *   5. on reader EOF/error, SIGTERM/SIGINT or no tracees left: detach
 *      everyone, send a final stats frame (best effort), return.
 * If the process dies instead (SIGKILL), the kernel detaches every tracee
 * and lets it run on; nothing here uses PTRACE_O_EXITKILL.
 */
#include "trace_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"

#define TRACE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | \
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)
#define TRACE_REQ_TIMEOUT_MS 10000 /* for the first request */
#define TRACE_WAIT_BATCH 256       /* stops handled between socket checks */

struct tracee {
	pid_t tid;       /* ours */
	pid_t pid, ntid; /* in the server space's namespace */
	bool in_call;    /* between syscall-entry and -exit stops */
	bool wanted;     /* the pending call passes the filter */
	long nr;
	uint32_t arch;
	int64_t t_ns;
	json_t *args;    /* decoded at entry, owned */
};

struct session {
	int fd;
	struct trace_limits lim;
	struct trace_request rq;
	unsigned level; /* depth of the server space's PID namespace */
	struct tracee *t;
	size_t nt, cap, last;
	struct trace_outq q;
	uint64_t events, dropped;
	struct frame_reader fr;
	int sfd;
	bool stop, reader_gone;
	pid_t space_init; /* for rescans of a whole space */
};

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the tracee table (linear with a last-hit cache: stops come in
 * runs from the same thread) ---- */

static struct tracee *tracee_find(struct session *s, pid_t tid)
{
	if (s->last < s->nt && s->t[s->last].tid == tid)
		return &s->t[s->last];
	for (size_t i = 0; i < s->nt; i++)
		if (s->t[i].tid == tid) {
			s->last = i;
			return &s->t[i];
		}
	return NULL;
}

static struct tracee *tracee_add(struct session *s, pid_t tid)
{
	if (s->nt >= s->lim.tracees_max)
		return NULL;
	if (s->nt == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct tracee *p = realloc(s->t, nc * sizeof(*p));
		if (!p)
			return NULL;
		s->t = p;
		s->cap = nc;
	}
	struct tracee *t = &s->t[s->nt++];
	*t = (struct tracee){.tid = tid};
	/* a thread that vanished already keeps pid 0 until its exit arrives */
	trace_proc_ids(tid, s->level, &t->pid, &t->ntid);
	return t;
}

static void tracee_remove(struct session *s, struct tracee *t)
{
	json_decref(t->args);
	*t = s->t[--s->nt];
}

/* ---- events ---- */

static void queue_msg(struct session *s, json_t *msg, bool control)
{
	if (!msg)
		return;
	int rc = trace_outq_push(&s->q, msg, control);
	if (!control) {
		if (rc)
			s->dropped++;
		else
			s->events++;
	}
	json_decref(msg);
}

static json_t *stats_msg(const struct session *s)
{
	return json_pack("{s:{s:I,s:I,s:I}}", "stats", "events", (json_int_t)s->events,
			 "dropped", (json_int_t)s->dropped, "threads", (json_int_t)s->nt);
}

static void emit(struct session *s, struct tracee *t, bool done, int64_t rval,
		 bool is_error)
{
	char other[32];
	const char *name = t->arch == AUDIT_ARCH_X86_64 ? syscalls_name(t->nr) : NULL;
	if (!name) {
		snprintf(other, sizeof(other), "%s%ld",
			 t->arch == AUDIT_ARCH_X86_64 ? "syscall_" : "compat_", t->nr);
		name = other;
	}
	json_t *args = t->args ? t->args : json_array();
	t->args = NULL; /* handed to the event ("o" steals it) */
	json_t *ev = json_pack("{s:I,s:i,s:s,s:o,s:o}", "t", (json_int_t)t->t_ns,
			       "pid", (int)t->pid, "syscall", name, "args", args,
			       "ret", done ? json_integer(rval) : json_null());
	if (ev && t->ntid != t->pid)
		json_object_set_new(ev, "tid", json_integer(t->ntid));
	if (ev && done && is_error && strerrorname_np((int)-rval))
		json_object_set_new(ev, "err", json_string(strerrorname_np((int)-rval)));
	queue_msg(s, ev, false);
}

static bool wanted(const struct session *s, long nr)
{
	if (!s->rq.filter)
		return true;
	return nr >= 0 && nr < SYSCALLS_NR_MAX && (s->rq.want[nr / 8] & (1u << (nr % 8)));
}

static void on_syscall_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(info), &info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		json_decref(t->args); /* entry without exit: a restarted call */
		t->args = NULL;
		t->in_call = true;
		t->nr = (long)info.entry.nr;
		t->arch = info.arch;
		t->t_ns = now_ns(CLOCK_REALTIME);
		t->wanted = t->arch == AUDIT_ARCH_X86_64 ? wanted(s, t->nr) : !s->rq.filter;
		if (t->wanted && t->arch == AUDIT_ARCH_X86_64) {
			struct trace_mem mem = {trace_mem_read_pid, (void *)(intptr_t)t->tid};
			t->args = trace_decode_args(t->nr, (const uint64_t *)info.entry.args,
						    &mem, &s->lim);
		}
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		if (t->in_call && t->wanted)
			emit(s, t, true, info.exit.rval, info.exit.is_error);
		t->in_call = false;
	}
}

/* The only place a tracee is resumed.  sig is the signal of the
 * signal-delivery-stop it is in (so it is delivered as if untraced), or
 * 0 for every other stop: the broker never injects or suppresses. */
static void tracee_resume(struct tracee *t, int sig)
{
	ptrace(PTRACE_SYSCALL, t->tid, NULL, (void *)(intptr_t)sig);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void tracee_gone(struct session *s, struct tracee *t)
{
	if (t->in_call && t->wanted) /* exit_group, or killed inside a call */
		emit(s, t, false, 0, false);
	tracee_remove(s, t);
}

static void on_wait(struct session *s, pid_t tid, int status)
{
	struct tracee *t = tracee_find(s, tid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (t)
			tracee_gone(s, t);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	if (!t && !(t = tracee_add(s, tid))) {
		/* over the limit: a new child runs on untraced */
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return;
	}
	int sig = WSTOPSIG(status), event = status >> 16;
	unsigned long msg = 0;

	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_stop(s, t);
		tracee_resume(t, 0);
	} else if (event == PTRACE_EVENT_STOP) {
		if (is_stop_signal(sig)) /* group-stop: stay stopped, untraced-like */
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
		else
			tracee_resume(t, 0);
	} else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
		   event == PTRACE_EVENT_CLONE) {
		/* over the limit, the child is detached at its first stop */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 &&
		    !tracee_find(s, (pid_t)msg))
			tracee_add(s, (pid_t)msg);
		t = tracee_find(s, tid); /* tracee_add may have moved the table */
		tracee_resume(t, 0);
	} else if (event == PTRACE_EVENT_EXEC) {
		/* A non-leader thread that execs takes over the leader's tid:
		 * its pending execve moves with it. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 && (pid_t)msg != tid) {
			struct tracee *old = tracee_find(s, (pid_t)msg);
			t = tracee_find(s, tid);
			if (old && t) {
				json_decref(t->args);
				t->in_call = old->in_call;
				t->wanted = old->wanted;
				t->nr = old->nr;
				t->arch = old->arch;
				t->t_ns = old->t_ns;
				t->args = old->args;
				old->args = NULL;
				old->in_call = false;
				tracee_remove(s, old);
				t = tracee_find(s, tid);
			}
		}
		tracee_resume(t, 0);
	} else if (event) {
		tracee_resume(t, 0);
	} else {
		tracee_resume(t, sig); /* signal-delivery-stop: pass it on unchanged */
	}
}

/* Handle up to TRACE_WAIT_BATCH stops.  Returns true if more may wait. */
static bool drain_waits(struct session *s)
{
	for (int i = 0; i < TRACE_WAIT_BATCH; i++) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
		if (tid <= 0)
			return false;
		on_wait(s, tid, status);
	}
	return true;
}

/* ---- attaching ---- */

static int attach_thread(struct session *s, pid_t tid)
{
	if (tracee_find(s, tid))
		return 0;
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(uintptr_t)TRACE_OPTS) < 0)
		return errno == ESRCH ? 0 : -errno; /* a thread that just exited */
	if (!tracee_add(s, tid)) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL); /* running: detach fails, */
		return -ENOSPC;                        /* the session exit detaches */
	}
	/* seized tracees run until stopped: stop them once to start the
	 * PTRACE_SYSCALL cycle */
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	return 1;
}

/* Seize every thread of pid; threads created meanwhile are caught by a
 * rescan (clones after the first seize are followed automatically). */
static int attach_process(struct session *s, pid_t pid, int *first_err)
{
	int added = 0;
	for (int pass = 0; pass < 10; pass++) {
		pid_t *tids;
		size_t n;
		int new = 0;
		if (trace_proc_tasks(pid, &tids, &n))
			break; /* gone */
		for (size_t i = 0; i < n; i++) {
			int rc = attach_thread(s, tids[i]);
			if (rc > 0)
				new++;
			else if (rc < 0 && !*first_err)
				*first_err = -rc;
		}
		free(tids);
		added += new;
		if (!new)
			break;
	}
	return added;
}

static int attach_all(struct session *s, pid_t space_init, char *err, size_t errlen)
{
	int first_err = 0;
	for (int pass = 0; pass < 5; pass++) {
		pid_t *pids;
		size_t n;
		int added = 0;
		int rc = trace_proc_targets(space_init, s->level, &s->rq, &pids, &n, err, errlen);
		if (rc)
			return s->nt ? 0 : rc;
		for (size_t i = 0; i < n; i++)
			added += attach_process(s, pids[i], &first_err);
		free(pids);
		if (!added || !s->rq.whole_space)
			break;
	}
	if (!s->nt) {
		errno = first_err ? first_err : ESRCH;
		return err_sys(err, errlen, "trace: attach");
	}
	return 0;
}

/* ---- detaching ---- */

static void detach_one(struct session *s, struct tracee *t, int status)
{
	int sig = WSTOPSIG(status), event = status >> 16;
	/* a pending signal-delivery-stop keeps its signal; a group-stopped
	 * tracee stays stopped after detach (the kernel re-enters the stop) */
	int pass = (event == 0 && sig != (SIGTRAP | 0x80)) ? sig : 0;
	ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(intptr_t)pass);
	tracee_gone(s, t);
}

static void detach_all(struct session *s)
{
	for (size_t i = 0; i < s->nt; i++)
		ptrace(PTRACE_INTERRUPT, s->t[i].tid, NULL, NULL);
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)s->lim.detach_ms * 1000000;
	while (s->nt) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
		if (tid < 0)
			break;
		if (tid == 0) {
			int64_t left = (deadline - now_ns(CLOCK_MONOTONIC)) / 1000000;
			if (left <= 0)
				break; /* the rest is detached by the kernel when we exit */
			struct pollfd p = {.fd = s->sfd, .events = POLLIN};
			struct signalfd_siginfo si;
			if (poll(&p, 1, left > 50 ? 50 : (int)left) > 0 &&
			    read(s->sfd, &si, sizeof(si)) < 0)
				break;
			continue;
		}
		struct tracee *t = tracee_find(s, tid);
		if (!t && WIFSTOPPED(status))
			t = tracee_add(s, tid); /* a child born during the detach */
		if (!t) {
			if (WIFSTOPPED(status))
				ptrace(PTRACE_DETACH, tid, NULL, NULL);
			continue;
		}
		if (!WIFSTOPPED(status)) {
			tracee_gone(s, t);
			continue;
		}
		int event = status >> 16;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
		    event == PTRACE_EVENT_CLONE) {
			unsigned long msg;
			if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 &&
			    !tracee_find(s, (pid_t)msg))
				tracee_add(s, (pid_t)msg);
			t = tracee_find(s, tid);
		}
		detach_one(s, t, status);
	}
}

/* ---- the reader side ---- */

static void reply_error(struct session *s, const char *msg)
{
	queue_msg(s, json_pack("{s:s}", "error", msg), true);
}

/* Frames the reader sends during a session: only "stats" is answered,
 * everything else is refused and the session goes on. */
static void on_reader_frame(struct session *s, const json_t *req)
{
	char e[HS_ERRLEN];
	const char *op = json_string_value(json_object_get(req, "op"));
	if (op && strcmp(op, "stats") == 0) {
		queue_msg(s, stats_msg(s), true);
		return;
	}
	if (op && strcmp(op, "trace") == 0) {
		reply_error(s, "op: \"trace\" refused: this session is already tracing");
		return;
	}
	struct trace_request dummy;
	trace_request_parse(req, &dummy, e, sizeof(e));
	reply_error(s, e);
}

static void read_reader(struct session *s)
{
	uint8_t buf[4096];
	ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0) { /* the reader is done asking: end, but send final stats */
		s->stop = true;
		return;
	}
	if (n < 0) {
		s->stop = s->reader_gone = true;
		return;
	}
	if (frame_reader_feed(&s->fr, buf, (size_t)n, NULL, 0)) {
		s->stop = true; /* oversized: protocol error, end the session */
		return;
	}
	json_t *msg;
	int rc;
	while ((rc = frame_reader_next(&s->fr, &msg, NULL, 0)) == 1) {
		on_reader_frame(s, msg);
		json_decref(msg);
	}
	if (rc < 0)
		s->stop = true;
}

static void read_signals(struct session *s)
{
	struct signalfd_siginfo si;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			s->stop = true;
}

/* Wait (bounded) for the first request. */
static int read_request(struct session *s, json_t **req, char *err, size_t errlen)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)TRACE_REQ_TIMEOUT_MS * 1000000;
	uint8_t buf[4096];
	for (;;) {
		int rc = frame_reader_next(&s->fr, req, err, errlen);
		if (rc)
			return rc < 0 ? rc : 0;
		int64_t left = (deadline - now_ns(CLOCK_MONOTONIC)) / 1000000;
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->sfd, .events = POLLIN}};
		if (left <= 0 || poll(p, 2, (int)left) == 0)
			return err_set(err, errlen, HS_EINPUT, "request: none within %d ms",
				       TRACE_REQ_TIMEOUT_MS);
		if (p[1].revents) {
			read_signals(s);
			if (s->stop)
				return err_set(err, errlen, HS_ESYS, "trace: stopped before a request");
		}
		if (!p[0].revents)
			continue;
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return err_set(err, errlen, HS_EINPUT, "request: reader closed before asking");
		rc = frame_reader_feed(&s->fr, buf, (size_t)n, err, errlen);
		if (rc)
			return rc;
	}
}

/* Send what is queued, waiting at most ms (nothing is stopped then). */
static void flush_final(struct session *s, int ms)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	while (!s->reader_gone && !trace_outq_empty(&s->q)) {
		if (trace_outq_flush(&s->q, s->fd))
			return;
		int64_t left = (deadline - now_ns(CLOCK_MONOTONIC)) / 1000000;
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};
		if (trace_outq_empty(&s->q) || left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
	}
}

/* Processes that joined the space from outside (setns, as hsctl space
 * exec does) are no one's fork: look for them now and then. */
#define TRACE_RESCAN_NS (250 * 1000000LL)
static void rescan(struct session *s)
{
	pid_t *pids;
	size_t n;
	int first_err = 0;

	if (trace_proc_targets(s->space_init, s->level, &s->rq, &pids, &n, NULL, 0))
		return;
	for (size_t i = 0; i < n; i++)
		attach_process(s, pids[i], &first_err);
	free(pids);
}

static void run_loop(struct session *s)
{
	int64_t next_stats = now_ns(CLOCK_MONOTONIC) + (int64_t)s->lim.stats_ms * 1000000;
	int64_t next_scan = now_ns(CLOCK_MONOTONIC) + TRACE_RESCAN_NS;
	while (!s->stop && s->nt) {
		bool busy = drain_waits(s);
		if (trace_outq_flush(&s->q, s->fd)) {
			s->stop = s->reader_gone = true;
			break;
		}
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= next_stats) {
			queue_msg(s, stats_msg(s), true);
			next_stats = now + (int64_t)s->lim.stats_ms * 1000000;
		}
		struct pollfd p[2] = {
			{.fd = s->sfd, .events = POLLIN},
			{.fd = s->fd, .events = POLLIN | (trace_outq_empty(&s->q) ? 0 : POLLOUT)},
		};
		if (s->rq.whole_space && now >= next_scan) {
			rescan(s);
			next_scan = now + TRACE_RESCAN_NS;
		}
		int64_t next = next_stats < next_scan || !s->rq.whole_space ? next_stats : next_scan;
		int wait_ms = busy ? 0 : (int)((next - now) / 1000000) + 1;
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			read_signals(s);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_reader(s);
	}
}

static int session_setup(struct session *s, int conn_fd, const struct trace_limits *lim,
			 char *err, size_t errlen)
{
	sigset_t set;
	*s = (struct session){.fd = conn_fd, .sfd = -1};
	if (lim)
		s->lim = *lim;
	else
		trace_limits_default(&s->lim);
	frame_reader_init(&s->fr, TRACE_FRAME_MAX);
	if (trace_outq_init(&s->q, s->lim.queue_max))
		return err_set(err, errlen, HS_ESYS, "trace: out of memory");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return err_sys(err, errlen, "trace: sigprocmask");
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0)
		return err_sys(err, errlen, "trace: signalfd");
	return 0;
}

static void session_free(struct session *s)
{
	for (size_t i = 0; i < s->nt; i++)
		json_decref(s->t[i].args);
	free(s->t);
	trace_outq_free(&s->q);
	frame_reader_free(&s->fr);
	if (s->sfd >= 0)
		close(s->sfd);
}

/* Tell the reader before any tracee exists (blocking is fine then);
 * MSG_NOSIGNAL: a vanished reader must not kill us with SIGPIPE. */
static void answer_error(int fd, const char *text)
{
	uint8_t *buf;
	size_t len, off = 0;
	json_t *m = json_pack("{s:s}", "error", text);
	if (m && frame_encode(m, TRACE_FRAME_MAX, &buf, &len, NULL, 0) == 0) {
		while (off < len) {
			ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(buf);
	}
	json_decref(m);
}

int trace_session_run(int conn_fd, pid_t space_init, const struct trace_limits *lim,
		      char *err, size_t errlen)
{
	struct session s;
	sigset_t old;
	json_t *req = NULL;
	char e[HS_ERRLEN] = "";

	sigprocmask(SIG_SETMASK, NULL, &old);
	int rc = session_setup(&s, conn_fd, lim, e, sizeof(e));
	if (!rc)
		rc = read_request(&s, &req, e, sizeof(e));
	if (!rc)
		rc = trace_request_parse(req, &s.rq, e, sizeof(e));
	json_decref(req);
	s.space_init = space_init;
	if (!rc && trace_proc_level(space_init, &s.level))
		rc = err_sys(e, sizeof(e), "trace: server space init %d", (int)space_init);
	if (!rc)
		rc = attach_all(&s, space_init, e, sizeof(e));
	if (!rc)
		rc = trace_seccomp_install(e, sizeof(e));
	if (rc) {
		detach_all(&s);
		answer_error(conn_fd, e);
		err_set(err, errlen, rc, "%s", e);
		goto out;
	}
	queue_msg(&s, json_pack("{s:b,s:I}", "ok", 1, "threads", (json_int_t)s.nt), true);

	run_loop(&s);
	detach_all(&s);
	json_t *fin = stats_msg(&s);
	if (fin)
		json_object_set_new(fin, "final", json_true());
	queue_msg(&s, fin, true);
	flush_final(&s, 1000);
out:
	session_free(&s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
