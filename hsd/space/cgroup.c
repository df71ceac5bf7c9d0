/* cgroup.c - resource limits of a space through cgroup v2. */
#include "cgroup.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The cgroup2 mount to use: the last one listed whose files are reachable
 * (an earlier one may be hidden by a later mount on or above it, as when a
 * fresh /sys is mounted over a hybrid hierarchy). */
static int cgroup_root(char *out, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	char probe[PATH_MAX + 32];
	int rc = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") != 0)
			continue;
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", m->mnt_dir);
		if (access(probe, R_OK) == 0) {
			snprintf(out, len, "%s", m->mnt_dir);
			rc = 0;
		}
	}
	endmntent(f);
	return rc;
}

static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_str(const char *path, const char *val, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(val);

	if (fd < 0)
		return err_sys(err, errlen, "cgroup %s", path);
	if (write(fd, val, (size_t)len) != len) {
		int rc = err_sys(err, errlen, "cgroup %s = %s", path, val);
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

static int cg_set(const char *dir, const char *file, int64_t value, char *err,
		  size_t errlen)
{
	char path[PATH_MAX * 2], num[32];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(num, sizeof(num), "%lld", (long long)value);
	return write_str(path, num, err, errlen);
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}

int cgroup_check(const struct space_limits *lim, char *err, size_t errlen)
{
	char root[PATH_MAX], path[PATH_MAX + 32], ctl[256] = "";

	if (!lim->memory && !lim->pids)
		return 0;
	if (cgroup_root(root, sizeof(root)))
		return err_set(err, errlen, HS_EINPUT,
			       "%s: no cgroup v2 hierarchy is mounted on this host; limits cannot be enforced",
			       lim->memory ? "--memory" : "--pids");
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	read_line(path, ctl, sizeof(ctl));
	if (lim->memory && !has_word(ctl, "memory"))
		return err_set(err, errlen, HS_EINPUT,
			       "--memory: the cgroup v2 memory controller is not available on this host (cgroup2 at %s offers: %s)",
			       root, ctl[0] ? ctl : "nothing");
	if (lim->pids && !has_word(ctl, "pids"))
		return err_set(err, errlen, HS_EINPUT,
			       "--pids: the cgroup v2 pids controller is not available on this host (cgroup2 at %s offers: %s)",
			       root, ctl[0] ? ctl : "nothing");
	return 0;
}

int cgroup_create(const char *group, const struct space_limits *lim, char *out,
		  size_t outlen, char *err, size_t errlen)
{
	char root[PATH_MAX], path[PATH_MAX + 64];
	const char *enable = lim->memory && lim->pids ? "+memory +pids"
			   : lim->memory ? "+memory" : "+pids";
	int rc;

	if ((rc = cgroup_check(lim, err, errlen)))
		return rc;
	cgroup_root(root, sizeof(root));
	/* Enable the controllers on every level down to the group's parent. */
	snprintf(path, sizeof(path), "%s", root);
	for (const char *p = group;;) {
		char sub[PATH_MAX];
		if ((rc = write_str(strcat(strcpy(sub, path), "/cgroup.subtree_control"),
				    enable, err, errlen)))
			return rc;
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		size_t off = strlen(path);
		if (off + 1 + n >= sizeof(path))
			return err_set(err, errlen, HS_EINPUT, "cgroup path too long");
		path[off] = '/';
		memcpy(path + off + 1, p, n);
		path[off + 1 + n] = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return err_sys(err, errlen, "mkdir %s", path);
		if (!slash)
			break;
		p = slash + 1;
	}
	if ((lim->memory && (rc = cg_set(path, "memory.max", lim->memory, err, errlen))) ||
	    (lim->pids && (rc = cg_set(path, "pids.max", lim->pids, err, errlen))))
		return rc;
	snprintf(out, outlen, "%s", path);
	return 0;
}

int cgroup_remove(const char *group, char *err, size_t errlen)
{
	char root[PATH_MAX], path[PATH_MAX * 2];

	if (cgroup_root(root, sizeof(root)))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", root, group);
	if (rmdir(path) && errno != ENOENT)
		return err_sys(err, errlen, "rmdir %s", path);
	return 0;
}
