/* basemask.c - the allow-list layer between the host's root and a space
 * (see basemask.h).  Everything is done through directory fds with no
 * symlink followed: the base is the host's, but the mask directory lies in
 * a space's layer filesystem.  The base is walked as the overlay stacks
 * it: one mount, cloned, with nothing mounted below it. */
#include "basemask.h"
#include "err.h"
#include "fsutil.h"
#include "layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Opaque directories show nothing of the live host that the mask does
 * not hold itself, so nothing the host creates after the start; live
 * ones (SHOW, FILTER, LIVE) show the host's directory as it is now. */
enum mask_how {
	MASK_SHOW,     /* the whole subtree shows through, live */
	MASK_FILTER,   /* live, with what others may not read hidden */
	MASK_LIVE,     /* FILTER below an opaque parent: the directory
			* redirects to the host's own path */
	MASK_COPY,     /* a snapshot: opaque directories, copies of what
			* others may read, symlinks */
	MASK_SKELETON, /* opaque directories and symlinks only */
	MASK_EMPTY,    /* an empty opaque directory */
};

/* A file of a COPY tree bigger than this is left out (etc holds
 * configuration, not data). */
#define MASK_COPY_MAX (16u << 20)

struct mask_rule {
	const char *path; /* relative to the base root */
	enum mask_how how;
};

/* Top-level entries not listed here are whited out. */
static const struct mask_rule mask_rules[] = {
	{ "usr", MASK_SHOW },      { "bin", MASK_SHOW },      { "sbin", MASK_SHOW },
	{ "lib", MASK_SHOW },      { "lib32", MASK_SHOW },    { "lib64", MASK_SHOW },
	{ "libx32", MASK_SHOW },
	{ "etc", MASK_COPY },      { "var", MASK_SKELETON },
	{ "var/lib/dpkg", MASK_LIVE }, { "var/lib/apt", MASK_LIVE },
	{ "var/tmp", MASK_EMPTY },
	{ "opt", MASK_EMPTY },     { "srv", MASK_EMPTY },
	{ "root", MASK_EMPTY },    { "home", MASK_EMPTY },    { "mnt", MASK_EMPTY },
	{ "media", MASK_EMPTY },   { "tmp", MASK_EMPTY },     { "run", MASK_EMPTY },
	{ "dev", MASK_EMPTY },     { "proc", MASK_EMPTY },    { "sys", MASK_EMPTY },
};

/* Mount points the space needs even where the base lacks them. */
static const struct { const char *name; mode_t mode; } mask_dirs[] = {
	{ "root", 0700 }, { "home", 0755 }, { "tmp", 01777 }, { "run", 0755 },
	{ "dev", 0755 },  { "proc", 0555 }, { "sys", 0555 },
};

static const char *const mask_always_hidden[] = { "/etc/hsd", NULL };

static const struct mask_rule *rule_for(const char *rel)
{
	for (size_t i = 0; i < sizeof(mask_rules) / sizeof(*mask_rules); i++)
		if (strcmp(mask_rules[i].path, rel) == 0)
			return &mask_rules[i];
	return NULL;
}

static int whiteout(int dfd, const char *name, const char *rel, char *err, size_t errlen)
{
	if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) && errno != EEXIST)
		return err_sys(err, errlen, "mask: whiteout %s", rel);
	return 0;
}

/* Give the mask directory d the times of the base's s: called once d's
 * entries are all made, since each new entry sets d's mtime to now. */
static void keep_times(int d, int s)
{
	struct stat st;
	if (fstat(s, &st) == 0)
		futimens(d, (struct timespec[2]){ st.st_atim, st.st_mtim });
}

/* mkdir name in dfd with the owner, mode and times of st; opaque hides
 * every entry of the layers below. */
static int mask_dir(int dfd, const char *name, const struct stat *st, bool opaque,
		    const char *rel, char *err, size_t errlen)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int fd, rc = 0;

	if (mkdirat(dfd, name, 0700) && errno != EEXIST)
		return err_sys(err, errlen, "mask: mkdir %s", rel);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return err_sys(err, errlen, "mask: open %s", rel);
	if (fchown(fd, st->st_uid, st->st_gid) || fchmod(fd, st->st_mode & 07777) ||
	    (opaque && fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0)) ||
	    futimens(fd, times))
		rc = err_sys(err, errlen, "mask: attributes of %s", rel);
	close(fd);
	return rc;
}

static bool others_can_read(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return true;
	if (S_ISDIR(st->st_mode))
		return (st->st_mode & (S_IROTH | S_IXOTH)) == (S_IROTH | S_IXOTH);
	return st->st_mode & S_IROTH;
}

/* A symlink of the base into an opaque mask directory (a path is no
 * secret; where it leads is resolved in the space). */
