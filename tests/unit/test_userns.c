/* test_userns.c - a space's id range, its map text and its user namespace.
 *
 * The pool arithmetic is what keeps root of one space from being anyone
 * of another space or of the host, so every refusal is checked by its
 * code (never by its text) and every map is checked for overlaps line by
 * line, for every slot of small pools and sample slots of the largest.
 * userns_create and userns_root_of are run against the kernel (as root).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "userns.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S 1073741824u /* the default pool's start */

static char err[HS_ERRLEN];

TestSuite(userns, .timeout = 60);

/* ---- userns_pool_parse ---- */

Test(userns, pool_parse_accepts_start_colon_count)
{
	static const struct {
		const char *spec;
		uint32_t start, count;
	} good[] = {
		{ USERNS_POOL_DEFAULT, S, S },
		{ "65536:65536", 65536, 65536 },
		{ "100000:131072", 100000, 131072 }, /* START need not be aligned */
		/* the largest pool: its last id is 2^32 - 2, the last the kernel maps */
		{ "65536:4294836224", 65536, 4294836224u },
		{ "4294901759:65536", 4294901759u, 65536 },
	};
	for (size_t i = 0; i < N(good); i++) {
		struct userns_pool p = { 0, 0 };
		int rc = userns_pool_parse(good[i].spec, &p, err, sizeof(err));
		cr_expect_eq(rc, 0, "\"%s\": %d %s", good[i].spec, rc, err);
		cr_expect_eq(p.start, good[i].start, "\"%s\"", good[i].spec);
		cr_expect_eq(p.count, good[i].count, "\"%s\"", good[i].spec);
	}
}

Test(userns, pool_parse_refuses_every_malformed_form)
{
	static const char *const bad[] = {
		"", ":", "1073741824", "1073741824:", ":65536",   /* empty, no colon, halves missing */
		"1073741824:0", "1073741824:65535",               /* count 0 or below one span */
		"1073741824:100000", "1073741824:65537",          /* not a multiple of 65536 */
		"1073741824:-65536", "-65536:65536", "-0:65536",  /* negative */
		"+1073741824:65536", "1073741824:+65536",         /* signs */
		"1073741824:65536x", "1073741824:65536 ", "1073741824:65536:65536", /* trailing junk */
		" 1073741824:65536", "1073741824 :65536", "1073741824: 65536",
		"0x40000000:65536", "01073741824:65536", "1073741824:0065536", /* other bases */
		"1e9:65536", "1073741824:65536\n",
		"0:65536", "1:65536", "65535:65536",              /* the host's own system ids */
		"4294967296:65536", "99999999999:65536",          /* START past 2^32 */
		"18446744073709551616:65536", "18446744073709486080:65536", /* past 2^64 */
		"65536:4294967296", "65536:4295032832",           /* COUNT 2^32 and past */
		"65536:18446744073709486080",
		"4294901760:65536",                                /* START+COUNT = 2^32: wraps to 0 */
		"4000000000:400031744",                            /* wraps to 105064448 */
		"65536:4294901760",                                /* START+COUNT = 2^32 */
		"2147483648:2147483648",                           /* = 2^32 */
		"3221225472:3221225472",                           /* wraps to 2^31 */
	};
	for (size_t i = 0; i < N(bad); i++) {
		struct userns_pool p = { 7, 7 };
		err[0] = '\0';
		int rc = userns_pool_parse(bad[i], &p, err, sizeof(err));
		cr_expect_eq(rc, HS_EINPUT, "\"%s\" gave %d (%s)", bad[i], rc, err);
		cr_expect(strstr(err, "--subuid") != NULL, "\"%s\": error does not name --subuid: %s",
			  bad[i], err);
		cr_expect(p.start == 7 && p.count == 7, "\"%s\" changed the pool on refusal", bad[i]);
	}
}

/* ---- userns_pool_slots and userns_base ---- */

