/* test_fsutil.c - fs_open_in_root, by openat2 and by its one-component
 * walk (openat2 made to fail with ENOSYS by a seccomp filter, as on a
 * kernel before 5.6 or under valgrind), and fs_write_str. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

static char top[64];
static int root = -1;

/* top/a/b/file, top/a/abs -> /etc, top/a/rel -> b (a symlink both ways
 * refuse, wherever it points) */
static void tree(void)
{
	char p[128];
	int fd;

	snprintf(top, sizeof(top), "/tmp/hs-fsutil-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/a", top);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/b", top);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/b/file", top);
	cr_assert_geq(fd = open(p, O_CREAT | O_WRONLY, 0644), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/a/abs", top);
	cr_assert_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/a/rel", top);
	cr_assert_eq(symlink("b", p), 0);
	cr_assert_geq(root = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC), 0);
}

static void untree(void)
{
	char cmd[128];

	close(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	cr_assert_eq(system(cmd), 0);
}

static void no_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(*f), f };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
}

static void check_walk(void)
{
	int fd;
	struct stat st;

	cr_assert_geq(fd = fs_open_in_root(root, "a/b/file", 0), 0, "%s", strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	close(fd);
	/* An absolute path stays in root. */
	cr_assert_geq(fd = fs_open_in_root(root, "/a/b", O_DIRECTORY), 0);
	close(fd);
	cr_assert_lt(fs_open_in_root(root, "a/b/file", O_DIRECTORY), 0, "a file as a directory");
	cr_assert_lt(fs_open_in_root(root, "a/abs/passwd", 0), 0, "followed an absolute symlink");
	cr_assert_lt(fs_open_in_root(root, "a/rel/file", 0), 0, "followed a relative symlink");
	cr_assert_lt(fs_open_in_root(root, "a/abs", 0), 0, "opened a symlink itself");
	cr_assert_lt(fs_open_in_root(root, "a/none", 0), 0);
}

Test(fsutil, open_in_root_by_openat2, .init = tree, .fini = untree)
{
	check_walk();
}

Test(fsutil, open_in_root_by_the_walk, .init = tree, .fini = untree)
{
	no_openat2();
	errno = 0;
	cr_assert_lt(syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0), 0);
	cr_assert_eq(errno, ENOSYS, "the filter is not in place");
	check_walk();
	/* The walk refuses "..", which could leave root. */
	cr_assert_lt(fs_open_in_root(root, "a/../a/b", 0), 0);
}

Test(fsutil, write_str_names_the_path, .init = tree, .fini = untree)
{
	char p[128], err[HS_ERRLEN], buf[16] = "";
	int fd;

	snprintf(p, sizeof(p), "%s/a/b/file", top);
	cr_assert_eq(fs_write_str(p, "max\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(fd = open(p, O_RDONLY), 0);
	cr_assert_eq(read(fd, buf, sizeof(buf) - 1), 4);
	close(fd);
	cr_assert_str_eq(buf, "max\n");
	snprintf(p, sizeof(p), "%s/a/none", top);
	cr_assert_eq(fs_write_str(p, "1", err, sizeof(err)), HS_ESYS);
	cr_assert(strstr(err, "a/none"), "%s", err);
}
