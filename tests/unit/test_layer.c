/* test_layer.c - folding overlay layers (flatten) follows overlayfs rules. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "err.h"
#include "layer.h"
#include "layer_seam.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-layer-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char err[HS_ERRLEN];
	layer_seam_hook = NULL;
	cr_assert_eq(layer_remove(dir, err, sizeof(err)), 0, "%s", err);
}

TestSuite(layer, .init = setup, .fini = teardown);

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

static void whiteout(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	cr_assert_eq(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0, "%s", p);
}

static char *get(const char *rel)
{
	static char buf[256];
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static bool is_whiteout(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0 && layer_is_whiteout(p, &st);
}

static void merge(const char *src, const char *dst)
{
	char s[256], d[256], err[HS_ERRLEN];
	snprintf(s, sizeof(s), "%s/%s", dir, src);
	snprintf(d, sizeof(d), "%s/%s", dir, dst);
	cr_assert_eq(layer_merge(s, d, err, sizeof(err)), 0, "%s", err);
}

/* Paths of several entries at once: four buffers in turn. */
static char *at(const char *rel)
{
	static char bufs[4][256];
	static int i;
	char *p = bufs[i++ % 4];
	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, rel);
	return p;
}

Test(layer, files_replace_and_dirs_merge)
{
	mk("low"); mk("up"); mk("out");
	mk("low/etc"); put("low/etc/a", "low-a"); put("low/etc/b", "low-b");
	mk("up/etc"); put("up/etc/a", "up-a"); put("up/etc/c", "up-c");
	merge("low", "out");
	merge("up", "out");
	cr_assert_str_eq(get("out/etc/a"), "up-a");
	cr_assert_str_eq(get("out/etc/b"), "low-b");
	cr_assert_str_eq(get("out/etc/c"), "up-c");
}

Test(layer, whiteout_removes_and_stays)
{
	mk("low"); mk("up"); mk("out");
	put("low/gone", "x"); mk("low/gonedir"); put("low/gonedir/f", "y");
	whiteout("up/gone"); whiteout("up/gonedir"); whiteout("up/base-only");
	merge("low", "out");
	merge("up", "out");
	/* The base below may hold these names: the whiteouts must remain. */
	cr_assert(is_whiteout("out/gone"));
	cr_assert(is_whiteout("out/gonedir"));
	cr_assert(is_whiteout("out/base-only"));
}

Test(layer, opaque_dir_replaces_whole)
{
	char p[256];
	mk("low"); mk("up"); mk("out");
	mk("low/d"); put("low/d/old", "o");
	mk("up/d"); put("up/d/new", "n");
	snprintf(p, sizeof(p), "%s/up/d", dir);
	cr_assert_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
	merge("low", "out");
	merge("up", "out");
	cr_assert_null(get("out/d/old"), "opaque dir kept a lower entry");
	cr_assert_str_eq(get("out/d/new"), "n");
	char v[4] = "";
	snprintf(p, sizeof(p), "%s/out/d", dir);
	cr_assert_eq(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1, "opaque mark lost");
}

Test(layer, dir_over_whiteout_or_file_becomes_opaque)
{
	char v[4] = "";
	mk("low"); mk("up"); mk("out");
	whiteout("low/x"); put("low/y", "file"); mk("low/z");
	mk("up/x"); put("up/x/f", "f");
	mk("up/y"); put("up/y/f", "f");
	mk("up/z"); put("up/z/f", "f");
	merge("low", "out");
	merge("up", "out");
	/* The base below may hold x/ and y/: what hid them must still do so. */
	cr_assert_eq(getxattr(at("out/x"), "trusted.overlay.opaque", v, sizeof(v)), 1,
		     "dir over a whiteout is not opaque");
	cr_assert_eq(v[0], 'y');
	cr_assert_eq(getxattr(at("out/y"), "trusted.overlay.opaque", v, sizeof(v)), 1,
		     "dir over a file is not opaque");
	/* A directory over a directory still merges with what lies below. */
	cr_assert_eq(getxattr(at("out/z"), "trusted.overlay.opaque", v, sizeof(v)), -1);
	cr_assert_str_eq(get("out/x/f"), "f");
}

