/* wg_genl.c - the kernel WireGuard backend (generic netlink via libmnl). */
#include "wg_genl.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "link.h"
#include "netns.h"

/* nl_talk() with the kernel's errno also in errno (for err_sys) and, when
 * kerr is not NULL, as a positive number in *kerr. */
static int genl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data, int *kerr)
{
	int r = nl_talk(nl, nlh, cb, data);
	if (kerr)
		*kerr = -r;
	if (r)
		errno = -r;
	return r;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_get_payload_len(a) >= sizeof(uint16_t))
			*(uint16_t *)data = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

int wg_genl_family(struct mnl_socket *nl, uint16_t *id, int *kerr, char *err,
		   size_t errlen)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	*id = 0;
	if (genl_talk(nl, nlh, family_cb, id, kerr))
		return err_sys(err, errlen,
			       "resolving generic netlink family \"%s\"",
			       WG_GENL_NAME);
	if (!*id)
		return err_set(err, errlen, HS_ESYS,
			       "generic netlink family \"%s\" has no id",
			       WG_GENL_NAME);
	return HS_OK;
}

static uint32_t peer_flags_to_kernel(uint32_t f)
{
	return ((f & WG_PEER_F_REMOVE) ? WGPEER_F_REMOVE_ME : 0) |
	       ((f & WG_PEER_F_UPDATE_ONLY) ? WGPEER_F_UPDATE_ONLY : 0) |
	       ((f & WG_PEER_F_REPLACE_ALLOWEDIPS) ? WGPEER_F_REPLACE_ALLOWEDIPS
						    : 0);
}

static uint32_t peer_flags_from_kernel(uint32_t f)
{
	return ((f & WGPEER_F_REMOVE_ME) ? WG_PEER_F_REMOVE : 0) |
	       ((f & WGPEER_F_UPDATE_ONLY) ? WG_PEER_F_UPDATE_ONLY : 0) |
	       ((f & WGPEER_F_REPLACE_ALLOWEDIPS) ? WG_PEER_F_REPLACE_ALLOWEDIPS
						   : 0);
}

/* The peer's attributes other than allowed IPs; false if they do not fit. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t size,
			  const struct wg_peer *p, int continuing)
{
	uint32_t flags = peer_flags_to_kernel(p->flags);
	if (continuing) /* a later fragment must not replace again */
		flags &= WGPEER_F_UPDATE_ONLY;
	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, KEY_LEN,
				p->public_key))
		return false;
	if (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
		return false;
	if (continuing)
		return true;
	if ((p->flags & WG_PEER_F_HAS_PRESHARED_KEY) &&
	    !mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, KEY_LEN,
				p->preshared_key))
		return false;
	if (p->endpoint.ss_family) {
		size_t len = p->endpoint.ss_family == AF_INET
				     ? sizeof(struct sockaddr_in)
				     : sizeof(struct sockaddr_in6);
		if (!mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, len,
					&p->endpoint))
			return false;
	}
	if ((p->flags & WG_PEER_F_HAS_KEEPALIVE) &&
	    !mnl_attr_put_u16_check(nlh, size,
				    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    p->persistent_keepalive))
		return false;
	return true;
}

static bool put_aip(struct nlmsghdr *nlh, size_t size,
		    const struct wg_allowedip *a)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, size, 0);
	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, a->family) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR,
				a->family == AF_INET ? 4 : 16, &a->addr) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK,
				   a->cidr)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* Add as much of peer p as fits; returns 1 if all of it went in, 0 if part
 * did (cur->aip advanced), -1 if nothing did. */
