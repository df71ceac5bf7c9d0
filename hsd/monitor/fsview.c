/* fsview.c - /.serverfs and /.dserverfs inside audit spaces.
 *
 * Entering mount namespaces is done in a forked child: setns(CLONE_NEWNS)
 * is refused to threaded processes, and hsd's own root must never move.
 * The child reports one line on a pipe.
 *
 * Every path inside a space is named by the space, which may have planted
 * a symlink anywhere on it (a server is root in its own /dev, /run, /tmp).
 * So no path there is ever followed by name: each one is opened with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) from the space's root into
 * an O_PATH fd, and mounting and unmounting act on that fd.  A symlink is
 * refused with an error, and nothing is mounted or unmounted.
 */
#include "fsview.h"
#include "err.h"
#include "nsrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
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

/* What the child holds while it works inside a space. */
struct fsview_ctx {
	int root;   /* the space's root directory (O_PATH) */
	int procfd; /* hsd's own /proc/self/fd, opened before entering */
};

/* A pidfd of a space's init: it names the init in any namespace. */
static int init_open(pid_t pid, char *err, size_t errlen)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return err_sys(err, errlen, "space init %d", (int)pid);
	return fd;
}

/* A way to name our own fds once inside a space, whose /proc does not
 * show this process: call it while still in hsd's namespace. */
static int ctx_init(struct fsview_ctx *c, char *err, size_t errlen)
{
	c->root = -1;
	c->procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->procfd < 0)
		return err_sys(err, errlen, "open /proc/self/fd");
	return 0;
}

/* Enter the user and mount namespaces of the space whose init pidfd is
 * init, as the space's root (what is created there is owned inside it),
 * and hold the space's root directory. */
static int ctx_enter(struct fsview_ctx *c, int init, char *err, size_t errlen)
{
	int rc = nsrun_enter_fd(init, CLONE_NEWUSER | CLONE_NEWNS, err, errlen);
	close(init);
	if (rc)
		return rc;
	/* setns put our root and cwd at the namespace's root. */
	c->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root < 0)
		return err_sys(err, errlen, "open the space's root");
	return 0;
}

/* path (absolute, as the space names it) as an O_PATH fd, resolved inside
 * the space's root with no symlink followed on any component.  ENOENT is
 * returned as -ENOENT with err set, so callers may accept absence. */
