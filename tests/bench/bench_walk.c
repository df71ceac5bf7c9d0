/* bench_walk - what a file-integrity checker does to a tree, split by
 * kind of call, in ns per file: lstat of each file's full path (path walk
 * and getattr), open + read + close of each file, and readdir of each
 * directory.  Several roots are timed alternately (one pass of each in
 * turn, ROUNDS times) so that they see the same machine load; the figure
 * is the median pass.  Meant to run wherever AIDE runs (the base, an audit
 * space): it needs only libc.
 *
 * Usage: bench_walk ROUNDS REL ROOT...
 *   walks ROOT/REL for each ROOT (REL: the tree, the same under each root);
 *   prints "ROOT lstat_ns open_read_ns readdir_ns files dirs" per root.
 *   ROUNDS 0: one pass of each root with no warm-up (what a cold cache
 *   costs, when the caller dropped it first).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXROOTS 16
#define MAXROUNDS 64

/* The tree's files and directories, relative to a root, found once. */
struct tree {
	char **files, **dirs;
	size_t nfiles, ndirs, capf, capd;
};

static void add(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			exit(2);
	}
	(*v)[(*n)++] = strdup(s);
}

static int scan(struct tree *t, const char *root, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	add(&t->dirs, &t->ndirs, &t->capd, rel);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		if (e->d_type == DT_DIR)
			scan(t, root, sub);
		else if (e->d_type == DT_REG)
			add(&t->files, &t->nfiles, &t->capf, sub);
	}
	closedir(d);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One pass of each kind over root; ns per file (per directory for readdir). */
static void pass(const struct tree *t, const char *root, double out[3])
{
	char path[PATH_MAX], buf[65536];
	struct stat st;
	double t0 = now_ns();
	for (size_t i = 0; i < t->nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, t->files[i]);
		if (lstat(path, &st))
			perror(path);
	}
	double t1 = now_ns();
	for (size_t i = 0; i < t->nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, t->files[i]);
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			perror(path);
			continue;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	double t2 = now_ns();
	for (size_t i = 0; i < t->ndirs; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, t->dirs[i]);
		DIR *d = opendir(path);
		if (!d)
			continue;
		while (readdir(d))
			;
		closedir(d);
	}
	double t3 = now_ns();
	out[0] = (t1 - t0) / (double)t->nfiles;
	out[1] = (t2 - t1) / (double)t->nfiles;
	out[2] = (t3 - t2) / (double)t->ndirs;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_walk ROUNDS REL ROOT...\n");
		return 2;
	}
	int rounds = atoi(argv[1]), nroots = argc - 3;
	bool cold = rounds == 0;
	if (cold)
		rounds = 1;
	if (rounds < 1 || rounds > MAXROUNDS || nroots > MAXROOTS) {
		fprintf(stderr, "bench_walk: 1..%d rounds, at most %d roots\n", MAXROUNDS, MAXROOTS);
		return 2;
	}
	const char *rel = argv[2];
	struct tree t = { 0 };
	if (scan(&t, argv[3], rel) || !t.nfiles) {
		fprintf(stderr, "bench_walk: no files under %s/%s\n", argv[3], rel);
		return 1;
	}
	static double r[MAXROOTS][3][MAXROUNDS];
	double warm[3];
	for (int k = 0; k < nroots && !cold; k++)
		pass(&t, argv[3 + k], warm); /* warm-up: the same cache state for all */
	for (int i = 0; i < rounds; i++)
		for (int k = 0; k < nroots; k++) {
			double o[3];
			pass(&t, argv[3 + k], o);
			for (int j = 0; j < 3; j++)
				r[k][j][i] = o[j];
		}
	for (int k = 0; k < nroots; k++) {
		printf("%s", argv[3 + k]);
		for (int j = 0; j < 3; j++) {
			qsort(r[k][j], (size_t)rounds, sizeof(double), cmp);
			printf(" %.0f", r[k][j][rounds / 2]);
		}
		printf(" %zu %zu\n", t.nfiles, t.ndirs);
	}
	return 0;
}