static int put_peer(struct nlmsghdr *nlh, size_t size, const struct wg_peer *p,
		    struct wg_genl_cursor *cur)
{
	struct nlattr *pn = mnl_attr_nest_start_check(nlh, size, 0);
	if (!pn)
		return -1;
	if (!put_peer_head(nlh, size, p, cur->aip > 0)) {
		mnl_attr_nest_cancel(nlh, pn);
		return -1;
	}
	if (cur->aip < p->n_allowed) {
		struct nlattr *an = mnl_attr_nest_start_check(
			nlh, size, WGPEER_A_ALLOWEDIPS);
		size_t added = 0;
		if (an)
			while (cur->aip < p->n_allowed &&
			       put_aip(nlh, size, &p->allowed[cur->aip])) {
				cur->aip++;
				added++;
			}
		if (!added) {
			if (an)
				mnl_attr_nest_cancel(nlh, an);
			mnl_attr_nest_cancel(nlh, pn);
			return -1;
		}
		mnl_attr_nest_end(nlh, an);
	}
	mnl_attr_nest_end(nlh, pn);
	return cur->aip >= p->n_allowed ? 1 : 0;
}

int wg_genl_build_set(char *buf, size_t size, uint16_t family,
		      const char *ifname, const struct wg_device *dev,
		      struct wg_genl_cursor *cur, char *err, size_t errlen)
{
	memset(buf, 0, size); /* padding must not leak old bytes (keys) */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_SET_DEVICE;
	g->version = WG_GENL_VERSION;

	if (!mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		goto small;
	if (!cur->dev_done) {
		if ((dev->flags & WG_DEV_F_HAS_PRIVATE_KEY) &&
		    !mnl_attr_put_check(nlh, size, WGDEVICE_A_PRIVATE_KEY,
					KEY_LEN, dev->private_key))
			goto small;
		if ((dev->flags & WG_DEV_F_HAS_LISTEN_PORT) &&
		    !mnl_attr_put_u16_check(nlh, size, WGDEVICE_A_LISTEN_PORT,
					    dev->listen_port))
			goto small;
		if ((dev->flags & WG_DEV_F_HAS_FWMARK) &&
		    !mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FWMARK,
					    dev->fwmark))
			goto small;
		cur->dev_done = 1;
	}
	if (cur->peer < dev->n_peers) {
		struct nlattr *peers =
			mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
		int any = 0;
		if (!peers)
			goto small;
		while (cur->peer < dev->n_peers) {
			int r = put_peer(nlh, size, &dev->peers[cur->peer], cur);
			if (r < 0)
				break;
			any = 1;
			if (r == 0)
				break; /* the peer continues next message */
			cur->peer++;
			cur->aip = 0;
		}
		if (!any) {
			mnl_attr_nest_cancel(nlh, peers);
			goto small;
		}
		mnl_attr_nest_end(nlh, peers);
	}
	return cur->peer < dev->n_peers ? 1 : 0;
small:
	return err_set(err, errlen, HS_EINPUT,
		       "netlink buffer of %zu bytes is too small", size);
}

/* --- parsing --- */

static int parse_aip(const struct nlattr *nest, struct wg_peer *p)
{
	struct wg_allowedip *a = wg_peer_add_allowed(p);
	const struct nlattr *x;
	int have = 0;
	if (!a)
		return -2;
	mnl_attr_for_each_nested(x, nest) {
		size_t len = mnl_attr_get_payload_len(x);
		switch (mnl_attr_get_type(x)) {
		case WGALLOWEDIP_A_FAMILY:
			if (len < 2)
				return -1;
			a->family = mnl_attr_get_u16(x);
			have |= 1;
			break;
		case WGALLOWEDIP_A_IPADDR:
			if (len != 4 && len != 16)
				return -1;
			memcpy(&a->addr, mnl_attr_get_payload(x), len);
			have |= 2;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (len < 1)
				return -1;
			a->cidr = mnl_attr_get_u8(x);
			have |= 4;
			break;
		}
	}
	return have == 7 ? 0 : -1;
}

