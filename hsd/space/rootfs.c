/* rootfs.c - a space's root: one overlay of idmapped layers, then
 * pivot_root.
 *
 * Two steps in two processes (launch.c):
 *   rootfs_stage  in a helper that is still root of the host, in a private
 *                 mount namespace: every layer (the space's own layer
 *                 directory, its ancestors' upper layers and the host's
 *                 root) is cloned and idmapped through the space's user
 *                 namespace, then ONE overlay is mounted over them
 *                 (lowerdir=ancestors:mask:/, never an overlay on an
 *                 overlay: the kernel stops at depth 2).  Idmapping a mount
 *                 needs privilege over the filesystem, hence the host's
 *                 root; the overlay is mounted with the space's root as
 *                 file owner so that what overlayfs itself creates (its
 *                 work directory, copies up) is owned inside the space.
 *   rootfs_enter  in the space's init, root of its own user namespace in
 *                 namespaces it owns: /proc, /sys, /dev, /tmp, /run of
 *                 its own, then pivot_root.
 * On disk every layer holds ids as the space numbers them.
 */
#include "rootfs.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STAGE "stage"

/* overlayfs parses ',' ':' and '\' in its option string. */
static bool rootfs_path_ok(const char *p)
{
	return p[0] == '/' && !strpbrk(p, ",:\\");
}

int rootfs_overlay_options(const struct space_launch *l, char *out, size_t len,
			   char *err, size_t errlen)
{
	size_t off;
	int n;

	if (!rootfs_path_ok(l->dir))
		return err_set(err, errlen, HS_EINPUT,
			       "space %s: layer paths must be absolute without ',' ':' or '\\'", l->name);
	n = snprintf(out, len, "lowerdir=");
	off = (size_t)n;
	for (size_t i = 0; i < l->nlowers; i++) {
		n = snprintf(out + off, len - off, "%s/" STAGE "/%zu:", l->dir, i);
		if (n < 0 || (size_t)n >= len - off)
			goto too_long;
		off += (size_t)n;
	}
	n = snprintf(out + off, len - off,
		     "%1$s/" STAGE "/own/base:%1$s/" STAGE "/base,upperdir=%1$s/" STAGE
		     "/own/upper,workdir=%1$s/" STAGE "/own/work,redirect_dir=follow",
		     l->dir);
	if (n < 0 || (size_t)n >= len - off)
		goto too_long;
	return 0;
too_long:
	return err_set(err, errlen, HS_EINPUT,
		       "space %s: inheritance chain too long for one mount; flatten an ancestor",
		       l->name);
}

/* Attach an idmapped clone of src (one mount, no submounts) at at. */
static int stage_layer(const struct space_launch *l, const char *src, const char *at,
		       char *err, size_t errlen)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.userns_fd = (uint64_t)l->userns,
	};
	int fd, rc = 0;

	if (mkdir(at, 0700) && errno != EEXIST)
		return err_sys(err, errlen, "mkdir %s", at);
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "clone layer %s", src);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)))
		rc = err_sys(err, errlen, "idmap layer %s (the filesystem must support idmapped mounts)", src);
	else if (syscall(SYS_move_mount, fd, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH))
		rc = err_sys(err, errlen, "attach layer %s", src);
	close(fd);
	return rc;
}

/* Effective = permitted: setfsuid away from 0 clears the file
 * capabilities from the effective set, and the overlay's mounter must keep
 * them to act on every layer. */
static int caps_raise(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return err_sys(err, errlen, "capget");
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data))
		return err_sys(err, errlen, "capset");
	return 0;
}

int rootfs_stage(const struct space_launch *l, char *err, size_t errlen)
{
	char opts[8192], at[PATH_MAX], root[PATH_MAX];
	int rc;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return err_sys(err, errlen, "make / private");
	if ((rc = rootfs_overlay_options(l, opts, sizeof(opts), err, errlen)))
		return rc;
	snprintf(at, sizeof(at), "%s/" STAGE, l->dir);
	if (mkdir(at, 0700) && errno != EEXIST)
		return err_sys(err, errlen, "mkdir %s", at);
	snprintf(at, sizeof(at), "%s/" STAGE "/own", l->dir);
	if ((rc = stage_layer(l, l->dir, at, err, errlen)))
		return rc;
	snprintf(at, sizeof(at), "%s/" STAGE "/base", l->dir);
	if ((rc = stage_layer(l, "/", at, err, errlen)))
		return rc;
	for (size_t i = 0; i < l->nlowers; i++) {
		snprintf(at, sizeof(at), "%s/" STAGE "/%zu", l->dir, i);
		if ((rc = stage_layer(l, l->lowers[i], at, err, errlen)))
			return rc;
	}
	/* The overlay keeps the mounter's credentials for its own work:
	 * make the space's root the file owner for that (setfsuid), keeping
	 * the capabilities. */
	setfsgid(l->uid_base);
	setfsuid(l->uid_base);
	if ((rc = caps_raise(err, errlen)))
		return rc;
	snprintf(root, sizeof(root), "%s/root", l->dir);
	if (mount("overlay", root, "overlay", MS_NOSUID | MS_NODEV, opts))
		rc = err_sys(err, errlen, "mount overlay for space %s", l->name);
	setfsuid(0);
	setfsgid(0);
	/* The init finds its root as its working directory: the space's root
	 * may not traverse hsd's state directory to name it. */
	if (!rc && chdir(root))
		rc = err_sys(err, errlen, "chdir %s", root);
	return rc;
}

