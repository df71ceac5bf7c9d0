/* fsutil.c - small filesystem helpers. */
#include "fsutil.h"
#include "err.h"

#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <limits.h>
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

/* openat2 where the kernel has it; else (a kernel before 5.6, or valgrind,
 * which does not know it) the same walk one component at a time with
 * O_NOFOLLOW, refusing a symlink and "..". */
int fs_open_beneath(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned)(O_PATH | O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	char buf[PATH_MAX], *save = NULL;
	struct stat st;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int dir = fcntl(root, F_DUPFD_CLOEXEC, 0);
	for (char *c = strtok_r(buf, "/", &save); dir >= 0 && c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		int next = -1, e = EXDEV;
		if (strcmp(c, "..") && (next = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			e = errno;
		else if (next >= 0 && (fstat(next, &st) || S_ISLNK(st.st_mode))) {
			close(next);
			next = -1;
			e = ELOOP;
		}
		close(dir);
		dir = next;
		errno = e;
	}
	if (dir >= 0 && (flags & O_DIRECTORY) && (fstat(dir, &st) || !S_ISDIR(st.st_mode))) {
		close(dir);
		errno = ENOTDIR;
		return -1;
	}
	return dir;
}
