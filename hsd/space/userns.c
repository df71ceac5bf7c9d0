/* userns.c - id ranges of spaces and their user namespaces. */
#include "userns.h"
#include "err.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The kernel maps at most 2^32 - 1 ids; keep the pool and the audit view
 * of it (65536 + offset) inside that. */
#define USERNS_ID_LIMIT 4294967295ull

static int parse_u32(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int userns_pool_parse(const char *spec, struct userns_pool *out, char *err,
		      size_t errlen)
{
	const char *colon = strchr(spec, ':');
	uint64_t start, count;

	if (!colon || parse_u32(spec, (size_t)(colon - spec), &start) ||
	    parse_u32(colon + 1, strlen(colon + 1), &count))
		return err_set(err, errlen, HS_EINPUT,
			       "--subuid: \"%.40s\" is not START:COUNT (e.g. " USERNS_POOL_DEFAULT ")",
			       spec);
	if (start < USERNS_SPAN)
		return err_set(err, errlen, HS_EINPUT,
			       "--subuid: START %" PRIu64 " would give spaces the host's own system ids (want >= %u)",
			       start, USERNS_SPAN);
	if (count < USERNS_SPAN || count % USERNS_SPAN)
		return err_set(err, errlen, HS_EINPUT,
			       "--subuid: COUNT %" PRIu64 " is not a positive multiple of %u", count,
			       USERNS_SPAN);
	if (start + count > USERNS_ID_LIMIT || USERNS_SPAN + count > USERNS_ID_LIMIT)
		return err_set(err, errlen, HS_EINPUT,
			       "--subuid: START+COUNT must stay below 2^32 and COUNT below 2^32-65536");
	out->start = (uint32_t)start;
	out->count = (uint32_t)count;
	return 0;
}

uint32_t userns_pool_slots(const struct userns_pool *p)
{
	return p->count / USERNS_SPAN;
}

int userns_base(const struct userns_pool *p, int64_t slot, uint32_t *base,
		char *err, size_t errlen)
{
	if (slot < 0 || (uint64_t)slot >= userns_pool_slots(p))
		return err_set(err, errlen, HS_EINPUT,
			       "space slot %lld: the id pool (--subuid %u:%u) has room for %u spaces",
			       (long long)slot, p->start, p->count, userns_pool_slots(p));
	*base = p->start + (uint32_t)slot * USERNS_SPAN;
	return 0;
}

int userns_map_text(const struct userns_pool *p, int64_t slot, bool audit,
		    char *out, size_t len, char *err, size_t errlen)
{
	uint32_t base = 0;
	int rc = userns_base(p, slot, &base, err, errlen), n;

	if (rc)
		return rc;
	n = snprintf(out, len, "0 %u %u\n", base, USERNS_SPAN);
	if (audit && n >= 0 && (size_t)n < len) {
		/* The pool below and above the space's own range, at
		 * 65536 + (id - start): one formula for every other space. */
		uint32_t below = base - p->start, above_start = base + USERNS_SPAN;
		uint32_t above = p->start + p->count - above_start;
		if (below)
			n += snprintf(out + n, len - (size_t)n, "%u %u %u\n", USERNS_SPAN,
				      p->start, below);
		if (above && (size_t)n < len)
			n += snprintf(out + n, len - (size_t)n, "%u %u %u\n",
				      USERNS_SPAN + (above_start - p->start), above_start, above);
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(err, errlen, HS_ESYS, "id map text too long");
	return 0;
}

int userns_create(const char *map, int *fd, char *err, size_t errlen)
{
	int ready[2], hold[2], rc = 0;
	char path[64], c;
	pid_t pid;

	*fd = -1;
	if (pipe2(ready, O_CLOEXEC))
		return err_sys(err, errlen, "pipe");
	if (pipe2(hold, O_CLOEXEC)) {
		close(ready[0]);
		close(ready[1]);
		return err_sys(err, errlen, "pipe");
	}
	/* A helper makes the namespace; we write its maps (as the privileged
	 * parent we may map any range and keep setgroups allowed) and keep
	 * only the namespace's fd. */
	pid = fork();
	if (pid < 0) {
		rc = err_sys(err, errlen, "fork");
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		c = unshare(CLONE_NEWUSER) ? 'e' : 'u';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Until the parent has the fd: EOF on hold. */
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	close(hold[0]);
	hold[0] = -1;
	if (read(ready[0], &c, 1) != 1 || c != 'u') {
		rc = err_set(err, errlen, HS_ESYS,
			     "cannot create a user namespace (user.max_user_namespaces, or a kernel without CONFIG_USER_NS)");
		goto reap;
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if ((rc = fs_write_str(path, map, err, errlen)))
		goto reap;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if ((rc = fs_write_str(path, map, err, errlen)))
		goto reap;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = err_sys(err, errlen, "open %s", path);
reap:
	close(hold[1]);
	hold[1] = -1;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (hold[i] >= 0)
			close(hold[i]);
	}
	return rc;
}

int userns_root_of(pid_t pid, uint32_t *base, char *err, size_t errlen)
{
	char path[64];
	unsigned long long inside, outside, count, span = 0;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (!(f = fopen(path, "re")))
		return err_sys(err, errlen, "open %s", path);
	while (fscanf(f, "%llu %llu %llu", &inside, &outside, &count) == 3)
		if (inside == 0 && !found) {
			found = 1;
			*base = (uint32_t)outside;
			span = count;
		}
	fclose(f);
	if (!found || (*base == 0 && span > USERNS_SPAN))
		return err_set(err, errlen, HS_ESTATE, "process %d runs in the initial user namespace",
			       (int)pid);
	return 0;
}
