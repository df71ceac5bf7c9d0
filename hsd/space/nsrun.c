/* nsrun.c - run a function in a forked child, for work inside other
 * namespaces. */
#include "nsrun.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
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
		/* Nothing of hsd's goes along into a space: only the report
		 * pipe stays open (as fd 3). */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
		    dup2(p[1], 3) < 0 || syscall(SYS_close_range, 4, ~0u, 0))
			_exit(2);
		p[1] = 3;
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

int nsrun_enter_fd(int pidfd, int nstypes, char *err, size_t errlen)
{
	if (setns(pidfd, nstypes))
		return err_sys(err, errlen, "enter the space's namespaces");
	if (!(nstypes & CLONE_NEWUSER))
		return 0;
	/* Root of the space, not of the host; not dumpable, so the space
	 * cannot trace what is still ours. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || setgroups(0, NULL) || setresgid(0, 0, 0) ||
	    setresuid(0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return err_sys(err, errlen, "become root of the space");
	return 0;
}

int nsrun_enter(pid_t pid, int nstypes, char *err, size_t errlen)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return err_sys(err, errlen, "process %d", (int)pid);
	int rc = nsrun_enter_fd(fd, nstypes, err, errlen);
	close(fd);
	return rc;
}
