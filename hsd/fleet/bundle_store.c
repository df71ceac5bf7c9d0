/* bundle_store.c - write bundles atomically: local copy, and the pack and
 * unpack of bundles travelling between hosts. */
#include "bundle.h"
#include "bundle_int.h"

#include "err.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Base64 text may not exceed the encoding of the largest legal bundle. */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove a tree we created; best effort (the error that made us clean up
 * is the one worth reporting). */
void bundle_rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Create the directories leading to rel under dirfd and write the file.
 * Modes are not part of a bundle: files are 0644, directories 0755. */
static int write_blob(int dirfd, const struct bundle_blob *bl, char *err, size_t errlen)
{
	char buf[BUNDLE_PATH_MAX + 1], q[BUNDLE_QUOTE_MAX];
	char *c = buf, *slash;
	int fd = dirfd, next, rc = 0;

	snprintf(buf, sizeof(buf), "%s", bl->path);
	while ((slash = strchr(c, '/'))) {
		*slash = '\0';
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			rc = err_sys(err, errlen, "bundle: mkdir \"%s\"", jmsg_quote(bl->path, q, sizeof(q)));
			goto out;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			rc = err_sys(err, errlen, "bundle: open \"%s\"", jmsg_quote(bl->path, q, sizeof(q)));
			goto out;
		}
		if (fd != dirfd)
			close(fd);
		fd = next;
		c = slash + 1;
	}
	next = openat(fd, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (next < 0) {
		rc = err_sys(err, errlen, "bundle: create \"%s\"", jmsg_quote(bl->path, q, sizeof(q)));
		goto out;
	}
	if (fs_write_all(next, bl->data, bl->len) < 0 || fsync(next) < 0)
		rc = err_sys(err, errlen, "bundle: write \"%s\"", jmsg_quote(bl->path, q, sizeof(q)));
	close(next);
	/* The new entry must be durable before the rename publishes it. */
	if (rc == 0 && fsync(fd) < 0)
		rc = err_sys(err, errlen, "bundle: fsync \"%s\"", jmsg_quote(bl->path, q, sizeof(q)));
out:
	if (fd != dirfd)
		close(fd);
	return rc;
}

/* 0 if dst holds a valid bundle hashing to hash, HS_ESTATE otherwise. */
static int check_existing(const char *dst, const char *hash, char *err, size_t errlen)
{
	struct bundle have;
	char q[BUNDLE_QUOTE_MAX], why[HS_ERRLEN];
	int rc;

	rc = bundle_load_dir(dst, &have, why, sizeof(why));
	if (rc < 0)
		rc = err_set(err, errlen, HS_ESTATE, "%s: exists and is not a valid bundle (%s)",
			     jmsg_quote(dst, q, sizeof(q)), why);
	else if (strcmp(have.hash, hash) != 0)
		rc = err_set(err, errlen, HS_ESTATE,
			     "%s: exists with hash %s, refusing to replace it with %s",
			     jmsg_quote(dst, q, sizeof(q)), have.hash, hash);
	bundle_free(&have);
	return rc;
}

/* Publish blobs as the directory dst: write dst.tmp-XXXXXX, fsync, then
 * one rename that never replaces an existing dst. */
