/* nsrun.c - run a function in a forked child, for work inside other
 * namespaces. */
#include "nsrun.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int nsrun(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
	  size_t errlen)
{
	char msg[HS_ERRLEN];
	int p[2], status;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return err_sys(err, errlen, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(err, errlen, "fork");
	}
	if (pid == 0) {
		msg[0] = 0;
		int rc = fn(arg, msg, sizeof(msg));
		if (rc && write(p[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(rc ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[n > 0 ? n : 0] = 0;
	return err_set(err, errlen, HS_ESYS, "%s", n > 0 ? msg : "namespace helper failed");
}

int nsrun_enter(pid_t pid, int nstypes, char *err, size_t errlen)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return err_sys(err, errlen, "process %d", (int)pid);
	int rc = setns(fd, nstypes) ? err_sys(err, errlen, "enter the namespaces of %d", (int)pid) : 0;
	close(fd);
	return rc;
}
