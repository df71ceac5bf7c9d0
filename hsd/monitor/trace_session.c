/* trace_session.c - one process tracing one server space for its readers.
 *
 * Life of a session:
 *   1. load the eBPF program for the space unless told not to
 *      (trace_bpf_session.c; "auto" readers get ptrace if it fails), then
 *      install the read-only seccomp filter (trace_seccomp.c);
 *   2. take readers: the one it was started with, and every one hsd passes
 *      over its control socket (SCM_RIGHTS) later;
 *   3. for each reader's request (trace_readers.c) seize what it asks for
 *      (PTRACE_SEIZE + INTERRUPT) unless already traced, following forks,
 *      vforks, clones and execs from then on; for a whole-space reader,
 *      rescan the space every 250 ms for processes that joined it from
 *      outside (each seize checked against pid reuse: attach_process);
 *   4. loop: every ptrace-stop is handled and the tracee resumed at once;
 *      each reader wanting the event gets it in its own bounded queue;
 *      eBPF readers get the ring buffer's records the same way;
 *   5. with no reader left, detach everyone (and, with one reader only,
 *      end); on SIGTERM/SIGINT or the control socket's EOF (hsd stopped,
 *      or the server space did): detach, send every reader its final
 *      stats (best effort), return.
 * If the process dies instead (SIGKILL), the kernel detaches every tracee
 * and lets it run on; nothing here uses PTRACE_O_EXITKILL.
 */
#include "trace_session.h"
#include "fdpass.h"

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
#include <unistd.h>

#define TRACE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | \
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)
#define TRACE_WAIT_BATCH 256       /* stops handled between socket checks */

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
	free(t->args);
	*t = s->t[--s->nt];
}

/* Keep the n bytes of args text decoded at entry (NULL: none), in the
 * tracee's own buffer, grown only when a call's text is longer than any
 * before it. */
static void tracee_keep_args(struct tracee *t, const char *text, size_t n)
{
	t->args_len = 0;
	if (!text)
		return;
	if (n + 1 > t->args_cap) {
		size_t cap = n + 1 > 256 ? n + 1 : 256;
		char *p = realloc(t->args, cap);
		if (!p)
			return; /* sent as [] rather than not at all */
		t->args = p;
		t->args_cap = cap;
	}
	memcpy(t->args, text, n + 1);
	t->args_len = n;
}

/* ---- events ---- */

static void tracee_args(struct trace_jw *w, const void *ctx)
{
	const struct tracee *t = ctx;
	if (t->args_len) {
		trace_jw_lit(w, t->args);
	} else {
		trace_jw_open(w, '[');
		trace_jw_close(w, ']');
	}
}

static void emit(struct session *s, struct tracee *t, bool done, int64_t rval,
		 bool is_error)
{
	struct trace_event e = {
		.t_ns = t->t_ns,
		.pid = t->pid,
		.tid = t->ntid,
		.nr = t->nr,
		.compat = t->arch != AUDIT_ARCH_X86_64,
		.done = done,
		.is_error = is_error,
		.ret = rval,
	};
	size_t len = 0;
	bool ok = trace_event_frame(&e, tracee_args, t, s->evbuf, TRACE_FRAME_MAX + FRAME_HDR,
				    &len) == 0;
	t->args_len = 0;
	readers_emit(s, t, ok ? s->evbuf : NULL, len, t->nr);
}

