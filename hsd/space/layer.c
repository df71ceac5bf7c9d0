/* layer.c - merging overlay upper layers, for flatten.
 *
 * A space with ancestors sees  own upper : parent upper : ... : base.
 * Flatten folds the ancestors' layers and its own into ONE layer over the
 * base that shows the same tree.  Merging a layer SRC onto DST (DST already
 * holds the layers below SRC, folded) follows overlayfs' own rules:
 *   - a whiteout in SRC removes the entry from DST and stays a whiteout
 *     (the base below may still hold that name);
 *   - an opaque directory in SRC replaces DST's directory whole;
 *   - any other directory merges into DST's, taking SRC's metadata; over
 *     a non-directory of DST (a whiteout, a file) it becomes opaque, as
 *     that entry hid everything below it;
 *   - any other entry replaces DST's.
 * Ownership, modes, times and extended attributes (trusted.overlay.opaque
 * among them) are kept.  Hard links within a layer become separate copies.
 *
 * A layer is hostile: a space that is root inside it may still be running
 * (an ancestor of the flattened space) and rewrite it during the walk.  So
 * below the two roots nothing is ever resolved by path: each directory is
 * opened from its parent's fd, one component, never following a symlink
 * nor crossing a mount (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV; where
 * openat2 is missing, as under valgrind, openat O_NOFOLLOW and an st_dev
 * check); entries are examined with fstatat(AT_SYMLINK_NOFOLLOW) and what
 * gets opened must still be of the type examined, else the merge fails
 * (HS_ESTATE) naming the path.  A symlink is copied as a symlink.
 * Regular files are opened O_PATH and reopened for reading only once fstat
 * shows a regular file: opening a device may act on the device, opening a
 * FIFO would block hsd.
 * Device nodes: only the whiteout (char 0:0) is carried (the xattr form
 * is an empty regular file, copied with its xattrs); any other device
 * refuses the merge (HS_ESTATE): it would hand a later space a raw device.
 * FIFOs and sockets are carried as nodes (never opened): creating one acts
 * on nothing, and dropping it would let a lower entry of the same name
 * show through, changing the tree.  A socket node has no listener once its
 * space stopped; the flattened space sees exactly what it saw before.
 * A failed merge leaves DST half merged: callers merge into a new directory
 * and remove it on failure (spaces_flatten).
 * layer_remove walks the same way: a symlink is unlinked, never followed,
 * and a mount point inside the tree is refused, not emptied.
 */
#include "layer.h"
#include "layer_seam.h"
#include "err.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

void (*layer_seam_hook)(enum layer_seam_at at, const char *rel);

/* One walk.  The roots are named in messages only, never resolved again.
 * The buffers live here rather than on the stack of the recursion. */
struct layer_walk {
	const char *src, *dst;
	dev_t sdev, ddev;
	size_t len;
	char rel[PATH_MAX]; /* the current entry, relative to the roots */
	char names[XATTR_LIST_MAX];
	char val[XATTR_SIZE_MAX];
};

/* An entry whose metadata is read or set: through fd when it is open (a
 * directory or regular file), else as name in dirfd (a symlink or a node,
 * which are never opened). */
struct layer_node {
	int fd;
	int dirfd;
	const char *name;
};

/* "%s%s%s" arguments naming the current entry under root. */
#define WALK_AT(w, root) (root), ((w)->len ? "/" : ""), (w)->rel

/* A node's xattrs are reached as /proc/self/fd/DIRFD/NAME with the l*
 * calls: one component in a pinned directory, not followed. */
#define LAYER_PROC_MAX (sizeof("/proc/self/fd//") + 12 + NAME_MAX)

bool layer_is_whiteout(const char *path, const struct stat *st)
{
	char v;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return true;
	/* The newer xattr form (trusted.overlay.whiteout on an empty file). */
	return S_ISREG(st->st_mode) && st->st_size == 0 &&
	       lgetxattr(path, "trusted.overlay.whiteout", &v, 1) >= 0;
}

static void walk_seam(const struct layer_walk *w, enum layer_seam_at at)
{
	if (layer_seam_hook)
		layer_seam_hook(at, w->rel);
}

