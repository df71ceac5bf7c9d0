/* test_basemask.c - the mask layer shows a space what basemask.h promises.
 *
 * Each test builds a fake host root ("base") in a tmpfs of its own, in a
 * mount namespace of its own, builds the mask over it and mounts
 * lowerdir=mask:base read-only at "view", as a space stacks them.  Every
 * claim is judged in the view, and each hidden path is first shown to be
 * there and readable in the base (the control).  The base:
 *
 *   usr/bin/x usr/private(0600) usr/lib64/ld.so  bin -> usr/bin  lib64 -> usr/lib64
 *   opt/app/conf(0600)  srv/www/index.html
 *   etc/passwd(0644) etc/shadow(0640) etc/default/x etc/ssl/certs/ca.pem
 *   etc/ssl/private(0700)/key  etc/letsencrypt/live(0700)/secret.example/cert.pem
 *   etc/hsd/cluster.json  etc/fifo-public(0644) etc/fifo-private(0600)
 *   etc/loop -> loop  etc/a -> b  etc/b -> a  etc/to-shadow -> shadow
 *   var/log(0775 0:4)/syslog(0640) var/log/apt/history.log(0644)
 *   var/backups/passwd.bak var/mail/u var/spool/mail/u var/spool/lpd/job
 *   var/lib/dpkg/status var/lib/svc(0700 1234:1234)/data var/lib/hsd/hsd.db
 *   var/cache/private(0600) var/tmp(1777)/x
 *   root(0700)/secret home/u/f tmp(1777)/x mnt/usb/f media/cd/f run/x
 *   boot/vmlinuz data/db lost+found/x swapfile weird -> usr
 *
 * with no proc, sys or dev, and distinct times on every entry.  The view
 * is mounted with redirect_dir=follow, as a space's root is.  Needs root
 * and open_tree (valgrind 3.19 lacks it): skipped otherwise.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "basemask.h"
#include "err.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char err[HS_ERRLEN];
static char top[64]; /* scratch: base, mask, view; a tmpfs in our namespace */
static const char *const hidden_default[] = { "/var/lib/hsd", "/etc/hsd", NULL };

static void teardown(void)
{
	char p[128];
	if (!top[0])
		return;
	snprintf(p, sizeof(p), "%s/view", top);
	umount2(p, MNT_DETACH);
	umount2(top, MNT_DETACH);
	rmdir(top);
}

TestSuite(basemask, .fini = teardown, .timeout = 60);

static const char *at(const char *where, const char *rel)
{
	static char buf[4][512];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/%s%s%s", top, where, *rel ? "/" : "", rel);
	return b;
}

#define B(rel) at("base", rel)
#define V(rel) at("view", rel)

static void mkd(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	cr_assert_eq(mkdir(B(rel), 0700), 0, "mkdir %s: %s", rel, strerror(errno));
	cr_assert_eq(chown(B(rel), uid, gid), 0);
	cr_assert_eq(chmod(B(rel), mode), 0);
}

static void mkf(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(B(rel), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "create %s: %s", rel, strerror(errno));
	cr_assert_eq(write(fd, rel, strlen(rel)), (ssize_t)strlen(rel)); /* content: its path */
	close(fd);
	cr_assert_eq(chown(B(rel), uid, gid), 0);
	cr_assert_eq(chmod(B(rel), mode), 0);
}

static void mkl(const char *rel, const char *target)
{
	cr_assert_eq(symlink(target, B(rel)), 0, "symlink %s", rel);
}

static void mkp(const char *rel, mode_t mode)
{
	cr_assert_eq(mkfifo(B(rel), mode), 0, "mkfifo %s", rel);
	cr_assert_eq(chmod(B(rel), mode), 0);
}

static long stamp = 1000000000; /* distinct times, so a copy of the wrong one shows */