static int mask_symlink(int src, int dst, const char *name, const struct stat *st,
			const char *rel, char *err, size_t errlen)
{
	char target[PATH_MAX];
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

	if (n < 0)
		return err_sys(err, errlen, "mask: readlink %s", rel);
	target[n] = '\0';
	if ((symlinkat(target, dst, name) && errno != EEXIST) ||
	    fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) ||
	    utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW))
		return err_sys(err, errlen, "mask: symlink %s", rel);
	return 0;
}

/* A copy of a file of the base, with its owner, mode and times. */
static int mask_copy(int src, int dst, const char *name, const struct stat *st,
		     const char *rel, char *err, size_t errlen)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	char buf[65536];
	ssize_t n = 0;
	int rc = 0;
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (in < 0 || out < 0) {
		rc = err_sys(err, errlen, "mask: copy %s", rel);
		goto out;
	}
	/* At most the size it had: a file growing meanwhile is cut there. */
	for (off_t left = st->st_size; left > 0 && (n = read(in, buf, sizeof(buf))) > 0;
	     left -= n)
		if (fs_write_all(out, buf, (size_t)(n < left ? n : left)))
			break;
	if (n < 0 || fchown(out, st->st_uid, st->st_gid) || fchmod(out, st->st_mode & 07777) ||
	    futimens(out, times))
		rc = err_sys(err, errlen, "mask: copy %s", rel);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* An absolute redirect: overlayfs looks the directory up at the host's own
 * path in the layers below, though its parent in the mask is opaque. */
static int mask_redirect(int dst, const char *name, const char *rel, char *err,
			 size_t errlen)
{
	char path[PATH_MAX + 1];
	int fd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	snprintf(path, sizeof(path), "/%s", rel);
	if (fd < 0 || fsetxattr(fd, "trusted.overlay.redirect", path, strlen(path), 0))
		rc = err_sys(err, errlen, "mask: redirect %s", rel);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Deeper than this below the base's root, a directory is whited out whole:
 * a tree a host user made arbitrarily deep (in a world-writable directory
 * under var) must neither stop every space from starting nor exhaust fds. */
#define MASK_DEPTH_MAX 32

static int mask_walk(int src, int dst, char *rel, size_t rellen, int depth,
		     enum mask_how how, char *err, size_t errlen);

/* One entry of src (named name, rel its path) into dst under mode how. */
static int mask_entry(int src, int dst, const char *name, char *rel, size_t rellen,
		      int depth, enum mask_how how, char *err, size_t errlen)
{
	const struct mask_rule *r = rule_for(rel);
	struct stat st;
	int rc = 0;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : err_sys(err, errlen, "mask: stat %s", rel);
	if (r)
		how = r->how;
	else if (!strchr(rel, '/'))
		return whiteout(dst, name, rel, err, errlen); /* top level: not allowed */
	if (how == MASK_SHOW)
		return 0;
	bool live = how == MASK_FILTER || how == MASK_LIVE;
	if (!S_ISDIR(st.st_mode)) {
		if (live)
			return others_can_read(&st) ? 0 : whiteout(dst, name, rel, err, errlen);
		/* Below an opaque directory: only what the mask holds shows. */
		if (S_ISLNK(st.st_mode) && how != MASK_EMPTY)
			return mask_symlink(src, dst, name, &st, rel, err, errlen);
		if (S_ISREG(st.st_mode) && how == MASK_COPY && others_can_read(&st) &&
		    (uint64_t)st.st_size <= MASK_COPY_MAX)
			return mask_copy(src, dst, name, &st, rel, err, errlen);
		return 0;
	}
	/* Others cannot list it: not even the names in it show. */
	if (!others_can_read(&st))
		how = MASK_EMPTY;
	if (depth >= MASK_DEPTH_MAX)
		return whiteout(dst, name, rel, err, errlen);
	bool opaque = !(how == MASK_FILTER || how == MASK_LIVE);
	if ((rc = mask_dir(dst, name, &st, opaque, rel, err, errlen)) ||
	    (how == MASK_LIVE && (rc = mask_redirect(dst, name, rel, err, errlen))) ||
	    how == MASK_EMPTY)
		return rc;
	/* A live directory keeps its redirect, even when it hides nothing. */
	bool keep = how != MASK_FILTER;
	if (how == MASK_LIVE)
		how = MASK_FILTER;
	int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		rc = err_sys(err, errlen, "mask: open %s", rel);
	else if (!(rc = mask_walk(s, d, rel, rellen, depth + 1, how, err, errlen)))
		keep_times(d, s);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	/* A filtered directory that hides nothing needs no copy of its own
	 * (rmdir fails on a non-empty one, which is what we want). */
	if (!rc && !keep)
		unlinkat(dst, name, AT_REMOVEDIR);
	return rc;
}

static int mask_walk(int src, int dst, char *rel, size_t rellen, int depth,
		     enum mask_how how, char *err, size_t errlen)
{
	int fd = dup(src);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t base = strlen(rel);
	int rc = 0;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, errlen, "mask: read %s", base ? rel : "/");
	}
	while (!rc && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(rel + base, rellen - base, "%s%s", base ? "/" : "", e->d_name) >=
		    (int)(rellen - base)) {
			rel[base] = '\0'; /* a name too long to show: hidden */
			rc = whiteout(dst, e->d_name, rel, err, errlen);
			continue;
		}
		rc = mask_entry(src, dst, e->d_name, rel, rellen, depth, how, err, errlen);
		rel[base] = '\0';
	}
	closedir(dir);
	return rc;
}

