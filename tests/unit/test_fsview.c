/* test_fsview.c - mounts into a space never follow a symlink the space
 * planted.
 *
 * Each test starts a stand-in space: a child in its own user namespace
 * (mapped one to one, as hsd enters a space's user namespace with its mount
 * namespace) and its own mount namespace whose root (pivot_root) is a fresh tmpfs holding
 *
 *   /guard      a file with a read-only bind mount on itself, as
 *               /proc/sysrq-trigger is guarded in a real space
 *   /guarddir   a directory with a tmpfs of its own, as /proc/sys
 *   /dev, /run  ordinary directories
 *
 * and, per test, symlinks pointing at the guards.  hsd's fsview functions
 * are then aimed at the space, and the test reads the space's mount table
 * (/proc/PID/mountinfo) and files (/proc/PID/root) from outside.  The
 * namespace dies with the child.  Needs root; skipped otherwise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fsview.h"

static char err[HS_ERRLEN];
static char tmp[64];        /* this test's scratch directory, in our namespace */
static pid_t space = -1;     /* the stand-in space's init */
static int space_go = -1;    /* closing it ends the space */

struct plant {
	const char *link, *target; /* symlink link -> target inside the space */
};

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "space setup: %s: %s\n", what, strerror(errno));
		_exit(10);
	}
}

static void space_main(const struct plant *plants, size_t n, int ready, int go)
{
	char root[96], old[128], b = 1;
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(old, sizeof(old), "%s/old", root);
	must(unshare(CLONE_NEWUSER) == 0, "unshare user");
	must(write(ready, &b, 1) == 1, "mapped?");
	must(read(go, &b, 1) == 1, "mapped");
	must(unshare(CLONE_NEWNS) == 0, "unshare");
	must(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0, "private /");
	must(mkdir(root, 0755) == 0, "mkdir root");
	must(mount("space", root, "tmpfs", 0, "mode=0755") == 0, "tmpfs root");
	must(mkdir(old, 0755) == 0, "mkdir old");
	must(syscall(SYS_pivot_root, root, old) == 0, "pivot_root");
	must(chdir("/") == 0, "chdir");
	must(umount2("/old", MNT_DETACH) == 0, "umount old");
	rmdir("/old");
	int fd = open("/guard", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	must(fd >= 0 && write(fd, "guarded", 7) == 7, "guard");
	close(fd);
	must(mount("/guard", "/guard", "none", MS_BIND, NULL) == 0, "bind guard");
	must(mount("none", "/guard", "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0,
	     "guard read-only");
	must(mkdir("/guarddir", 0755) == 0, "mkdir guarddir");
	must(mount("guard", "/guarddir", "tmpfs", 0, "mode=0755") == 0, "tmpfs guarddir");
	must(mkdir("/dev", 0755) == 0 && mkdir("/run", 0755) == 0, "mkdir dev, run");
	must(mkdir("/usr", 0755) == 0 && mkdir("/usr/local", 0755) == 0, "mkdir usr");
	for (size_t i = 0; i < n; i++)
		must(symlink(plants[i].target, plants[i].link) == 0, plants[i].link);
	must(write(ready, &b, 1) == 1, "ready");
	(void)!read(go, &b, 1); /* until the test closes it */
	_exit(0);
}

static void space_start(const struct plant *plants, size_t n)
{
	int ready[2], go[2];
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	space = fork();
	cr_assert_geq(space, 0);
	if (space == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(go[1]);
		space_main(plants, n, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	char b = 1, path[64];
	cr_assert_eq(read(ready[0], &b, 1), 1, "the stand-in space made no user namespace");
	const char *maps[] = {"uid_map", "gid_map"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)space, maps[i]);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		cr_assert_geq(fd, 0);
		cr_assert_gt(write(fd, "0 0 4294967295", 14), 0, "%s: %s", path, strerror(errno));
		close(fd);
	}
	cr_assert_eq(write(go[1], &b, 1), 1);
	cr_assert_eq(read(ready[0], &b, 1), 1, "the stand-in space did not start");
	close(ready[0]);
	space_go = go[1];
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/hsd-fsview-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	if (space > 0) {
		close(space_go);
		waitpid(space, NULL, 0);
		space = -1;
	}
	char path[128];
	const char *leaves[] = {"src1", "src2", "upper/changed", "upper", "root"};
	for (size_t i = 0; i < sizeof(leaves) / sizeof(*leaves); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, leaves[i]);
		if (unlink(path))
			rmdir(path);
	}
	rmdir(tmp);
}

TestSuite(fsview, .init = setup, .fini = teardown, .timeout = 60);

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (mount namespaces)");
	/* valgrind 3.19 does not know open_tree, move_mount or openat2: the
	 * views cannot be made under it at all. */
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	if (fd < 0 && errno == ENOSYS)
		cr_skip_test("open_tree is not available here (valgrind does not know it)");
	if (fd >= 0)
		close(fd);
}