static int set_time(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	struct timespec t[2] = { { stamp, 111 }, { stamp + 500000, 222 } };
	stamp += 1000;
	return utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (mounts, owners, whiteouts)");
	/* valgrind 3.19 does not know open_tree, which basemask_build walks */
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	if (fd < 0 && errno == ENOSYS)
		cr_skip_test("open_tree is not available here (valgrind does not know it)");
	if (fd >= 0)
		close(fd);
}

/* A private tmpfs at top holding an empty base; everything dies with us. */
static void scratch(void)
{
	need_root();
	strcpy(top, "/tmp/hs-basemask-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	cr_assert_eq(unshare(CLONE_NEWNS), 0);
	cr_assert_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	/* noatime: our own reads of the base must not move the times compared */
	cr_assert_eq(mount("hs-basemask", top, "tmpfs", MS_NOATIME, "mode=0755,size=64m"), 0);
	cr_assert_eq(mkdir(at("base", ""), 0755), 0);
	cr_assert_eq(mkdir(at("view", ""), 0755), 0);
}

static void populate(void)
{
	mkd("usr", 0755, 0, 0);
	mkd("usr/bin", 0755, 0, 0);
	mkf("usr/bin/x", 0755, 0, 0);
	mkf("usr/private", 0600, 0, 0);
	mkd("usr/lib64", 0755, 0, 0);
	mkf("usr/lib64/ld.so", 0755, 0, 0);
	mkl("bin", "usr/bin");
	mkl("lib64", "usr/lib64");
	mkd("opt", 0755, 0, 0);
	mkd("opt/app", 0755, 0, 0);
	mkf("opt/app/conf", 0600, 0, 0);
	mkd("srv", 0755, 0, 0);
	mkd("srv/www", 0755, 33, 33);
	mkf("srv/www/index.html", 0644, 33, 33);

	mkd("etc", 0755, 0, 0);
	mkf("etc/passwd", 0644, 0, 0);
	mkf("etc/shadow", 0640, 0, 42);
	mkd("etc/default", 0755, 0, 0);
	mkf("etc/default/x", 0644, 0, 0);
	mkd("etc/ssl", 0755, 0, 0);
	mkd("etc/ssl/certs", 0755, 0, 0);
	mkf("etc/ssl/certs/ca.pem", 0644, 0, 0);
	mkd("etc/ssl/private", 0700, 0, 0);
	mkf("etc/ssl/private/key", 0600, 0, 0);
	mkd("etc/letsencrypt", 0755, 0, 0);
	mkd("etc/letsencrypt/live", 0700, 0, 0);
	mkd("etc/letsencrypt/live/secret.example", 0755, 0, 0);
	mkf("etc/letsencrypt/live/secret.example/cert.pem", 0644, 0, 0);
	mkd("etc/hsd", 0755, 0, 0);
	mkf("etc/hsd/cluster.json", 0644, 0, 0);
	mkp("etc/fifo-public", 0644);
	mkp("etc/fifo-private", 0600);
	mkl("etc/loop", "loop");
	mkl("etc/a", "b");
	mkl("etc/b", "a");
	mkl("etc/to-shadow", "shadow");

	mkd("var", 0755, 0, 0);
	mkd("var/log", 0775, 0, 4);
	mkf("var/log/syslog", 0640, 104, 4);
	mkd("var/log/apt", 0755, 0, 0);
	mkf("var/log/apt/history.log", 0644, 0, 0);
	mkd("var/backups", 0755, 0, 0);
	mkf("var/backups/passwd.bak", 0600, 0, 0);
	mkd("var/mail", 02775, 0, 8);
	mkf("var/mail/u", 0660, 1000, 8);
	mkd("var/spool", 0755, 0, 0);
	mkd("var/spool/mail", 02775, 0, 8);
	mkf("var/spool/mail/u", 0644, 1000, 8);
	mkd("var/spool/lpd", 0755, 0, 0);
	mkf("var/spool/lpd/job", 0644, 0, 0);
	mkd("var/lib", 0755, 0, 0);
	mkd("var/lib/dpkg", 0755, 0, 0);
	mkf("var/lib/dpkg/status", 0644, 0, 0);
	mkd("var/lib/svc", 0700, 1234, 1234);
	mkf("var/lib/svc/data", 0600, 1234, 1234);
	mkd("var/lib/hsd", 0700, 0, 0);
	mkf("var/lib/hsd/hsd.db", 0600, 0, 0);
	mkd("var/cache", 0755, 0, 0);
	mkf("var/cache/private", 0600, 0, 0);
	mkd("var/tmp", 01777, 0, 0);
	mkf("var/tmp/x", 0644, 1000, 1000);

	mkd("root", 0700, 0, 0);
	mkf("root/secret", 0644, 0, 0);
	mkd("home", 0755, 0, 0);
	mkd("home/u", 0755, 1000, 1000);
	mkf("home/u/f", 0644, 1000, 1000);
	mkd("tmp", 01777, 0, 0);
	mkf("tmp/x", 0644, 1000, 1000);
	mkd("mnt", 0755, 0, 0);
	mkd("mnt/usb", 0755, 0, 0);
	mkf("mnt/usb/f", 0644, 0, 0);
	mkd("media", 0755, 0, 0);
	mkd("media/cd", 0755, 0, 0);
	mkf("media/cd/f", 0644, 0, 0);
	mkd("run", 0755, 0, 0);
	mkf("run/x", 0644, 0, 0);
	mkd("boot", 0755, 0, 0);
	mkf("boot/vmlinuz", 0644, 0, 0);
	mkd("data", 0755, 0, 0);
	mkf("data/db", 0644, 0, 0);
	mkd("lost+found", 0700, 0, 0);
	mkf("lost+found/x", 0644, 0, 0);
	mkf("swapfile", 0600, 0, 0);
	mkl("weird", "usr");

	/* depth first: a child's times never move its parent's */
	cr_assert_eq(nftw(B(""), set_time, 16, FTW_PHYS | FTW_DEPTH), 0);
}

static void build(const char *const *hidden)
{
	int rc = basemask_build(B(""), at("mask", ""), hidden, err, sizeof(err));
	cr_assert_eq(rc, 0, "basemask_build: %d %s", rc, err);
}

static void mount_view(void)
{
	char opts[256];
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s,redirect_dir=follow", at("mask", ""), B(""));
	cr_assert_eq(mount("overlay", V(""), "overlay", MS_RDONLY, opts), 0, "overlay %s: %s",
		     opts, strerror(errno));
}

static void fixture(const char *const *hidden)
{
	scratch();
	populate();
	build(hidden);
	mount_view();
}

/* ---- judging ---- */

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static void expect_absent(const char *rel)
{
	struct stat st;
	cr_expect(lstat(B(rel), &st) == 0, "control: %s is not in the base", rel);
	errno = 0;
	cr_expect(lstat(V(rel), &st) == -1 && errno == ENOENT, "%s is visible in the view", rel);
}

/* Present in the view with the base's content (files) or target (links). */
static void expect_shown(const char *rel)
{
	struct stat bs, vs;
	cr_assert(lstat(B(rel), &bs) == 0, "control: %s is not in the base", rel);
	if (lstat(V(rel), &vs)) {
		cr_expect_fail("%s is hidden in the view: %s", rel, strerror(errno));
		return;
	}
	cr_expect_eq(vs.st_mode, bs.st_mode, "%s", rel);
	cr_expect(vs.st_uid == bs.st_uid && vs.st_gid == bs.st_gid, "%s", rel);
	if (S_ISREG(bs.st_mode)) {
		char got[256] = "";
		int fd = open(V(rel), O_RDONLY | O_CLOEXEC);
		cr_assert_geq(fd, 0, "%s: %s", rel, strerror(errno));
		ssize_t n = read(fd, got, sizeof(got) - 1);
		close(fd);
		got[n > 0 ? n : 0] = '\0';
		cr_expect_str_eq(got, rel);
	} else if (S_ISLNK(bs.st_mode)) {
		char a[256] = "", b[256] = "";
		cr_expect_gt(readlink(B(rel), a, sizeof(a) - 1), 0);
		cr_expect_gt(readlink(V(rel), b, sizeof(b) - 1), 0, "%s", rel);
		cr_expect_str_eq(b, a, "%s", rel);
	}
}

/* The names in a directory, sorted, joined by spaces ("" when empty). */
static const char *listing(const char *p)
{
	static char out[1024];
	struct dirent **names;
	int n = scandir(p, &names, NULL, alphasort);
	out[0] = '\0';
	cr_assert_geq(n, 0, "scandir %s: %s", p, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		if (strcmp(d, ".") && strcmp(d, "..")) {
			if (out[0])
				strncat(out, " ", sizeof(out) - strlen(out) - 1);
			strncat(out, d, sizeof(out) - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
	return out;
}

/* A directory in the view, empty, with the base's owner and mode. */
static void expect_empty_dir(const char *rel)
{
	struct stat bs, vs;
	cr_assert(lstat(B(rel), &bs) == 0 && S_ISDIR(bs.st_mode), "control: %s", rel);
	cr_expect_str_neq(listing(B(rel)), "", "control: %s is empty in the base already", rel);
	cr_assert(lstat(V(rel), &vs) == 0 && S_ISDIR(vs.st_mode), "%s is not a directory", rel);
	cr_expect_eq(vs.st_mode, bs.st_mode, "%s: mode %o, base %o", rel, vs.st_mode, bs.st_mode);
	cr_expect(vs.st_uid == bs.st_uid && vs.st_gid == bs.st_gid, "%s: owner %u:%u, base %u:%u",
		  rel, vs.st_uid, vs.st_gid, bs.st_uid, bs.st_gid);
	cr_expect_str_eq(listing(V(rel)), "", "%s is not empty", rel);
}

static void expect_same_times(const char *rel)
{
	struct stat bs, vs;
	cr_assert_eq(lstat(B(rel), &bs), 0, "%s", rel);
	cr_assert_eq(lstat(V(rel), &vs), 0, "%s", rel);
	cr_expect(vs.st_mtim.tv_sec == bs.st_mtim.tv_sec && vs.st_mtim.tv_nsec == bs.st_mtim.tv_nsec,
		  "/%s: mtime %lld.%09ld, base %lld.%09ld", rel, (long long)vs.st_mtim.tv_sec,
		  vs.st_mtim.tv_nsec, (long long)bs.st_mtim.tv_sec, bs.st_mtim.tv_nsec);
	cr_expect(vs.st_atim.tv_sec == bs.st_atim.tv_sec && vs.st_atim.tv_nsec == bs.st_atim.tv_nsec,
		  "/%s: atime %lld, base %lld", rel, (long long)vs.st_atim.tv_sec,
		  (long long)bs.st_atim.tv_sec);
}

/* ---- what the header promises ---- */

Test(basemask, allowed_trees_show_through)
{
	fixture(hidden_default);
	/* the system trees whole, even what others may not read */
	const char *shown[] = {
		"usr/bin/x", "usr/private", "usr/lib64/ld.so", "bin", "lib64",
		/* etc: a copy of what others may read, and its symlinks */
		"etc/passwd", "etc/default/x", "etc/ssl/certs/ca.pem",
		"etc/loop", "etc/a", "etc/b", "etc/to-shadow",
		/* var: only the package database */
		"var/lib/dpkg/status",
	};
	for (size_t i = 0; i < N(shown); i++)
		expect_shown(shown[i]);
	cr_expect(access(V("bin/x"), X_OK) == 0, "bin -> usr/bin does not resolve in the view");
	cr_expect(access(V("lib64/ld.so"), R_OK) == 0);
	/* host data: opt and srv empty, var's files gone, no FIFO copied */
	const char *gone[] = { "opt/app/conf", "srv/www/index.html", "var/spool/lpd/job",
			       "etc/fifo-public" };
	for (size_t i = 0; i < N(gone); i++)
		expect_absent(gone[i]);
	expect_empty_dir("opt");
	expect_empty_dir("srv");
}

/* What the host creates after the mask was built (and the view mounted)
 * shows nowhere but in the live trees: usr and the package database. */
Test(basemask, entries_the_host_makes_later_do_not_show)
{
	fixture(hidden_default);
	const char *late[] = { "etc/late-secret", "etc/ssl/late", "var/lib/late",
			       "var/late", "var/spool/late", "opt/late", "srv/late" };
	for (size_t i = 0; i < N(late); i++) {
		mkf(late[i], 0600, 0, 0);
		cr_expect(access(B(late[i]), R_OK) == 0, "control: %s not made", late[i]);
		expect_absent(late[i]);
	}
	mkd("etc/wireguard", 0700, 0, 0);
	mkf("etc/wireguard/wg0.conf", 0600, 0, 0);
	expect_absent("etc/wireguard");
	mkf("usr/late", 0644, 0, 0);
	mkf("var/lib/dpkg/late", 0644, 0, 0);
	expect_shown("usr/late");
	expect_shown("var/lib/dpkg/late");
}

Test(basemask, files_others_cannot_read_vanish_below_etc_and_var)
{
	fixture(hidden_default);
	const char *gone[] = { "etc/shadow", "etc/fifo-private", "var/cache/private" };
	for (size_t i = 0; i < N(gone); i++) {
		cr_expect(access(B(gone[i]), R_OK) == 0, "control: %s unreadable in the base",
			  gone[i]);
		expect_absent(gone[i]);
	}
	/* a link to one shows, and leads nowhere */
	errno = 0;
	cr_expect(access(V("etc/to-shadow"), F_OK) == -1 && errno == ENOENT,
		  "etc/to-shadow reaches the shadow file");
	cr_expect_eq(access(B("etc/to-shadow"), R_OK), 0, "control");
}

Test(basemask, unlistable_directories_show_none_of_their_files)
{
	fixture(hidden_default);
	const char *dirs[] = { "etc/ssl/private", "var/lib/svc" };
	for (size_t i = 0; i < N(dirs); i++)
		expect_empty_dir(dirs[i]);
	expect_absent("etc/ssl/private/key");
	expect_absent("var/lib/svc/data");
	expect_absent("etc/letsencrypt/live/secret.example/cert.pem");
}

/* The header: a directory others cannot list "becomes an empty directory";
 * the names of the directories in it are the host's too. */
Test(basemask, unlistable_directories_show_no_subdirectory_names)
{
	fixture(hidden_default);
	expect_empty_dir("etc/letsencrypt/live");
	expect_absent("etc/letsencrypt/live/secret.example");
}

Test(basemask, log_trees_keep_only_directories)
{
	fixture(hidden_default);
	cr_assert(exists(V("var/log/apt")), "var/log/apt is gone");
	expect_empty_dir("var/log/apt");
	cr_expect_str_eq(listing(V("var/log")), "apt");
	struct stat bs, vs;
	cr_assert_eq(lstat(B("var/log"), &bs), 0);
	cr_assert_eq(lstat(V("var/log"), &vs), 0);
	cr_expect(vs.st_mode == bs.st_mode && vs.st_uid == bs.st_uid && vs.st_gid == bs.st_gid,
		  "var/log: %o %u:%u, base %o %u:%u", vs.st_mode, vs.st_uid, vs.st_gid,
		  bs.st_mode, bs.st_uid, bs.st_gid);
	const char *gone[] = { "var/log/syslog", "var/log/apt/history.log",
			       "var/backups/passwd.bak", "var/mail/u", "var/spool/mail/u" };
	for (size_t i = 0; i < N(gone); i++)
		expect_absent(gone[i]);
	expect_empty_dir("var/backups");
	expect_empty_dir("var/mail");
	expect_empty_dir("var/spool/mail");
	expect_absent("var/spool/lpd/job"); /* var is a skeleton: no file of it shows */
}

Test(basemask, var_tmp_and_the_top_mount_points_are_empty)
{
	fixture(hidden_default);
	const char *dirs[] = { "var/tmp", "root", "home", "tmp", "mnt", "media", "run" };
	for (size_t i = 0; i < N(dirs); i++)
		expect_empty_dir(dirs[i]);
	/* made where the base has none */
	static const struct { const char *name; mode_t mode; } made[] = {
		{ "proc", 0555 }, { "sys", 0555 }, { "dev", 0755 },
	};
	for (size_t i = 0; i < N(made); i++) {
		struct stat st;
		cr_expect(!exists(B(made[i].name)), "control: base has %s", made[i].name);
		cr_assert_eq(lstat(V(made[i].name), &st), 0, "no %s in the view", made[i].name);
		cr_expect_eq(st.st_mode, S_IFDIR | made[i].mode, "%s: %o", made[i].name, st.st_mode);
		cr_expect(st.st_uid == 0 && st.st_gid == 0, "%s", made[i].name);
		cr_expect_str_eq(listing(V(made[i].name)), "", "%s", made[i].name);
	}
}

Test(basemask, unknown_top_level_entries_are_whited_out)
{
	fixture(hidden_default);
	const char *gone[] = { "boot", "data", "lost+found", "swapfile", "weird" };
	for (size_t i = 0; i < N(gone); i++)
		expect_absent(gone[i]);
	cr_expect_str_eq(listing(V("")),
			 "bin dev etc home lib64 media mnt opt proc root run srv sys tmp usr var");
}

Test(basemask, hidden_paths_are_whited_out)
{
	fixture(hidden_default);
	expect_absent("var/lib/hsd");
	expect_absent("etc/hsd");
	expect_shown("var/lib/dpkg/status");
	expect_shown("etc/passwd");
}

/* hsd's state may lie in a tree that otherwise shows whole. */
Test(basemask, hidden_paths_inside_shown_trees_and_absent_ones)
{
	const char *const hidden[] = { "/opt/hsd-state", "/usr/lib64/ld.so", "/srv/none/x",
				       "/var/lib/absent", NULL };
	scratch();
	populate();
	mkd("opt/hsd-state", 0700, 0, 0);
	mkf("opt/hsd-state/hsd.db", 0600, 0, 0);
	build(hidden);
	mount_view();
	expect_absent("opt/hsd-state");
	expect_absent("usr/lib64/ld.so");
	expect_absent("etc/hsd"); /* always */
	expect_absent("opt/app/conf"); /* opt is empty anyway */
	expect_shown("usr/bin/x");
	cr_expect(!exists(V("srv/none")) && !exists(V("var/lib/absent")));
}

/* ---- attributes ---- */

Test(basemask, mask_directories_keep_owner_mode_and_times_when_empty)
{
	fixture(hidden_default);
	const char *dirs[] = { "root", "home", "tmp", "var/tmp", "etc/ssl/private",
			       "var/lib/svc", "var/log/apt" };
	for (size_t i = 0; i < N(dirs); i++)
		expect_same_times(dirs[i]);
}

/* The header: "Mask directories take the owner, mode and times of the
 * base's" - also those the mask holds entries in. */
Test(basemask, mask_directories_keep_times_when_they_hold_entries)
{
	fixture(hidden_default);
	const char *dirs[] = { "var/log", "etc", "etc/ssl", "var", "var/lib", "" };
	for (size_t i = 0; i < N(dirs); i++)
		expect_same_times(dirs[i]);
	struct stat bs, vs;
	cr_assert_eq(lstat(B(""), &bs), 0);
	cr_assert_eq(lstat(V(""), &vs), 0);
	cr_expect(vs.st_mode == bs.st_mode && vs.st_uid == bs.st_uid, "/: %o %u, base %o %u",
		  vs.st_mode, vs.st_uid, bs.st_mode, bs.st_uid);
}

/* ---- robustness ---- */

Test(basemask, building_again_replaces_the_old_mask)
{
	scratch();
	populate();
	build(hidden_default);
	/* leftovers of an old mask and a change in the base */
	int fd = open(at("mask", "etc/leftover"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	mkf("etc/new-secret", 0600, 0, 0);
	cr_assert_eq(chmod(B("etc/shadow"), 0644), 0);
	build(hidden_default);
	mount_view();
	cr_expect(!exists(at("mask", "etc/leftover")), "the old mask's entry survived");
	cr_expect(!exists(V("etc/leftover")));
	expect_absent("etc/new-secret");
	expect_shown("etc/shadow");
	expect_absent("etc/hsd");
}

Test(basemask, links_that_loop_and_fifos_nobody_writes_do_not_hang)
{
	struct stat st;
	scratch();
	mkd("etc", 0755, 0, 0);
	mkl("etc/loop", "loop");
	mkl("etc/a", "b");
	mkl("etc/b", "a");
	mkd("etc/d", 0755, 0, 0);
	mkl("etc/d/up", "..");
	mkp("etc/fifo-public", 0666);
	mkp("etc/fifo-private", 0600);
	mkd("var", 0755, 0, 0);
	mkd("var/log", 0755, 0, 0);
	mkp("var/log/fifo", 0666);
	/* controls: the loops are loops */
	errno = 0;
	cr_expect(stat(B("etc/loop"), &st) == -1 && errno == ELOOP);
	errno = 0;
	cr_expect(stat(B("etc/a"), &st) == -1 && errno == ELOOP);
	build(hidden_default); /* the suite's timeout fails a hang */
	mount_view();
	expect_shown("etc/loop");
	expect_absent("etc/fifo-public"); /* a snapshot copies no FIFO */
	expect_absent("etc/fifo-private");
	expect_absent("var/log/fifo");
}

/* depth nested directories named name below dir. */
static int deep_tree(const char *dir, const char *name, int depth)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < depth; i++) {
		int next = -1;
		if (mkdirat(fd, name, 0755) == 0)
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Down the chain of directories named name below dir in the mask: the
 * level (0: dir's own entry) at which a whiteout stands, or -1. */
static int whiteout_depth(const char *dir, const char *name)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), level = 0;
	struct stat st;

	while (fd >= 0 && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			close(fd);
			return level;
		}
		int next = S_ISDIR(st.st_mode) ? openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		close(fd);
		fd = next;
		level++;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

Test(basemask, errors_name_the_path)
{
	char longname[201];
	int rc;

	scratch();
	rc = basemask_build(at("nonexistent", ""), at("mask", ""), NULL, err, sizeof(err));
	cr_expect_eq(rc, HS_ESYS, "%d %s", rc, err);
	cr_expect(strstr(err, at("nonexistent", "")) != NULL, "base not named: %s", err);

	rc = basemask_build(B(""), at("no/such/mask", ""), NULL, err, sizeof(err));
	cr_expect_eq(rc, HS_ESYS, "%d %s", rc, err);
	cr_expect(strstr(err, at("no/such/mask", "")) != NULL, "mask not named: %s", err);

	/* A tree below etc deeper than a path can name, and one deeper than
	 * MASK_DEPTH_MAX in short names: both hidden from where they go too
	 * far, and every space still starts. */
	memset(longname, 'd', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	mkd("etc", 0755, 0, 0);
	mkd("var", 0755, 0, 0);
	cr_assert_eq(deep_tree(B("etc"), longname, 24), 0);
	cr_assert_eq(deep_tree(B("var"), "d", 40), 0);
	rc = basemask_build(B(""), at("mask", ""), NULL, err, sizeof(err));
	cr_assert_eq(rc, 0, "a deep tree stopped the mask: %s", err);
	cr_expect_lt(whiteout_depth(at("mask", "etc"), longname), 24, "the too-long path is not hidden");
	cr_expect_eq(whiteout_depth(at("mask", "var"), "d"), 31, "not hidden at 32 levels");
}
