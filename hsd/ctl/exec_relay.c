/* exec_relay.c - hsctl's side of `hsctl space exec`: copy between the
 * operator's terminal or pipes and the command in the space, which holds
 * none of them (hsd/space/spexec.h).  With a pty, the operator's terminal
 * is raw for the duration and its size follows SIGWINCH; without, stdin
 * goes to a pipe and the command's stdout and stderr come back apart.
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT are passed on to the command.
 */
#include "exec_relay.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

enum { R_SIG, R_STDIN, R_OUT, R_ERR, R_N };

struct relay {
	struct spexec_proc *p;
	struct pollfd fds[R_N];
	int sink[R_N];  /* where what is read from fds[i] goes */
	bool exited;
	int status;
};

static void winsize_copy(int from, int to)
{
	struct winsize ws;
	if (to >= 0 && ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* One read from slot i to its sink; at EOF (or EIO: the pty's last
 * holder closed it) the slot is done and the stdin pipe is closed. */
static void relay_pump(struct relay *r, int i)
{
	char buf[16384];
	ssize_t n = read(r->fds[i].fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0 && fs_write_all(r->sink[i], buf, (size_t)n) == 0)
		return;
	if (i == R_STDIN && r->p->in >= 0) {
		close(r->p->in); /* the command sees EOF */
		r->p->in = -1;
	}
	r->fds[i].fd = -1;
}

static void relay_signal(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->fds[R_SIG].fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (!r->exited && waitpid(r->p->pid, &r->status, WNOHANG) == r->p->pid)
				r->exited = true;
		} else if (si.ssi_signo == SIGWINCH) {
			winsize_copy(STDIN_FILENO, r->p->pty);
		} else if (r->p->command > 0) {
			kill(r->p->command, (int)si.ssi_signo);
		}
	}
}

int exec_relay(struct spexec_proc *p, int *status)
{
	struct relay r = { .p = p };
	struct termios saved;
	bool raw = false;
	sigset_t set, old;
	int rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	r.fds[R_SIG] = (struct pollfd){ signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), POLLIN, 0 };
	if (r.fds[R_SIG].fd < 0) {
		rc = -1;
		goto out;
	}
	if (p->pty >= 0) {
		r.fds[R_STDIN] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		r.sink[R_STDIN] = p->pty;
		r.fds[R_OUT] = (struct pollfd){ p->pty, POLLIN, 0 };
		r.sink[R_OUT] = STDOUT_FILENO;
		r.fds[R_ERR].fd = -1;
		if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
			struct termios t = saved;
			cfmakeraw(&t);
			raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
			winsize_copy(STDIN_FILENO, p->pty);
		}
	} else {
		r.fds[R_STDIN] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		r.sink[R_STDIN] = p->in;
		r.fds[R_OUT] = (struct pollfd){ p->out, POLLIN, 0 };
		r.sink[R_OUT] = STDOUT_FILENO;
		r.fds[R_ERR] = (struct pollfd){ p->err, POLLIN, 0 };
		r.sink[R_ERR] = STDERR_FILENO;
	}
	/* Until the command has exited and its output is read to the end: a
	 * process it left behind holding the output does not keep us. */
	for (;;) {
		bool open_out = r.fds[R_OUT].fd >= 0 || r.fds[R_ERR].fd >= 0;
		/* Also here: a SIGCHLD may have come before it was blocked. */
		if (!r.exited && waitpid(p->pid, &r.status, WNOHANG) == p->pid)
			r.exited = true;
		if (r.exited && !open_out)
			break;
		int n = poll(r.fds, R_N, r.exited ? 0 : -1);
		if (n < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (n == 0) /* exited, and nothing more is ready */
			break;
		if (r.fds[R_SIG].revents)
			relay_signal(&r);
		for (int i = R_STDIN; i < R_N; i++)
			if (r.fds[i].fd >= 0 && r.fds[i].revents)
				relay_pump(&r, i);
	}
	if (!r.exited && waitpid(p->pid, &r.status, 0) < 0)
		rc = -1;
	*status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status);
out:
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (r.fds[R_SIG].fd >= 0)
		close(r.fds[R_SIG].fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