static int mount_at(const char *src, const char *root, const char *sub,
		    const char *type, unsigned long flags, const char *data,
		    char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	if (snprintf(path, sizeof(path), "%s%s", root, sub) >= (int)sizeof(path))
		return err_set(err, errlen, HS_EINPUT, "path too long: %s%s", root, sub);
	if (mount(src, path, type, flags, data))
		return err_sys(err, errlen, "mount %s on %s", type ? type : src, sub);
	return 0;
}

/* A minimal /dev: a few device nodes bound from the base, a private devpts
 * and /dev/shm.  No disks, no /dev/mem, no kmsg. */
static int rootfs_dev(const char *root, const char *tmpfs_opts, char *err, size_t errlen)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char path[PATH_MAX + 64];
	int rc;

	if ((rc = mount_at("tmpfs", root, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
			   "mode=0755,size=1m,nr_inodes=1024", err, errlen)))
		return rc;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
		char src[64];
		snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
		snprintf(path, sizeof(path), "%s/dev/%s", root, nodes[i]);
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return err_sys(err, errlen, "create %s", path);
		close(fd);
		if (mount(src, path, NULL, MS_BIND, NULL))
			return err_sys(err, errlen, "bind %s", src);
	}
	static const char *const dirs[] = { "/dev/pts", "/dev/shm" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		if (mkdir(path, 0755) && errno != EEXIST)
			return err_sys(err, errlen, "mkdir %s", path);
	}
	if ((rc = mount_at("devpts", root, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			   "newinstance,ptmxmode=0666,mode=0620,gid=5", err, errlen)) ||
	    (rc = mount_at("tmpfs", root, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
			   tmpfs_opts, err, errlen)))
		return rc;
	static const char *const links[][2] = {
		{ "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++) {
		snprintf(path, sizeof(path), "%s%s", root, links[i][1]);
		if (symlink(links[i][0], path))
			return err_sys(err, errlen, "symlink %s", path);
	}
	return 0;
}

/* Parts of /proc that reach past the namespaces: read-only or hidden, as
 * container runtimes do (sysrq-trigger needs no capability to write). */
static int rootfs_proc_guard(const char *root, char *err, size_t errlen)
{
	static const char *const readonly[] = { "/proc/sys", "/proc/sysrq-trigger",
						"/proc/irq", "/proc/bus", "/proc/fs" };
	static const char *const hidden[] = { "/proc/kcore", "/proc/keys",
					      "/proc/timer_list", "/proc/kmsg" };
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(readonly) / sizeof(*readonly); i++) {
		snprintf(path, sizeof(path), "%s%s", root, readonly[i]);
		if (access(path, F_OK))
			continue;
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) ||
		    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL))
			return err_sys(err, errlen, "make %s read-only", readonly[i]);
	}
	for (size_t i = 0; i < sizeof(hidden) / sizeof(*hidden); i++) {
		snprintf(path, sizeof(path), "%s%s", root, hidden[i]);
		if (access(path, F_OK))
			continue;
		if (mount("/dev/null", path, NULL, MS_BIND, NULL))
			return err_sys(err, errlen, "hide %s", hidden[i]);
	}
	return 0;
}

int rootfs_enter(const struct space_launch *l, char *err, size_t errlen)
{
	char tmpfs_opts[64], run_opts[64];
	const char *root = "."; /* the overlay, our working directory */
	int rc, tree;

	snprintf(tmpfs_opts, sizeof(tmpfs_opts), "mode=1777,size=%llu",
		 (unsigned long long)l->tmpfs_size);
	snprintf(run_opts, sizeof(run_opts), "mode=0755,size=%llu",
		 (unsigned long long)l->tmpfs_size);
	/* The overlay came from the helper's namespace and is locked here;
	 * pivot_root wants a mount of this namespace's own: a clone of it,
	 * placed on top of it, becomes the working directory. */
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, ".",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return err_sys(err, errlen, "clone the root of space %s", l->name);
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) ||
	    fchdir(tree)) {
		rc = err_sys(err, errlen, "place the root of space %s", l->name);
		close(tree);
		return rc;
	}
	close(tree);
	if ((rc = mount_at("proc", root, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   NULL, err, errlen)) ||
	    (rc = rootfs_proc_guard(root, err, errlen)) ||
	    (rc = mount_at("sysfs", root, "/sys", "sysfs",
			   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err, errlen)) ||
	    (rc = rootfs_dev(root, tmpfs_opts, err, errlen)) ||
	    (rc = mount_at("tmpfs", root, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs_opts,
			   err, errlen)) ||
	    (rc = mount_at("tmpfs", root, "/run", "tmpfs", MS_NOSUID | MS_NODEV, run_opts,
			   err, errlen)))
		return rc;
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one and is detached at once (pivot_root(2), NOTES). */
	if (syscall(SYS_pivot_root, ".", "."))
		return err_sys(err, errlen, "pivot_root into the root of space %s", l->name);
	if (umount2(".", MNT_DETACH))
		return err_sys(err, errlen, "detach the old root");
	if (chdir("/"))
		return err_sys(err, errlen, "chdir /");
	return 0;
}
