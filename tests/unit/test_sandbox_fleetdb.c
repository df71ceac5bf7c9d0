/* test_sandbox_fleetdb.c - hsfleetdb's Landlock domain, attacked.
 *
 * hsfleetdb parses Raft and dqlite bytes from other hosts, so it is
 * written off as compromisable; sandbox_landlock_beneath leaves it its
 * data directory and Raft's port.  A child takes the domain and then does
 * what code running in a compromised hsfleetdb would: read a host file,
 * write outside its directory, run a program (even one it wrote into its
 * directory), connect to and bind another TCP port.  The same child
 * without the domain is the control: every one of those works there.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sandbox.h"

enum { T_READ_IN, T_CREATE_IN, T_READ_OUT, T_CREATE_OUT, T_EXEC_IN, T_CONNECT_OK,
       T_CONNECT_OTHER, T_BIND_OK, T_BIND_OTHER, T_N };
static const char *const names[T_N] = { "read in", "create in", "read outside",
	"create outside", "exec in", "connect to the port", "connect to another port",
	"bind the port", "bind another port" };

static char dir[64], outside[64];
static int lfd_ok = -1, lfd_other = -1;
static uint16_t port_ok, port_other, port_free;

static uint16_t listener(int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int one = 1;
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* SO_REUSEPORT: the child binds the allowed port beside it. */
	cr_assert(*fd >= 0 && setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
		  bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		  listen(*fd, 4) == 0 && getsockname(*fd, (struct sockaddr *)&sa, &sl) == 0);
	return ntohs(sa.sin_port);
}

static void setup(void)
{
	char path[128];
	strcpy(dir, "/tmp/hs-fdbsb-XXXXXX");
	strcpy(outside, "/tmp/hs-fdbsb-out-XXXXXX");
	cr_assert(mkdtemp(dir) && mkdtemp(outside));
	snprintf(path, sizeof(path), "%s/data", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	/* A program in the directory: running it must still be refused. */
	snprintf(path, sizeof(path), "cp /bin/true %s/prog", dir);
	cr_assert_eq(system(path), 0);
	port_ok = listener(&lfd_ok);
	port_other = listener(&lfd_other);
	/* A free port: bound and closed (the other test's bind reuses it). */
	int f;
	port_free = listener(&f);
	close(f);
}

/* Also called before a skip, after which criterion runs no .fini: once
 * only. */
static void teardown(void)
{
	char cmd[200];
	if (!dir[0])
		return;
	close(lfd_ok);
	close(lfd_other);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
	if (system(cmd) != 0)
		cr_log_warn("%s failed", cmd);
	dir[0] = 0;
}

static int errno_of(int ok)
{
	return ok ? 0 : errno;
}

static int tcp(uint16_t port, bool do_bind)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	int ok = fd >= 0 && (do_bind ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
				     : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) == 0;
	int e = errno_of(ok);
	close(fd);
	return e;
}

/* In a child: the domain (when sandboxed), then every attempt; the
 * errnos come back through a pipe. */
static void attempt(bool sandboxed, int res[T_N])
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char err[HS_ERRLEN], path[128];
		int r[T_N];
		close(p[0]);
		int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (sandboxed && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
				  sandbox_landlock_beneath(dfd, port_ok, err, sizeof(err)))) {
			fprintf(stderr, "%s\n", err);
			_exit(2);
		}
		snprintf(path, sizeof(path), "%s/data", dir);
		int fd = open(path, O_RDONLY);
		r[T_READ_IN] = errno_of(fd >= 0);
		close(fd);
		snprintf(path, sizeof(path), "%s/new", dir);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		r[T_CREATE_IN] = errno_of(fd >= 0);
		close(fd);
		fd = open("/etc/passwd", O_RDONLY);
		r[T_READ_OUT] = errno_of(fd >= 0);
		close(fd);
		snprintf(path, sizeof(path), "%s/planted", outside);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		r[T_CREATE_OUT] = errno_of(fd >= 0);
		close(fd);
		pid_t c = fork();
		if (c == 0) {
			snprintf(path, sizeof(path), "%s/prog", dir);
			execl(path, "prog", (char *)NULL);
			_exit(100 + errno);
		}
		int st = 0;
		waitpid(c, &st, 0);
		r[T_EXEC_IN] = WIFEXITED(st) && WEXITSTATUS(st) >= 100 ? WEXITSTATUS(st) - 100 : 0;
		r[T_CONNECT_OK] = tcp(port_ok, false);
		r[T_CONNECT_OTHER] = tcp(port_other, false);
		/* Any other port is refused before the kernel looks whether
		 * it is free. */
		r[T_BIND_OK] = tcp(port_ok, true);
		r[T_BIND_OTHER] = tcp(port_free, true);
		_exit(write(p[1], r, sizeof(r)) == sizeof(r) ? 0 : 3);
	}
	close(p[1]);
	int st;
	cr_assert_eq(read(p[0], res, sizeof(int) * T_N), (ssize_t)(sizeof(int) * T_N),
		     "the child reported nothing");
	close(p[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TestSuite(fleetdb_sandbox, .init = setup, .fini = teardown, .timeout = 30);

Test(fleetdb_sandbox, without_the_domain_everything_works)
{
	int r[T_N];
	if (geteuid() != 0) {
		teardown();
		cr_skip_test("needs root: /etc/passwd and the ports as hsd's host sees them");
	}
	attempt(false, r);
	for (int i = 0; i < T_N; i++)
		cr_expect_eq(r[i], 0, "control: %s: %s", names[i], strerror(r[i]));
}

Test(fleetdb_sandbox, the_domain_leaves_the_directory_and_the_port)
{
	int r[T_N];
	if (sandbox_landlock_abi() < 4) {
		teardown();
		cr_skip_test("needs Landlock ABI 4 (TCP rules), this kernel has %d",
			     sandbox_landlock_abi());
	}
	attempt(true, r);
	cr_expect_eq(r[T_READ_IN], 0, "%s", strerror(r[T_READ_IN]));
	cr_expect_eq(r[T_CREATE_IN], 0, "%s", strerror(r[T_CREATE_IN]));
	cr_expect_eq(r[T_CONNECT_OK], 0, "%s", strerror(r[T_CONNECT_OK]));
	cr_expect_eq(r[T_BIND_OK], 0, "%s", strerror(r[T_BIND_OK]));
	cr_expect_eq(r[T_READ_OUT], EACCES, "read /etc/passwd: %s", strerror(r[T_READ_OUT]));
	cr_expect_eq(r[T_CREATE_OUT], EACCES, "%s", strerror(r[T_CREATE_OUT]));
	cr_expect_eq(r[T_EXEC_IN], EACCES, "%s", strerror(r[T_EXEC_IN]));
	cr_expect_eq(r[T_CONNECT_OTHER], EACCES, "%s", strerror(r[T_CONNECT_OTHER]));
	cr_expect_eq(r[T_BIND_OTHER], EACCES, "%s", strerror(r[T_BIND_OTHER]));
}