static int walk_push(struct layer_walk *w, const char *root, const char *name,
		     size_t *keep, char *err, size_t errlen)
{
	size_t n = strlen(name);

	*keep = w->len;
	if (w->len + n + 2 > sizeof(w->rel))
		return err_set(err, errlen, HS_ESTATE, "path too long under %s%s%s",
			       WALK_AT(w, root));
	if (w->len)
		w->rel[w->len++] = '/';
	memcpy(w->rel + w->len, name, n + 1);
	w->len += n;
	return 0;
}

static void walk_pop(struct layer_walk *w, size_t keep)
{
	w->len = keep;
	w->rel[keep] = 0;
}

/* The next entry other than "." and ".."; NULL with errno 0 at the end. */
static struct dirent *walk_next(DIR *d)
{
	struct dirent *e;

	do {
		errno = 0;
		e = readdir(d);
	} while (e && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")));
	return e;
}

/* name in dirfd, following no symlink and crossing no mount. */
static int walk_openat(int dirfd, const char *name, int flags)
{
	static bool no_openat2;

	flags |= O_NOFOLLOW | O_CLOEXEC;
	if (!no_openat2) {
		struct open_how how = {
			.flags = (unsigned long long)flags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
				   RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		/* valgrind, or a kernel before 5.6; asked once, as valgrind
		 * warns about every unknown syscall. */
		no_openat2 = true;
	}
	return openat(dirfd, name, flags);
}

/* Open name in dirfd and check it is still of the type examined and on the
 * tree's filesystem (dev).  An entry gone meanwhile gives *fd -1 and 0. */
static int walk_open(struct layer_walk *w, const char *root, dev_t dev, int dirfd,
		     const char *name, int flags, mode_t type, int *fd, struct stat *st,
		     char *err, size_t errlen)
{
	int rc;

	if ((*fd = walk_openat(dirfd, name, flags)) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP || errno == ENOTDIR)
			return err_set(err, errlen, HS_ESTATE,
				       "%s%s%s changed type during the walk (now %s)",
				       WALK_AT(w, root), errno == ELOOP ? "a symlink" : "not a directory");
		if (errno == EXDEV)
			return err_set(err, errlen, HS_ESTATE, "%s%s%s is a mount point",
				       WALK_AT(w, root));
		return err_sys(err, errlen, "open %s%s%s", WALK_AT(w, root));
	}
	if (fstat(*fd, st))
		rc = err_sys(err, errlen, "stat %s%s%s", WALK_AT(w, root));
	else if ((st->st_mode & S_IFMT) != type)
		rc = err_set(err, errlen, HS_ESTATE, "%s%s%s changed type during the walk",
			     WALK_AT(w, root));
	else if (st->st_dev != dev)
		rc = err_set(err, errlen, HS_ESTATE, "%s%s%s is a mount point", WALK_AT(w, root));
	else
		return 0;
	close(*fd);
	*fd = -1;
	return rc;
}

/* ---- removing ---- */

static int remove_at(struct layer_walk *w, const char *root, dev_t dev, int dirfd,
		     const char *name, char *err, size_t errlen);

static int remove_entries(struct layer_walk *w, const char *root, dev_t dev, DIR *d,
			  char *err, size_t errlen)
{
	struct dirent *e;
	size_t keep;
	int rc = 0;

	while (!rc && (e = walk_next(d))) {
		if ((rc = walk_push(w, root, e->d_name, &keep, err, errlen)))
			break;
		rc = remove_at(w, root, dev, dirfd(d), e->d_name, err, errlen);
		walk_pop(w, keep);
	}
	if (!rc && errno)
		rc = err_sys(err, errlen, "read directory %s%s%s", WALK_AT(w, root));
	return rc;
}

/* Remove name in dirfd (w->rel names it) and all below, never following a
 * symlink: a link is removed, not what it points to. */
static int remove_at(struct layer_walk *w, const char *root, dev_t dev, int dirfd,
		     const char *name, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;
	DIR *d;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : err_sys(err, errlen, "stat %s%s%s", WALK_AT(w, root));
	if (!S_ISDIR(st.st_mode)) {
		/* EISDIR here means it became a directory meanwhile: refused. */
		if (unlinkat(dirfd, name, 0) && errno != ENOENT)
			return err_sys(err, errlen, "unlink %s%s%s", WALK_AT(w, root));
		return 0;
	}
	if ((rc = walk_open(w, root, dev, dirfd, name, O_RDONLY | O_DIRECTORY, S_IFDIR,
			    &fd, &st, err, errlen)) || fd < 0)
		return rc;
	if (!(d = fdopendir(fd))) {
		rc = err_sys(err, errlen, "open directory %s%s%s", WALK_AT(w, root));
		close(fd);
		return rc;
	}
	walk_seam(w, LAYER_SEAM_RM_OPENED);
	rc = remove_entries(w, root, dev, d, err, errlen);
	closedir(d);
	if (rc || !unlinkat(dirfd, name, AT_REMOVEDIR) || errno == ENOENT)
		return rc;
	/* Not followed, not retried: what took its place is not ours to judge. */
	if (errno == ENOTDIR)
		return err_set(err, errlen, HS_ESTATE, "%s%s%s changed type during the walk",
			       WALK_AT(w, root));
	return err_sys(err, errlen, "rmdir %s%s%s", WALK_AT(w, root));
}

int layer_remove(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	const char *parent = ".", *name = buf;
	size_t n = strlen(path);
	struct layer_walk *w;
	struct stat st;
	int dirfd, rc;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= sizeof(buf))
		return err_set(err, errlen, HS_EINPUT, "path too long: %.64s...", path);
	memcpy(buf, path, n);
	buf[n] = 0;
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = 0;
		parent = slash == buf ? "/" : buf;
		name = slash + 1;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return err_set(err, errlen, HS_EINPUT, "path: \"%s\" names no entry to remove", path);
	/* The path up to the layer is the caller's own; the layer is not. */
	if ((dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : err_sys(err, errlen, "open %s", parent);
	/* The parent's device: a mount point is refused, not emptied. */
	if (fstat(dirfd, &st)) {
		rc = err_sys(err, errlen, "stat %s", parent);
	} else if (!(w = calloc(1, sizeof(*w)))) {
		rc = err_set(err, errlen, HS_ESYS, "out of memory removing %s", path);
	} else {
		w->dst = path;
		w->ddev = st.st_dev;
		rc = remove_at(w, path, st.st_dev, dirfd, name, err, errlen);
		free(w);
	}
	close(dirfd);
	return rc;
}

/* ---- metadata ---- */

static void node_proc(const struct layer_node *n, char *buf, size_t len)
{
	if (n->fd < 0)
		snprintf(buf, len, "/proc/self/fd/%d/%s", n->dirfd, n->name);
}

static int copy_xattrs(struct layer_walk *w, const struct layer_node *from,
		       const struct layer_node *to, char *err, size_t errlen)
{
	char fp[LAYER_PROC_MAX], tp[LAYER_PROC_MAX];
	ssize_t n;

	node_proc(from, fp, sizeof(fp));
	node_proc(to, tp, sizeof(tp));
	n = from->fd >= 0 ? flistxattr(from->fd, w->names, sizeof(w->names))
			  : llistxattr(fp, w->names, sizeof(w->names));
	if (n < 0)
		return errno == ENOTSUP ? 0 : err_sys(err, errlen, "list xattrs of %s%s%s",
						      WALK_AT(w, w->src));
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(w->names + off) + 1) {
		const char *name = w->names + off;
		ssize_t vl = from->fd >= 0 ? fgetxattr(from->fd, name, w->val, sizeof(w->val))
					   : lgetxattr(fp, name, w->val, sizeof(w->val));
		if (vl < 0 && errno == ENODATA)
			continue; /* removed since listed */
		if (vl < 0)
			return err_sys(err, errlen, "xattr %s of %s%s%s", name, WALK_AT(w, w->src));
		int r = to->fd >= 0 ? fsetxattr(to->fd, name, w->val, (size_t)vl, 0)
				    : lsetxattr(tp, name, w->val, (size_t)vl, 0);
		if (r && errno != ENOTSUP)
			return err_sys(err, errlen, "xattr %s on %s%s%s", name, WALK_AT(w, w->dst));
	}
	return 0;
}

/* Owner, mode, xattrs and times of from (examined as st) onto to. */
static int copy_meta(struct layer_walk *w, const struct stat *st, const struct layer_node *from,
		     const struct layer_node *to, char *err, size_t errlen)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	mode_t mode = st->st_mode & 07777;
	bool open_ = to->fd >= 0;
	int rc;