static int write_tree(const char *dst, const struct bundle_blob *v, size_t n,
		      const char *hash, char *err, size_t errlen)
{
	char tmp[PATH_MAX], parent[PATH_MAX], q[BUNDLE_QUOTE_MAX];
	struct stat st;
	char *slash;
	int fd = -1, pfd, rc = 0;

	if (lstat(dst, &st) == 0)
		return check_existing(dst, hash, err, errlen);
	if (errno != ENOENT)
		return err_sys(err, errlen, "%s", jmsg_quote(dst, q, sizeof(q)));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dst) >= sizeof(tmp))
		return err_set(err, errlen, HS_EINPUT, "%s: path too long", jmsg_quote(dst, q, sizeof(q)));
	if (!mkdtemp(tmp))
		return err_sys(err, errlen, "%s: mkdtemp", jmsg_quote(tmp, q, sizeof(q)));
	if (chmod(tmp, 0755) < 0 ||
	    (fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = err_sys(err, errlen, "%s", jmsg_quote(tmp, q, sizeof(q)));
		goto fail;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = write_blob(fd, &v[i], err, errlen);
	if (rc == 0 && fsync(fd) < 0)
		rc = err_sys(err, errlen, "%s: fsync", jmsg_quote(tmp, q, sizeof(q)));
	close(fd);
	if (rc < 0)
		goto fail;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			/* Someone else published it first; theirs must match. */
			bundle_rm_tree(tmp);
			return check_existing(dst, hash, err, errlen);
		}
		rc = err_sys(err, errlen, "%s: rename", jmsg_quote(dst, q, sizeof(q)));
		goto fail;
	}
	snprintf(parent, sizeof(parent), "%s", dst);
	slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	pfd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		if (fsync(pfd) < 0)
			rc = err_sys(err, errlen, "%s: fsync parent", jmsg_quote(dst, q, sizeof(q)));
		close(pfd);
	}
	return rc;
fail:
	bundle_rm_tree(tmp);
	return rc;
}

/* dst without trailing slashes, so "dst.tmp-" lands beside it. */
static int clean_path(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t n = strlen(in);

	while (n > 1 && in[n - 1] == '/')
		n--;
	if (n == 0 || n >= outlen)
		return err_set(err, errlen, HS_EINPUT, "bundle: bad destination path");
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

/* Read the content of b from dir and insist it is what b was hashed as. */
static int read_checked(const char *dir, const struct bundle *b, struct bundle_blob **v,
			size_t *n, char *err, size_t errlen)
{
	char hash[BUNDLE_HASH_HEX + 1], q[BUNDLE_QUOTE_MAX];
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "%s", jmsg_quote(dir, q, sizeof(q)));
	rc = bundle_read_blobs(fd, b, v, n, err, errlen);
	close(fd);
	if (rc < 0)
		return rc;
	bundle_hash_blobs(*v, *n, hash);
	if (strcmp(hash, b->hash) != 0) {
		bundle_blobs_free(*v, *n);
		*v = NULL;
		return err_set(err, errlen, HS_EINPUT,
			       "%s: content changed since it was loaded (hash %s, expected %s)",
			       jmsg_quote(dir, q, sizeof(q)), hash,
			       *b->hash ? b->hash : "none: bundle not hashed");
	}
	return 0;
}

int bundle_copy(const struct bundle *b, const char *src_dir, const char *dst_dir,
		char *err, size_t errlen)
{
	struct bundle_blob *v = NULL;
	char dst[PATH_MAX];
	size_t n = 0;
	int rc;

	if ((rc = clean_path(dst_dir, dst, sizeof(dst), err, errlen)) < 0)
		return rc;
	if ((rc = read_checked(src_dir, b, &v, &n, err, errlen)) < 0)
		return rc;
	rc = write_tree(dst, v, n, b->hash, err, errlen);
	bundle_blobs_free(v, n);
	return rc;
}

int bundle_pack(const char *dir, const struct bundle *b, json_t **out, char *err,
		size_t errlen)
{
	struct bundle_blob *v = NULL;
	json_t *msg = NULL, *files;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = read_checked(dir, b, &v, &n, err, errlen)) < 0)
		return rc;
	files = json_object();
	msg = json_pack("{s:s, s:s, s:o}", "id", b->id, "hash", b->hash, "files", files);
	if (!msg) {
		rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t blen = sodium_base64_ENCODED_LEN(v[i].len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(blen);
		if (!b64) {
			rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
			goto out;
		}
		sodium_bin2base64(b64, blen, v[i].data, v[i].len, sodium_base64_VARIANT_ORIGINAL);
		if (json_object_set_new(files, v[i].path, json_string(b64)) < 0)
			rc = err_set(err, errlen, HS_ESYS, "bundle: out of memory");
		free(b64);
		if (rc < 0)
			goto out;
	}
	*out = msg;
	msg = NULL;
out:
	json_decref(msg);
	bundle_blobs_free(v, n);
	return rc;
}

