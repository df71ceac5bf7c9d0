/* test_layer.c - folding overlay layers (flatten) follows overlayfs rules. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "err.h"
#include "layer.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-layer-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char err[HS_ERRLEN];
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