static void on_syscall_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(info), &info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		t->args_len = 0; /* entry without exit: a restarted call */
		t->in_call = true;
		t->nr = (long)info.entry.nr;
		t->arch = info.arch;
		t->t_ns = trace_now_ns(CLOCK_REALTIME);
		t->wanted = readers_want(s, t, t->nr);
		if (t->wanted && t->arch == AUDIT_ARCH_X86_64) {
			struct trace_mem mem = {trace_mem_read_pid, (void *)(intptr_t)t->tid};
			struct trace_jw w;
			trace_jw_init(&w, s->argbuf, TRACE_FRAME_MAX);
			trace_decode_args_jw(t->nr, (const uint64_t *)info.entry.args, &mem,
					     &s->lim, &w);
			tracee_keep_args(t, w.overflow ? NULL : s->argbuf, w.len);
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

/* The signal to hand back when detaching a tracee in this stop: a pending
 * signal-delivery-stop keeps its signal; a group-stopped tracee stays
 * stopped after detach (the kernel re-enters the stop); other stops
 * (syscall, event, interrupt) have none. */
static int detach_signal(int status)
{
	int sig = WSTOPSIG(status), event = status >> 16;
	return (event == 0 && sig != (SIGTRAP | 0x80)) ? sig : 0;
}

/* A stop of a thread we do not know: a new child whose parent's fork
 * event has not been read yet, or a process seized and then disowned by
 * attach_process (its pid was reused).  It is followed only if it is in
 * the space; otherwise, or over the tracee limit, it is let go
 * untouched. */
static struct tracee *adopt(struct session *s, pid_t tid, int status)
{
	struct trace_space sp;
	struct tracee *t = NULL;

	if (trace_proc_space(s->space_init, &sp, NULL, 0) == 0 &&
	    trace_proc_in_space(tid, &sp, TRACE_NS_TREE) == 1)
		t = tracee_add(s, tid);
	if (!t)
		ptrace(PTRACE_DETACH, tid, NULL, (void *)(intptr_t)detach_signal(status));
	return t;
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
	if (!t && !(t = adopt(s, tid, status)))
		return;
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
		uint32_t rmask = t->rmask;
		struct tracee *child = NULL;
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 &&
		    !(child = tracee_find(s, (pid_t)msg)))
			child = tracee_add(s, (pid_t)msg);
		if (child) /* whoever follows a process follows its children */
			child->rmask |= rmask;
		t = tracee_find(s, tid); /* tracee_add may have moved the table */
		tracee_resume(t, 0);
	} else if (event == PTRACE_EVENT_EXEC) {
		/* A non-leader thread that execs takes over the leader's tid:
		 * its pending execve moves with it. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 && (pid_t)msg != tid) {
			struct tracee *old = tracee_find(s, (pid_t)msg);
			t = tracee_find(s, tid);
			if (old && t) {
				free(t->args);
				t->in_call = old->in_call;
				t->wanted = old->wanted;
				t->nr = old->nr;
				t->arch = old->arch;
				t->t_ns = old->t_ns;
				t->args = old->args;
				t->args_len = old->args_len;
				t->args_cap = old->args_cap;
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

void (*trace_seize_hook)(enum trace_seize_step step, pid_t pid);

static void seize_step(enum trace_seize_step step, pid_t pid)
{
	if (trace_seize_hook)
		trace_seize_hook(step, pid);
}

struct tids {
	pid_t *v;
	size_t n, cap;
};

static int tids_push(struct tids *l, pid_t tid)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		pid_t *p = realloc(l->v, nc * sizeof(*p));
		if (!p)
			return -1;
		l->v = p;
		l->cap = nc;
	}
	l->v[l->n++] = tid;
	return 0;
}

static bool tids_has(const struct tids *l, pid_t tid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == tid)
			return true;
	return false;
}

/* Whether process pid has a thread we do not trace yet; the ones we do
 * are marked for mask's reader (a thread we trace is pinned: its tid is
 * not reused before we wait for its exit). */
static bool has_untraced(struct session *s, pid_t pid, uint32_t mask)
{
	pid_t *tids;
	size_t n;
	bool any = false;

	if (trace_proc_tasks(-1, pid, &tids, &n))
		return false; /* gone */
	for (size_t i = 0; i < n; i++) {
		struct tracee *t = tracee_find(s, tids[i]);
		if (t)
			t->rmask |= mask;
		else
			any = true;
	}
	free(tids);
	return any;
}

/* Seize every thread of the handle's process we do not trace yet, into
 * *seized; threads created meanwhile are caught by another pass (clones
 * after the first seize are followed by the kernel). */
static void seize_threads(struct session *s, int handle, struct tids *seized, int *first_err)
{
	for (int pass = 0; pass < 10; pass++) {
		pid_t *tids;
		size_t n, before = seized->n;
		if (trace_proc_tasks(handle, 0, &tids, &n))
			return; /* gone */
		for (size_t i = 0; i < n; i++) {
			if (tracee_find(s, tids[i]) || tids_has(seized, tids[i]))
				continue;
			seize_step(TRACE_SEIZE_VERIFIED, tids[i]);
			if (ptrace(PTRACE_SEIZE, tids[i], NULL, (void *)(uintptr_t)TRACE_OPTS) < 0) {
				if (errno != ESRCH && !*first_err) /* ESRCH: it just exited */
					*first_err = errno;
				continue;
			}
			if (tids_push(seized, tids[i])) {
				/* traced but not in our table: adopt() settles it */
				ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
				continue;
			}
			seize_step(TRACE_SEIZE_SEIZED, tids[i]);
		}
		free(tids);
		if (seized->n == before)
			return;
	}
}

/* Seize process f->pid found by a scan, without racing pid reuse.
 *
 * Between the scan and the seize the process may exit and its number go
 * to another process, maybe outside the space, which a seize by number
 * would then trace.  The order below closes that window:
 *   1. open /proc/P: a handle on the process P names now, X (like a
 *      pidfd: it stays bound to X, and pidfd_send_signal takes it);
 *   2. through the handle: X started when the scan's process did, and is
 *      in the space; X's threads;
 *   3. PTRACE_SEIZE of P and of those thread ids, by number;
 *   4. through the handle: X has not been reaped.
 * A pid is freed only when its process is reaped, so if X is unreaped at
 * 4, P named X all through 3: the seize hit X.  If X was reaped, 3 may
 * have hit a newcomer, and all that 3 seized is disowned.  A seized
 * thread T is pinned too (a tracee is not reaped before its tracer waits
 * for it), so T found among X's threads between 3 and 4 is X's.
 * Disowned: interrupted and left out of the table; at its stop adopt()
 * detaches it (or follows it, if it is in the space after all).
 * A /proc directory rather than pidfd_open: the same guarantee, reads
 * that cannot be misdirected, and no call that valgrind lacks (it
 * reports every pidfd_open it cannot run, and a killed session's log
 * must stay clean).
 * Returns the number of threads now followed. */
static int attach_process(struct session *s, const struct trace_space *sp,
			  const struct trace_found *f, uint32_t mask, int *first_err)
{
	struct tids seized = {0};
	int added = 0;

	if (!has_untraced(s, f->pid, mask))
		return 0;
	seize_step(TRACE_SEIZE_FOUND, f->pid);
	int h = trace_proc_handle(f->pid);
	if (h < 0) {
		if (errno != ENOENT && errno != ESRCH && !*first_err) /* not: gone */
			*first_err = errno;
		return 0;
	}
	if (!trace_proc_identity(h, sp, f->start)) {
		close(h);
		return 0; /* not the process the scan found */
	}
	seize_threads(s, h, &seized, first_err);

	bool *own = calloc(seized.n ? seized.n : 1, sizeof(*own));
	for (size_t i = 0; own && i < seized.n; i++)
		own[i] = seized.v[i] == f->pid || trace_proc_thread_of(h, seized.v[i]);
	bool same = trace_proc_alive(h);
	for (size_t i = 0; i < seized.n; i++) {
		struct tracee *t = NULL;
		if (same && own && own[i] && (t = tracee_add(s, seized.v[i]))) {
			t->rmask = mask;
			added++;
		}
		/* seized tracees run until stopped: stop them once, to start
		 * the PTRACE_SYSCALL cycle or to let them go (adopt) */
		ptrace(PTRACE_INTERRUPT, seized.v[i], NULL, NULL);
	}
	free(own);
	free(seized.v);
	close(h);
	return added;
}

/* Attach what rq asks for; mask marks the tracees of a process target.
 * An error only if nothing at all could be found. */
int trace_attach_all(struct session *s, const struct trace_request *rq, uint32_t mask,
		     char *err, size_t errlen)
{
	struct trace_space sp;
	int first_err = 0;
	int rc = trace_proc_space(s->space_init, &sp, err, errlen);

	if (rc)
		return rc;
	for (int pass = 0; pass < 5; pass++) {
		struct trace_found *found;
		size_t n;
		int added = 0;
		rc = trace_proc_targets(&sp, rq, &found, &n, err, errlen);
		if (rc)
			return pass ? 0 : rc;
		for (size_t i = 0; i < n; i++)
			added += attach_process(s, &sp, &found[i], mask, &first_err);
		free(found);
		if (!added || !rq->whole_space)
			break;
	}
	if (first_err) {
		errno = first_err;
		err_sys(err, errlen, "trace: attach");
	}
	return 0;
}

/* ---- detaching ---- */

static void detach_one(struct session *s, struct tracee *t, int status)
{
	ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(intptr_t)detach_signal(status));
	tracee_gone(s, t);
}

