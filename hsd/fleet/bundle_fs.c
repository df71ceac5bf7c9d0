/* bundle_fs.c - read a bundle directory: its manifest, the files it lists,
 * the absence of anything else, and the content hash. */
#include "bundle.h"
#include "bundle_int.h"

#include "err.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE_DEPTH_MAX 16
#define TREE_ENTRIES_MAX 4096 /* directory entries looked at, bounds the walk */

/* Open relpath under dirfd refusing symlinks in every component, so a
 * bundle can never make us read outside its directory.  O_NONBLOCK keeps
 * a FIFO from hanging the open; the caller checks the type. */
static int open_beneath(int dirfd, const char *relpath)
{
	char buf[BUNDLE_PATH_MAX + 1];
	char *c = buf, *slash;
	int fd = dirfd, next;

	if (strlen(relpath) > BUNDLE_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, relpath, strlen(relpath) + 1);
	while ((slash = strchr(c, '/'))) {
		*slash = '\0';
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != dirfd)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
		c = slash + 1;
	}
	next = openat(fd, c, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd != dirfd) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return next;
}

/* Read a whole regular file of at most max bytes. */
static int read_file(int dirfd, const char *relpath, const char *what, size_t max,
		     uint8_t **data, size_t *len, char *err, size_t errlen)
{
	char q[BUNDLE_QUOTE_MAX];
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, rc = 0;

	fd = open_beneath(dirfd, relpath);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: \"%s\": is a symlink or under one (not allowed)", what,
				       jmsg_quote(relpath, q, sizeof(q)));
		if (errno == ENOENT)
			return err_set(err, errlen, HS_EINPUT, "%s: \"%s\": no such file", what,
				       jmsg_quote(relpath, q, sizeof(q)));
		return err_sys(err, errlen, "%s: \"%s\"", what, jmsg_quote(relpath, q, sizeof(q)));
	}
	if (fstat(fd, &st) < 0) {
		rc = err_sys(err, errlen, "%s: \"%s\": fstat", what, jmsg_quote(relpath, q, sizeof(q)));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(err, errlen, HS_EINPUT, "%s: \"%s\": not a regular file", what,
			     jmsg_quote(relpath, q, sizeof(q)));
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = err_set(err, errlen, HS_EINPUT,
			     "%s: \"%s\": too big (%lld bytes, at most %zu left of the bundle's limit)",
			     what, jmsg_quote(relpath, q, sizeof(q)), (long long)st.st_size, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = err_set(err, errlen, HS_ESYS, "%s: out of memory", what);
		goto out;
	}
	/* Read one byte past st_size to notice a file growing under us. */
	for (;;) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_sys(err, errlen, "%s: \"%s\": read", what,
				     jmsg_quote(relpath, q, sizeof(q)));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > (size_t)st.st_size) {
			rc = err_set(err, errlen, HS_EINPUT, "%s: \"%s\": changed while being read",
				     what, jmsg_quote(relpath, q, sizeof(q)));
			goto out;
		}
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bundle_blob *)a)->path, ((const struct bundle_blob *)b)->path);
}

void bundle_blobs_sort(struct bundle_blob *v, size_t n)
{
	if (n < 2) /* and v may be NULL: a bundle with no files */
		return;
	qsort(v, n, sizeof(*v), blob_cmp);
}

void bundle_blobs_free(struct bundle_blob *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].data);
	}
	free(v);
}

int bundle_read_blobs(int dirfd, const struct bundle *b, struct bundle_blob **out,
		      size_t *n, char *err, size_t errlen)
{
	struct bundle_blob *v = calloc(b->nfiles + 1, sizeof(*v));
	size_t budget = BUNDLE_BYTES_MAX, cnt = 0;
	char what[48];
	int rc = 0;

	if (!v)
		return err_set(err, errlen, HS_ESYS, "bundle: out of memory");
	for (size_t i = 0; i <= b->nfiles; i++, cnt++) {
		const char *p = i == 0 ? BUNDLE_MANIFEST : b->files[i - 1];
		if (i == 0)
			snprintf(what, sizeof(what), "bundle.json");
		else
			snprintf(what, sizeof(what), "bundle.json: files[%zu]", i - 1);
		v[i].path = strdup(p);
		if (!v[i].path) {
			rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
			break;
		}
		rc = read_file(dirfd, p, what, i == 0 ? BUNDLE_MANIFEST_MAX : budget, &v[i].data,
			       &v[i].len, err, errlen);
		if (rc < 0) {
			cnt++;
			break;
		}
		if (i > 0)
			budget -= v[i].len;
	}
	if (rc < 0) {
		bundle_blobs_free(v, cnt);
		return rc;
	}
	bundle_blobs_sort(v, cnt);
	*out = v;
	*n = cnt;
	return 0;
}

