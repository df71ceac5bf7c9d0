/* layer.c - merging overlay upper layers, for flatten.
 *
 * A space with ancestors sees  own upper : parent upper : ... : base.
 * Flatten folds the ancestors' layers and its own into ONE layer over the
 * base that shows the same tree.  Merging a layer SRC onto DST (DST already
 * holds the layers below SRC, folded) follows overlayfs' own rules:
 *   - a whiteout in SRC removes the entry from DST and stays a whiteout
 *     (the base below may still hold that name);
 *   - an opaque directory in SRC replaces DST's directory whole;
 *   - any other directory merges into DST's, taking SRC's metadata;
 *   - any other entry replaces DST's.
 * Ownership, modes, times and extended attributes (trusted.overlay.opaque
 * among them) are kept.  Hard links within a layer become separate copies.
 */
#include "layer.h"
#include "err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

bool layer_is_whiteout(const char *path, const struct stat *st)
{
	char v;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return true;
	/* The newer xattr form (trusted.overlay.whiteout on an empty file). */
	return S_ISREG(st->st_mode) && st->st_size == 0 &&
	       lgetxattr(path, "trusted.overlay.whiteout", &v, 1) >= 0;
}

static bool layer_is_opaque(const char *path)
{
	char v[2] = "";
	return lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v)) >= 1 && v[0] == 'y';
}

static int copy_xattrs(const char *src, const char *dst, char *err, size_t errlen)
{
	char names[8192], val[65536];
	ssize_t n = llistxattr(src, names, sizeof(names));

	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
		ssize_t vl = lgetxattr(src, names + off, val, sizeof(val));
		if (vl < 0)
			continue;
		if (lsetxattr(dst, names + off, val, (size_t)vl, 0) && errno != ENOTSUP)
			return err_sys(err, errlen, "xattr %s on %s", names + off, dst);
	}
	return 0;
}

/* Owner, mode, times and xattrs of src onto dst (dst of the same type). */
static int copy_meta(const char *src, const struct stat *st, const char *dst,
		     char *err, size_t errlen)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };

	if (lchown(dst, st->st_uid, st->st_gid))
		return err_sys(err, errlen, "chown %s", dst);
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777))
		return err_sys(err, errlen, "chmod %s", dst);
	int rc = copy_xattrs(src, dst, err, errlen);
	if (!rc && utimensat(AT_FDCWD, dst, times, AT_SYMLINK_NOFOLLOW))
		rc = err_sys(err, errlen, "utimes %s", dst);
	return rc;
}

static int copy_file(const char *src, const struct stat *st, const char *dst,
		     char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (in < 0 || out < 0) {
		rc = err_sys(err, errlen, "copy %s", src);
	} else {
		off_t left = st->st_size;
		while (left > 0) {
			ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
			if (n <= 0) {
				rc = err_sys(err, errlen, "copy %s", src);
				break;
			}
			left -= n;
		}
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int layer_remove(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : err_sys(err, errlen, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? err_sys(err, errlen, "unlink %s", path) : 0;
	DIR *dir = opendir(path);
	struct dirent *e;
	int rc = 0;
	if (!dir)
		return err_sys(err, errlen, "opendir %s", path);
	while (!rc && (e = readdir(dir))) {
		char sub[PATH_MAX];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub))
			rc = err_set(err, errlen, HS_ESYS, "path too long under %s", path);
		else
			rc = layer_remove(sub, err, errlen);
	}
	closedir(dir);
	if (!rc && rmdir(path))
		rc = err_sys(err, errlen, "rmdir %s", path);
	return rc;
}

/* Create dst as a copy of the single entry src (a directory empty). */
static int copy_entry(const char *src, const struct stat *st, const char *dst,
		      char *err, size_t errlen)
{
	char target[PATH_MAX];
	ssize_t n;
	int rc = 0;

	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, 0700))
			rc = err_sys(err, errlen, "mkdir %s", dst);
	} else if (S_ISREG(st->st_mode)) {
		rc = copy_file(src, st, dst, err, errlen);
	} else if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(src, target, sizeof(target) - 1)) < 0)
			return err_sys(err, errlen, "readlink %s", src);
		target[n] = 0;
		if (symlink(target, dst))
			rc = err_sys(err, errlen, "symlink %s", dst);
	} else if (mknod(dst, st->st_mode, st->st_rdev)) {
		rc = err_sys(err, errlen, "mknod %s", dst);
	}
	return rc;
}

static int merge_dir(const char *src, const char *dst, char *err, size_t errlen);

static int merge_entry(const char *src, const char *dst, char *err, size_t errlen)
{
	struct stat st, dt;
	int rc;

	if (lstat(src, &st))
		return err_sys(err, errlen, "stat %s", src);
	bool dst_dir = lstat(dst, &dt) == 0 && S_ISDIR(dt.st_mode);
	if (S_ISDIR(st.st_mode) && dst_dir && !layer_is_opaque(src)) {
		if ((rc = merge_dir(src, dst, err, errlen)))
			return rc;
		return copy_meta(src, &st, dst, err, errlen);
	}
	if ((rc = layer_remove(dst, err, errlen)) ||
	    (rc = copy_entry(src, &st, dst, err, errlen)))
		return rc;
	if (S_ISDIR(st.st_mode) && (rc = merge_dir(src, dst, err, errlen)))
		return rc;
	return copy_meta(src, &st, dst, err, errlen);
}

static int merge_dir(const char *src, const char *dst, char *err, size_t errlen)
{
	DIR *dir = opendir(src);
	struct dirent *e;
	int rc = 0;

	if (!dir)
		return err_sys(err, errlen, "opendir %s", src);
	while (!rc && (e = readdir(dir))) {
		char s[PATH_MAX], t[PATH_MAX];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(s, sizeof(s), "%s/%s", src, e->d_name) >= (int)sizeof(s) ||
		    snprintf(t, sizeof(t), "%s/%s", dst, e->d_name) >= (int)sizeof(t))
			rc = err_set(err, errlen, HS_ESYS, "path too long under %s", src);
		else
			rc = merge_entry(s, t, err, errlen);
	}
	closedir(dir);
	return rc;
}

int layer_merge(const char *src, const char *dst, char *err, size_t errlen)
{
	struct stat st;
	int rc = merge_dir(src, dst, err, errlen);

	if (!rc && lstat(src, &st) == 0)
		rc = copy_meta(src, &st, dst, err, errlen);
	return rc;
}
