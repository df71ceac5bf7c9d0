/* engine_msg.c - checking and sending hsd <-> engine messages. */
#include "engine_msg.h"
#include "cluster.h"
#include "err.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct msg_shape {
	size_t body, item; /* item 0: the type has no items */
	uint32_t max_items;
};

static int msg_shape(uint16_t type, struct msg_shape *s)
{
	switch (type) {
	case ENGINE_MSG_CONFIG:
	case ENGINE_MSG_ORIGINS:
		s->body = type == ENGINE_MSG_CONFIG ? sizeof(struct engine_config)
						    : sizeof(struct engine_origins);
		s->item = sizeof(struct engine_origin);
		s->max_items = ENGINE_MAX_ITEMS;
		return 0;
	case ENGINE_MSG_LINK_ADD:
	case ENGINE_MSG_LINK_DEL:
		*s = (struct msg_shape){ sizeof(struct engine_link), 0, 0 };
		return 0;
	case ENGINE_MSG_ROUTE:
		*s = (struct msg_shape){ sizeof(struct engine_route), 0, 0 };
		return 0;
	case ENGINE_MSG_SEQNO:
		*s = (struct msg_shape){ sizeof(struct engine_seqno), 0, 0 };
		return 0;
	case ENGINE_MSG_PEER_HOSTS:
		*s = (struct msg_shape){ sizeof(struct engine_peer_self),
					 sizeof(struct engine_peer_host), ENGINE_MAX_ITEMS };
		return 0;
	case ENGINE_MSG_PEER_REPLY:
		*s = (struct msg_shape){ sizeof(struct engine_peer_reply), 1, ENGINE_REPLY_MAX };
		return 0;
	case ENGINE_MSG_PEER_CALL:
		*s = (struct msg_shape){ sizeof(struct engine_peer_call), 1, ENGINE_REPLY_MAX };
		return 0;
	case ENGINE_MSG_PEER_RESULT:
		*s = (struct msg_shape){ sizeof(struct engine_peer_result), 1, ENGINE_REPLY_MAX };
		return 0;
	case ENGINE_MSG_PEER_REQUEST:
		*s = (struct msg_shape){ sizeof(struct engine_peer_request),
					 sizeof(struct peer_word), CLUSTER_HOSTS_MAX };
		return 0;
	case ENGINE_MSG_LOG:
		*s = (struct msg_shape){ sizeof(struct engine_log), 1, ENGINE_LOG_MAX };
		return 0;
	case ENGINE_MSG_SNAPSHOT:
		/* Two item kinds: counted by the body, checked below. */
		*s = (struct msg_shape){ sizeof(struct engine_snapshot), 0, 0 };
		return 0;
	}
	return -1;
}

static bool prefix_ok(uint32_t addr, uint32_t len)
{
	return len <= 32 && (len == 32 || (addr & (len ? ~(UINT32_MAX << (32 - len)) : UINT32_MAX)) == 0);
}

int engine_msg_check(const void *buf, size_t len, struct engine_msg *m, char *err,
		     size_t errlen)
{
	struct engine_hdr h;
	struct msg_shape s;

	if (len < sizeof(h))
		return err_set(err, errlen, HS_EINPUT, "engine message: %zu bytes, shorter than a header", len);
	memcpy(&h, buf, sizeof(h));
	if (msg_shape(h.type, &s))
		return err_set(err, errlen, HS_EINPUT, "engine message: unknown type %u", h.type);
	if (h.pad || h.count > s.max_items)
		return err_set(err, errlen, HS_EINPUT, "engine message type %u: count %u (at most %u)",
			       h.type, h.count, s.max_items);
	const uint8_t *body = (const uint8_t *)buf + sizeof(h);
	size_t want = sizeof(h) + s.body + (size_t)h.count * s.item;
	if (h.type == ENGINE_MSG_SNAPSHOT && len >= sizeof(h) + s.body) {
		struct engine_snapshot snap;
		memcpy(&snap, body, sizeof(snap));
		if (h.count || snap.n_routes > 2 * ENGINE_MAX_ITEMS || snap.n_neigh > ENGINE_MAX_ITEMS)
			return err_set(err, errlen, HS_EINPUT,
				       "engine snapshot: %u routes, %u neighbours (at most %u, %u)",
				       snap.n_routes, snap.n_neigh, 2 * ENGINE_MAX_ITEMS, ENGINE_MAX_ITEMS);
		want += snap.n_routes * sizeof(struct engine_route_info) +
			snap.n_neigh * sizeof(struct engine_neigh_info);
	}
	if (len != want)
		return err_set(err, errlen, HS_EINPUT, "engine message type %u: %zu bytes, want %zu",
			       h.type, len, want);
	/* Only what the receiver acts on without further checks: prefixes
	 * go to the kernel as they are. */
	if (h.type == ENGINE_MSG_ROUTE) {
		struct engine_route r;
		memcpy(&r, body, sizeof(r));
		if ((r.op != ENGINE_ROUTE_INSTALL && r.op != ENGINE_ROUTE_REMOVE) ||
		    !prefix_ok(r.addr, r.len))
			return err_set(err, errlen, HS_EINPUT, "engine route: op %u, prefix length %u",
				       r.op, r.len);
	}
	m->type = h.type;
	m->count = h.count;
	m->body = body;
	m->items = body + s.body;
	return 0;
}

int engine_msg_send(int fd, enum engine_msg_type type, const void *body, size_t body_len,
		    const void *items, size_t item_len, uint32_t count, char *err, size_t errlen)
{
	return engine_msg_send_fds(fd, type, body, body_len, items, item_len, count, NULL, 0, err,
				   errlen);
}

int engine_msg_send_fds(int fd, enum engine_msg_type type, const void *body, size_t body_len,
			const void *items, size_t item_len, uint32_t count, const int *fds,
			size_t nfds, char *err, size_t errlen)
{
	struct engine_hdr h = { .type = (uint16_t)type, .count = count };
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)body, body_len },
				{ (void *)items, item_len } };
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(ENGINE_MSG_FDS * sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = item_len ? 3 : 2 };
	ssize_t n;

	if (nfds > ENGINE_MSG_FDS)
		return err_set(err, errlen, HS_EINPUT, "engine channel: %zu descriptors", nfds);
	if (nfds) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(err, errlen, "engine channel: send type %u", type);
	return 0;
}

ssize_t engine_msg_recv(int fd, void *buf, size_t len, int fds[ENGINE_MSG_FDS], size_t *nfds)
{
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(ENGINE_MSG_FDS * sizeof(int))];
	} u;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	bool bad = false;

	*nfds = 0;
	do
		n = recvmsg(fd, &mh, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k = c->cmsg_len >= CMSG_LEN(0) ? (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = true;
			continue;
		}
		for (size_t i = 0; i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < ENGINE_MSG_FDS)
				fds[(*nfds)++] = got;
			else {
				close(got);
				bad = true;
			}
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		errno = EBADMSG;
		return -1;
	}
	return n;
}