Test(userns, pool_slots)
{
	struct userns_pool def = { S, S }, one = { 65536, 65536 }, max = { 65536, 4294836224u };
	cr_expect_eq(userns_pool_slots(&def), 16384);
	cr_expect_eq(userns_pool_slots(&one), 1);
	cr_expect_eq(userns_pool_slots(&max), 65534);
}

Test(userns, base_of_first_last_and_out_of_range_slots)
{
	struct userns_pool p = { S, 4 * USERNS_SPAN }, max = { 65536, 4294836224u };
	uint32_t base = 0;

	cr_assert_eq(userns_base(&p, 0, &base, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(base, S);
	cr_assert_eq(userns_base(&p, 3, &base, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(base, S + 3 * USERNS_SPAN);
	cr_assert_eq(userns_base(&max, 65533, &base, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(base, 4294836224u, "last slot of the largest pool: %" PRIu32, base);

	/* 2^32 and 2^32 + 1 would wrap to slots 0 and 1 in 32 bits. */
	static const int64_t out[] = { 4, 5, -1, INT64_MIN, INT64_MAX, 4294967296ll,
				       4294967297ll, 65536 };
	for (size_t i = 0; i < N(out); i++) {
		base = 12345;
		int rc = userns_base(&p, out[i], &base, err, sizeof(err));
		cr_expect_eq(rc, HS_EINPUT, "slot %" PRId64 ": %d", out[i], rc);
		cr_expect_eq(base, 12345, "slot %" PRId64 " changed base", out[i]);
	}
	base = 12345;
	cr_expect_eq(userns_base(&max, 65534, &base, err, sizeof(err)), HS_EINPUT);
	cr_expect_eq(base, 12345);
}

/* ---- userns_map_text ---- */

static void expect_map(const struct userns_pool *p, int64_t slot, bool audit, const char *want)
{
	char map[256];
	int rc = userns_map_text(p, slot, audit, map, sizeof(map), err, sizeof(err));
	cr_assert_eq(rc, 0, "slot %" PRId64 ": %s", slot, err);
	cr_expect_str_eq(map, want, "slot %" PRId64 " %s", slot, audit ? "audit" : "server");
}

Test(userns, map_text_exact)
{
	struct userns_pool p = { S, 4 * USERNS_SPAN }, one = { S, USERNS_SPAN };

	expect_map(&p, 0, false, "0 1073741824 65536\n");
	expect_map(&p, 2, false, "0 1073872896 65536\n");
	expect_map(&p, 3, false, "0 1073938432 65536\n");
	/* audit: its own range at 0, every other id of the pool at
	 * 65536 + (id - start), so server slot M's uid u is 65536 (1 + M) + u */
	expect_map(&p, 0, true, "0 1073741824 65536\n131072 1073807360 196608\n");
	expect_map(&p, 2, true,
		   "0 1073872896 65536\n65536 1073741824 131072\n262144 1073938432 65536\n");
	expect_map(&p, 3, true, "0 1073938432 65536\n65536 1073741824 196608\n");
	expect_map(&one, 0, true, "0 1073741824 65536\n");
	expect_map(&one, 0, false, "0 1073741824 65536\n");
}

Test(userns, map_text_refuses_a_slot_outside_the_pool)
{
	struct userns_pool p = { S, 4 * USERNS_SPAN };
	char map[256] = "untouched";
	cr_expect_eq(userns_map_text(&p, 4, false, map, sizeof(map), err, sizeof(err)), HS_EINPUT);
	cr_expect_eq(userns_map_text(&p, -1, true, map, sizeof(map), err, sizeof(err)), HS_EINPUT);
}

struct line {
	uint64_t in, out, count;
};

static size_t parse_map(const char *map, struct line *l, size_t max)
{
	size_t n = 0;
	const char *at = map;
	while (*at) {
		int used = 0;
		cr_assert_lt(n, max, "too many lines: %s", map);
		cr_assert_eq(sscanf(at, "%" SCNu64 " %" SCNu64 " %" SCNu64 "\n%n", &l[n].in,
				    &l[n].out, &l[n].count, &used),
			     3, "bad line in %s", map);
		cr_assert_gt(used, 0);
		at += used;
		n++;
	}
	return n;
}

static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* Every line apart from every other inside and out; the server's own
 * range is the only line at inside 0 and no other slot's range; the audit
 * lines cover exactly the pool, with slot M at 65536 (1 + M). */
static void check_slot(const struct userns_pool *p, uint32_t slot)
{
	struct line srv[4], aud[4];
	char text[256];
	uint64_t own = p->start + (uint64_t)slot * USERNS_SPAN, covered = 0;

	cr_assert_eq(userns_map_text(p, slot, false, text, sizeof(text), err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(parse_map(text, srv, N(srv)), 1, "%s", text);
	cr_expect(srv[0].in == 0 && srv[0].out == own && srv[0].count == USERNS_SPAN, "%s", text);

	cr_assert_eq(userns_map_text(p, slot, true, text, sizeof(text), err, sizeof(err)), 0,
		     "%s", err);
	size_t n = parse_map(text, aud, N(aud));
	cr_expect_leq(n, 3);
	cr_expect(aud[0].in == 0 && aud[0].out == own && aud[0].count == USERNS_SPAN,
		  "audit slot %u does not start with its own range: %s", slot, text);
	for (size_t i = 0; i < n; i++) {
		cr_expect_gt(aud[i].count, 0, "%s", text);
		/* the kernel maps ids up to 2^32 - 2 */
		cr_expect_leq(aud[i].in + aud[i].count, 4294967295ull, "%s", text);
		cr_expect_leq(aud[i].out + aud[i].count, 4294967295ull, "%s", text);
		cr_expect(aud[i].out >= p->start &&
				  aud[i].out + aud[i].count <= (uint64_t)p->start + p->count,
			  "slot %u: line %zu leaves the pool: %s", slot, i, text);
		if (i > 0) {
			/* ids 0..65535 are the ones seccomp lets an audit space
			 * take: none of them may be another space's */
			cr_expect_geq(aud[i].in, USERNS_SPAN, "%s", text);
			cr_expect(!overlap(aud[i].out, aud[i].count, own, USERNS_SPAN),
				  "slot %u: own range mapped twice: %s", slot, text);
			/* id = start + k  <->  65536 + k */
			cr_expect_eq(aud[i].in, USERNS_SPAN + (aud[i].out - p->start), "%s", text);
		}
		for (size_t j = 0; j < i; j++) {
			cr_expect(!overlap(aud[i].in, aud[i].count, aud[j].in, aud[j].count),
				  "slot %u: inside ranges %zu and %zu overlap: %s", slot, j, i, text);
			cr_expect(!overlap(aud[i].out, aud[i].count, aud[j].out, aud[j].count),
				  "slot %u: outside ranges %zu and %zu overlap: %s", slot, j, i, text);
		}
		covered += aud[i].count;
	}
	cr_expect_eq(covered, p->count, "slot %u: the audit map misses part of the pool: %s",
		     slot, text);
}

Test(userns, maps_never_overlap_within_a_map_or_between_slots)
{
	static const struct userns_pool small[] = {
		{ S, USERNS_SPAN }, { S, 2 * USERNS_SPAN }, { S, 5 * USERNS_SPAN },
		{ 100000, 7 * USERNS_SPAN },
	};
	for (size_t k = 0; k < N(small); k++) {
		const struct userns_pool *p = &small[k];
		for (uint32_t s = 0; s < userns_pool_slots(p); s++) {
			check_slot(p, s);
			/* server ranges of two slots never meet */
			uint32_t a, b;
			cr_assert_eq(userns_base(p, s, &a, err, sizeof(err)), 0);
			for (uint32_t t = 0; t < s; t++) {
				cr_assert_eq(userns_base(p, t, &b, err, sizeof(err)), 0);
				cr_expect(!overlap(a, USERNS_SPAN, b, USERNS_SPAN), "slots %u %u", t, s);
			}
		}
	}
	/* the largest pool: first, neighbours, middle, last */
	struct userns_pool max = { 65536, 4294836224u };
	static const uint32_t some[] = { 0, 1, 2, 32766, 32767, 65532, 65533 };
	for (size_t i = 0; i < N(some); i++)
		check_slot(&max, some[i]);
}

/* hsd holds the text in 256 bytes (spaces.c); the longest must fit. */
Test(userns, longest_map_fits_the_daemons_buffer)
{
	struct userns_pool p;
	char map[256];
	cr_assert_eq(userns_pool_parse("65536:4294836224", &p, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(userns_map_text(&p, userns_pool_slots(&p) / 2, true, map, sizeof(map), err,
				     sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(strlen(map), 75, "three lines, the longest ids: %s", map);
}

/* A buffer too small is an error, and nothing is written past it: the
 * buffer ends where an inaccessible page begins, so a write past it
 * kills the test instead of passing unnoticed. */
static char *guarded(size_t len, void **region, size_t *size)
{
	long pg = sysconf(_SC_PAGESIZE);
	*size = 2 * (size_t)pg;
	*region = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(*region, MAP_FAILED);
	cr_assert_eq(mprotect((char *)*region + pg, (size_t)pg, PROT_NONE), 0);
	return (char *)*region + pg - len;
}

struct fit {
	size_t len;
	int rc;
};

static void expect_fit(bool audit, const struct fit *cases, size_t n)
{
	struct userns_pool p = { S, 4 * USERNS_SPAN };
	for (size_t i = 0; i < n; i++) {
		void *region;
		size_t size;
		char *buf = guarded(cases[i].len, &region, &size);
		int rc = userns_map_text(&p, 2, audit, buf, cases[i].len, err, sizeof(err));
		cr_expect_eq(rc, cases[i].rc, "%s map in %zu bytes: %d", audit ? "audit" : "server",
			     cases[i].len, rc);
		munmap(region, size);
	}
}

Test(userns, server_map_too_long_is_refused_within_the_buffer)
{
	/* "0 1073872896 65536\n" is 19 characters */
	static const struct fit cases[] = { { 1, HS_ESYS }, { 8, HS_ESYS }, { 19, HS_ESYS },
					    { 20, 0 } };
	expect_fit(false, cases, N(cases));
}

Test(userns, audit_map_too_long_is_refused_within_the_buffer)
{
	/* slot 2's audit map is 19 + 24 + 24 = 67 characters */
	static const struct fit cases[] = { { 50, HS_ESYS }, { 67, HS_ESYS }, { 68, 0 },
					    { 8, HS_ESYS },  { 19, HS_ESYS }, { 30, HS_ESYS } };
	expect_fit(true, cases, N(cases));
}

/* ---- userns_create and userns_root_of (against the kernel) ---- */

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: maps of other ranges are written by a privileged parent");
}

static void no_children_left(void)
{
	errno = 0;
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child of ours is still there");
	cr_expect_eq(errno, ECHILD);
}

/* A child that joins the namespace fd and waits until *release closes. */
static pid_t join(int fd, int *release)
{
	int ready[2], go[2];
	char c = 0;
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(go[1]); /* else our own copy keeps EOF from coming */
		c = setns(fd, CLONE_NEWUSER) ? 'e' : 'j';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	cr_assert_eq(c, 'j', "setns into the new user namespace failed");
	*release = go[1];
	return pid;
}

static void reap(pid_t pid, int release)
{
	int st;
	close(release);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	ssize_t n = read(fd, buf, len - 1);
	cr_assert_geq(n, 0, "%s", path);
	buf[n] = '\0';
	close(fd);
}

/* The kernel prints a map as "%10u %10u %10u\n"; compare the numbers. */
static void expect_same_map(const char *got, const char *want)
{
	struct line g[8], w[8];
	size_t ng = parse_map(got, g, N(g)), nw = parse_map(want, w, N(w));
	cr_assert_eq(ng, nw, "got %s want %s", got, want);
	for (size_t i = 0; i < ng; i++)
		cr_expect(g[i].in == w[i].in && g[i].out == w[i].out && g[i].count == w[i].count,
			  "got %s want %s", got, want);
}

static void create_and_check(bool audit)
{
	struct userns_pool p = { S, 4 * USERNS_SPAN };
	char map[256], path[64], got[512];
	struct stat ours, theirs;
	uint32_t base = 0;
	int fd = -1, release;

	cr_assert_eq(userns_map_text(&p, 2, audit, map, sizeof(map), err, sizeof(err)), 0);
	cr_assert_eq(userns_create(map, &fd, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(fd, 0);
	no_children_left(); /* the helper is gone, only the fd holds it */
	cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the namespace fd leaks into exec");
	cr_expect_eq(ioctl(fd, NS_GET_NSTYPE), CLONE_NEWUSER);
	cr_assert_eq(stat("/proc/self/ns/user", &ours), 0);
	cr_assert_eq(fstat(fd, &theirs), 0);
	cr_expect_neq(ours.st_ino, theirs.st_ino, "userns_create returned our own namespace");

	pid_t pid = join(fd, &release);
	const char *files[] = { "uid_map", "gid_map" };
	for (size_t i = 0; i < N(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		read_text(path, got, sizeof(got));
		expect_same_map(got, map);
	}
	int rc = userns_root_of(pid, &base, err, sizeof(err));
	cr_expect_eq(rc, 0, "%s", err);
	cr_expect_eq(base, S + 2 * USERNS_SPAN);
	reap(pid, release);
	close(fd);
}

Test(userns, create_server_map_and_find_its_root)
{
	need_root();
	create_and_check(false);
}

Test(userns, create_audit_map_and_find_its_root)
{
	need_root();
	create_and_check(true);
}

Test(userns, root_of_a_process_in_the_initial_namespace_is_a_state_error)
{
	char own[512];
	uint32_t base = 777;
	/* only meaningful where we are in the initial namespace ourselves */
	read_text("/proc/self/uid_map", own, sizeof(own));
	struct line l[4];
	if (parse_map(own, l, N(l)) != 1 || l[0].in != 0 || l[0].out != 0 ||
	    l[0].count != 4294967295ull)
		cr_skip_test("this test runs in a user namespace of its own");
	int rc = userns_root_of(getpid(), &base, err, sizeof(err));
	cr_expect_eq(rc, HS_ESTATE, "own pid: %d %s", rc, err);
	rc = userns_root_of(1, &base, err, sizeof(err));
	cr_expect_eq(rc, HS_ESTATE, "pid 1: %d %s", rc, err);
}

Test(userns, root_of_a_missing_process_is_a_system_error)
{
	char text[32];
	uint32_t base = 777;
	read_text("/proc/sys/kernel/pid_max", text, sizeof(text));
	pid_t none = (pid_t)atoi(text) + 1; /* no process ever has it */
	int rc = userns_root_of(none, &base, err, sizeof(err));
	cr_expect_eq(rc, HS_ESYS, "%d %s", rc, err);
	cr_expect_eq(base, 777);
}

Test(userns, create_refuses_a_bad_map_and_leaves_nothing)
{
	static const char *const bad[] = {
		"not a map\n",
		"0 1073741824 65536\n10 1073872896 65536\n", /* inside ranges overlap */
		"0 1073741824 65536\n65536 1073741824 65536\n", /* outside ranges overlap */
	};
	need_root();
	for (size_t i = 0; i < N(bad); i++) {
		int fd = 12345;
		int rc = userns_create(bad[i], &fd, err, sizeof(err));
		cr_expect_eq(rc, HS_ESYS, "map %zu: %d", i, rc);
		cr_expect_eq(fd, -1, "map %zu", i);
		cr_expect(strstr(err, "uid_map") != NULL, "map %zu: %s", i, err);
		no_children_left();
	}
	/* positive control: a good map of the same shape is accepted */
	int fd = -1;
	cr_expect_eq(userns_create("0 1073741824 65536\n65536 1073807360 65536\n", &fd, err,
				   sizeof(err)),
		     0, "%s", err);
	if (fd >= 0)
		close(fd);
	no_children_left();
}
