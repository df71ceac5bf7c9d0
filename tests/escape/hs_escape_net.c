/* hs_escape_net.c - the escape attempts on the network and on resources,
 * and the helpers that run attempts inside a space's Landlock domain (see
 * hs_escape.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hs_escape.h"

/* ---- network ----------------------------------------------------------- */

/* tcp ADDR PORT MS: a TCP connection completes within MS. */
int a_tcp(char **av)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)num(av[1])) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0 || inet_pton(AF_INET, av[0], &sa.sin_addr) != 1)
		return setup_fail("socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		return verdict(false, "connect %s:%s: %s", av[0], av[1], strerror(errno));
	struct pollfd p = { s, POLLOUT, 0 };
	int err = 0;
	socklen_t len = sizeof(err);
	if (poll(&p, 1, (int)num(av[2])) != 1)
		return verdict(false, "connect %s:%s: no answer in %s ms", av[0], av[1], av[2]);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	return err ? verdict(false, "connect %s:%s: %s", av[0], av[1], strerror(err))
		   : verdict(true, "connected to %s:%s", av[0], av[1]);
}

/* spoof SRC DST PORT MARK: a UDP datagram carrying MARK, with the IP
 * header (and so the source) written by us. */
int a_spoof(char **av)
{
	unsigned char pkt[256] = { 0 };
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	size_t mlen = strlen(av[3]), len = sizeof(*ip) + sizeof(*udp) + mlen;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	if (len > sizeof(pkt) || inet_pton(AF_INET, av[1], &dst.sin_addr) != 1)
		return setup_fail("arguments");
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (s < 0)
		return verdict(false, "raw socket: %s", strerror(errno));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)len);
	inet_pton(AF_INET, av[0], &ip->saddr);
	ip->daddr = dst.sin_addr.s_addr;
	udp->source = htons(40000);
	udp->dest = htons((uint16_t)num(av[2]));
	udp->len = htons((uint16_t)(len - sizeof(*ip)));
	memcpy(pkt + sizeof(*ip) + sizeof(*udp), av[3], mlen);
	for (int i = 0; i < 3; i++) /* a few, against a lost first one (ARP) */
		if (sendto(s, pkt, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			return verdict(false, "send: %s", strerror(errno));
		else
			usleep(100000);
	return verdict(true, "sent from %s to %s:%s", av[0], av[1], av[2]);
}

/* udprecv PORT SECS MARK: a datagram carrying MARK arrives within SECS. */
int a_udprecv(char **av)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)num(av[0])) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		return setup_fail("bind");
	time_t end = time(NULL) + num(av[1]);
	char buf[512], from[32];
	while (time(NULL) < end) {
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 200) != 1)
			continue;
		socklen_t sl = sizeof(sa);
		ssize_t n = recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&sa, &sl);
		if (n < 0)
			continue;
		buf[n] = 0;
		inet_ntop(AF_INET, &sa.sin_addr, from, sizeof(from));
		if (!strcmp(buf, av[2]))
			return verdict(true, "got %s from %s", av[2], from);
	}
	return verdict(false, "no %s within %s s", av[2], av[1]);
}

/* ---- resources --------------------------------------------------------- */

/* forkmany N: N live children at once; all killed before we exit. */
int a_forkmany(char **av)
{
	long want = num(av[0]), n = 0;
	pid_t *kids = calloc((size_t)want, sizeof(*kids));
	int e = 0;
	if (!kids)
		return setup_fail("calloc");
	for (; n < want; n++) {
		pid_t p = fork();
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		if (p < 0) {
			e = errno;
			break;
		}
		kids[n] = p;
	}
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	return n == want ? verdict(true, "%ld processes", n)
			 : verdict(false, "fork stopped after %ld of %ld: %s", n, want, strerror(e));
}

/* memhog MB: a child touches MB MiB of memory. */
int a_memhog(char **av)
{
	size_t len = (size_t)num(av[0]) << 20;
	pid_t pid = fork();
	if (pid == 0) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return verdict(true, "touched %s MiB", av[0]);
	return verdict(false, "the child %s %d", WIFSIGNALED(st) ? "was killed by signal" : "exited",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/* fill PATH MB [keep]: write MB MiB to PATH; removed after unless keep. */
int a_fill(char **av)
{
	static char buf[1 << 20];
	long want = num(av[1]), n = 0;
	int e = 0, fd = open(av[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return verdict(false, "open %s: %s", av[0], strerror(errno));
	memset(buf, 'x', sizeof(buf));
	for (; n < want; n++) {
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w != (ssize_t)sizeof(buf)) {
			e = w < 0 ? errno : ENOSPC; /* a short write: the space ran out */
			break;
		}
	}
	if (n == want && fsync(fd))
		e = errno, n--;
	close(fd);
	if (!av[2] || strcmp(av[2], "keep"))
		unlink(av[0]);
	return n == want ? verdict(true, "wrote %ld MiB to %s", n, av[0])
			 : verdict(false, "%s full after %ld MiB: %s", av[0], n, strerror(e));
}

/* ---- running attempts inside a space's Landlock domain ----------------- */

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

/* One request: NUL-separated argv until EOF; answer: the command's
 * output, then its exit status as 4 bytes. */
static void serve_one(int c)
{
	static char req[16384], out[65536];
	char *argv[64];
	size_t len = 0, olen = 0;
	ssize_t n;
	int argc = 0, st = 0, p[2];

	while (len < sizeof(req) - 1 && (n = read(c, req + len, sizeof(req) - 1 - len)) > 0)
		len += (size_t)n;
	req[len] = 0;
	for (size_t i = 0; i < len && argc < 63; i += strlen(req + i) + 1)
		argv[argc++] = req + i;
	argv[argc] = NULL;
	if (!argc || pipe(p))
		_exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		alarm(60); /* no attempt hangs the test */
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + olen, sizeof(out) - olen)) > 0)
		olen += (size_t)n;
	waitpid(pid, &st, 0);
	int32_t code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (write(c, out, olen) < 0 || write(c, &code, sizeof(code)) < 0)
		_exit(1);
	_exit(0);
}

/* serve SOCK: run each request (call) as a child of ours. */
int a_serve(char **av)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(av[0]);
	if (s < 0 || unix_addr(av[0], &sa) || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(av[0], 0600) || listen(s, 16))
		return setup_fail(av[0]);
	signal(SIGCHLD, SIG_IGN); /* handlers reap their own children */
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(s);
			signal(SIGCHLD, SIG_DFL);
			serve_one(c);
		}
		close(c);
	}
}

/* call SOCK CMD [ARGS]: have serve run CMD; print its output and exit
 * with its status. */
int a_call(char **av)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || unix_addr(av[0], &sa) || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		return setup_fail(av[0]);
	for (char **a = av + 1; *a; a++)
		if (write(s, *a, strlen(*a) + 1) < 0)
			return setup_fail("send");
	shutdown(s, SHUT_WR);
	static char buf[65536 + 4];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) && (n = read(s, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	if (len < 4)
		return setup_fail("no answer");
	int32_t code;
	memcpy(&code, buf + len - 4, 4);
	fwrite(buf, 1, len - 4, stdout);
	return code;
}

