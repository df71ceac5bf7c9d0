/* launch.c - starting a space's init, finding it again, entering it. */
#include "space.h"
#include "rootfs.h"
#include "cgroup.h"
#include "sandbox.h"
#include "userns.h"
#include "err.h"
#include "procfs.h"

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
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

/* In a child: report an error to hsd and leave.  Only what is safe after
 * fork of a threaded process, plus the mounting: we are a copy of hsd. */
static void child_fail(int errfd, const char *msg)
{
	size_t len = strlen(msg);
	if (write(errfd, msg, len) < 0) {
		/* nothing left to tell it with */
	}
	_exit(1);
}

/* The space's init: root of its user namespace, in namespaces it owns. */
static void init_main(const struct space_launch *l, int errfd, int gofd, const int statusp[2])
{
	char err[HS_ERRLEN];

	if (rootfs_enter(l, err, sizeof(err)))
		child_fail(errfd, err);
	if (sethostname(l->name, strlen(l->name)))
		child_fail(errfd, "sethostname failed");
	/* fds: 0 = /dev/null, 1+2 = console, 3 = go pipe, 4 and 5 = the
	 * status pipe's write and read ends (hsinit.c); everything else
	 * (store, sockets) closes on exec. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Out of the way of the dup2s before theirs, whatever their numbers. */
	int sw = fcntl(statusp[1], F_DUPFD_CLOEXEC, 16), sr = fcntl(statusp[0], F_DUPFD_CLOEXEC, 16);
	if (null < 0 || sw < 0 || sr < 0 || dup2(null, 0) < 0 || dup2(l->console_fd, 1) < 0 ||
	    dup2(l->console_fd, 2) < 0 || dup2(gofd, 3) < 0 ||
	    dup2(sw, SPACE_STATUS_WFD) < 0 || dup2(sr, SPACE_STATUS_RFD) < 0)
		child_fail(errfd, "cannot set up the space's stdio");
	if (syscall(SYS_close_range, SPACE_STATUS_RFD + 1, ~0u, CLOSE_RANGE_CLOEXEC))
		child_fail(errfd, "close_range failed");
	if (caps_limit(caps_of(l->kind), err, sizeof(err)) ||
	    sandbox_seccomp(err, sizeof(err)) ||
	    (l->kind == SPACE_AUDIT && sandbox_seccomp_ids(USERNS_SPAN, err, sizeof(err))) ||
	    sandbox_landlock_scope(err, sizeof(err)))
		child_fail(errfd, err);

	size_t argc = 0;
	while (l->argv[argc])
		argc++;
	char **argv = calloc(argc + 9, sizeof(*argv));
	if (!argv)
		child_fail(errfd, "out of memory");
	size_t a = 0;
	argv[a++] = (char *)"hsinit";
	argv[a++] = (char *)"--go-fd";
	argv[a++] = (char *)"3";
	argv[a++] = (char *)"--status-fd";
	argv[a++] = (char *)SPACE_STR(SPACE_STATUS_WFD);
	argv[a++] = (char *)"--status-keep";
	argv[a++] = (char *)SPACE_STR(SPACE_STATUS_RFD);
	argv[a++] = (char *)"--";
	for (size_t i = 0; i < argc; i++)
		argv[a + i] = l->argv[i];
	char *envp[] = {
		(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		(char *)"HOME=/root", (char *)"container=hsd", NULL,
	};
	syscall(SYS_execveat, l->hsinit, "", argv, envp, AT_EMPTY_PATH);
	child_fail(errfd, "exec hsinit failed");
}

/* The helper: still root of the host, it builds the root in a private
 * mount namespace, becomes root of the space's user namespace and clones
 * the init in new namespaces owned by it, as a child of hsd's
 * (CLONE_PARENT), then leaves.  Its report: init's pid on pidfd. */
static void helper_main(const struct space_launch *l, int errfd, int gofd, int syncfd,
			int pidfd, const int statusp[2])
{
	char err[HS_ERRLEN];
	char c;

	/* Wait until hsd has placed us in the space's cgroups: the init's
	 * cgroup namespace is rooted where we are when it is cloned. */
	if (read(syncfd, &c, 1) != 1)
		child_fail(errfd, "hsd went away during space start");
	close(syncfd);
	if (unshare(CLONE_NEWNS))
		child_fail(errfd, "unshare mount namespace failed");
	if (rootfs_stage(l, err, sizeof(err)))
		child_fail(errfd, err);
	if (setns(l->userns, CLONE_NEWUSER) || setgroups(0, NULL) || setresgid(0, 0, 0) ||
	    setresuid(0, 0, 0))
		child_fail(errfd, "cannot become root of the space's user namespace");
	struct clone_args args = {
		.flags = CLONE_PARENT | SPACE_NS_FLAGS | CLONE_NEWCGROUP,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		child_fail(errfd, "clone the space's init failed");
	if (pid == 0) {
		close(pidfd);
		init_main(l, errfd, gofd, statusp);
	}
	if (write(pidfd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(1);
	_exit(0);
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int space_launch(const struct space_launch *l, struct space_proc *out,
		 char *err, size_t errlen)
{
	int errp[2] = { -1, -1 }, gop[2] = { -1, -1 }, syncp[2] = { -1, -1 };
	int pidp[2] = { -1, -1 }, statusp[2] = { -1, -1 }, pidfd = -1, rc = 0;
	pid_t helper, init = 0;
	char msg[HS_ERRLEN];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->go_fd = out->status_fd = -1;
	/* The go pipe's read end must survive into hsinit: no CLOEXEC there
	 * (it is dup'ed to fd 3 in the init and the original closes).  The
	 * status pipe never blocks hsinit, nor hsd, which polls it. */
	if (pipe2(errp, O_CLOEXEC) || pipe2(syncp, O_CLOEXEC) || pipe2(gop, O_CLOEXEC) ||
	    pipe2(pidp, O_CLOEXEC) || pipe2(statusp, O_CLOEXEC | O_NONBLOCK)) {
		rc = err_sys(err, errlen, "pipe");
		goto out;
	}
	helper = fork();
	if (helper < 0) {
		rc = err_sys(err, errlen, "fork space %s", l->name);
		goto out;
	}
	if (helper == 0) {
		close(errp[0]);
		close(gop[1]);
		close(syncp[1]);
		close(pidp[0]);
		helper_main(l, errp[1], gop[0], syncp[0], pidp[1], statusp);
	}
	close(errp[1]);
	close(pidp[1]);
	errp[1] = pidp[1] = -1;
	for (const char *const *cg = l->cgroups; cg && *cg && !rc; cg++)
		rc = cgroup_join(*cg, helper, err, errlen);
	if (!rc && write(syncp[1], "g", 1) != 1)
		rc = err_sys(err, errlen, "space %s: sync", l->name);
	if (rc) {
		kill_wait(helper);
		goto out;
	}
	while ((n = read(pidp[0], &init, sizeof(init))) < 0 && errno == EINTR)
		;
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	/* EOF without a message: hsinit was exec'd (the helper's and the
	 * init's copies of the pipe are both closed). */
	ssize_t m;
	while ((m = read(errp[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(init) || m != 0) {
		msg[m > 0 ? m : 0] = 0;
		if (n == (ssize_t)sizeof(init) && init > 0)
			kill_wait(init);
		rc = err_set(err, errlen, HS_ESYS, "space %s: %s", l->name,
			     m > 0 ? msg : "start failed");
		goto out;
	}
	/* The init is our child (CLONE_PARENT): its pid cannot be reused
	 * before we reap it. */
	if ((pidfd = (int)syscall(SYS_pidfd_open, init, 0)) < 0) {
		rc = err_sys(err, errlen, "space %s: pidfd of init", l->name);
		kill_wait(init);
		goto out;
	}
	out->pid = init;
	out->pidfd = pidfd;
	out->go_fd = gop[1];
	out->status_fd = statusp[0];
	pidfd = gop[1] = statusp[0] = -1;
	if (procfs_start_time(init, &out->start, NULL)) {
		space_proc_close(out);
		kill_wait(init);
		rc = err_set(err, errlen, HS_ESYS, "space %s: init vanished", l->name);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0) close(errp[i]);
		if (gop[i] >= 0) close(gop[i]);
		if (syncp[i] >= 0) close(syncp[i]);
		if (pidp[i] >= 0) close(pidp[i]);
		if (statusp[i] >= 0) close(statusp[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

void space_exe_beside(const char *env, const char *name, char *path, size_t len)
{
	const char *v = getenv(env);
	char self[PATH_MAX];

	if (v && *v) {
		snprintf(path, len, "%s", v);
		return;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	snprintf(path, len, "%s/%s", dirname(self), name);
}

int space_exe_seal(const char *path, int *out, char *err, size_t errlen)
{
	int src = open(path, O_RDONLY | O_CLOEXEC), fd = -1, rc = 0;
	struct stat st;

	*out = -1;
	if (src < 0)
		return err_sys(err, errlen, "open %s", path);
	if (fstat(src, &st)) {
		rc = err_sys(err, errlen, "stat %s", path);
		goto out;
	}
	const char *base = strrchr(path, '/');
	fd = memfd_create(base ? base + 1 : path, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		rc = err_sys(err, errlen, "memfd_create");
		goto out;
	}
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(fd, src, NULL, (size_t)(st.st_size - done));
		if (n <= 0) {
			rc = n < 0 ? err_sys(err, errlen, "copy %s", path)
				   : err_set(err, errlen, HS_ESYS, "copy %s: file shrank", path);
			goto out;
		}
		done += n;
	}
	/* Executable by the spaces' roots, who are "others" to its owner. */
	if (fchmod(fd, 0555) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
		rc = err_sys(err, errlen, "seal the copy of %s", path);
		goto out;
	}
	*out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	close(src);
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
	out->pidfd = out->go_fd = out->status_fd = -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return err_set(err, errlen, HS_ESTATE, "init %d is gone", (int)pid);
	/* Checked after pidfd_open: the pidfd pins this exact process. */
	if (procfs_start_time(pid, &now, NULL) || now != start) {
		close(fd);
		return err_set(err, errlen, HS_ESTATE, "init %d is gone (pid reused)", (int)pid);
	}
	out->pid = pid;
	out->start = start;
	out->pidfd = fd;
	/* The status pipe's read end that init keeps (hsinit.c): what its
	 * command did while no hsd listened is still in the pipe.  Only a
	 * pipe is taken; an init from before the status pipe has none. */
	int sfd = (int)syscall(SYS_pidfd_getfd, fd, SPACE_STATUS_RFD, 0);
	struct stat st;
	if (sfd >= 0 && (fstat(sfd, &st) || !S_ISFIFO(st.st_mode) ||
			 fcntl(sfd, F_SETFL, O_NONBLOCK))) {
		close(sfd);
		sfd = -1;
	}
	out->status_fd = sfd;
	return 0;
}

void space_proc_close(struct space_proc *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->go_fd >= 0)
		close(p->go_fd);
	if (p->status_fd >= 0)
		close(p->status_fd);
	p->pidfd = p->go_fd = p->status_fd = -1;
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