	/* chown before chmod: chown clears set-id bits. */
	if (open_ ? fchown(to->fd, st->st_uid, st->st_gid)
		  : fchownat(to->dirfd, to->name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW))
		return err_sys(err, errlen, "chown %s%s%s", WALK_AT(w, w->dst));
	if (!S_ISLNK(st->st_mode) &&
	    (open_ ? fchmod(to->fd, mode)
		   : fchmodat(to->dirfd, to->name, mode, AT_SYMLINK_NOFOLLOW)))
		return err_sys(err, errlen, "chmod %s%s%s", WALK_AT(w, w->dst));
	if ((rc = copy_xattrs(w, from, to, err, errlen)))
		return rc;
	if (open_ ? futimens(to->fd, times)
		  : utimensat(to->dirfd, to->name, times, AT_SYMLINK_NOFOLLOW))
		return err_sys(err, errlen, "utimes %s%s%s", WALK_AT(w, w->dst));
	return 0;
}

/* ---- merging ---- */

/* At most size bytes (the size when opened: a file growing meanwhile is not
 * followed forever); a file shrinking meanwhile ends the copy early. */
static int copy_data(struct layer_walk *w, int in, int out, off_t size, char *err,
		     size_t errlen)
{
	bool plain = false;

	while (size > 0) {
		size_t want = size > (off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)size;
		ssize_t n = -1;
		if (!plain) {
			n = copy_file_range(in, NULL, out, NULL, want, 0);
			/* Across filesystems or where unsupported: read and write. */
			plain = n < 0 && (errno == EXDEV || errno == ENOSYS ||
					  errno == EOPNOTSUPP || errno == EINVAL);
		}
		if (plain) {
			n = read(in, w->val, want < sizeof(w->val) ? want : sizeof(w->val));
			if (n > 0 && fs_write_all(out, w->val, (size_t)n))
				return err_sys(err, errlen, "write %s%s%s", WALK_AT(w, w->dst));
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, errlen, "copy %s%s%s", WALK_AT(w, w->src));
		if (n == 0)
			break;
		size -= n;
	}
	return 0;
}