static int parse_peer(const struct nlattr *nest, struct wg_device *dev,
		      int first_in_msg)
{
	const struct nlattr *x;
	const uint8_t *pub = NULL;

	mnl_attr_for_each_nested(x, nest) {
		if (mnl_attr_get_type(x) == WGPEER_A_PUBLIC_KEY &&
		    mnl_attr_get_payload_len(x) == KEY_LEN)
			pub = mnl_attr_get_payload(x);
	}
	if (!pub)
		return -1;
	struct wg_peer *p = NULL;
	/* Only the first peer of a message can continue the previous one. */
	if (first_in_msg && dev->n_peers &&
	    !memcmp(dev->peers[dev->n_peers - 1].public_key, pub, KEY_LEN))
		p = &dev->peers[dev->n_peers - 1];
	else if (!(p = wg_device_add_peer(dev)))
		return -2;
	memcpy(p->public_key, pub, KEY_LEN);

	mnl_attr_for_each_nested(x, nest) {
		size_t len = mnl_attr_get_payload_len(x);
		const struct nlattr *y;
		int r;
		switch (mnl_attr_get_type(x)) {
		case WGPEER_A_PRESHARED_KEY:
			if (len != KEY_LEN)
				return -1;
			memcpy(p->preshared_key, mnl_attr_get_payload(x), KEY_LEN);
			p->flags |= WG_PEER_F_HAS_PRESHARED_KEY;
			break;
		case WGPEER_A_FLAGS:
			if (len < 4)
				return -1;
			p->flags |= peer_flags_from_kernel(mnl_attr_get_u32(x));
			break;
		case WGPEER_A_ENDPOINT:
			if (len != sizeof(struct sockaddr_in) &&
			    len != sizeof(struct sockaddr_in6))
				return -1;
			memset(&p->endpoint, 0, sizeof(p->endpoint));
			memcpy(&p->endpoint, mnl_attr_get_payload(x), len);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (len < 2)
				return -1;
			p->persistent_keepalive = mnl_attr_get_u16(x);
			p->flags |= WG_PEER_F_HAS_KEEPALIVE;
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			int64_t ts[2]; /* struct __kernel_timespec */
			if (len != sizeof(ts))
				return -1;
			memcpy(ts, mnl_attr_get_payload(x), sizeof(ts));
			p->last_handshake.tv_sec = (time_t)ts[0];
			p->last_handshake.tv_nsec = (long)ts[1];
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (len < 8)
				return -1;
			p->rx_bytes = mnl_attr_get_u64(x);
			break;
		case WGPEER_A_TX_BYTES:
			if (len < 8)
				return -1;
			p->tx_bytes = mnl_attr_get_u64(x);
			break;
		case WGPEER_A_ALLOWEDIPS:
			mnl_attr_for_each_nested(y, x) {
				if ((r = parse_aip(y, p)))
					return r;
			}
			break;
		}
	}
	return 0;
}

int wg_genl_parse(const struct nlmsghdr *nlh, struct wg_device *dev,
		  char *err, size_t errlen)
{
	const struct nlattr *a, *pn;
	int r = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		size_t len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != KEY_LEN)
				goto bad;
			memcpy(dev->private_key, mnl_attr_get_payload(a), KEY_LEN);
			dev->flags |= WG_DEV_F_HAS_PRIVATE_KEY;
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != KEY_LEN)
				goto bad;
			memcpy(dev->public_key, mnl_attr_get_payload(a), KEY_LEN);
			dev->flags |= WG_DEV_F_HAS_PUBLIC_KEY;
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (len < 2)
				goto bad;
			dev->listen_port = mnl_attr_get_u16(a);
			dev->flags |= WG_DEV_F_HAS_LISTEN_PORT;
			break;
		case WGDEVICE_A_FWMARK:
			if (len < 4)
				goto bad;
			dev->fwmark = mnl_attr_get_u32(a);
			dev->flags |= WG_DEV_F_HAS_FWMARK;
			break;
		case WGDEVICE_A_PEERS: {
			int first = 1;
			mnl_attr_for_each_nested(pn, a) {
				if ((r = parse_peer(pn, dev, first)))
					goto bad;
				first = 0;
			}
			break;
		}
		}
	}
	return HS_OK;