/* Mounts at mountpoint in the space, and whether the last is read-only. */
static int mounts_at(const char *mountpoint, bool *ro)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)space);
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f);
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char mp[512], opts[256];
		if (sscanf(line, "%*d %*d %*s %*s %511s %255s", mp, opts) != 2)
			continue;
		if (strcmp(mp, mountpoint))
			continue;
		n++;
		if (ro)
			*ro = strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || !opts[2]);
	}
	fclose(f);
	return n;
}

static void in_space(const char *path, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/root%s", (int)space, path);
}

static void write_src(const char *leaf, const char *text, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", tmp, leaf);
	int fd = open(out, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void read_in_space(const char *path, char *out, size_t len)
{
	char p[256];
	in_space(path, p, sizeof(p));
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", p, strerror(errno));
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	cr_assert_geq(n, 0);
	out[n] = '\0';
}

/* The guards are as the space made them: one read-only mount on /guard,
 * its file intact, one mount on /guarddir and nothing created in it. */
static void guards_untouched(void)
{
	bool ro = false;
	cr_assert_eq(mounts_at("/guard", &ro), 1, "the read-only guard was unmounted or covered");
	cr_assert(ro, "the guard is no longer read-only");
	char got[32];
	read_in_space("/guard", got, sizeof(got));
	cr_assert_str_eq(got, "guarded");
	cr_assert_eq(mounts_at("/guarddir", NULL), 1, "the guard directory's mount changed");
	char p[256];
	in_space("/guarddir/web", p, sizeof(p));
	cr_assert_neq(access(p, F_OK), 0, "something was created in the guard directory");
	in_space("/guarddir/web.sock", p, sizeof(p));
	cr_assert_neq(access(p, F_OK), 0, "something was created in the guard directory");
}

Test(fsview, bind_places_a_file_and_a_rebind_replaces_it)
{
	need_root();
	space_start(NULL, 0);
	char src1[96], src2[96], got[32];
	write_src("src1", "one", src1, sizeof(src1));
	write_src("src2", "two", src2, sizeof(src2));
	cr_assert_eq(fsview_bind(space, src1, "/dev/log", false, err, sizeof(err)), 0, "%s", err);
	read_in_space("/dev/log", got, sizeof(got));
	cr_assert_str_eq(got, "one");
	/* The second bind unmounts the first (through its fd) before mounting. */
	cr_assert_eq(fsview_bind(space, src2, "/dev/log", true, err, sizeof(err)), 0, "%s", err);
	read_in_space("/dev/log", got, sizeof(got));
	cr_assert_str_eq(got, "two");
	bool ro = false;
	cr_assert_eq(mounts_at("/dev/log", &ro), 1, "binds stacked up");
	cr_assert(ro);
	/* A missing parent directory is made. */
	cr_assert_eq(fsview_bind(space, src1, "/run/hsd-trace/web.sock", false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(mounts_at("/run/hsd-trace/web.sock", NULL), 1);
	guards_untouched();
}

Test(fsview, a_symlinked_dev_log_is_refused_and_its_target_untouched)
{
	need_root();
	const struct plant p[] = {{"/dev/log", "/guard"}};
	space_start(p, 1);
	char src[96];
	write_src("src1", "one", src, sizeof(src));
	cr_assert_neq(fsview_bind(space, src, "/dev/log", false, err, sizeof(err)), 0,
		      "a bind through a symlink succeeded");
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	guards_untouched();
	char path[256];
	struct stat st;
	in_space("/dev/log", path, sizeof(path));
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the planted link was replaced");
	cr_assert_eq(mounts_at("/dev/log", NULL), 0);
}

Test(fsview, a_symlinked_directory_on_the_way_is_refused)
{
	need_root();
	const struct plant p[] = {{"/run/hsd-trace", "/guarddir"}, {"/usr/local/bin", "/guard"}};
	space_start(p, 2);
	char src[96];
	write_src("src1", "one", src, sizeof(src));
	cr_assert_neq(fsview_bind(space, src, "/run/hsd-trace/web.sock", false, err, sizeof(err)),
		      0);
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	cr_assert_neq(fsview_bind(space, src, "/usr/local/bin/hstrace", true, err, sizeof(err)), 0);
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	guards_untouched();
}

static void upper_dir(char *out, size_t len)
{
	snprintf(out, len, "%s/upper", tmp);
	cr_assert_eq(mkdir(out, 0755), 0);
	char f[128];
	snprintf(f, sizeof(f), "%s/changed", out);
	int fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

Test(fsview, views_attach_and_detach)
{
	need_root();
	space_start(NULL, 0);
	char upper[96], path[256];
	upper_dir(upper, sizeof(upper));
	/* The space plays both the server and the audit space. */
	cr_assert_eq(fsview_attach(space, upper, space, "web", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fsview_attach(space, upper, space, "web", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mounts_at(FSVIEW_LIVE "/web", NULL), 1, "views stacked up");
	in_space(FSVIEW_LIVE "/web/guard", path, sizeof(path));
	cr_assert_eq(access(path, F_OK), 0, "the live view lacks the server's files");
	in_space(FSVIEW_DIFF "/web/changed", path, sizeof(path));
	cr_assert_eq(access(path, F_OK), 0, "the diff view lacks the upper layer");
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert(fd < 0 && errno == EROFS, "the diff view is writable");
	cr_assert_eq(fsview_detach(space, "web", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mounts_at(FSVIEW_LIVE "/web", NULL), 0);
	cr_assert_eq(mounts_at(FSVIEW_DIFF "/web", NULL), 0);
	in_space(FSVIEW_LIVE "/web", path, sizeof(path));
	cr_assert_neq(access(path, F_OK), 0, "detach left the mount point");
	guards_untouched();
}

Test(fsview, a_symlinked_serverfs_is_refused_and_its_target_untouched)
{
	need_root();
	const struct plant p[] = {{FSVIEW_LIVE, "/guarddir"}};
	space_start(p, 1);
	char upper[96];
	upper_dir(upper, sizeof(upper));
	cr_assert_neq(fsview_attach(space, upper, space, "web", err, sizeof(err)), 0,
		      "views were attached through a symlink");
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	cr_assert_neq(fsview_detach(space, "web", err, sizeof(err)), 0);
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	guards_untouched();
}

Test(fsview, a_symlinked_view_of_one_server_is_refused)
{
	need_root();
	/* /.dserverfs is real, its entry for web points at the guard. */
	space_start(NULL, 0);
	char upper[96], link[256];
	upper_dir(upper, sizeof(upper));
	in_space(FSVIEW_DIFF, link, sizeof(link));
	cr_assert_eq(mkdir(link, 0755), 0);
	in_space(FSVIEW_DIFF "/web", link, sizeof(link));
	cr_assert_eq(symlink("/guarddir", link), 0);
	cr_assert_neq(fsview_attach(space, upper, space, "web", err, sizeof(err)), 0);
	cr_assert(strstr(err, "symbolic link"), "unclear error: %s", err);
	guards_untouched();
}
