/* cgroup.c - resource limits of a space.
 *
 * Each limit goes to the hierarchy that has its controller: cgroup v2 when
 * the unified tree offers it, otherwise the v1 hierarchy of that controller
 * (hybrid hosts keep memory and pids in v1).  A space's group is
 * GROUP (e.g. "hsd/<store id>/web") in each hierarchy used.
 */
#include "cgroup.h"
#include "err.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CG_MEMORY, CG_PIDS, CG_NCTL };
static const char *const cg_name[CG_NCTL] = { "memory", "pids" };
static const char *const cg_option[CG_NCTL] = { "--memory", "--pids" };

struct cg_where {
	char root[PATH_MAX]; /* mount point of the hierarchy */
	bool v2;
};

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == sep) && (p[n] == 0 || p[n] == sep || p[n] == '\n'))
			return true;
	return false;
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

/* Where controller c lives: the last reachable mount wins (an earlier one
 * may be hidden below a later mount, as under a fresh /sys). */
static int cg_find(int c, struct cg_where *w)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	char probe[PATH_MAX + 32], ctl[256];
	bool v2_found = false, v1_found = false;

	if (!f)
		return -1;
	while ((m = getmntent(f))) {
		bool v2 = strcmp(m->mnt_type, "cgroup2") == 0;
		if (v2) {
			snprintf(probe, sizeof(probe), "%s/cgroup.controllers", m->mnt_dir);
			if (read_line(probe, ctl, sizeof(ctl)) || !has_word(ctl, cg_name[c], ' '))
				continue;
			snprintf(w->root, sizeof(w->root), "%s", m->mnt_dir);
			w->v2 = v2_found = true;
		} else if (!v2_found && strcmp(m->mnt_type, "cgroup") == 0 &&
			   has_word(m->mnt_opts, cg_name[c], ',')) {
			snprintf(probe, sizeof(probe), "%s/cgroup.procs", m->mnt_dir);
			if (access(probe, W_OK))
				continue;
			snprintf(w->root, sizeof(w->root), "%s", m->mnt_dir);
			w->v2 = false;
			v1_found = true;
		}
	}
	endmntent(f);
	return v2_found || v1_found ? 0 : -1;
}

int cgroup_check(const struct space_limits *lim, char *err, size_t errlen)
{
	int64_t want[CG_NCTL] = { lim->memory, lim->pids };
	struct cg_where w;

	for (int c = 0; c < CG_NCTL; c++)
		if (want[c] && cg_find(c, &w))
			return err_set(err, errlen, HS_EINPUT,
				       "%s: this host has no %s cgroup controller (neither in cgroup v2 nor v1); "
				       "limits cannot be enforced (\"%s max\" runs the space without)",
				       cg_option[c], cg_name[c], cg_option[c]);
	return 0;
}

/* mkdir -p root/group, enabling the controller on every v2 level above. */
static int cg_mkdir(const struct cg_where *w, const char *group, int c, char *out,
		    size_t outlen, char *err, size_t errlen)
{
	char path[PATH_MAX], ctl[PATH_MAX + 32], enable[32];
	int rc;

	snprintf(path, sizeof(path), "%s", w->root);
	snprintf(enable, sizeof(enable), "+%s", cg_name[c]);
	for (const char *p = group;;) {
		if (w->v2) {
			snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", path);
			if ((rc = fs_write_str(ctl, enable, err, errlen)))
				return rc;
		}
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p), off = strlen(path);
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
	snprintf(out, outlen, "%s", path);
	return 0;
}

int cgroup_create(const char *group, const struct space_limits *lim,
		  struct cgroup_dirs *out, char *err, size_t errlen)
{
	int64_t want[CG_NCTL] = { lim->memory, lim->pids };
	static const char *const v2_file[CG_NCTL] = { "memory.max", "pids.max" };
	static const char *const v1_file[CG_NCTL] = { "memory.limit_in_bytes", "pids.max" };
	int rc;

	out->n = 0;
	if ((rc = cgroup_check(lim, err, errlen)))
		return rc;
	for (int c = 0; c < CG_NCTL; c++) {
		struct cg_where w;
		char dir[PATH_MAX], file[PATH_MAX + 64], num[32];
		if (!want[c] || cg_find(c, &w))
			continue;
		if ((rc = cg_mkdir(&w, group, c, dir, sizeof(dir), err, errlen)))
			return rc;
		snprintf(file, sizeof(file), "%s/%s", dir, w.v2 ? v2_file[c] : v1_file[c]);
		snprintf(num, sizeof(num), "%lld", (long long)want[c]);
		if ((rc = fs_write_str(file, num, err, errlen)))
			return rc;
		bool seen = false;
		for (size_t i = 0; i < out->n; i++)
			seen |= strcmp(out->dir[i], dir) == 0;
		if (!seen && out->n < CGROUP_MAX_DIRS)
			snprintf(out->dir[out->n++], sizeof(out->dir[0]), "%s", dir);
	}
	return 0;
}

int cgroup_remove(const char *group, char *err, size_t errlen)
{
	for (int c = 0; c < CG_NCTL; c++) {
		struct cg_where w;
		char path[PATH_MAX * 2];
		if (cg_find(c, &w))
			continue;
		snprintf(path, sizeof(path), "%s/%s", w.root, group);
		if (rmdir(path) && errno != ENOENT)
			return err_sys(err, errlen, "rmdir %s", path);
	}
	return 0;
}

int cgroup_join(const char *dir, pid_t pid, char *err, size_t errlen)
{
	char path[PATH_MAX + 16], num[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(num, sizeof(num), "%d", (int)pid);
	return fs_write_str(path, num, err, errlen);
}

int cgroup_join_like(pid_t like, pid_t who, char *err, size_t errlen)
{
	char path[64], line[PATH_MAX + 64];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)like);
	if (!(f = fopen(path, "re")))
		return err_sys(err, errlen, "open %s", path);
	while (!rc && fgets(line, sizeof(line), f)) {
		char *ctls = strchr(line, ':'), *grp = ctls ? strchr(ctls + 1, ':') : NULL;
		if (!grp)
			continue;
		*grp++ = '\0';
		grp[strcspn(grp, "\n")] = '\0';
		ctls++;
		/* Only a space's own groups: never move who elsewhere. */
		if (strncmp(grp, "/hsd/", 5) != 0)
			continue;
		for (int c = 0; c < CG_NCTL && !rc; c++) {
			struct cg_where w;
			bool v2_line = ctls[0] == '\0';
			if (cg_find(c, &w) || w.v2 != v2_line || (!v2_line && !has_word(ctls, cg_name[c], ',')))
				continue;
			char dir[PATH_MAX];
			if (snprintf(dir, sizeof(dir), "%s%s", w.root, grp) >= (int)sizeof(dir))
				rc = err_set(err, errlen, HS_EINPUT, "cgroup path too long: %s", grp);
			else
				rc = cgroup_join(dir, who, err, errlen);
			break;
		}
	}
	fclose(f);
	return rc;
}