Test(layer, file_over_dir_and_metadata)
{
	char p[256];
	struct stat st;
	mk("low"); mk("up"); mk("out");
	mk("low/x"); put("low/x/f", "f");
	put("up/x", "now a file");
	put("up/mode", "m");
	snprintf(p, sizeof(p), "%s/up/mode", dir);
	cr_assert_eq(chmod(p, 0640), 0);
	cr_assert_eq(chown(p, 1234, 5678), 0);
	cr_assert_eq(symlink("target", strcat(strcpy(p, dir), "/up/link")), 0);
	merge("low", "out");
	merge("up", "out");
	cr_assert_str_eq(get("out/x"), "now a file");
	snprintf(p, sizeof(p), "%s/out/mode", dir);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);
	char t[32];
	snprintf(p, sizeof(p), "%s/out/link", dir);
	ssize_t n = readlink(p, t, sizeof(t) - 1);
	cr_assert_eq(n, 6);
	t[n] = 0;
	cr_assert_str_eq(t, "target");
}

/* ---- hostile layers: symlinks, races, device nodes ---- */

#define MARKER "outside-marker"

/* A directory beside the layers holding files no merge may ever copy: the
 * marker, and files named like those of race_layer(), so that a walk by
 * path through a swapped directory would find them. */
static void outside(void)
{
	mk("outside");
	put("outside/" MARKER, "OUTSIDE");
	put("outside/f", "OUTSIDE");
	mk("outside/b"); put("outside/b/inner", "OUTSIDE");
}

static bool tree_found;

static int find_marker(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	(void)type;
	if (!strcmp(p + f->base, MARKER))
		tree_found = true;
	if (S_ISREG(sb->st_mode)) {
		char buf[16] = "";
		FILE *fp = fopen(p, "r");
		if (fp) {
			if (fgets(buf, sizeof(buf), fp) && !strcmp(buf, "OUTSIDE"))
				tree_found = true;
			fclose(fp);
		}
	}
	return 0;
}

/* Is the marker (by name or by content) anywhere in the tree, walked
 * without following symlinks? */
