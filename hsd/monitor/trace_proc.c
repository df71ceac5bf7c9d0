/* trace_proc.c - finding server processes through /proc.
 *
 * Pids cross the boundary in one direction only: the reader names a pid
 * as the server space sees it, we find the process whose own PID
 * namespace is the server space's, or one nested below it, and whose pid
 * at the space's depth matches.  A reader can therefore never name a
 * process outside the space.
 *
 * Nested namespaces: a process of the space may make a PID namespace of
 * its own (or one of hsd's helpers may); its processes are still the
 * space's, and the space numbers them like any other (NSpid at the space's
 * depth).  A process at depth d below our /proc is in the space when the
 * PID namespace d - level steps up from its own (ioctl NS_GET_PARENT) is
 * the space's; namespaces are compared by (st_dev, st_ino).  The active
 * namespace (ns/pid) is what counts, never pid_for_children: a helper of
 * hsd that setns'ed towards the space stays outside, its children are
 * inside.
 *
 * A process is named by its number (paths under /proc/PID, for scanning)
 * or by a handle: an open /proc/PID directory stays bound to the process
 * it was opened for, so what is read through it is that process's even if
 * the number has been reused since, and it says whether that process has
 * been reaped (see attach_process in trace_session.c).
 */
#include "trace_int.h"
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

/* A process by handle (dfd >= 0, an open /proc/PID) or by number. */
struct pref {
	int dfd;
	pid_t pid;
};

static int pref_open(struct pref r, const char *rel, int flags)
{
	char path[64];
	if (r.dfd >= 0)
		return openat(r.dfd, rel, flags | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)r.pid, rel);
	return open(path, flags | O_CLOEXEC);
}

static int pref_stat(struct pref r, const char *rel, struct stat *st)
{
	char path[64];
	if (r.dfd >= 0)
		return fstatat(r.dfd, rel, st, 0);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)r.pid, rel);
	return stat(path, st);
}