static int open_in(const struct fsview_ctx *c, const char *path, int flags, char *err,
		   size_t errlen)
{
	struct open_how how = {
		.flags = (unsigned)(O_PATH | O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, c->root, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return err_set(err, errlen, HS_ESTATE,
			       "%s in the space is or passes through a symbolic link: refused",
			       path);
	int e = errno;
	err_sys(err, errlen, "open %s in the space", path);
	return e == ENOENT ? -ENOENT : HS_ESYS;
}

/* Detach the mount whose root fd names.  umount2 takes only a path: the
 * fd's magic link in our own /proc names exactly the mount opened, and no
 * name the space controls is looked up again.  UMOUNT_NOFOLLOW cannot be
 * used, as that magic link is the one link that must be followed. */
static int unmount_fd(const struct fsview_ctx *c, int fd)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	if (fchdir(c->procfd))
		return -1;
	return umount2(name, MNT_DETACH);
}

/* Unmount every mount stacked on path (re-attaching stacks otherwise).
 * An absent path is fine; a symlink on it is refused. */
static int unmount_all(const struct fsview_ctx *c, const char *path, char *err, size_t errlen)
{
	for (;;) {
		int fd = open_in(c, path, 0, err, errlen);
		if (fd == -ENOENT)
			return 0;
		if (fd < 0)
			return fd;
		int rc = unmount_fd(c, fd), e = errno;
		close(fd);
		if (rc && e == EINVAL)
			return 0; /* no mount (left) there */
		if (rc) {
			errno = e;
			return err_sys(err, errlen, "unmount %s in the space", path);
		}
	}
}

/* mkdir path inside the space (its parent must exist); an existing
 * directory is fine, and anything else is caught when it is opened. */
static int mkdir_in(const struct fsview_ctx *c, const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	if (!slash || !slash[1])
		return err_set(err, errlen, HS_EINPUT, "bad path %s", path);
	*slash = '\0';
	int pfd = open_in(c, parent[0] ? parent : "/", O_DIRECTORY, err, errlen);
	if (pfd < 0)
		return pfd == -ENOENT ? HS_ESYS : pfd;
	int rc = 0;
	if (mkdirat(pfd, slash + 1, 0755) && errno != EEXIST)
		rc = err_sys(err, errlen, "mkdir %s in the space", path);
	close(pfd);
	return rc;
}

/* Attach the detached tree at path (created if missing), replacing what
 * was mounted there. */
static int place_at(const struct fsview_ctx *c, int tree, const char *path, bool dir,
		    char *err, size_t errlen)
{
	int rc, fd;

	if ((rc = unmount_all(c, path, err, errlen)))
		return rc;
	if ((fd = open_in(c, path, dir ? O_DIRECTORY : 0, err, errlen)) < 0)
		return fd == -ENOENT ? HS_ESYS : fd;
	struct stat st;
	if (fstat(fd, &st) || S_ISDIR(st.st_mode) != dir) {
		close(fd);
		return err_set(err, errlen, HS_ESTATE, "%s in the space is not a %s: refused",
			       path, dir ? "directory" : "file");
	}
	rc = (int)syscall(SYS_move_mount, tree, "", fd, "",
			  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	close(fd);
	if (rc)
		return err_sys(err, errlen, "attach at %s", path);
	return 0;
}

/* A read-only clone of path and what is mounted below it; idmapped
 * through the user namespace userns (-1: as it is). */
static int tree_clone(const char *path, int userns, char *err, size_t errlen)
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
	if (userns >= 0) {
		struct mount_attr idmap = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
		int rc = (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &idmap, sizeof(idmap));
		if (rc) {
			rc = err_sys(err, errlen, "idmap %s", path);
			close(fd);
			return rc;
		}
	}
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr))) {
		int rc = err_sys(err, errlen, "make %s read-only", path);
		close(fd);
		return rc;
	}
	return fd;
}

static int place(const struct fsview_ctx *c, int tree, const char *base, const char *name,
		 char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	if ((rc = mkdir_in(c, base, err, errlen)) || (rc = mkdir_in(c, path, err, errlen)))
		return rc;
	return place_at(c, tree, path, true, err, errlen);
}