static bool tree_has_marker(const char *rel)
{
	tree_found = false;
	cr_assert_eq(nftw(at(rel), find_marker, 16, FTW_PHYS), 0, "walk %s", rel);
	return tree_found;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool is_type(const char *rel, mode_t type)
{
	struct stat st;
	return lstat(at(rel), &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static int merge_rc(const char *src, const char *dst, char *err)
{
	char s[256], d[256];
	snprintf(s, sizeof(s), "%s/%s", dir, src);
	snprintf(d, sizeof(d), "%s/%s", dir, dst);
	err[0] = 0;
	return layer_merge(s, d, err, HS_ERRLEN);
}

Test(layer, middle_symlink_is_copied_as_a_link)
{
	char t[256];
	outside();
	mk("low"); mk("up"); mk("out");
	mk("low/etc"); put("low/etc/a", "low-a");
	cr_assert_eq(symlink(at("outside"), at("up/etc")), 0);
	/* Positive control: by path, up/etc/... reaches the outside marker. */
	cr_assert_str_eq(get("up/etc/" MARKER), "OUTSIDE");
	merge("low", "out");
	merge("up", "out");
	cr_assert(is_type("out/etc", S_IFLNK), "out/etc is not a symlink");
	ssize_t n = readlink(at("out/etc"), t, sizeof(t) - 1);
	cr_assert_gt(n, 0);
	t[n] = 0;
	cr_assert_str_eq(t, at("outside"));
	cr_assert_not(tree_has_marker("out"), "a file from outside the layer was copied");
}

Test(layer, symlink_in_dst_is_never_written_through)
{
	outside();
	mk("low"); mk("up"); mk("out");
	cr_assert_eq(symlink(at("outside"), at("low/etc")), 0);
	mk("up/etc"); put("up/etc/new", "n");
	merge("low", "out");
	/* Positive control: writing out/etc/new by path would land outside. */
	cr_assert_str_eq(get("out/etc/" MARKER), "OUTSIDE");
	merge("up", "out");
	cr_assert(is_type("out/etc", S_IFDIR));
	cr_assert_str_eq(get("out/etc/new"), "n");
	cr_assert_null(get("outside/new"), "merge wrote through a symlink");
	cr_assert_str_eq(get("outside/" MARKER), "OUTSIDE");
}

/* The race: at one exact point of the walk, swap the entry victim for a
 * symlink to target, and record what a by-name open of probe then reads. */
static struct {
	enum layer_seam_at at;
	const char *rel, *victim, *target, *probe;
	bool fired;
	char seen[256];
} race;

static void race_hook(enum layer_seam_at where, const char *rel)
{
	char victim[256];
	if (race.fired || where != race.at || strcmp(rel, race.rel))
		return;
	race.fired = true;
	snprintf(victim, sizeof(victim), "%s", at(race.victim));
	cr_assert_eq(rename(victim, at("moved")), 0, "move %s", victim);
	cr_assert_eq(symlink(at(race.target), victim), 0, "link %s", victim);
	char *s = get(race.probe);
	snprintf(race.seen, sizeof(race.seen), "%s", s ? s : "");
}

static void race_set(enum layer_seam_at where, const char *rel, const char *victim,
		     const char *target, const char *probe)
{
	race.at = where;
	race.rel = rel;
	race.victim = victim;
	race.target = target;
	race.probe = probe;
	layer_seam_hook = race_hook;
}

/* Layer "up": a/b/inner and a/f, over nothing. */
static void race_layer(void)
{
	outside();
	mk("up"); mk("out");
	mk("up/a"); mk("up/a/b"); put("up/a/b/inner", "real");
	put("up/a/f", "real-f");
}

Test(layer, race_open_dir_swapped_for_symlink)
{
	char err[HS_ERRLEN];
	race_layer();
	race_set(LAYER_SEAM_SRC_OPENED, "a", "up/a", "outside", "up/a/f");
	int rc = merge_rc("up", "out", err);
	cr_assert_not(tree_has_marker("out"), "a file from outside the layer was copied");
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(race.fired);
	/* Positive control: after the swap a path walk reads the outside. */
	cr_assert_str_eq(race.seen, "OUTSIDE");
}

Test(layer, race_child_swapped_while_parent_open)
{
	char err[HS_ERRLEN];
	race_layer();
	race_set(LAYER_SEAM_SRC_OPENED, "a", "up/a/b", "outside/b", "up/a/b/inner");
	int rc = merge_rc("up", "out", err);
	cr_assert_not(tree_has_marker("out"), "a file from outside the layer was copied");
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(race.fired);
	cr_assert_str_eq(race.seen, "OUTSIDE");
	/* Seen as what it is when examined: a symlink, copied as one. */
	cr_assert(is_type("out/a/b", S_IFLNK), "out/a/b is not the symlink");
	cr_assert_str_eq(get("out/a/f"), "real-f");
}

Test(layer, race_dir_swapped_between_stat_and_open)
{
	char err[HS_ERRLEN];
	race_layer();
	race_set(LAYER_SEAM_SRC_STATED, "a/b", "up/a/b", "outside/b", "up/a/b/inner");
	int rc = merge_rc("up", "out", err);
	cr_assert_not(tree_has_marker("out"), "a file from outside the layer was copied");
	cr_assert_eq(rc, HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(race.fired);
	cr_assert_str_eq(race.seen, "OUTSIDE");
	cr_assert(strstr(err, "/up/a/b"), "error does not name the path: %s", err);
}

Test(layer, race_file_swapped_between_stat_and_open)
{
	char err[HS_ERRLEN];
	race_layer();
	race_set(LAYER_SEAM_SRC_STATED, "a/f", "up/a/f", "outside/f", "up/a/f");
	int rc = merge_rc("up", "out", err);
	cr_assert_not(tree_has_marker("out"), "a file from outside the layer was copied");
	cr_assert_eq(rc, HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(race.fired);
	cr_assert_str_eq(race.seen, "OUTSIDE");
	cr_assert(strstr(err, "/up/a/f"), "error does not name the path: %s", err);
}

static void refused_device(mode_t type, dev_t dev)
{
	char err[HS_ERRLEN];
	mk("low"); mk("up"); mk("out");
	put("low/keep", "k");
	mk("up/dev"); put("up/dev/a", "a");
	cr_assert_eq(mknod(at("up/dev/node"), type | 0600, dev), 0);
	merge("low", "out");
	int fds = count_fds();
	cr_assert_eq(merge_rc("up", "out", err), HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(strstr(err, "/up/dev/node"), "error does not name the path: %s", err);
	cr_assert_null(strchr(err, '\n'), "error is not one line: %s", err);
	/* Failed cleanly: no fd left open, no device made, source untouched. */
	cr_assert_eq(count_fds(), fds, "fds leaked");
	cr_assert_not(is_type("out/dev/node", type & S_IFMT), "device node was carried");
	cr_assert(is_type("up/dev/node", type & S_IFMT));
	cr_assert_str_eq(get("up/dev/a"), "a");
}

Test(layer, block_device_refused)
{
	refused_device(S_IFBLK, makedev(7, 0));
}

Test(layer, char_device_refused)
{
	refused_device(S_IFCHR, makedev(1, 3));
}

Test(layer, whiteouts_fifos_sockets_carried)
{
	mk("low"); mk("up"); mk("out");
	put("low/gone", "x"); put("low/gone2", "y"); put("low/fifo", "z");
	whiteout("up/gone");
	put("up/gone2", "");
	cr_assert_eq(setxattr(at("up/gone2"), "trusted.overlay.whiteout", "y", 1, 0), 0);
	cr_assert_eq(mkfifo(at("up/fifo"), 0640), 0);
	cr_assert_eq(mknod(at("up/sock"), S_IFSOCK | 0600, 0), 0);
	merge("low", "out");
	merge("up", "out");
	cr_assert(is_whiteout("out/gone"), "char 0:0 whiteout lost");
	cr_assert(is_whiteout("out/gone2"), "xattr whiteout lost");
	cr_assert(is_type("out/fifo", S_IFIFO), "fifo not carried");
	cr_assert(is_type("out/sock", S_IFSOCK), "socket not carried");
	struct stat st;
	cr_assert_eq(lstat(at("out/fifo"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
}

Test(layer, remove_removes_the_link_not_its_target)
{
	char err[HS_ERRLEN];
	outside();
	mk("tree"); mk("tree/sub"); put("tree/sub/f", "f");
	cr_assert_eq(symlink(at("outside"), at("tree/sub/link")), 0);
	/* Positive control: by path, the tree reaches the outside marker. */
	cr_assert_str_eq(get("tree/sub/link/" MARKER), "OUTSIDE");
	cr_assert_eq(layer_remove(at("tree"), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(access(at("tree"), F_OK), -1);
	cr_assert_str_eq(get("outside/" MARKER), "OUTSIDE");
}

/* Layer "tree": d/b/inner and d/f, named like the outside files. */
static void remove_layer(void)
{
	outside();
	mk("tree"); mk("tree/d"); mk("tree/d/b"); put("tree/d/b/inner", "in");
	put("tree/d/f", "f");
}

static void outside_intact(void)
{
	cr_assert_str_eq(get("outside/" MARKER), "OUTSIDE");
	cr_assert_str_eq(get("outside/f"), "OUTSIDE");
	cr_assert_str_eq(get("outside/b/inner"), "OUTSIDE");
}

Test(layer, remove_race_open_dir_swapped_for_symlink)
{
	char err[HS_ERRLEN] = "";
	remove_layer();
	race_set(LAYER_SEAM_RM_OPENED, "d", "tree/d", "outside", "tree/d/f");
	/* The link stands where the emptied directory was: refused, named. */
	int rc = layer_remove(at("tree"), err, sizeof(err));
	outside_intact();
	cr_assert_eq(rc, HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(strstr(err, "/tree/d"), "error does not name the path: %s", err);
	cr_assert(race.fired);
	cr_assert_str_eq(race.seen, "OUTSIDE");
	cr_assert_null(get("moved/f"), "the opened directory was not emptied");
}

Test(layer, remove_race_child_swapped_for_symlink)
{
	char err[HS_ERRLEN];
	remove_layer();
	race_set(LAYER_SEAM_RM_OPENED, "d", "tree/d/b", "outside/b", "tree/d/b/inner");
	int rc = layer_remove(at("tree"), err, sizeof(err));
	outside_intact();
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(race.fired);
	cr_assert_str_eq(race.seen, "OUTSIDE");
	cr_assert_eq(access(at("tree"), F_OK), -1);
}

/* A mount inside a layer is neither walked into nor emptied.  The mount
 * lives in a mount namespace of this test's own process, so it goes away
 * with the process even if the test fails. */
Test(layer, mount_inside_a_layer_refused)
{
	char err[HS_ERRLEN];
	mk("up"); mk("out"); mk("up/m");
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	/* valgrind wants a type even where the kernel ignores it */
	cr_assert_eq(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("hs-layer-test", at("up/m"), "tmpfs", 0, "size=1m"), 0);
	put("up/m/inside", "mounted");
	int rc = merge_rc("up", "out", err);
	cr_assert_null(get("out/m/inside"), "walked into a mount");
	cr_assert_eq(rc, HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(strstr(err, "/up/m"), "error does not name the path: %s", err);
	rc = layer_remove(at("up"), err, sizeof(err));
	cr_assert_str_eq(get("up/m/inside"), "mounted", "emptied a mount");
	cr_assert_eq(rc, HS_ESTATE, "rc with err \"%s\"", err);
	cr_assert(strstr(err, "/up/m"), "error does not name the path: %s", err);
	cr_assert_eq(umount2(at("up/m"), 0), 0);
}

Test(layer, remove_refuses_dot_names)
{
	char err[HS_ERRLEN];
	mk("low");
	cr_assert_eq(layer_remove(at("low/.."), err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(layer_remove(at("low/."), err, sizeof(err)), HS_EINPUT);
	cr_assert(is_type("low", S_IFDIR));
	cr_assert_eq(layer_remove(at("absent/x"), err, sizeof(err)), 0, "%s", err);
}