/* White out the absolute path p in the mask, making the directories on the
 * way with the base's attributes.  Absent in the base: nothing to hide. */
static int mask_hide(int src_root, int dst_root, const char *dir, const char *p,
		     char *err, size_t errlen)
{
	char comp[PATH_MAX], full[PATH_MAX];
	int s = dup(src_root), d = dup(dst_root), rc = 0;
	const char *at = p;

	while (!rc && s >= 0 && d >= 0) {
		while (*at == '/')
			at++;
		size_t n = strcspn(at, "/");
		if (n == 0 || n >= sizeof(comp))
			break;
		memcpy(comp, at, n);
		comp[n] = '\0';
		at += n;
		while (*at == '/')
			at++;
		struct stat st;
		if (fstatat(s, comp, &st, AT_SYMLINK_NOFOLLOW))
			break; /* not in the base */
		if (!*at || !S_ISDIR(st.st_mode)) {
			/* A whiteout replaces whatever the mask had there (the
			 * mask is ours alone: no space writes to it). */
			snprintf(full, sizeof(full), "%s/%s", dir, p);
			if (!(rc = layer_remove(full, err, errlen)) &&
			    !(rc = whiteout(d, comp, p, err, errlen)))
				keep_times(d, s);
			break;
		}
		struct stat dst_st;
		if (fstatat(d, comp, &dst_st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!S_ISDIR(dst_st.st_mode))
				break; /* already hidden above */
		} else if (errno != ENOENT || (rc = mask_dir(d, comp, &st, false, p, err, errlen))) {
			rc = rc ? rc : err_sys(err, errlen, "mask: stat %s", p);
			break;
		} else {
			keep_times(d, s);
		}
		int ns = openat(s, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int nd = openat(d, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(s);
		close(d);
		s = ns;
		d = nd;
	}
	if (!rc && (s < 0 || d < 0))
		rc = err_sys(err, errlen, "mask: hide %s", p);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return rc;
}

int basemask_build(const char *base, const char *dir, const char *const *hidden,
		   char *err, size_t errlen)
{
	char rel[PATH_MAX] = "";
	struct stat st;
	int src = -1, dst = -1, rc;

	if ((rc = layer_remove(dir, err, errlen)))
		return rc;
	if (mkdir(dir, 0755))
		return err_sys(err, errlen, "mask: mkdir %s", dir);
	/* Walk a clone of the base's one mount, as the overlay stacks it:
	 * nothing mounted below it (the mask itself among them) is seen. */
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, base, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree >= 0) {
		src = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(tree);
	}
	if (src < 0 || (dst = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = err_sys(err, errlen, "mask: open %s", src < 0 ? base : dir);
		goto out;
	}
	if (fstat(src, &st) || fchown(dst, st.st_uid, st.st_gid) || fchmod(dst, st.st_mode & 07777)) {
		rc = err_sys(err, errlen, "mask: attributes of %s", dir);
		goto out;
	}
	if ((rc = mask_walk(src, dst, rel, sizeof(rel), 0, MASK_FILTER, err, errlen)))
		goto out;
	for (size_t i = 0; i < sizeof(mask_dirs) / sizeof(*mask_dirs) && !rc; i++) {
		struct stat here;
		if (fstatat(dst, mask_dirs[i].name, &here, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		struct stat want = { .st_mode = S_IFDIR | mask_dirs[i].mode };
		rc = mask_dir(dst, mask_dirs[i].name, &want, true, mask_dirs[i].name, err, errlen);
	}
	for (const char *const *h = mask_always_hidden; !rc && *h; h++)
		rc = mask_hide(src, dst, dir, *h, err, errlen);
	for (const char *const *h = hidden; !rc && h && *h; h++)
		rc = mask_hide(src, dst, dir, *h, err, errlen);
	if (!rc)
		keep_times(dst, src);
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return rc;
}
