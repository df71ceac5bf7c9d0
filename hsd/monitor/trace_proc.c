/* trace_proc.c - finding server processes through /proc.
 *
 * Pids cross the boundary in one direction only: the reader names a pid
 * as the server space sees it, we find the process whose own PID
 * namespace is the server space's and whose pid at that depth matches.
 * A reader can therefore never name a process outside the space.
 */
#include "trace_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

/* Field number level of the "KEY:\t1\t2..." line of /proc/TID/status. */
static int status_field(const char *text, const char *key, unsigned level,
			pid_t *out, unsigned *count)
{
	size_t klen = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) != 0 || l[klen] != ':')
			continue;
		const char *p = l + klen + 1;
		unsigned i = 0;
		while (*p && *p != '\n') {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (i == level)
				*out = (pid_t)v;
			i++;
			p = end;
		}
		if (count)
			*count = i;
		return i > level ? 0 : HS_ESYS;
	}
	return HS_ESYS;
}

static int read_status(pid_t tid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return HS_ESYS;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n ? 0 : HS_ESYS;
}

int trace_proc_ids(pid_t tid, unsigned level, pid_t *pid, pid_t *ns_tid)
{
	char buf[4096];
	if (read_status(tid, buf, sizeof(buf)) ||
	    status_field(buf, "NStgid", level, pid, NULL) ||
	    status_field(buf, "NSpid", level, ns_tid, NULL))
		return HS_ESYS;
	return 0;
}

int trace_proc_level(pid_t pid, unsigned *level)
{
	char buf[4096];
	pid_t dummy;
	unsigned count = 0;
	if (read_status(pid, buf, sizeof(buf)))
		return HS_ESYS;
	status_field(buf, "NSpid", 0, &dummy, &count);
	if (!count)
		return HS_ESYS;
	*level = count - 1;
	return 0;
}

static int pidns_of(pid_t pid, struct stat *st)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, st) ? HS_ESYS : 0;
}

/* Numeric entries of a /proc directory. */
static int list_numeric(const char *dir, pid_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!d)
		return HS_ESYS;
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

int trace_proc_tasks(pid_t pid, pid_t **out, size_t *n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	return list_numeric(path, out, n);
}

int trace_proc_targets(pid_t space_init, unsigned level,
		       const struct trace_request *rq, pid_t **out, size_t *n,
		       char *err, size_t errlen)
{
	struct stat ns, st;
	pid_t *all;
	size_t nall, k = 0;

	*out = NULL;
	*n = 0;
	if (pidns_of(space_init, &ns))
		return err_sys(err, errlen, "trace: server space init %d", (int)space_init);
	if (list_numeric("/proc", &all, &nall))
		return err_sys(err, errlen, "trace: list /proc");
	for (size_t i = 0; i < nall; i++) {
		pid_t nspid, nstid;
		if (pidns_of(all[i], &st) || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev)
			continue; /* gone, or not in the server space */
		if (!rq->whole_space &&
		    (trace_proc_ids(all[i], level, &nspid, &nstid) || nspid != rq->target))
			continue;
		all[k++] = all[i];
	}
	if (!k) {
		free(all);
		if (rq->whole_space)
			return err_set(err, errlen, HS_ESYS, "target: the server space has no processes");
		return err_set(err, errlen, HS_EINPUT,
			       "target: no process %d in the server space", (int)rq->target);
	}
	*out = all;
	*n = k;
	return 0;
}
