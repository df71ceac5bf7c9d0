/*
 * syslog_test.h - what the syslog relay's unit tests share: the address of
 * a socket path, one datagram with its credentials, the open fds.  Static
 * functions in a header: each test binary is one file.
 */
#ifndef HS_TEST_SYSLOG_TEST_H
#define HS_TEST_SYSLOG_TEST_H

#include <dirent.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static inline struct sockaddr_un sun_of(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path));
	return sa;
}

/* One datagram (waits up to 1 s), NUL-terminated; with cred, the
 * credentials it came with. */
static inline ssize_t take(int fd, char *buf, size_t len, struct ucred *cred)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 1000) != 1)
		return -1;
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, len - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			   .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(fd, &m, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (cred && c && c->cmsg_type == SCM_CREDENTIALS)
		memcpy(cred, CMSG_DATA(c), sizeof(*cred));
	return n;
}

/* Open fds of this process (leak checks). */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#endif