void trace_detach_all(struct session *s)
{
	for (size_t i = 0; i < s->nt; i++)
		ptrace(PTRACE_INTERRUPT, s->t[i].tid, NULL, NULL);
	int64_t deadline = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)s->lim.detach_ms * 1000000;
	while (s->nt) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
		if (tid < 0)
			break;
		if (tid == 0) {
			int64_t left = (deadline - trace_now_ns(CLOCK_MONOTONIC)) / 1000000;
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

static void read_signals(struct session *s)
{
	struct signalfd_siginfo si;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			s->stop = true;
}

/* hsd passes a new reader: one byte with the connection's fd attached.
 * EOF: hsd stopped, or the server space did. */
static void read_ctl(struct session *s)
{
	int fd, rc = fdpass_recv(s->ctl, &fd);

	if (rc == 1)
		readers_add(s, fd);
	else if (rc < 0 && rc != -EAGAIN && rc != -EINTR)
		s->stop = true;
}

/* Processes that joined the space from outside (setns, as hsctl space
 * exec does) are no one's fork: look for them now and then. */
#define TRACE_RESCAN_NS (250 * 1000000LL)

static bool readers_left(const struct session *s)
{
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		if (s->r[i].fd >= 0)
			return true;
	return false;
}

static void run_loop(struct session *s)
{
	static const struct trace_request whole = {.whole_space = true};
	int64_t next_stats = trace_now_ns(CLOCK_MONOTONIC) + (int64_t)s->lim.stats_ms * 1000000;
	int64_t next_scan = trace_now_ns(CLOCK_MONOTONIC) + TRACE_RESCAN_NS;
	char e[HS_ERRLEN];

	while (!s->stop && (s->ctl >= 0 || readers_left(s))) {
		/* even with no tracee: a disowned one's stop must be read
		 * (adopt) so it is let go */
		bool busy = drain_waits(s);
		readers_service(s);
		if (s->nt && !readers_active(s))
			trace_detach_all(s); /* nobody to trace for */
		trace_bpf_session_drain(s);
		int64_t now = trace_now_ns(CLOCK_MONOTONIC);
		if (now >= next_stats) {
			trace_bpf_readers_tick(s);
			readers_stats(s);
			next_stats = now + (int64_t)s->lim.stats_ms * 1000000;
		}
		bool scan = readers_whole_space(s);
		if (scan && now >= next_scan) {
			trace_attach_all(s, &whole, 0, e, sizeof(e));
			next_scan = now + TRACE_RESCAN_NS;
		}
		struct pollfd p[3 + TRACE_READERS_MAX];
		struct reader *who[TRACE_READERS_MAX];
		nfds_t n = 0;
		p[n++] = (struct pollfd){.fd = s->sfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = s->ctl, .events = POLLIN}; /* -1 is ignored */
		/* eBPF records wake us like stops do (drained at the top) */
		p[n++] = (struct pollfd){.fd = trace_bpf_session_fd(s), .events = POLLIN};
		for (size_t i = 0; i < TRACE_READERS_MAX; i++) {
			struct reader *r = &s->r[i];
			if (r->fd < 0)
				continue;
			who[n - 3] = r;
			p[n++] = (struct pollfd){.fd = r->fd,
				.events = POLLIN | (trace_outq_empty(&r->q) ? 0 : POLLOUT)};
		}
		int64_t next = !scan || next_stats < next_scan ? next_stats : next_scan;
		int wait_ms = busy ? 0 : (int)((next - now) / 1000000) + 1;
		int flush_ms = trace_bpf_session_wait_ms(s);
		if (flush_ms >= 0 && wait_ms > flush_ms)
			wait_ms = flush_ms;
		if (poll(p, n, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			read_signals(s);
		if (p[1].revents)
			read_ctl(s);
		for (nfds_t i = 3; i < n; i++)
			if (who[i - 3]->fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				readers_read(s, who[i - 3]);
	}
}

static int session_setup(struct session *s, int ctl_fd, const struct trace_limits *lim,
			 char *err, size_t errlen)
{
	sigset_t set;
	*s = (struct session){.ctl = ctl_fd, .sfd = -1};
	for (size_t i = 0; i < TRACE_READERS_MAX; i++)
		s->r[i].fd = -1;
	if (lim)
		s->lim = *lim;
	else
		trace_limits_default(&s->lim);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return err_sys(err, errlen, "trace: sigprocmask");
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0)
		return err_sys(err, errlen, "trace: signalfd");
	/* Once, for the session's life: events are encoded here, never in an
	 * allocation of their own. */
	s->evbuf = malloc(TRACE_FRAME_MAX + FRAME_HDR);
	s->argbuf = malloc(TRACE_FRAME_MAX);
	if (!s->evbuf || !s->argbuf)
		return err_sys(err, errlen, "trace: malloc");
	return 0;
}

static void session_free(struct session *s)
{
	readers_free(s);
	trace_bpf_session_close(s);
	for (size_t i = 0; i < s->nt; i++)
		free(s->t[i].args);
	free(s->t);
	free(s->evbuf);
	free(s->argbuf);
	if (s->sfd >= 0)
		close(s->sfd);
}

int trace_session_run(int ctl_fd, int conn_fd, pid_t space_init, const struct trace_limits *lim,
		      char *err, size_t errlen)
{
	struct session s;
	sigset_t old;
	char e[HS_ERRLEN] = "";

	sigprocmask(SIG_SETMASK, NULL, &old);
	int rc = session_setup(&s, ctl_fd, lim, e, sizeof(e));
	s.space_init = space_init;
	if (!rc && trace_proc_level(space_init, &s.level))
		rc = err_sys(e, sizeof(e), "trace: server space init %d", (int)space_init);
	/* before the filter: loading and attaching need bpf() commands it
	 * refuses from then on */
	if (!rc && s.lim.backend != TRACE_BACKEND_PTRACE)
		trace_bpf_session_open(&s);
	if (!rc)
		rc = trace_seccomp_install(e, sizeof(e));
	if (rc) {
		if (conn_fd >= 0) {
			trace_answer_error(conn_fd, e);
			close(conn_fd);
		}
		err_set(err, errlen, rc, "%s", e);
		goto out;
	}
	if (conn_fd >= 0)
		readers_add(&s, conn_fd);
	run_loop(&s);
	trace_detach_all(&s);
	readers_finish(&s);
	if ((rc = s.single_rc))
		err_set(err, errlen, rc, "%s", s.single_err);
out:
	session_free(&s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
