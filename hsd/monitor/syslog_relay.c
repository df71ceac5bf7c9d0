/* syslog_relay.c - /dev/log relay with copies to audit spaces (see
 * syslog_relay.h). */
#include "syslog_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "space.h"

#define RELAY_BATCH 256               /* datagrams per handle() call */
#define RELAY_RCVBUF (4 * 1024 * 1024) /* absorbs bursts while hsd is busy */
#define RELAY_SNDBUF (1024 * 1024)     /* per destination */
#define RELAY_HDR_MAX 160
#define RELAY_MAX_FDS 8                /* room to take (and close) passed fds */

struct relay_dest {
	struct sockaddr_un addr;
	socklen_t addrlen;
	int fd;           /* this destination's own sending socket */
	uint64_t sent, dropped;
};

struct syslog_relay {
	int fd;
	char path[SYSLOG_RELAY_PATH_MAX];
	char space[SPACE_NAME_MAX + 1];
	struct relay_dest fwd;
	struct relay_dest rcv[SYSLOG_RELAY_MAX_RECEIVERS];
	size_t nrcv;
	uint64_t received, truncated;
	char *buf;        /* one datagram */
};

static int unix_addr(const char *path, struct sockaddr_un *sa, socklen_t *len, char *err,
		     size_t errlen)
{
	size_t n = path ? strlen(path) : 0;
	if (n == 0 || n >= sizeof(sa->sun_path))
		return err_set(err, errlen, HS_EINPUT,
			       "syslog relay: socket path must be 1..%zu bytes: \"%.120s\"",
			       sizeof(sa->sun_path) - 1, path ? path : "");
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return HS_OK;
}

/* Larger buffers than the sysctl maxima need the *FORCE options (root);
 * without them fall back to what an unprivileged socket may have. */
static void sock_buf(int fd, int force_opt, int opt, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int dest_open(struct relay_dest *d, const char *path, char *err, size_t errlen)
{
	int rc = unix_addr(path, &d->addr, &d->addrlen, err, errlen);
	if (rc)
		return rc;
	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0)
		return err_sys(err, errlen, "syslog relay: socket for %s", path);
	sock_buf(d->fd, SO_SNDBUFFORCE, SO_SNDBUF, RELAY_SNDBUF);
	d->sent = d->dropped = 0;
	return HS_OK;
}

