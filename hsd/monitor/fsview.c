/* fsview.c - /.serverfs and /.dserverfs inside audit spaces.
 *
 * Entering mount namespaces is done in a forked child: setns(CLONE_NEWNS)
 * is refused to a process whose threads share its filesystem context, and
 * hsd's own root must never move.  The child reports one line on a pipe.
 */
#include "fsview.h"
#include "err.h"
#include "nsrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Kernel interfaces of the server's own namespaces that an IDS has no need
 * for and that would reach past the read-only view (/proc magic links). */
static const char *const fsview_skip[] = { "proc", "sys", "dev" };

static int ns_open(pid_t pid, char *err, size_t errlen)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "%s", path);
	return fd;
}

static int tree_clone(const char *path, char *err, size_t errlen)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return err_sys(err, errlen, "open_tree %s", path);
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC,
		.propagation = MS_PRIVATE,
	};
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr))) {
		int rc = err_sys(err, errlen, "make %s read-only", path);
		close(fd);
		return rc;
	}
	return fd;
}

static int mkdir_in(const char *base, const char *name, char *path, size_t len,
		    char *err, size_t errlen)
{
	snprintf(path, len, "%s", base);
	if (mkdir(path, 0755) && errno != EEXIST)
		return err_sys(err, errlen, "mkdir %s", path);
	snprintf(path, len, "%s/%s", base, name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return err_sys(err, errlen, "mkdir %s", path);
	return 0;
}

/* Unmount every view stacked on path (re-attaching stacks otherwise). */
static void unmount_all(const char *path)
{
	while (umount2(path, MNT_DETACH) == 0)
		;
}

static int place(int tree, const char *base, const char *name, char *err,
		 size_t errlen)
{
	char path[PATH_MAX];
	int rc = mkdir_in(base, name, path, sizeof(path), err, errlen);
	if (rc)
		return rc;
	unmount_all(path);
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH))
		return err_sys(err, errlen, "attach %s", path);
	return 0;
}

static int attach_child(pid_t server_init, const char *server_upper,
			pid_t audit_init, const char *name, char *err,
			size_t errlen)
{
	char path[PATH_MAX];
	int server_ns, audit_ns, live, diff, rc;

	/* The upper layer is visible in hsd's namespace, where we are now. */
	if ((diff = tree_clone(server_upper, err, errlen)) < 0)
		return diff;
	if ((server_ns = ns_open(server_init, err, errlen)) < 0 ||
	    (audit_ns = ns_open(audit_init, err, errlen)) < 0)
		return HS_ESYS;
	if (setns(server_ns, CLONE_NEWNS))
		return err_sys(err, errlen, "enter the mount namespace of server %s", name);
	if ((live = tree_clone("/", err, errlen)) < 0)
		return live;
	if (setns(audit_ns, CLONE_NEWNS))
		return err_sys(err, errlen, "enter the audit space's mount namespace");
	if ((rc = place(live, FSVIEW_LIVE, name, err, errlen)) ||
	    (rc = place(diff, FSVIEW_DIFF, name, err, errlen)))
		return rc;
	for (size_t i = 0; i < sizeof(fsview_skip) / sizeof(*fsview_skip); i++) {
		snprintf(path, sizeof(path), FSVIEW_LIVE "/%s/%s", name, fsview_skip[i]);
		umount2(path, MNT_DETACH);
	}
	return 0;
}

static int detach_child(pid_t audit_init, const char *name, char *err,
			size_t errlen)
{
	char path[PATH_MAX];
	int ns = ns_open(audit_init, err, errlen);

	if (ns < 0)
		return ns;
	if (setns(ns, CLONE_NEWNS))
		return err_sys(err, errlen, "enter the audit space's mount namespace");
	snprintf(path, sizeof(path), FSVIEW_LIVE "/%s", name);
	unmount_all(path);
	rmdir(path);
	snprintf(path, sizeof(path), FSVIEW_DIFF "/%s", name);
	unmount_all(path);
	rmdir(path);
	return 0;
}

/* Bind one file of hsd's namespace (a socket, a program) at dst inside the
 * space; the mount point is created as an empty file. */
static int bind_child(pid_t target_init, const char *src, const char *dst,
		      bool readonly, char *err, size_t errlen)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int ns, fd;

	if (tree < 0)
		return err_sys(err, errlen, "open_tree %s", src);
	if (readonly) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						       MOUNT_ATTR_NODEV };
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)))
			return err_sys(err, errlen, "make %s read-only", src);
	}
	if ((ns = ns_open(target_init, err, errlen)) < 0)
		return ns;
	if (setns(ns, CLONE_NEWNS))
		return err_sys(err, errlen, "enter the space's mount namespace");
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dst);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (mkdir(parent, 0755) && errno != EEXIST)
			return err_sys(err, errlen, "mkdir %s", parent);
	}
	unmount_all(dst);
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
		return err_sys(err, errlen, "create %s", dst);
	close(fd);
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH))
		return err_sys(err, errlen, "bind %s at %s", src, dst);
	return 0;
}

struct fsview_job {
	pid_t server_init, audit_init;
	const char *upper, *name; /* upper NULL: detach */
	const char *bind_src;     /* set: bind bind_src at name in audit_init */
	bool readonly;
};

static int fsview_job_run(void *arg, char *err, size_t errlen)
{
	const struct fsview_job *j = arg;
	if (j->bind_src)
		return bind_child(j->audit_init, j->bind_src, j->name, j->readonly, err, errlen);
	if (j->upper)
		return attach_child(j->server_init, j->upper, j->audit_init, j->name, err, errlen);
	return detach_child(j->audit_init, j->name, err, errlen);
}

static int fsview_run(const struct fsview_job *j, char *err, size_t errlen)
{
	return nsrun(fsview_job_run, (void *)j, err, errlen);
}

int fsview_attach(pid_t server_init, const char *server_upper,
		  pid_t audit_init, const char *name, char *err, size_t errlen)
{
	struct fsview_job j = { server_init, audit_init, server_upper, name, NULL, false };
	return fsview_run(&j, err, errlen);
}

int fsview_detach(pid_t audit_init, const char *name, char *err, size_t errlen)
{
	struct fsview_job j = { 0, audit_init, NULL, name, NULL, false };
	return fsview_run(&j, err, errlen);
}

int fsview_bind(pid_t target_init, const char *src, const char *dst, bool readonly,
		char *err, size_t errlen)
{
	struct fsview_job j = { 0, target_init, NULL, dst, src, readonly };
	return fsview_run(&j, err, errlen);
}
