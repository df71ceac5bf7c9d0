/* launch.c - starting a space's init, finding it again, entering it. */
#include "space.h"
#include "rootfs.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SPACE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

int space_name_check(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);
	bool ok = len >= 1 && len <= SPACE_NAME_MAX &&
		  ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'));
	for (size_t i = 0; ok && i < len; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		     c == '_' || c == '.' || c == '@';
	}
	if (!ok)
		return err_set(err, errlen, HS_EINPUT,
			       "name: \"%.40s\" must be 1-%d of [a-z0-9_.@-] starting with a letter or digit",
			       name, SPACE_NAME_MAX);
	return 0;
}

int proc_start_time(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return HS_ESYS;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return HS_ESYS;
	/* Field 22 is starttime; after ')' come fields 3.. */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", out) != 1)
		return HS_ESYS;
	return 0;
}

static pid_t clone3_pidfd(uint64_t flags, int *pidfd)
{
	struct clone_args args = {
		.flags = flags | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* In the child: report an error to the parent and leave.  Only
 * async-signal-safe calls from here on: we are a copy of a threaded hsd. */
static void child_fail(int errfd, const char *msg)
{
	size_t len = strlen(msg);
	if (write(errfd, msg, len) < 0) {
		/* nothing left to tell it with */
	}
	_exit(1);
}

static void child_main(const struct space_launch *l, int errfd, int gofd,
		       int syncfd, int initfd)
{
	char err[HS_ERRLEN], gofd_arg[16];
	char c;

	/* Wait until the parent has placed us in our cgroup. */
	if (read(syncfd, &c, 1) != 1)
		child_fail(errfd, "hsd went away during space start");
	close(syncfd);
	if (unshare(CLONE_NEWCGROUP))
		child_fail(errfd, "unshare cgroup namespace failed");
	if (rootfs_setup(l, err, sizeof(err)))
		child_fail(errfd, err);
	if (sethostname(l->name, strlen(l->name)))
		child_fail(errfd, "sethostname failed");
	/* fds: 0 = /dev/null, 1+2 = console, 3 = go pipe; everything else
	 * (store, sockets) closes on exec. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(l->console_fd, 1) < 0 ||
	    dup2(l->console_fd, 2) < 0 || dup2(gofd, 3) < 0)
		child_fail(errfd, "cannot set up the space's stdio");
	if (syscall(SYS_close_range, 4, ~0u, CLOSE_RANGE_CLOEXEC))
		child_fail(errfd, "close_range failed");
	if (caps_limit(l->kind, err, sizeof(err)))
		child_fail(errfd, err);

	size_t argc = 0;
	while (l->argv[argc])
		argc++;
	char **argv = calloc(argc + 5, sizeof(*argv));
	if (!argv)
		child_fail(errfd, "out of memory");
	snprintf(gofd_arg, sizeof(gofd_arg), "3");
	argv[0] = (char *)"hsinit";
	argv[1] = (char *)"--go-fd";
	argv[2] = gofd_arg;
	argv[3] = (char *)"--";
	for (size_t i = 0; i < argc; i++)
		argv[4 + i] = l->argv[i];
	char *envp[] = {
		(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		(char *)"HOME=/root", (char *)"container=hsd", NULL,
	};
	syscall(SYS_execveat, initfd, "", argv, envp, AT_EMPTY_PATH);
	child_fail(errfd, "exec hsinit failed");
}

static int cgroup_join(const char *cgroup, pid_t pid, char *err, size_t errlen)
{
	char path[4096], num[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return err_sys(err, errlen, "open %s", path);
	n = snprintf(num, sizeof(num), "%d", (int)pid);
	if (write(fd, num, (size_t)n) != n) {
		int rc = err_sys(err, errlen, "join cgroup %s", cgroup);
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

int space_launch(const struct space_launch *l, struct space_proc *out,
		 char *err, size_t errlen)
{
	int errp[2] = { -1, -1 }, gop[2] = { -1, -1 }, syncp[2] = { -1, -1 };
	int initfd = -1, pidfd = -1, rc = 0;
	char msg[HS_ERRLEN];
	ssize_t n;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->go_fd = -1;
	if ((initfd = open(l->hsinit, O_PATH | O_CLOEXEC)) < 0)
		return err_sys(err, errlen, "hsinit %s", l->hsinit);
	/* The go pipe's read end must survive into hsinit: no CLOEXEC there
	 * (it is dup'ed to fd 3 in the child and the original closes). */
	if (pipe2(errp, O_CLOEXEC) || pipe2(syncp, O_CLOEXEC) || pipe2(gop, O_CLOEXEC)) {
		rc = err_sys(err, errlen, "pipe");
		goto out;
	}
	pid = clone3_pidfd(SPACE_NS_FLAGS, &pidfd);
	if (pid < 0) {
		rc = err_sys(err, errlen, "clone space %s", l->name);
		goto out;
	}
	if (pid == 0) {
		close(errp[0]);
		close(gop[1]);
		close(syncp[1]);
		child_main(l, errp[1], gop[0], syncp[0], initfd);
	}
	close(errp[1]);
	errp[1] = -1;
	if (l->cgroup && (rc = cgroup_join(l->cgroup, pid, err, errlen))) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (write(syncp[1], "g", 1) != 1) {
		rc = err_sys(err, errlen, "space %s: sync", l->name);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	/* EOF without a message: hsinit was exec'd. */
	while ((n = read(errp[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n != 0) {
		msg[n > 0 ? n : 0] = 0;
		waitpid(pid, NULL, 0);
		rc = err_set(err, errlen, HS_ESYS, "space %s: %s", l->name,
			     n > 0 ? msg : "start failed");
		goto out;
	}
	out->pid = pid;
	out->pidfd = pidfd;
	out->go_fd = gop[1];
	pidfd = gop[1] = -1;
	if (proc_start_time(pid, &out->start)) {
		space_proc_close(out);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		rc = err_set(err, errlen, HS_ESYS, "space %s: init vanished", l->name);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0) close(errp[i]);
		if (gop[i] >= 0) close(gop[i]);
		if (syncp[i] >= 0) close(syncp[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	close(initfd);
	return rc;
}

int space_go(struct space_proc *p, char *err, size_t errlen)
{
	int rc = 0;
	if (p->go_fd < 0)
		return 0;
	if (write(p->go_fd, "g", 1) != 1)
		rc = err_sys(err, errlen, "release space init %d", (int)p->pid);
	close(p->go_fd);
	p->go_fd = -1;
	return rc;
}

int space_adopt(pid_t pid, unsigned long long start, struct space_proc *out,
		char *err, size_t errlen)
{
	unsigned long long now;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->go_fd = -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return err_set(err, errlen, HS_ESTATE, "init %d is gone", (int)pid);
	/* Checked after pidfd_open: the pidfd pins this exact process. */
	if (proc_start_time(pid, &now) || now != start) {
		close(fd);
		return err_set(err, errlen, HS_ESTATE, "init %d is gone (pid reused)", (int)pid);
	}
	out->pid = pid;
	out->start = start;
	out->pidfd = fd;
	return 0;
}

void space_proc_close(struct space_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->go_fd >= 0)
		close(p->go_fd);
	p->pidfd = p->go_fd = -1;
}

int space_ns_open(const struct space_proc *p, const char *ns, char *err,
		  size_t errlen)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)p->pid, ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "%s", path);
	return fd;
}

int space_exec(pid_t pid, unsigned long long start, enum space_kind kind,
	       char *const *argv, int *status, char *err, size_t errlen)
{
	struct space_proc p;
	int rc = space_adopt(pid, start, &p, err, errlen);
	pid_t child;

	if (rc)
		return rc;
	child = fork();
	if (child < 0) {
		space_proc_close(&p);
		return err_sys(err, errlen, "fork");
	}
	if (child == 0) {
		/* All namespaces at once through the pidfd; the PID namespace
		 * applies to our children, hence the second fork. */
		if (setns(p.pidfd, SPACE_NS_FLAGS | CLONE_NEWCGROUP)) {
			perror("hsctl: enter space");
			_exit(126);
		}
		pid_t g = fork();
		if (g == 0) {
			if (caps_limit(kind, err, errlen)) {
				fprintf(stderr, "hsctl: %s\n", err);
				_exit(126);
			}
			if (chdir("/")) {
				/* the root always exists */
			}
			execvp(argv[0], argv);
			fprintf(stderr, "hsctl: exec %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		int st = 0;
		if (g < 0 || waitpid(g, &st, 0) < 0)
			_exit(126);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	space_proc_close(&p);
	int st = 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}