int syslog_relay_open(const char *sock_path, const char *space_name, const char *forward_path,
		      struct syslog_relay **out, char *err, size_t errlen)
{
	*out = NULL;
	struct sockaddr_un sa;
	socklen_t salen;
	int rc = unix_addr(sock_path, &sa, &salen, err, errlen);
	if (rc == HS_OK)
		rc = space_name_check(space_name, err, errlen); /* keeps the header one line */
	if (rc)
		return rc;
	struct stat st;
	if (lstat(sock_path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return err_set(err, errlen, HS_EINPUT, "syslog relay: %s exists and is no socket",
			       sock_path);

	struct syslog_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(err, errlen, HS_ESYS, "syslog relay: out of memory");
	r->fd = r->fwd.fd = -1;
	snprintf(r->path, sizeof(r->path), "%s", sock_path);
	snprintf(r->space, sizeof(r->space), "%s", space_name);
	r->buf = malloc(SYSLOG_RELAY_MSG_MAX);
	if (!r->buf) {
		free(r);
		return err_set(err, errlen, HS_ESYS, "syslog relay: out of memory");
	}
	rc = dest_open(&r->fwd, forward_path ? forward_path : SYSLOG_RELAY_DEFAULT_FORWARD, err,
		       errlen);
	int one = 1;
	if (rc == HS_OK) {
		r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (r->fd < 0)
			rc = err_sys(err, errlen, "syslog relay: socket");
	}
	if (rc == HS_OK && setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		rc = err_sys(err, errlen, "syslog relay: SO_PASSCRED");
	if (rc == HS_OK) {
		sock_buf(r->fd, SO_RCVBUFFORCE, SO_RCVBUF, RELAY_RCVBUF);
		/* A stale socket of an earlier run: ours to replace. */
		if (unlink(sock_path) < 0 && errno != ENOENT)
			rc = err_sys(err, errlen, "syslog relay: remove stale %s", sock_path);
	}
	if (rc == HS_OK && bind(r->fd, (struct sockaddr *)&sa, salen) < 0)
		rc = err_sys(err, errlen, "syslog relay: bind %s", sock_path);
	/* Every user of the server space may log, as with the real /dev/log. */
	if (rc == HS_OK && chmod(sock_path, 0666) < 0) {
		rc = err_sys(err, errlen, "syslog relay: chmod %s", sock_path);
		unlink(sock_path);
	}
	if (rc) {
		r->path[0] = '\0'; /* not bound: nothing to unlink */
		syslog_relay_close(r);
		return rc;
	}
	*out = r;
	return HS_OK;
}

int syslog_relay_fd(const struct syslog_relay *r)
{
	return r->fd;
}

void syslog_relay_close(struct syslog_relay *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->path[0])
		unlink(r->path);
	if (r->fwd.fd >= 0)
		close(r->fwd.fd);
	for (size_t i = 0; i < r->nrcv; i++)
		close(r->rcv[i].fd);
	free(r->buf);
	free(r);
}

static struct relay_dest *find_receiver(struct syslog_relay *r, const char *path)
{
	for (size_t i = 0; i < r->nrcv; i++)
		if (strcmp(r->rcv[i].addr.sun_path, path) == 0)
			return &r->rcv[i];
	return NULL;
}

int syslog_relay_add_receiver(struct syslog_relay *r, const char *path, char *err,
			      size_t errlen)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int rc = unix_addr(path, &sa, &salen, err, errlen);
	if (rc)
		return rc;
	if (find_receiver(r, path))
		return HS_OK;
	if (r->nrcv == SYSLOG_RELAY_MAX_RECEIVERS)
		return err_set(err, errlen, HS_ESTATE, "syslog relay: more than %d receivers",
			       SYSLOG_RELAY_MAX_RECEIVERS);
	rc = dest_open(&r->rcv[r->nrcv], path, err, errlen);
	if (rc == HS_OK)
		r->nrcv++;
	return rc;
}

int syslog_relay_remove_receiver(struct syslog_relay *r, const char *path, char *err,
				 size_t errlen)
{
	(void)err;
	(void)errlen;
	struct relay_dest *d = path ? find_receiver(r, path) : NULL;
	if (!d)
		return HS_OK;
	close(d->fd);
	size_t i = (size_t)(d - r->rcv);
	memmove(&r->rcv[i], &r->rcv[i + 1], (r->nrcv - i - 1) * sizeof(r->rcv[0]));
	r->nrcv--;
	return HS_OK;
}

void syslog_relay_stats(const struct syslog_relay *r, struct syslog_relay_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->received = r->received;
	out->truncated = r->truncated;
	out->forwarded = r->fwd.sent;
	out->forward_dropped = r->fwd.dropped;
	out->nreceivers = r->nrcv;
	for (size_t i = 0; i < r->nrcv; i++) {
		snprintf(out->receivers[i].path, sizeof(out->receivers[i].path), "%s",
			 r->rcv[i].addr.sun_path);
		out->receivers[i].sent = r->rcv[i].sent;
		out->receivers[i].dropped = r->rcv[i].dropped;
	}
}

/* ---- relaying ---- */

/* The last NSpid field of /proc/PID/status: the pid as the sender's own
 * PID namespace numbers it.  False when the process is gone. */
static bool pid_in_space(pid_t pid, long *nspid)
{
	char path[40], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *line = strstr(buf, "\nNSpid:");
	if (!line)
		return false;
	line += strlen("\nNSpid:");
	char *end = strchr(line, '\n');
	if (!end)
		return false; /* cut off by the buffer */
	*end = '\0';
	char *last = strrchr(line, '\t');
	last = last ? last + 1 : line;
	char *stop;
	errno = 0;
	long v = strtol(last, &stop, 10);
	if (errno || stop == last || v <= 0)
		return false;
	*nspid = v;
	return true;
}

static void dest_send(struct relay_dest *d, struct msghdr *m)
{
	m->msg_name = &d->addr;
	m->msg_namelen = d->addrlen;
	/* Absent (ENOENT), refusing (ECONNREFUSED), full (EAGAIN) or anything
	 * else: this copy is lost and counted, never retried or waited for. */
	if (sendmsg(d->fd, m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		d->sent++;
	else
		d->dropped++;
}

/* The normal destination gets the sender's credentials (journald records
 * them) when the kernel lets hsd pass them on: it refuses once the sender
 * has exited (ESRCH).  Then the message goes with hsd's own. */
static void forward(struct syslog_relay *r, struct iovec *body, const struct ucred *cred)
{
	struct relay_dest *d = &r->fwd;
	struct msghdr m = {.msg_name = &d->addr, .msg_namelen = d->addrlen, .msg_iov = body,
			   .msg_iovlen = 1};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	if (cred) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(*cred));
		memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		if (sendmsg(d->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			d->sent++;
			return;
		}
		if (errno != ESRCH && errno != EPERM) {
			d->dropped++;
			return;
		}
		m.msg_control = NULL;
		m.msg_controllen = 0;
	}
	dest_send(d, &m);
}

static void copy_to_receivers(struct syslog_relay *r, struct iovec *body,
			      const struct ucred *cred)
{
	char hdr[RELAY_HDR_MAX], pid[24] = "?";
	long nspid;
	if (cred && pid_in_space(cred->pid, &nspid))
		snprintf(pid, sizeof(pid), "%ld", nspid);
	int n;
	if (cred)
		n = snprintf(hdr, sizeof(hdr), "hsd-src space=%s pid=%s uid=%u gid=%u\n", r->space,
			     pid, (unsigned)cred->uid, (unsigned)cred->gid);
	else
		n = snprintf(hdr, sizeof(hdr), "hsd-src space=%s pid=? uid=? gid=?\n", r->space);
	struct iovec iov[2] = {{hdr, (size_t)n}, *body};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	for (size_t i = 0; i < r->nrcv; i++)
		dest_send(&r->rcv[i], &m);
}

/* Pick the credentials out and close any fds a sender pushed at us. */
static bool take_cmsgs(struct msghdr *m, struct ucred *cred)
{
	bool have = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(*cred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			have = true;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
	}
	return have;
}

int syslog_relay_handle(struct syslog_relay *r, char *err, size_t errlen)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(RELAY_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	for (int i = 0; i < RELAY_BATCH; i++) {
		struct iovec iov = {r->buf, SYSLOG_RELAY_MSG_MAX};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				   .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(r->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return HS_OK;
			return err_sys(err, errlen, "syslog relay: receive on %s", r->path);
		}
		struct ucred cred;
		bool have = take_cmsgs(&m, &cred);
		r->received++;
		if (m.msg_flags & MSG_TRUNC) {
			r->truncated++;
			n = SYSLOG_RELAY_MSG_MAX;
		}
		struct iovec body = {r->buf, (size_t)n};
		forward(r, &body, have ? &cred : NULL);
		copy_to_receivers(r, &body, have ? &cred : NULL);
	}
	return HS_OK;
}