static int copy_file(struct layer_walk *w, int sfd, int dfd, const char *name, char *err,
		     size_t errlen)
{
	char proc[LAYER_PROC_MAX];
	struct stat st;
	int p, in, out = -1, rc, saved;

	if ((rc = walk_open(w, w->src, w->sdev, sfd, name, O_PATH, S_IFREG, &p, &st, err,
			    errlen)) || p < 0)
		return rc;
	/* Sure now that it is a regular file: reopen that inode for reading. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p);
	in = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	saved = errno;
	close(p);
	if (in < 0) {
		errno = saved;
		return err_sys(err, errlen, "open %s%s%s", WALK_AT(w, w->src));
	}
	if ((rc = remove_at(w, w->dst, w->ddev, dfd, name, err, errlen)))
		goto out;
	if ((out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600)) < 0) {
		rc = err_sys(err, errlen, "create %s%s%s", WALK_AT(w, w->dst));
		goto out;
	}
	if (!(rc = copy_data(w, in, out, st.st_size, err, errlen)))
		rc = copy_meta(w, &st, &(struct layer_node){ in, -1, NULL },
			       &(struct layer_node){ out, -1, NULL }, err, errlen);
out:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

static int copy_symlink(struct layer_walk *w, int sfd, int dfd, const char *name,
			const struct stat *st, char *err, size_t errlen)
{
	/* The target is read, never followed; w->val holds it until created. */
	ssize_t n = readlinkat(sfd, name, w->val, sizeof(w->val));
	int rc;

	if (n < 0 && errno == ENOENT)
		return 0;
	if (n < 0 && errno == EINVAL)
		return err_set(err, errlen, HS_ESTATE, "%s%s%s changed type during the walk",
			       WALK_AT(w, w->src));
	if (n < 0)
		return err_sys(err, errlen, "readlink %s%s%s", WALK_AT(w, w->src));
	if ((size_t)n >= sizeof(w->val))
		return err_set(err, errlen, HS_ESTATE, "%s%s%s: symlink target too long",
			       WALK_AT(w, w->src));
	w->val[n] = 0;
	if ((rc = remove_at(w, w->dst, w->ddev, dfd, name, err, errlen)))
		return rc;
	if (symlinkat(w->val, dfd, name))
		return err_sys(err, errlen, "symlink %s%s%s", WALK_AT(w, w->dst));
	return copy_meta(w, st, &(struct layer_node){ -1, sfd, name },
			 &(struct layer_node){ -1, dfd, name }, err, errlen);
}