void bundle_hash_blobs(const struct bundle_blob *v, size_t n, char out[BUNDLE_HASH_HEX + 1])
{
	crypto_hash_sha256_state st;
	uint8_t digest[crypto_hash_sha256_BYTES], len8[8];

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < n; i++) {
		uint64_t l = v[i].len;
		for (int k = 7; k >= 0; k--, l >>= 8)
			len8[k] = (uint8_t)l;
		/* The NUL after the path and the fixed-width length make the
		 * serialisation unambiguous: no two bundles share a stream. */
		crypto_hash_sha256_update(&st, (const uint8_t *)v[i].path, strlen(v[i].path) + 1);
		crypto_hash_sha256_update(&st, len8, sizeof(len8));
		crypto_hash_sha256_update(&st, v[i].data, v[i].len);
	}
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(out, BUNDLE_HASH_HEX + 1, digest, sizeof(digest));
}

static bool is_listed(const struct bundle *b, const char *rel)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i], rel) == 0)
			return true;
	return false;
}

/* Is rel a directory some listed file lives under? */
static bool is_needed_dir(const struct bundle *b, const char *rel)
{
	size_t n = strlen(rel);

	for (size_t i = 0; i < b->nfiles; i++)
		if (strncmp(b->files[i], rel, n) == 0 && b->files[i][n] == '/')
			return true;
	return false;
}

/* Refuse anything in the directory that is not bundle.json, a listed file
 * or a directory leading to one: the directory is exactly the bundle, so
 * nothing travels or runs that the hash does not cover. */
static int check_tree(int dirfd, const char *prefix, const struct bundle *b, int depth,
		      size_t *seen, char *err, size_t errlen)
{
	char rel[BUNDLE_PATH_MAX + 2], q[BUNDLE_QUOTE_MAX];
	struct dirent *de;
	int fd, rc = 0;
	DIR *d;

	if (depth > TREE_DEPTH_MAX)
		return err_set(err, errlen, HS_EINPUT, "bundle.json: files: \"%s\": nested too deep",
			       jmsg_quote(prefix, q, sizeof(q)));
	fd = dup(dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, errlen, "bundle: reading directory \"%s\"",
			       jmsg_quote(*prefix ? prefix : ".", q, sizeof(q)));
	}
	rewinddir(d);
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*seen > TREE_ENTRIES_MAX) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "bundle.json: files: the directory has more than %d entries",
				     TREE_ENTRIES_MAX);
			break;
		}
		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "",
				     de->d_name) > BUNDLE_PATH_MAX) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "bundle.json: files: \"%s\": unlisted path (too long)",
				     jmsg_quote(rel, q, sizeof(q)));
			break;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(err, errlen, "bundle: \"%s\"", jmsg_quote(rel, q, sizeof(q)));
			break;
		}
		if (S_ISREG(st.st_mode)) {
			/* The signature signs the hash, so it cannot be in it;
			 * only this one name at the top is left out. */
			if (depth == 0 && strcmp(rel, BUNDLE_SIG_FILE) == 0)
				continue;
			if (!(depth == 0 && strcmp(rel, BUNDLE_MANIFEST) == 0) && !is_listed(b, rel))
				rc = err_set(err, errlen, HS_EINPUT,
					     "bundle.json: files: \"%s\" is in the directory but not listed",
					     jmsg_quote(rel, q, sizeof(q)));
		} else if (S_ISDIR(st.st_mode)) {
			int sub;
			if (!is_needed_dir(b, rel)) {
				rc = err_set(err, errlen, HS_EINPUT,
					     "bundle.json: files: directory \"%s\" holds no listed file",
					     jmsg_quote(rel, q, sizeof(q)));
				break;
			}
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = err_sys(err, errlen, "bundle: \"%s\"", jmsg_quote(rel, q, sizeof(q)));
				break;
			}
			rc = check_tree(sub, rel, b, depth + 1, seen, err, errlen);
			close(sub);
		} else {
			rc = err_set(err, errlen, HS_EINPUT,
				     "bundle.json: files: \"%s\": %s in the bundle directory (not allowed)",
				     jmsg_quote(rel, q, sizeof(q)),
				     S_ISLNK(st.st_mode) ? "symlink" : "special file");
		}
	}
	if (rc == 0 && errno != 0)
		rc = err_sys(err, errlen, "bundle: reading directory \"%s\"",
			     jmsg_quote(*prefix ? prefix : ".", q, sizeof(q)));
	closedir(d);
	return rc;
}