bad:
	if (r == -2)
		return err_set(err, errlen, HS_ESYS,
			       "out of memory parsing a wireguard message");
	return err_set(err, errlen, HS_ESYS, "malformed wireguard netlink message");
}

/* --- the kernel backend --- */

static struct mnl_socket *genl_open(int nsfd, uint16_t *family, char *err,
				    size_t errlen)
{
	int kerr = 0;
	struct mnl_socket *nl;
	if (nl_open_bus_in(nsfd, NETLINK_GENERIC, &nl, err, errlen))
		return NULL;
	if (wg_genl_family(nl, family, &kerr, err, errlen)) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

static int k_create(const char *ifname, struct wg_proc *proc, char *err,
		    size_t errlen)
{
	if (proc)
		memset(proc, 0, sizeof(*proc));
	int rc = wg_ifname_valid(ifname, err, errlen);
	return rc ? rc : link_add_kind(-1, ifname, "wireguard", err, errlen);
}

static int k_set(const char *ifname, int nsfd, const struct wg_device *dev,
		 char *err, size_t errlen)
{
	struct wg_genl_cursor cur = { 0 };
	uint16_t family;
	int rc = wg_ifname_valid(ifname, err, errlen);
	if (!rc)
		rc = wg_device_validate(dev, err, errlen);
	if (rc)
		return rc;
	struct mnl_socket *nl = genl_open(nsfd, &family, err, errlen);
	if (!nl)
		return HS_ESYS;
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf)
		rc = err_sys(err, errlen, "netlink buffer");
	for (int more = 1; !rc && more;) {
		more = wg_genl_build_set(buf, MNL_SOCKET_BUFFER_SIZE, family,
					 ifname, dev, &cur, err, errlen);
		if (more < 0)
			rc = more;
		else if (genl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL, NULL))
			rc = err_sys(err, errlen, "configuring wireguard %s",
				     ifname);
	}
	if (buf) {
		sodium_memzero(buf, MNL_SOCKET_BUFFER_SIZE);
		free(buf);
	}
	mnl_socket_close(nl);
	return rc;
}

struct get_ctx {
	struct wg_device *dev;
	char *err;
	size_t errlen;
	int rc;
};

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	if (!c->rc)
		c->rc = wg_genl_parse(nlh, c->dev, c->err, c->errlen);
	return MNL_CB_OK;
}

static int k_get(const char *ifname, int nsfd, struct wg_device *out,
		 char *err, size_t errlen)
{
	char buf[256] = { 0 };
	uint16_t family;
	struct get_ctx c = { .dev = out, .err = err, .errlen = errlen };

	memset(out, 0, sizeof(*out));
	int rc = wg_ifname_valid(ifname, err, errlen);
	if (rc)
		return rc;
	struct mnl_socket *nl = genl_open(nsfd, &family, err, errlen);
	if (!nl)
		return HS_ESYS;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	if (genl_talk(nl, nlh, get_cb, &c, NULL))
		rc = err_sys(err, errlen, "reading wireguard %s", ifname);
	else
		rc = c.rc;
	mnl_socket_close(nl);
	if (rc)
		wg_device_free(out);
	return rc;
}

static int k_destroy(const char *ifname, int nsfd, struct wg_proc *proc,
		     char *err, size_t errlen)
{
	(void)proc;
	int rc = wg_ifname_valid(ifname, err, errlen);
	return rc ? rc : link_delete(nsfd, ifname, err, errlen);
}

const struct wg_backend wg_backend_kernel = {
	.name = "kernel",
	.create = k_create,
	.set = k_set,
	.get = k_get,
	.destroy = k_destroy,
};

const struct wg_backend *wg_backend_detect(void)
{
	uint16_t family;
	struct mnl_socket *nl = genl_open(-1, &family, NULL, 0);
	if (!nl)
		return &wg_backend_userspace;
	mnl_socket_close(nl);
	return &wg_backend_kernel;
}