int bundle_unpack_files(const char *id, const char *hash, struct bundle_files *f,
			const char *dst_root, struct bundle *out, char *err, size_t errlen)
{
	struct bundle b;
	const struct bundle_blob *mj = NULL;
	char dst[PATH_MAX], got[BUNDLE_HASH_HEX + 1], q[BUNDLE_QUOTE_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	/* The hash first: the caller checked that an operator signed id and
	 * hash, so nothing of another host's bytes is parsed (bundle.json
	 * included) unless it is exactly what the operator signed. */
	bundle_blobs_sort(f->v, f->n);
	bundle_hash_blobs(f->v, f->n, got);
	if (strcmp(got, hash) != 0)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle message: hash: content hashes to %s, message says %s", got, hash);
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].path, BUNDLE_MANIFEST))
			mj = &f->v[i];
	if (!mj)
		return err_set(err, errlen, HS_EINPUT, "bundle message: files: no bundle.json");
	rc = bundle_parse_manifest((const char *)mj->data, mj->len, &b, err, errlen);
	if (rc < 0)
		goto out;
	if (strcmp(b.id, id) != 0) {
		rc = err_set(err, errlen, HS_EINPUT,
			     "bundle message: id: \"%s\" but bundle.json says \"%s\"",
			     jmsg_quote(id, q, sizeof(q)), b.id);
		goto out;
	}
	/* Exactly the listed files, and bundle.json. */
	for (size_t i = 0; i < f->n && !rc; i++) {
		bool listed = f->v + i == mj;
		for (size_t j = 0; j < b.nfiles && !listed; j++)
			listed = !strcmp(b.files[j], f->v[i].path);
		if (!listed)
			rc = err_set(err, errlen, HS_EINPUT,
				     "bundle message: files.\"%s\": not listed in bundle.json",
				     jmsg_quote(f->v[i].path, q, sizeof(q)));
	}
	for (size_t j = 0; j < b.nfiles && !rc; j++) {
		size_t i = 0;
		while (i < f->n && strcmp(b.files[j], f->v[i].path))
			i++;
		if (i == f->n)
			rc = err_set(err, errlen, HS_EINPUT,
				     "bundle message: files: \"%s\" listed in bundle.json is missing",
				     jmsg_quote(b.files[j], q, sizeof(q)));
	}
	if (rc)
		goto out;
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dst_root, b.id) >= sizeof(dst)) {
		rc = err_set(err, errlen, HS_EINPUT, "bundle: destination path too long");
		goto out;
	}
	if ((rc = write_tree(dst, f->v, f->n, got, err, errlen)) < 0)
		goto out;
	/* Load what is now on disk: the caller gets exactly the stored bundle. */
	rc = bundle_load_dir(dst, out, err, errlen);
	if (rc == 0 && strcmp(out->hash, got) != 0) {
		rc = err_set(err, errlen, HS_ESTATE, "%s: stored bundle does not match its hash",
			     jmsg_quote(dst, q, sizeof(q)));
		bundle_free(out);
	}
out:
	bundle_free(&b);
	return rc;
}

int bundle_unpack(json_t *msg, const char *dst_root, struct bundle *out, char *err,
		  size_t errlen)
{
	char id[BUNDLE_ID_MAX + 2], hash[BUNDLE_HASH_HEX + 1];
	struct bundle_files f;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = bundle_msg_decode(msg, id, hash, &f, err, errlen)))
		return rc;
	rc = bundle_unpack_files(id, hash, &f, dst_root, out, err, errlen);
	bundle_files_free(&f);
	return rc;
}