/* The last component of dir, ignoring trailing slashes. */
static void dir_basename(const char *dir, char *out, size_t outlen)
{
	size_t end = strlen(dir), start;

	while (end > 1 && dir[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	snprintf(out, outlen, "%.*s", (int)(end - start), dir + start);
}

static int open_dir(const char *dir, int *fd, char *err, size_t errlen)
{
	char q[BUNDLE_QUOTE_MAX];

	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return err_set(err, errlen, HS_EINPUT, "%s: not a directory",
			       jmsg_quote(dir, q, sizeof(q)));
	return err_sys(err, errlen, "%s", jmsg_quote(dir, q, sizeof(q)));
}

int bundle_hash_dir(const char *dir, const struct bundle *b, char out[BUNDLE_HASH_HEX + 1],
		    char *err, size_t errlen)
{
	struct bundle_blob *v = NULL;
	size_t n = 0;
	int fd, rc;

	if ((rc = open_dir(dir, &fd, err, errlen)) < 0)
		return rc;
	rc = bundle_read_blobs(fd, b, &v, &n, err, errlen);
	close(fd);
	if (rc < 0)
		return rc;
	bundle_hash_blobs(v, n, out);
	bundle_blobs_free(v, n);
	return 0;
}

int bundle_load_dir(const char *dir, struct bundle *out, char *err, size_t errlen)
{
	struct bundle_blob *v = NULL;
	uint8_t *text = NULL;
	char base[NAME_MAX + 1], q[BUNDLE_QUOTE_MAX];
	size_t len = 0, n = 0, seen = 0;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = open_dir(dir, &fd, err, errlen)) < 0)
		return rc;
	rc = read_file(fd, BUNDLE_MANIFEST, "bundle.json", BUNDLE_MANIFEST_MAX, &text, &len, err,
		       errlen);
	if (rc < 0)
		goto out;
	rc = bundle_parse_manifest((const char *)text, len, out, err, errlen);
	if (rc < 0)
		goto out;
	dir_basename(dir, base, sizeof(base));
	if (strcmp(base, out->id) != 0) {
		rc = err_set(err, errlen, HS_EINPUT,
			     "bundle.json: name, version: the bundle is \"%s\" but its directory is \"%s\"",
			     out->id, jmsg_quote(base, q, sizeof(q)));
		goto out;
	}
	if ((rc = check_tree(fd, "", out, 0, &seen, err, errlen)) < 0)
		goto out;
	if ((rc = bundle_read_blobs(fd, out, &v, &n, err, errlen)) < 0)
		goto out;
	bundle_hash_blobs(v, n, out->hash);
	/* bundle.json is read twice; both reads must agree. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].path, BUNDLE_MANIFEST) == 0 &&
		    (v[i].len != len || memcmp(v[i].data, text, len) != 0))
			rc = err_set(err, errlen, HS_EINPUT, "bundle.json: changed while being read");
out:
	bundle_blobs_free(v, n);
	free(text);
	close(fd);
	if (rc < 0)
		bundle_free(out);
	return rc;
}
