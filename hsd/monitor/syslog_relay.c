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
#include "fsutil.h"
#include "space.h"
#include "syslog_sender.h"

/* Linux 6.5+ (asm-generic values; x86 and arm use them); the installed
 * headers may be older. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

#define RELAY_BATCH 256               /* datagrams per handle() call */
#define RELAY_RCVBUF (4 * 1024 * 1024) /* absorbs bursts while hsd is busy */
#define RELAY_SNDBUF (1024 * 1024)     /* per destination */
#define RELAY_HDR_MAX 256
/* The kernel's SCM_MAX_FD: room for every fd a sender may attach.  The
 * kernel places SCM_PIDFD after them, so a smaller buffer would let a
 * sender push our pidfd out (MSG_CTRUNC) and stay unidentified. */
#define RELAY_MAX_FDS 253

struct relay_dest {
	struct sockaddr_un addr; /* forward: its address; receiver: path in root */
	socklen_t addrlen;
	char root[SYSLOG_RELAY_PATH_MAX]; /* receivers: the directory path is under */
	int fd;           /* this destination's own sending socket */
	bool connected;   /* forward only */
	uint64_t sent, dropped, waits;
};

struct syslog_relay {
	int fd;
	char path[SYSLOG_RELAY_PATH_MAX];
	char space[SPACE_NAME_MAX + 1];
	struct relay_dest fwd;
	struct relay_dest rcv[SYSLOG_RELAY_MAX_RECEIVERS];
	size_t nrcv;
	uint64_t received, truncated, unverified, forged;
	/* The server space's user namespace: its ids 0..count-1 are host ids
	 * base..base+count-1 (count 0: no map, ids shown as they are). */
	uint32_t uid_base, gid_base, id_count;
	char *buf;        /* one datagram */
	/* The datagram in buf waits for the normal destination to have room. */
	bool waiting;
	size_t wait_len;
	bool wait_have_cred;
	struct ucred wait_cred;
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
	d->sent = d->dropped = d->waits = 0;
	d->connected = false;
	d->root[0] = '\0';
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
	/* The sender's pidfd with each datagram: the only kernel-given handle
	 * on who sent it.  A kernel before 6.5 refuses the option; every
	 * header then says uid=? with the claims, never the claims as real. */
	if (rc == HS_OK)
		(void)setsockopt(r->fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
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

int syslog_relay_forward_fd(const struct syslog_relay *r)
{
	return r->fwd.fd;
}

bool syslog_relay_waiting(const struct syslog_relay *r)
{
	return r->waiting;
}

int syslog_relay_set_idmap(struct syslog_relay *r, uint32_t uid_base, uint32_t gid_base,
			   uint32_t count, char *err, size_t errlen)
{
	/* (uint32_t)-1 is no id: a range must end below it. */
	if (count && (uint64_t)uid_base + count > UINT32_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "syslog relay: uid_base %u + count %u passes the last uid %u",
			       uid_base, count, UINT32_MAX - 1);
	if (count && (uint64_t)gid_base + count > UINT32_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "syslog relay: gid_base %u + count %u passes the last gid %u",
			       gid_base, count, UINT32_MAX - 1);
	r->uid_base = count ? uid_base : 0;
	r->gid_base = count ? gid_base : 0;
	r->id_count = count;
	return HS_OK;
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

static struct relay_dest *find_receiver(struct syslog_relay *r, const char *root,
					const char *path)
{
	for (size_t i = 0; i < r->nrcv; i++)
		if (strcmp(r->rcv[i].root, root) == 0 && strcmp(r->rcv[i].addr.sun_path, path) == 0)
			return &r->rcv[i];
	return NULL;
}

int syslog_relay_add_receiver(struct syslog_relay *r, const char *root, const char *path,
			      char *err, size_t errlen)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int rc = unix_addr(path, &sa, &salen, err, errlen);
	if (rc)
		return rc;
	if (!root)
		root = "/";
	if (strlen(root) >= SYSLOG_RELAY_PATH_MAX)
		return err_set(err, errlen, HS_EINPUT, "syslog relay: root too long: \"%.120s\"",
			       root);
	if (find_receiver(r, root, path))
		return HS_OK;
	if (r->nrcv == SYSLOG_RELAY_MAX_RECEIVERS)
		return err_set(err, errlen, HS_ESTATE, "syslog relay: more than %d receivers",
			       SYSLOG_RELAY_MAX_RECEIVERS);
	rc = dest_open(&r->rcv[r->nrcv], path, err, errlen);
	if (rc == HS_OK) {
		snprintf(r->rcv[r->nrcv].root, sizeof(r->rcv[r->nrcv].root), "%s", root);
		r->nrcv++;
	}
	return rc;
}

int syslog_relay_remove_receiver(struct syslog_relay *r, const char *root, const char *path,
				 char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct relay_dest *d = path ? find_receiver(r, root ? root : "/", path) : NULL;
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
	out->unverified = r->unverified;
	out->forged = r->forged;
	out->forwarded = r->fwd.sent;
	out->forward_dropped = r->fwd.dropped;
	out->forward_waits = r->fwd.waits;
	out->nreceivers = r->nrcv;
	for (size_t i = 0; i < r->nrcv; i++) {
		snprintf(out->receivers[i].root, sizeof(out->receivers[i].root), "%s",
			 r->rcv[i].root);
		snprintf(out->receivers[i].path, sizeof(out->receivers[i].path), "%s",
			 r->rcv[i].addr.sun_path);
		out->receivers[i].sent = r->rcv[i].sent;
		out->receivers[i].dropped = r->rcv[i].dropped;
	}
}

/* ---- relaying ---- */

/* A copy goes to the socket at the receiver's path under its root, opened
 * with no symlink followed: the audit space owns every name there, and an
 * absolute symlink would otherwise be resolved in hsd's namespace.  The
 * socket is then addressed through our fd's magic link, which names
 * exactly the inode opened.  Never waits: a failure loses this copy. */
static void receiver_send(struct relay_dest *d, struct msghdr *m)
{
	int root = open(d->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = -1;
	if (root >= 0) {
		fd = fs_open_in_root(root, d->addr.sun_path, 0);
		close(root);
	}
	if (fd < 0) {
		d->dropped++;
		return;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", fd);
	m->msg_name = &sa;
	m->msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
	if (sendmsg(d->fd, m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		d->sent++;
	else
		d->dropped++;
	m->msg_name = NULL;
	close(fd);
}

enum fwd_result { FWD_SENT, FWD_FULL, FWD_LOST };

/* Send one datagram to the normal destination.  The socket is connected,
 * so that the kernel reports "full" as EAGAIN and wakes a POLLOUT waiter
 * when the destination's queue drains; that datagram is then kept, never
 * lost.  An absent or refusing destination loses it (counted): waiting
 * for a syslogd that does not exist would stop the server's logging for
 * good.  The destination gets the sender's real ids (journald records
 * them), read through its pidfd, never the ones it attached: root in the
 * base may pass them on.  The kernel refuses once the sender has exited
 * (ESRCH); then, as for a sender whose ids could not be read, cred is
 * NULL and the kernel attaches hsd's own. */
static enum fwd_result forward(struct syslog_relay *r, void *data, size_t len,
			       const struct ucred *cred)
{
	struct relay_dest *d = &r->fwd;
	struct iovec iov = {data, len};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	bool reconnected = false;

	for (;;) {
		if (!d->connected) {
			if (connect(d->fd, (struct sockaddr *)&d->addr, d->addrlen) < 0) {
				d->dropped++;
				return FWD_LOST;
			}
			d->connected = true;
		}
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		if (cred) {
			memset(&ctl, 0, sizeof(ctl));
			m.msg_control = ctl.buf;
			m.msg_controllen = sizeof(ctl.buf);
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			c->cmsg_len = CMSG_LEN(sizeof(*cred));
			memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		}
		if (sendmsg(d->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			d->sent++;
			return FWD_SENT;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return FWD_FULL;
		if (cred && (errno == ESRCH || errno == EPERM)) {
			cred = NULL;
			continue;
		}
		/* The destination was closed (a restarted syslogd binds anew):
		 * connect to whatever is at the path now, once. */
		if (!reconnected && (errno == ECONNREFUSED || errno == ENOTCONN ||
				     errno == ECONNRESET || errno == EPIPE)) {
			d->connected = false;
			reconnected = true;
			continue;
		}
		d->dropped++;
		return FWD_LOST;
	}
}

/* An id as the server space numbers it: inside the space's range, minus
 * its base; outside it "host:N", which only a process from outside the
 * space (hsd's own probe) can be.  No map: the number as it is. */
static void id_text(char *out, size_t len, uint32_t id, uint32_t base, uint32_t count)
{
	if (count == 0)
		snprintf(out, len, "%u", id);
	else if (id >= base && id - base < count)
		snprintf(out, len, "%u", id - base);
	else
		snprintf(out, len, "host:%u", id);
}

/* What the sender attached must be shown beside the kernel's ids: it
 * differs from them, or they could not be read. */
static bool claim_shown(const struct ucred *claim, const struct syslog_sender *s)
{
	return claim && (!s->ids || claim->uid != s->uid || claim->gid != s->gid ||
			 (s->pid > 0 && claim->pid != s->pid));
}

/* The header line (see syslog_relay.h for its grammar).  uid= and gid= are
 * only ever the kernel's ids of the sender; the sender's claim goes beside
 * them as claimed_*, so a forged identity is visible, never taken for the
 * real one. */
static int header(const struct syslog_relay *r, const struct ucred *claim,
		  const struct syslog_sender *s, char *hdr, size_t len)
{
	char pid[24] = "?", nspid[24] = "?", uid[24] = "?", gid[24] = "?";
	char cuid[24], cgid[24], cpid[48] = "";
	uint32_t n = r->id_count;

	/* A reaped sender's pidfd no longer names a pid; the kernel's
	 * translation of the same struct pid at receive time still does. */
	if (s->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)s->pid);
	else if (claim && claim->pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)claim->pid);
	if (s->nspid > 0)
		snprintf(nspid, sizeof(nspid), "%ld", s->nspid);
	if (s->ids) {
		id_text(uid, sizeof(uid), s->uid, r->uid_base, n);
		id_text(gid, sizeof(gid), s->gid, r->gid_base, n);
	}
	int k = snprintf(hdr, len, "hsd-src space=%s pid=%s uid=%s gid=%s nspid=%s", r->space,
			 pid, uid, gid, nspid);
	if (claim_shown(claim, s)) {
		id_text(cuid, sizeof(cuid), claim->uid, r->uid_base, n);
		id_text(cgid, sizeof(cgid), claim->gid, r->gid_base, n);
		if (s->pid > 0 && claim->pid != s->pid)
			snprintf(cpid, sizeof(cpid), " claimed_pid=%d", (int)claim->pid);
		k += snprintf(hdr + k, len - (size_t)k, " claimed_uid=%s claimed_gid=%s%s", cuid,
			      cgid, cpid);
	}
	k += snprintf(hdr + k, len - (size_t)k, "\n");
	return k;
}

static void copy_to_receivers(struct syslog_relay *r, struct iovec *body, int hdrlen,
			      char *hdr)
{
	struct iovec iov[2] = {{hdr, (size_t)hdrlen}, *body};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	for (size_t i = 0; i < r->nrcv; i++)
		receiver_send(&r->rcv[i], &m);
}

/* What the kernel attached to one datagram. */
struct relay_cmsgs {
	bool have_cred;
	struct ucred cred; /* SCM_CREDENTIALS: the sender's claim */
	int pidfd;         /* SCM_PIDFD, or -1 */
};

/* Pick the credentials and the pidfd out and close any fds a sender
 * pushed at us.  The caller closes c->pidfd. */
static void take_cmsgs(struct msghdr *m, struct relay_cmsgs *c)
{
	c->have_cred = false;
	c->pidfd = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET)
			continue;
		if (h->cmsg_type == SCM_CREDENTIALS && h->cmsg_len >= CMSG_LEN(sizeof(c->cred))) {
			memcpy(&c->cred, CMSG_DATA(h), sizeof(c->cred));
			c->have_cred = true;
		} else if (h->cmsg_type == SCM_PIDFD && h->cmsg_len >= CMSG_LEN(sizeof(int))) {
			/* Negative when the kernel could not make one (older
			 * kernels, for a sender reaped before we read). */
			int fd;
			memcpy(&fd, CMSG_DATA(h), sizeof(fd));
			if (c->pidfd >= 0)
				close(c->pidfd);
			c->pidfd = fd >= 0 ? fd : -1;
		} else if (h->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
	}
}

int syslog_relay_handle(struct syslog_relay *r, char *err, size_t errlen)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
			 CMSG_SPACE(RELAY_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;

	if (r->waiting) {
		if (forward(r, r->buf, r->wait_len, r->wait_have_cred ? &r->wait_cred : NULL) ==
		    FWD_FULL)
			return HS_OK; /* still full: keep waiting, read nothing */
		r->waiting = false;
	}
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
		struct relay_cmsgs c;
		take_cmsgs(&m, &c);
		/* Who sent it, from the kernel; the pidfd is done with then,
		 * whatever becomes of the datagram. */
		struct syslog_sender s;
		syslog_sender_identify(c.pidfd, SYSLOG_SENDER_AUTO, &s);
		if (c.pidfd >= 0)
			close(c.pidfd);
		const struct ucred *claim = c.have_cred ? &c.cred : NULL;
		r->received++;
		if (!s.ids)
			r->unverified++;
		else if (claim_shown(claim, &s))
			r->forged++;
		if (m.msg_flags & MSG_TRUNC) {
			r->truncated++;
			n = SYSLOG_RELAY_MSG_MAX;
		}
		struct iovec body = {r->buf, (size_t)n};
		/* Copies first: audit readers never wait for the normal syslog. */
		if (r->nrcv) {
			char hdr[RELAY_HDR_MAX];
			int k = header(r, claim, &s, hdr, sizeof(hdr));
			copy_to_receivers(r, &body, k, hdr);
		}
		/* The normal destination gets the kernel's ids of the sender
		 * (host numbers, as it is in the base), or none: never a claim. */
		struct ucred real = {.pid = s.pid, .uid = s.uid, .gid = s.gid};
		bool have_real = s.ids && s.pid > 0;
		if (forward(r, r->buf, (size_t)n, have_real ? &real : NULL) == FWD_FULL) {
			/* Keep it and stop reading: the server's sends now wait on
			 * our queue as they would on a slow syslogd's. */
			r->waiting = true;
			r->wait_len = (size_t)n;
			r->wait_have_cred = have_real;
			r->wait_cred = have_real ? real : (struct ucred){0};
			r->fwd.waits++;
			return HS_OK;
		}
	}
	return HS_OK;
}
