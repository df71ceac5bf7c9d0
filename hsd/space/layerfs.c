/* layerfs.c - the filesystem that holds the spaces' layers. */
#include "layerfs.h"
#include "err.h"
#include "fsutil.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static int layerfs_mkfs(const char *image, char *err, size_t errlen)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return err_sys(err, errlen, "fork mkfs.ext4");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		/* No reserved blocks; lazy init keeps a sparse image sparse. */
		execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-m", "0", "-E",
		       "lazy_itable_init=1,lazy_journal_init=1", image, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return err_set(err, errlen, HS_ESYS, "mkfs.ext4 %s failed (is e2fsprogs installed?)", image);
	return 0;
}

/* mkfs says only that it failed: when the image's file system has next
 * to no room left (what mkfs writes of a sparse image is about 1 MiB),
 * say that, rather than leave the operator to guess. */
static void layerfs_why_full(const char *image, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct statvfs sv;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", image);
	if ((slash = strrchr(dir, '/')))
		*slash = 0;
	if (statvfs(dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < (4u << 20))
		err_set(err, errlen, HS_ESYS, "space layer: no space left on device (%s)", dir);
}

static int layerfs_image(const char *image, uint64_t size, char *err, size_t errlen)
{
	int fd = open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return errno == EEXIST ? 0 : err_sys(err, errlen, "create %s", image);
	rc = ftruncate(fd, (off_t)size) ? err_sys(err, errlen, "size %s", image) : 0;
	close(fd);
	if (!rc)
		rc = layerfs_mkfs(image, err, errlen);
	if (rc) {
		unlink(image); /* ours, and unusable */
		layerfs_why_full(image, err, errlen);
	}
	return rc;
}

static int layerfs_loop_mount(const char *image, const char *dir, char *err,
			      size_t errlen)
{
	struct loop_config cfg;
	char dev[32];
	int ctl, loop = -1, img, rc = 0;

	if ((img = open(image, O_RDWR | O_CLOEXEC)) < 0)
		return err_sys(err, errlen, "open %s", image);
	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0) {
		close(img);
		return err_sys(err, errlen, "/dev/loop-control");
	}
	/* Another process may take the free device first: try again. */
	for (int tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			rc = err_sys(err, errlen, "no free loop device");
			break;
		}
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		if ((loop = open(dev, O_RDWR | O_CLOEXEC)) < 0) {
			rc = err_sys(err, errlen, "open %s", dev);
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (unsigned)img;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(loop, LOOP_CONFIGURE, &cfg) == 0)
			break;
		rc = errno == EBUSY ? 0 : err_sys(err, errlen, "attach %s to %s", image, dev);
		close(loop);
		loop = -1;
		if (rc)
			break;
	}
	if (!rc && loop < 0)
		rc = err_set(err, errlen, HS_ESYS, "no free loop device for %s", image);
	if (!rc && mount(dev, dir, "ext4", MS_NOSUID | MS_NODEV, NULL))
		rc = err_sys(err, errlen, "mount %s on %s", image, dir);
	/* With autoclear, closing our fd after the mount leaves the device to
	 * the mount; on a failed mount it detaches at once. */
	if (loop >= 0)
		close(loop);
	close(ctl);
	close(img);
	return rc;
}

/* Is dir the root of a filesystem other than its parent's? */
static int layerfs_is_mount(const char *dir, const char *parent, bool *out, char *err,
			    size_t errlen)
{
	struct stat st_dir, st_parent;
	if (stat(dir, &st_dir) || stat(parent, &st_parent))
		return err_sys(err, errlen, "stat %s", dir);
	*out = st_dir.st_dev != st_parent.st_dev;
	return 0;
}

int layerfs_prepare(const char *state_dir, char *err, size_t errlen)
{
	char dir[PATH_MAX], image[PATH_MAX];
	bool mounted;
	int rc;

	snprintf(dir, sizeof(dir), "%s/" LAYERFS_DIR, state_dir);
	snprintf(image, sizeof(image), "%s/" LAYERFS_IMAGE, state_dir);
	if ((rc = fs_mkdir_p(dir, 0700, err, errlen)) ||
	    (rc = layerfs_is_mount(dir, state_dir, &mounted, err, errlen)))
		return rc;
	/* Only stores made before spaces had filesystems of their own have
	 * the shared image; their spaces live on it. */
	if (mounted || access(image, F_OK))
		return 0;
	return layerfs_loop_mount(image, dir, err, errlen);
}

static void space_paths(const char *state_dir, const char *name, char *dir, char *image)
{
	snprintf(dir, PATH_MAX, "%s/" LAYERFS_DIR "/%s", state_dir, name);
	snprintf(image, PATH_MAX, "%s/" LAYERFS_IMAGES "/%s.img", state_dir, name);
}

int layerfs_space_mount(const char *state_dir, const char *name, uint64_t size,
			char *err, size_t errlen)
{
	char dir[PATH_MAX], image[PATH_MAX], images[PATH_MAX], parent[PATH_MAX];
	bool mounted;
	int rc;

	space_paths(state_dir, name, dir, image);
	snprintf(images, sizeof(images), "%s/" LAYERFS_IMAGES, state_dir);
	snprintf(parent, sizeof(parent), "%s/" LAYERFS_DIR, state_dir);
	if ((rc = fs_mkdir_p(dir, 0700, err, errlen)) ||
	    (rc = layerfs_is_mount(dir, parent, &mounted, err, errlen)))
		return rc;
	if (mounted)
		return 0;
	if (access(image, F_OK)) {
		if (size == 0)
			return 0; /* made before per-space filesystems: on the shared one */
		if ((rc = fs_mkdir_p(images, 0700, err, errlen)) ||
		    (rc = layerfs_image(image, size, err, errlen)))
			return rc;
	}
	return layerfs_loop_mount(image, dir, err, errlen);
}

int layerfs_space_remove(const char *state_dir, const char *name, char *err,
			 size_t errlen)
{
	char dir[PATH_MAX], image[PATH_MAX], parent[PATH_MAX];
	bool mounted = false;

	space_paths(state_dir, name, dir, image);
	snprintf(parent, sizeof(parent), "%s/" LAYERFS_DIR, state_dir);
	if (access(dir, F_OK) == 0 && layerfs_is_mount(dir, parent, &mounted, err, errlen))
		return HS_ESYS;
	/* Lazily: a view of it being detached elsewhere may still hold it;
	 * the loop device goes with the last reference (autoclear). */
	if (mounted && umount2(dir, MNT_DETACH))
		return err_sys(err, errlen, "unmount %s", dir);
	if (unlink(image) && errno != ENOENT)
		return err_sys(err, errlen, "remove %s", image);
	return 0;
}