/* A small /proc file, NUL-terminated. */
static int pref_read(struct pref r, const char *rel, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t got = 0;
	int fd = pref_open(r, rel, O_RDONLY);
	if (fd < 0)
		return HS_ESYS;
	while (n < len - 1 && (got = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	return got < 0 || !n ? HS_ESYS : 0;
}

int trace_proc_ids(pid_t tid, unsigned level, pid_t *pid, pid_t *ns_tid)
{
	char buf[4096];
	long p, t;
	if (pref_read((struct pref){-1, tid}, "status", buf, sizeof(buf)) ||
	    procfs_field(buf, "NStgid", (int)level, &p, NULL) ||
	    procfs_field(buf, "NSpid", (int)level, &t, NULL))
		return HS_ESYS;
	*pid = (pid_t)p;
	*ns_tid = (pid_t)t;
	return 0;
}

/* Depth of the process's own PID namespace below our /proc's. */
static int depth_of(struct pref r, unsigned *depth)
{
	char buf[4096];
	long first;
	unsigned count = 0;
	if (pref_read(r, "status", buf, sizeof(buf)) ||
	    procfs_field(buf, "NSpid", 0, &first, &count))
		return HS_ESYS;
	*depth = count - 1;
	return 0;
}

int trace_proc_level(pid_t pid, unsigned *level)
{
	return depth_of((struct pref){-1, pid}, level);
}

static int nsid_of(struct pref r, struct trace_nsid *id)
{
	struct stat st;
	if (pref_stat(r, "ns/pid", &st) < 0)
		return HS_ESYS;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

static bool nsid_eq(const struct trace_nsid *a, const struct trace_nsid *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

int trace_proc_space(pid_t space_init, struct trace_space *sp, char *err, size_t errlen)
{
	struct pref init = {-1, space_init}, self = {-1, getpid()};
	unsigned own_depth;

	memset(sp, 0, sizeof(*sp));
	if (nsid_of(init, &sp->self) || depth_of(init, &sp->level))
		return err_sys(err, errlen, "trace: PID namespace of server space init %d",
			       (int)space_init);
	/* Our own namespace, when it is not below the space's, answers
	 * "out" for the base's processes with one stat. */
	if (nsid_of(self, &sp->own) == 0 && depth_of(self, &own_depth) == 0)
		sp->own_out = !nsid_eq(&sp->own, &sp->self) && own_depth <= sp->level;
	return 0;
}

static int in_space(struct pref r, const struct trace_space *sp, enum trace_ns_rule rule)
{
	struct trace_nsid id;
	struct stat st;
	unsigned depth;

	if (nsid_of(r, &id))
		return HS_ESYS;
	if (nsid_eq(&id, &sp->self))
		return 1;
	if (rule == TRACE_NS_EXACT || (sp->own_out && nsid_eq(&id, &sp->own)))
		return 0;
	if (depth_of(r, &depth))
		return HS_ESYS;
	if (depth <= sp->level || depth - sp->level > TRACE_NS_DEPTH_MAX)
		return 0; /* not below the space's depth: a sibling or above */
	/* Up to the space's depth; only nested namespaces get here. */
	int fd = pref_open(r, "ns/pid", O_RDONLY);
	for (unsigned up = depth - sp->level; fd >= 0 && up > 0; up--) {
		int parent = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = parent; /* EPERM: above what we may see, so not the space */
	}
	if (fd < 0)
		return 0;
	int rc = fstat(fd, &st);
	close(fd);
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	return rc == 0 && nsid_eq(&id, &sp->self);
}

int trace_proc_in_space(pid_t pid, const struct trace_space *sp, enum trace_ns_rule rule)
{
	return in_space((struct pref){-1, pid}, sp, rule);
}

static int start_of(struct pref r, unsigned long long *start)
{
	char buf[1024];
	if (pref_read(r, "stat", buf, sizeof(buf)))
		return HS_ESYS;
	return procfs_stat_parse(buf, start, NULL);
}

int trace_proc_handle(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool trace_proc_identity(int handle, const struct trace_space *sp, unsigned long long start)
{
	struct pref r = {handle, 0};
	unsigned long long now;
	return start_of(r, &now) == 0 && now == start && in_space(r, sp, TRACE_NS_TREE) == 1;
}

bool trace_proc_alive(int handle)
{
	struct stat st;
	/* lookups under the directory fail once its process is reaped */
	return fstatat(handle, "stat", &st, 0) == 0;
}

bool trace_proc_thread_of(int handle, pid_t tid)
{
	char rel[32];
	struct stat st;
	snprintf(rel, sizeof(rel), "task/%d", (int)tid);
	return fstatat(handle, rel, &st, 0) == 0;
}

/* Numeric entries of a /proc directory (dfd is consumed). */
static int list_numeric(int dfd, pid_t **out, size_t *n)
{
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return HS_ESYS;
	}
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			pid_t *p = realloc(*out, nc * sizeof(*p));
			if (!p) {
				closedir(d);
				free(*out);
				*out = NULL;
				return HS_ESYS;
			}
			*out = p;
			cap = nc;
		}
		(*out)[(*n)++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return 0;
}

int trace_proc_tasks(int handle, pid_t pid, pid_t **out, size_t *n)
{
	return list_numeric(pref_open((struct pref){handle, pid}, "task", O_RDONLY | O_DIRECTORY),
			    out, n);
}

int trace_proc_targets(const struct trace_space *sp, const struct trace_request *rq,
		       struct trace_found **out, size_t *n, char *err, size_t errlen)
{
	pid_t *all;
	size_t nall, k = 0;
	struct trace_found *found;

	*out = NULL;
	*n = 0;
	if (list_numeric(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), &all, &nall))
		return err_sys(err, errlen, "trace: list /proc");
	if (!(found = calloc(nall ? nall : 1, sizeof(*found)))) {
		free(all);
		return err_sys(err, errlen, "trace: list /proc");
	}
	for (size_t i = 0; i < nall; i++) {
		pid_t nspid, nstid;
		struct trace_found *f = &found[k];
		/* the namespace first: one stat rejects the base's processes;
		 * the start time is what the seize checks the pid against */
		if (trace_proc_in_space(all[i], sp, TRACE_NS_TREE) != 1 ||
		    start_of((struct pref){-1, all[i]}, &f->start))
			continue; /* gone, or not in the server space */
		if (!rq->whole_space &&
		    (trace_proc_ids(all[i], sp->level, &nspid, &nstid) || nspid != rq->target))
			continue;
		f->pid = all[i];
		k++;
	}
	free(all);
	if (!k) {
		free(found);
		if (rq->whole_space)
			return err_set(err, errlen, HS_ESYS, "target: the server space has no processes");
		return err_set(err, errlen, HS_EINPUT,
			       "target: no process %d in the server space", (int)rq->target);
	}
	*out = found;
	*n = k;
	return 0;
}
