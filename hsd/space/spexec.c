/* spexec.c - hsctl space exec: see spexec.h.
 *
 *   hsctl ──fork──> C (host root): joins the space's cgroups, enters its
 *                   namespaces, becomes root of its user namespace (not
 *                   dumpable), forks the command and exits as it does
 *          C ──fork──> E (in the space's PID namespace): new session, its
 *                   stdio (pty opened inside the space, or pipes), the
 *                   space's capabilities, no Landlock domain (spexec.h),
 *                   the seccomp filter, then exec
 * Setup errors come back as one line on a close-on-exec pipe (EOF: exec'd);
 * C sends E's pid, E sends the pty master, over a seqpacket socket.
 */
#include "spexec.h"
#include "cgroup.h"
#include "err.h"
#include "fdpass.h"
#include "nsrun.h"
#include "sandbox.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SPEXEC_NS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
		   CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

struct spexec_fds {
	int errfd, ctl, ptyfd;       /* report pipe, sockets for the pid and the pty */
	int in, out, err;            /* the command's ends of the pipes (no tty) */
};

static void fail(int errfd, const char *msg)
{
	if (write(errfd, msg, strlen(msg)) < 0) {
		/* nothing left to tell it with */
	}
	_exit(126);
}

/* The space's devpts, reached without following anything the space
 * could have planted, and checked to be one. */
static int pty_open(int *master, int *slave, char *err, size_t errlen)
{
	struct open_how how = {
		.flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct statfs sf;
	int unlock = 0;

	*master = (int)syscall(SYS_openat2, AT_FDCWD, "/dev/pts/ptmx", &how, sizeof(how));
	if (*master < 0)
		return err_sys(err, errlen, "open the space's /dev/pts/ptmx");
	if (fstatfs(*master, &sf) || sf.f_type != DEVPTS_SUPER_MAGIC)
		return err_set(err, errlen, HS_ESTATE, "the space's /dev/pts is not a devpts: refused");
	if (ioctl(*master, TIOCSPTLCK, &unlock))
		return err_sys(err, errlen, "unlock the pty");
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return err_sys(err, errlen, "open the pty's terminal");
	return 0;
}

static void command_main(const struct spexec_req *r, const struct spexec_fds *f)
{
	char err[HS_ERRLEN];
	int master = -1, slave = -1;

	if (setsid() < 0)
		fail(f->errfd, "setsid failed");
	if (r->tty) {
		if (pty_open(&master, &slave, err, sizeof(err)))
			fail(f->errfd, err);
		if (fdpass_send(f->ptyfd, master, 0))
			fail(f->errfd, "cannot hand the pty to hsctl");
		close(master);
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0 ||
		    ioctl(0, TIOCSCTTY, 0))
			fail(f->errfd, "cannot make the pty the command's terminal");
	} else if (dup2(f->in, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->err, 2) < 0) {
		fail(f->errfd, "cannot set up the command's stdio");
	}
	/* Everything else closes at exec; the report pipe until then. */
	if (syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC))
		fail(f->errfd, "close_range failed");
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* No Landlock domain: the space's processes, in theirs, can neither
	 * trace nor signal one outside it, while the operator's command may
	 * still manage them (kill, strace). */
	if (caps_limit(caps_of(r->kind), err, sizeof(err)) ||
	    sandbox_seccomp(err, sizeof(err)) ||
	    (r->kind == SPACE_AUDIT && sandbox_seccomp_ids(USERNS_SPAN, err, sizeof(err))))
		fail(f->errfd, err);
	if (chdir("/"))
		fail(f->errfd, "chdir / failed");
	close(f->errfd); /* from here on, errors are the command's own */
	execvpe(r->argv[0], r->argv, r->envp);
	dprintf(2, "hsctl space exec: %s: %s\n", r->argv[0], strerror(errno));
	_exit(127);
}

static void outer_main(const struct spexec_req *r, int pidfd, const struct spexec_fds *f)
{
	char err[HS_ERRLEN];
	int status;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN); /* hsctl forwards signals to the command */
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	if (cgroup_join_like(r->init, getpid(), err, sizeof(err)) ||
	    nsrun_enter_fd(pidfd, SPEXEC_NS, err, sizeof(err)))
		fail(f->errfd, err);
	close(pidfd);
	pid_t pid = fork();
	if (pid < 0)
		fail(f->errfd, "fork in the space failed");
	if (pid == 0)
		command_main(r, f);
	close(f->errfd);
	if (write(f->ctl, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		kill(pid, SIGKILL);
	close(f->ctl);
	if (f->ptyfd >= 0)
		close(f->ptyfd);
	if (f->in >= 0) {
		close(f->in);
		close(f->out);
		close(f->err);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

static int recv_exact(int fd, void *buf, size_t len)
{
	ssize_t n;
	while ((n = recv(fd, buf, len, 0)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)len ? 0 : -1;
}

int spexec_start(const struct spexec_req *r, struct spexec_proc *out, char *err,
		 size_t errlen)
{
	int errp[2] = { -1, -1 }, ctl[2] = { -1, -1 }, ptys[2] = { -1, -1 };
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errs[2] = { -1, -1 };
	struct space_proc sp;
	char msg[HS_ERRLEN];
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->in = out->out = out->err = out->pty = -1;
	if ((rc = space_adopt(r->init, r->start, &sp, err, errlen)))
		return rc;
	if (pipe2(errp, O_CLOEXEC) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) ||
	    (r->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ptys)) ||
	    (!r->tty && (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC) || pipe2(errs, O_CLOEXEC)))) {
		rc = err_sys(err, errlen, "pipe");
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rc = err_sys(err, errlen, "fork");
		goto out;
	}
	if (pid == 0) {
		struct spexec_fds f = { errp[1], ctl[1], ptys[1], in[0], outp[1], errs[1] };
		close(errp[0]);
		close(ctl[0]);
		if (r->tty)
			close(ptys[0]);
		if (!r->tty) {
			close(in[1]);
			close(outp[0]);
			close(errs[0]);
		}
		outer_main(r, sp.pidfd, &f);
	}
	close(errp[1]);
	close(ctl[1]);
	errp[1] = ctl[1] = -1;
	if (r->tty) {
		close(ptys[1]);
		ptys[1] = -1;
	}
	if (!r->tty) {
		close(in[0]);
		close(outp[1]);
		close(errs[1]);
		in[0] = outp[1] = errs[1] = -1;
	}
	while ((n = read(errp[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n > 0 || recv_exact(ctl[0], &out->command, sizeof(out->command))) {
		msg[n > 0 ? n : 0] = 0;
		rc = err_set(err, errlen, HS_ESYS, "%s", n > 0 ? msg : "the command did not start");
		goto reap;
	}
	if (r->tty) {
		struct pollfd p = { ptys[0], POLLIN, 0 };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		if (fdpass_recv(ptys[0], &out->pty) != 1) {
			rc = err_set(err, errlen, HS_ESYS, "no pty came from the space");
			goto reap;
		}
	}
	out->pid = pid;
	out->in = in[1];
	out->out = outp[0];
	out->err = errs[0];
	in[1] = outp[0] = errs[0] = -1;
	goto out;
reap:
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
out:
	close_pair(errp);
	close_pair(ctl);
	close_pair(ptys);
	close_pair(in);
	close_pair(outp);
	close_pair(errs);
	space_proc_close(&sp);
	return rc;
}

void spexec_close(struct spexec_proc *p)
{
	int *fds[] = { &p->in, &p->out, &p->err, &p->pty };
	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}