/* A whiteout, FIFO or socket: made from what was examined, never opened. */
static int copy_node(struct layer_walk *w, int sfd, int dfd, const char *name,
		     const struct stat *st, char *err, size_t errlen)
{
	int rc;

	if ((rc = remove_at(w, w->dst, w->ddev, dfd, name, err, errlen)))
		return rc;
	/* rdev is always 0: only the 0:0 whiteout passed walk_refuse_device. */
	if (mknodat(dfd, name, (st->st_mode & S_IFMT) | 0600, makedev(0, 0)))
		return err_sys(err, errlen, "mknod %s%s%s", WALK_AT(w, w->dst));
	return copy_meta(w, st, &(struct layer_node){ -1, sfd, name },
			 &(struct layer_node){ -1, dfd, name }, err, errlen);
}

static int walk_refuse_device(struct layer_walk *w, const struct stat *st, char *err,
			      size_t errlen)
{
	if (!S_ISBLK(st->st_mode) && !(S_ISCHR(st->st_mode) && st->st_rdev != makedev(0, 0)))
		return 0;
	return err_set(err, errlen, HS_ESTATE,
		       "%s%s%s: %s device %u:%u in a layer (only whiteouts, char 0:0, are carried)",
		       WALK_AT(w, w->src), S_ISBLK(st->st_mode) ? "block" : "character",
		       major(st->st_rdev), minor(st->st_rdev));
}

static int merge_entries(struct layer_walk *w, DIR *sd, int dfd, char *err, size_t errlen);

static bool fd_is_opaque(int fd)
{
	char v[2] = "";
	return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) >= 1 && v[0] == 'y';
}

/* The source directory name (examined as one) onto name in dfd. */
static int merge_dir(struct layer_walk *w, int sfd, int dfd, const char *name, char *err,
		     size_t errlen)
{
	struct stat st, dt;
	int s, d = -1, rc;
	DIR *sd;

	if ((rc = walk_open(w, w->src, w->sdev, sfd, name, O_RDONLY | O_DIRECTORY, S_IFDIR,
			    &s, &st, err, errlen)) || s < 0)
		return rc;
	if (!(sd = fdopendir(s))) {
		rc = err_sys(err, errlen, "open directory %s%s%s", WALK_AT(w, w->src));
		close(s);
		return rc;
	}
	walk_seam(w, LAYER_SEAM_SRC_OPENED);
	/* An opaque directory hides everything below it: DST's goes whole.
	 * A non-directory in DST hid all below it (overlayfs stops looking
	 * there), so the directory that replaces it must hide that too. */
	bool opaque = fd_is_opaque(s);
	bool below = fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
	bool keep = below && !opaque && S_ISDIR(dt.st_mode);
	bool hide = below && !opaque && !S_ISDIR(dt.st_mode);
	if (!keep && (rc = remove_at(w, w->dst, w->ddev, dfd, name, err, errlen)))
		goto out;
	if (!keep && mkdirat(dfd, name, 0700)) {
		rc = err_sys(err, errlen, "mkdir %s%s%s", WALK_AT(w, w->dst));
		goto out;
	}
	if ((rc = walk_open(w, w->dst, w->ddev, dfd, name, O_RDONLY | O_DIRECTORY, S_IFDIR,
			    &d, &dt, err, errlen)))
		goto out;
	if (d < 0) {
		rc = err_set(err, errlen, HS_ESYS, "%s%s%s vanished", WALK_AT(w, w->dst));
		goto out;
	}
	if (!(rc = merge_entries(w, sd, d, err, errlen)))
		rc = copy_meta(w, &st, &(struct layer_node){ s, -1, NULL },
			       &(struct layer_node){ d, -1, NULL }, err, errlen);
	if (!rc && hide && fsetxattr(d, "trusted.overlay.opaque", "y", 1, 0))
		rc = err_sys(err, errlen, "mark %s%s%s opaque", WALK_AT(w, w->dst));
out:
	if (d >= 0)
		close(d);
	closedir(sd);
	return rc;
}