static int attach_child(pid_t server_init, const char *server_upper,
			pid_t audit_init, const char *name, char *err,
			size_t errlen)
{
	struct fsview_ctx c;
	int skip[sizeof(fsview_skip) / sizeof(*fsview_skip)];
	int server_ns, audit_ns, live, diff, rc;

	/* The upper layer is visible in hsd's namespace, where we are now. */
	if ((rc = ctx_init(&c, err, errlen)))
		return rc;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)server_init);
	int server_userns = open(path, O_RDONLY | O_CLOEXEC);
	if (server_userns < 0)
		return err_sys(err, errlen, "%s", path);
	if ((server_ns = init_open(server_init, err, errlen)) < 0 ||
	    (audit_ns = init_open(audit_init, err, errlen)) < 0)
		return HS_ESYS;
	/* The server's changes, shown with the owners its live view has in
	 * the audit space: idmapped through the server's user namespace. */
	diff = tree_clone(server_upper, server_userns, err, errlen);
	close(server_userns);
	if (diff < 0)
		return diff;
	/* Still root of the host: the server's mount namespace, only to
	 * clone its tree. */
	if (setns(server_ns, CLONE_NEWNS))
		return err_sys(err, errlen, "enter the mount namespace of server %s", name);
	close(server_ns);
	/* "/" is the namespace's root itself: no name to follow. */
	if ((live = tree_clone("/", -1, err, errlen)) < 0)
		return live;
	/* The server's /proc, /sys and /dev (proc's magic links would reach
	 * past the view) are opened in the clone before it is placed: once
	 * placed, their names are the audit space's to rename or replace. */
	for (size_t i = 0; i < sizeof(skip) / sizeof(*skip); i++) {
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		skip[i] = (int)syscall(SYS_openat2, live, fsview_skip[i], &how, sizeof(how));
		if (skip[i] < 0 && errno != ENOENT)
			return err_sys(err, errlen, "open the server's /%s in its view", fsview_skip[i]);
	}
	if ((rc = ctx_enter(&c, audit_ns, err, errlen)) ||
	    (rc = place(&c, live, FSVIEW_LIVE, name, err, errlen)) ||
	    (rc = place(&c, diff, FSVIEW_DIFF, name, err, errlen)))
		return rc;
	/* EINVAL: not a mount in this server, nothing to hide. */
	for (size_t i = 0; i < sizeof(skip) / sizeof(*skip); i++)
		if (skip[i] >= 0 && unmount_fd(&c, skip[i]) && errno != EINVAL)
			return err_sys(err, errlen, "hide the server's /%s from the view",
				       fsview_skip[i]);
	return 0;
}

static int detach_child(pid_t audit_init, const char *name, char *err,
			size_t errlen)
{
	struct fsview_ctx c;
	char path[PATH_MAX];
	int rc = ctx_init(&c, err, errlen);
	const char *bases[] = { FSVIEW_LIVE, FSVIEW_DIFF };

	int ns = rc ? rc : init_open(audit_init, err, errlen);
	rc = ns < 0 ? ns : ctx_enter(&c, ns, err, errlen);
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", bases[i], name);
		if ((rc = unmount_all(&c, path, err, errlen)))
			break;
		int pfd = open_in(&c, bases[i], O_DIRECTORY, NULL, 0);
		if (pfd >= 0) {
			unlinkat(pfd, name, AT_REMOVEDIR); /* never follows */
			close(pfd);
		}
	}
	return rc;
}

/* Bind one file of hsd's namespace (a socket, a program) at dst inside the
 * space; the mount point is created as an empty file. */
static int bind_child(pid_t target_init, const char *src, const char *dst,
		      bool readonly, char *err, size_t errlen)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct fsview_ctx c;
	int rc;

	if (tree < 0)
		return err_sys(err, errlen, "open_tree %s", src);
	if (readonly) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						       MOUNT_ATTR_NODEV };
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)))
			return err_sys(err, errlen, "make %s read-only", src);
	}
	if ((rc = ctx_init(&c, err, errlen)))
		return rc;
	int ns = init_open(target_init, err, errlen);
	if (ns < 0 || (rc = ctx_enter(&c, ns, err, errlen)))
		return ns < 0 ? ns : rc;
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dst);
	char *slash = strrchr(parent, '/');
	if (!slash || !slash[1] || dst[0] != '/')
		return err_set(err, errlen, HS_EINPUT, "bind target %s: not an absolute file path", dst);
	*slash = '\0';
	if (parent[0] && (rc = mkdir_in(&c, parent, err, errlen)))
		return rc;
	int pfd = open_in(&c, parent[0] ? parent : "/", O_DIRECTORY, err, errlen);
	if (pfd < 0)
		return pfd == -ENOENT ? HS_ESYS : pfd;
	/* mknodat never follows: a symlink there is EEXIST, then refused by
	 * place_at's open. */
	if (mknodat(pfd, slash + 1, S_IFREG | 0644, 0) && errno != EEXIST)
		rc = err_sys(err, errlen, "create %s", dst);
	close(pfd);
	if (rc)
		return rc;
	if ((rc = place_at(&c, tree, dst, false, err, errlen)))
		return rc;
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
