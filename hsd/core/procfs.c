/* procfs.c - see procfs.h. */
#include "procfs.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int procfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return HS_ESYS;
	while (got < len - 1) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return got ? 0 : HS_ESYS;
}

int procfs_stat_parse(const char *text, unsigned long long *start, char *state)
{
	/* The command name may hold spaces and ')': fields go on after the
	 * last ')', with field 3, the state. */
	const char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2])
		return HS_ESYS;
	p += 2;
	if (state)
		*state = *p;
	for (int field = 3; field < 22 && p; field++)
		if ((p = strchr(p, ' ')))
			p++;
	char *end;
	errno = 0;
	if (!p || (*start = strtoull(p, &end, 10), errno || end == p))
		return HS_ESYS;
	return 0;
}

int procfs_start_time(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (procfs_read(path, buf, sizeof(buf)))
		return HS_ESYS;
	return procfs_stat_parse(buf, start, state);
}

int procfs_field(const char *text, const char *key, int index, long *out, unsigned *count)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) != 0 || l[klen] != ':')
			continue;
		const char *p = l + klen + 1, *nl = strchr(p, '\n');
		unsigned i = 0;
		if (!nl)
			return HS_ESYS; /* cut off: its last number may be part of one */
		while (p < nl) {
			char *end;
			errno = 0;
			long v = strtol(p, &end, 10);
			if (end == p || end > nl || errno)
				break;
			if ((int)i == index || index < 0)
				*out = v;
			i++;
			p = end;
		}
		if (count)
			*count = i;
		return i && (index < 0 || (unsigned)index < i) ? 0 : HS_ESYS;
	}
	return HS_ESYS;
}
