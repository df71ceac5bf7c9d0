/* fsutil.c - small filesystem helpers. */
#include "fsutil.h"
#include "err.h"

#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return err_set(err, errlen, HS_EINPUT, "path too long: %.64s...", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return err_sys(err, errlen, "mkdir %s", buf);
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return err_set(err, errlen, HS_ESYS, "%s: not a directory", path);
	return 0;
}

int fs_lock_pidfile(const char *path, const char *what, char *err,
		    size_t errlen)
{
	char pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, errlen, "%s lock %s", what, path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		close(fd);
		return err_set(err, errlen, HS_ESTATE,
			       "%s is in use by another hsd (pid %s, lock %s)",
			       what, pid[0] ? pid : "?", path);
	}
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		int rc = err_sys(err, errlen, "%s lock %s", what, path);
		close(fd);
		return rc;
	}
	return fd;
}

int fs_read_file(const char *path, size_t max, char **out, size_t *len,
		 char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	*out = NULL;
	if (!f)
		return err_sys(err, errlen, "%s", path);
	if (!(buf = malloc(max + 1))) {
		fclose(f);
		return err_sys(err, errlen, "%s", path);
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		int rc = err_sys(err, errlen, "%s", path);
		fclose(f);
		free(buf);
		return rc;
	}
	fclose(f);
	if (n > max) {
		free(buf);
		return err_set(err, errlen, HS_EINPUT, "%s: larger than %zu bytes", path, max);
	}
	buf[n] = 0;
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int fs_copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	char tmp[PATH_MAX];
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return err_sys(err, errlen, "open %s", src);
	if (snprintf(tmp, sizeof(tmp), "%s.new", dst) >= (int)sizeof(tmp)) {
		close(in);
		return err_set(err, errlen, HS_EINPUT, "path too long: %s", dst);
	}
	unlink(tmp);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		rc = err_sys(err, errlen, "create %s", tmp);
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (fs_write_all(out, buf, (size_t)n)) {
			rc = err_sys(err, errlen, "write %s", tmp);
			goto out;
		}
	if (n < 0 || fchmod(out, mode) || rename(tmp, dst))
		rc = err_sys(err, errlen, "copy %s to %s", src, dst);
out:
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	close(in);
	return rc;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_str(const char *path, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0)
		return err_sys(err, errlen, "open %s", path);
	/* A knob takes its value in one write, or refuses it. */
	if (write(fd, text, len) != (ssize_t)len) {
		int rc = err_sys(err, errlen, "write %s (%.*s)", path,
				 (int)strcspn(text, "\n"), text);
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

int fs_open_in_root(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(O_PATH | O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	char buf[PATH_MAX], *save = NULL, *c, *next_c;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int dir = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (c = strtok_r(buf, "/", &save); dir >= 0 && c; c = next_c) {
		next_c = strtok_r(NULL, "/", &save);
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			close(dir);
			errno = EXDEV; /* as RESOLVE_IN_ROOT would not leave root */
			return -1;
		}
		int next = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC | (next_c ? 0 : flags));
		struct stat st;
		if (next >= 0 && (fstat(next, &st) || S_ISLNK(st.st_mode))) {
			close(next);
			next = -1;
			errno = ELOOP;
		}
		close(dir);
		dir = next;
	}
	return dir;
}
