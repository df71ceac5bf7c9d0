/* rootfs.c - a space's root: one overlay over the base, then pivot_root.
 *
 * Runs in the new mount namespace, in the child, before hsinit is exec'd.
 * The ancestors' upper layers are stacked in ONE overlay (lowerdir=
 * parent:grandparent:...:/), never an overlay on an overlay (the kernel
 * stops at depth 2).  Only the root filesystem of the base is a layer: the
 * base's other mounts stay outside, and hsd's own directories are masked.
 */
#include "rootfs.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int join_path(char *out, size_t len, const char *root, const char *sub,
		     char *err, size_t errlen)
{
	if (snprintf(out, len, "%s%s", root, sub) >= (int)len)
		return err_set(err, errlen, HS_EINPUT, "path too long: %s%s", root, sub);
	return 0;
}

/* overlayfs parses ',' ':' and '\' in its option string. */
static bool rootfs_path_ok(const char *p)
{
	return p[0] == '/' && !strpbrk(p, ",:\\");
}

int rootfs_overlay_options(const struct space_launch *l, char *out, size_t len,
			   char *err, size_t errlen)
{
	size_t off = 0;
	int n;

	if (!rootfs_path_ok(l->upper) || !rootfs_path_ok(l->work))
		return err_set(err, errlen, HS_EINPUT,
			       "space %s: layer paths must be absolute without ',' ':' or '\\'", l->name);
	n = snprintf(out, len, "lowerdir=");
	off = (size_t)n;
	for (size_t i = 0; i < l->nlowers; i++) {
		if (!rootfs_path_ok(l->lowers[i]))
			return err_set(err, errlen, HS_EINPUT, "space %s: bad layer path %s",
				       l->name, l->lowers[i]);
		n = snprintf(out + off, len - off, "%s:", l->lowers[i]);
		if (n < 0 || (size_t)n >= len - off)
			goto too_long;
		off += (size_t)n;
	}
	n = snprintf(out + off, len - off, "/,upperdir=%s,workdir=%s", l->upper, l->work);
	if (n < 0 || (size_t)n >= len - off)
		goto too_long;
	return 0;
too_long:
	return err_set(err, errlen, HS_EINPUT,
		       "space %s: inheritance chain too long for one mount; flatten an ancestor",
		       l->name);
}

static int mount_at(const char *src, const char *root, const char *sub,
		    const char *type, unsigned long flags, const char *data,
		    char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = join_path(path, sizeof(path), root, sub, err, errlen);
	if (rc)
		return rc;
	if (mount(src, path, type, flags, data))
		return err_sys(err, errlen, "mount %s on %s", type ? type : src, path);
	return 0;
}

/* A minimal /dev: a few device nodes bound from the base, a private devpts
 * and /dev/shm.  No disks, no /dev/mem, no kmsg. */
static int rootfs_dev(const char *root, char *err, size_t errlen)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char path[PATH_MAX];
	int rc;

	if ((rc = mount_at("tmpfs", root, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
			   "mode=0755,size=65536k", err, errlen)))
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
			   "newinstance,ptmxmode=0666,mode=0620", err, errlen)) ||
	    (rc = mount_at("tmpfs", root, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
			   "mode=1777", err, errlen)))
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

/* Hide a base path inside the space with an empty read-only tmpfs. */
static int rootfs_mask(const char *root, const char *path, char *err, size_t errlen)
{
	char full[PATH_MAX];
	struct stat st;
	int rc = join_path(full, sizeof(full), root, path, err, errlen);

	if (rc)
		return rc;
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return 0; /* not visible in the space: nothing to hide */
	if (mount("tmpfs", full, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=4k"))
		return err_sys(err, errlen, "mask %s", path);
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
	char path[PATH_MAX];

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

int rootfs_setup(const struct space_launch *l, char *err, size_t errlen)
{
	char opts[4096];
	int rc;

	/* Nothing we mount may leak back into the base. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return err_sys(err, errlen, "make / private");
	if ((rc = rootfs_overlay_options(l, opts, sizeof(opts), err, errlen)))
		return rc;
	if (mount("overlay", l->root, "overlay", 0, opts))
		return err_sys(err, errlen, "mount overlay for space %s", l->name);
	for (const char *const *m = l->masks; m && *m; m++)
		if ((rc = rootfs_mask(l->root, *m, err, errlen)))
			return rc;
	if ((rc = mount_at("proc", l->root, "/proc", "proc",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err, errlen)) ||
	    (rc = rootfs_proc_guard(l->root, err, errlen)) ||
	    (rc = mount_at("sysfs", l->root, "/sys", "sysfs",
			   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err, errlen)) ||
	    (rc = rootfs_dev(l->root, err, errlen)) ||
	    (rc = mount_at("tmpfs", l->root, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
			   "mode=1777", err, errlen)) ||
	    (rc = mount_at("tmpfs", l->root, "/run", "tmpfs", MS_NOSUID | MS_NODEV,
			   "mode=0755", err, errlen)))
		return rc;
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one and is detached at once (pivot_root(2), NOTES). */
	if (chdir(l->root))
		return err_sys(err, errlen, "chdir %s", l->root);
	if (syscall(SYS_pivot_root, ".", "."))
		return err_sys(err, errlen, "pivot_root into %s", l->root);
	if (umount2(".", MNT_DETACH))
		return err_sys(err, errlen, "detach the old root");
	if (chdir("/"))
		return err_sys(err, errlen, "chdir /");
	return 0;
}