static int merge_entry(struct layer_walk *w, int sfd, int dfd, const char *name, char *err,
		       size_t errlen)
{
	struct stat st;
	size_t keep;
	int rc;

	if ((rc = walk_push(w, w->src, name, &keep, err, errlen)))
		return rc;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		/* Gone since listed: nothing to carry. */
		rc = errno == ENOENT ? 0 : err_sys(err, errlen, "stat %s%s%s", WALK_AT(w, w->src));
	} else {
		walk_seam(w, LAYER_SEAM_SRC_STATED);
		if (!(rc = walk_refuse_device(w, &st, err, errlen))) {
			if (S_ISDIR(st.st_mode))
				rc = merge_dir(w, sfd, dfd, name, err, errlen);
			else if (S_ISREG(st.st_mode))
				rc = copy_file(w, sfd, dfd, name, err, errlen);
			else if (S_ISLNK(st.st_mode))
				rc = copy_symlink(w, sfd, dfd, name, &st, err, errlen);
			else
				rc = copy_node(w, sfd, dfd, name, &st, err, errlen);
		}
	}
	walk_pop(w, keep);
	return rc;
}

static int merge_entries(struct layer_walk *w, DIR *sd, int dfd, char *err, size_t errlen)
{
	struct dirent *e;
	int rc = 0;

	while (!rc && (e = walk_next(sd)))
		rc = merge_entry(w, dirfd(sd), dfd, e->d_name, err, errlen);
	if (!rc && errno)
		rc = err_sys(err, errlen, "read directory %s%s%s", WALK_AT(w, w->src));
	return rc;
}

int layer_merge(const char *src, const char *dst, char *err, size_t errlen)
{
	struct layer_walk *w = calloc(1, sizeof(*w));
	struct stat st, dt;
	int s = -1, d = -1, rc;
	DIR *sd = NULL;

	if (!w)
		return err_set(err, errlen, HS_ESYS, "out of memory merging %s", src);
	w->src = src;
	w->dst = dst;
	/* The roots are the caller's paths; their last component must be a
	 * directory itself, not a link to one. */
	if ((s = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(s, &st)) {
		rc = err_sys(err, errlen, "open layer %s", src);
		goto out;
	}
	if ((d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(d, &dt)) {
		rc = err_sys(err, errlen, "open layer %s", dst);
		goto out;
	}
	if (!(sd = fdopendir(s))) {
		rc = err_sys(err, errlen, "open directory %s", src);
		goto out;
	}
	s = -1; /* sd owns it now */
	w->sdev = st.st_dev;
	w->ddev = dt.st_dev;
	walk_seam(w, LAYER_SEAM_SRC_OPENED);
	if (!(rc = merge_entries(w, sd, d, err, errlen)))
		rc = copy_meta(w, &st, &(struct layer_node){ dirfd(sd), -1, NULL },
			       &(struct layer_node){ d, -1, NULL }, err, errlen);
out:
	if (sd)
		closedir(sd);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	free(w);
	return rc;
}
