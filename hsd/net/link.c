/* link.c - rtnetlink requests for links, addresses and routes (see link.h). */
#include "link.h"

#include <errno.h>
#include <stdbool.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <endian.h>

#include "err.h"
#include "netns.h"

bool link_name_valid(const char *name, const char **why)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0) {
		*why = "empty interface name";
		return false;
	}
	if (n > LINK_NAME_MAX) {
		*why = "interface name longer than 15 characters";
		return false;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		*why = "interface name may not be . or ..";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
		if (!ok) {
			*why = "interface name may only hold letters, digits, '_', '-' and '.'";
			return false;
		}
	}
	return true;
}

static int check_name(const char *name, char *err, size_t errlen)
{
	const char *why;
	if (!link_name_valid(name, &why))
		return err_set(err, errlen, HS_EINPUT, "link: \"%.32s\": %s", name ? name : "", why);
	return HS_OK;
}

/* Run one request inside netns_fd.  On failure err names what and errno. */
static int nl_do(int netns_fd, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, int *kerr,
		 char *err, size_t errlen)
{
	struct mnl_socket *nl;
	int rc = nl_open_in(netns_fd, &nl, err, errlen);
	if (rc)
		return rc;
	*kerr = nl_talk(nl, nlh, cb, data);
	mnl_socket_close(nl);
	return HS_OK;
}

/* Zero the whole buffer: older libmnl leaves attribute padding as it was,
 * and the kernel should never see stack garbage. */
static struct nlmsghdr *msg_start(char *buf, size_t size, uint16_t type, uint16_t flags)
{
	memset(buf, 0, size);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int getlink_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

static int getflags_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(unsigned *)data = ifi->ifi_flags;
	return MNL_CB_OK;
}

int link_wait_running(int netns_fd, const char *ifname, int timeout_ms, char *err,
		      size_t errlen)
{
	for (int waited = 0;; waited += 20) {
		char buf[512];
		struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_GETLINK, 0);
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		unsigned flags = 0;
		int kerr, rc;

		ifi->ifi_family = AF_UNSPEC;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		if ((rc = nl_do(netns_fd, nlh, getflags_cb, &flags, &kerr, err, errlen)))
			return rc;
		if (!kerr && (flags & IFF_RUNNING))
			return HS_OK;
		if (waited >= timeout_ms)
			return err_set(err, errlen, HS_ESYS, "link: %s did not come up within %d ms",
				       ifname, timeout_ms);
		usleep(20 * 1000);
	}
}

int link_index(int netns_fd, const char *ifname, int *index, char *err, size_t errlen)
{
	*index = 0;
	int rc = check_name(ifname, err, errlen);
	if (rc)
		return rc;
	char buf[512];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	/* Skip the statistics; only the index is wanted. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	int kerr, found = 0;
	rc = nl_do(netns_fd, nlh, getlink_cb, &found, &kerr, err, errlen);
	if (rc)
		return rc;
	if (kerr == -ENODEV)
		return HS_OK;
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "link: look up %s", ifname);
	}
	*index = found;
	return HS_OK;
}

struct link_info {
	int index, peer_index, peer_nsid;
	uint8_t mac[6];
	bool has_mac;
};

static int linkinfo_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	li->index = ifi->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == 6) {
			memcpy(li->mac, mnl_attr_get_payload(a), 6);
			li->has_mac = true;
		} else if (t == IFLA_LINK && mnl_attr_get_payload_len(a) == 4) {
			li->peer_index = (int)mnl_attr_get_u32(a);
		} else if (t == IFLA_LINK_NETNSID && mnl_attr_get_payload_len(a) == 4) {
			li->peer_nsid = (int)mnl_attr_get_u32(a);
		}
	}
	return MNL_CB_OK;
}

/* RTM_GETLINK by name (index 0) or by index in the namespace nsid (-1 =
 * the socket's own). */
static int link_get(const char *ifname, int index, int nsid, struct link_info *li,
		    char *err, size_t errlen)
{
	char buf[512];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int kerr, rc;

	memset(li, 0, sizeof(*li));
	li->peer_nsid = -1;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	if (!index)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (nsid >= 0)
		mnl_attr_put_u32(nlh, IFLA_TARGET_NETNSID, (uint32_t)nsid);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if ((rc = nl_do(-1, nlh, linkinfo_cb, li, &kerr, err, errlen)))
		return rc;
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "link: look up %s%s", ifname, index ? "'s peer" : "");
	}
	if (!li->has_mac)
		return err_set(err, errlen, HS_ESTATE, "link: %s%s has no MAC address", ifname,
			       index ? "'s peer" : "");
	return HS_OK;
}

int link_veth_macs(const char *ifname, int *index, uint8_t mac[6], uint8_t peer_mac[6],
		   char *err, size_t errlen)
{
	struct link_info me, peer;
	int rc = check_name(ifname, err, errlen);

	if (rc || (rc = link_get(ifname, 0, -1, &me, err, errlen)))
		return rc;
	if (me.peer_index <= 0)
		return err_set(err, errlen, HS_ESTATE, "link: %s has no peer", ifname);
	if ((rc = link_get(ifname, me.peer_index, me.peer_nsid, &peer, err, errlen)))
		return rc;
	*index = me.index;
	memcpy(mac, me.mac, 6);
	memcpy(peer_mac, peer.mac, 6);
	return HS_OK;
}

int link_exists(int netns_fd, const char *ifname, bool *exists, char *err, size_t errlen)
{
	int idx;
	int rc = link_index(netns_fd, ifname, &idx, err, errlen);
	*exists = rc == HS_OK && idx > 0;
	return rc;
}

/* Look ifname up and fail with "no such interface" when it is absent. */
static int need_index(int netns_fd, const char *ifname, int *idx, char *err, size_t errlen)
{
	int rc = link_index(netns_fd, ifname, idx, err, errlen);
	if (rc == HS_OK && *idx == 0)
		rc = err_set(err, errlen, HS_ESTATE, "link: no interface %s", ifname);
	return rc;
}

/* Start an RTM_NEWLINK creating ifname of the given kind; *linkinfo is
 * left open for IFLA_INFO_DATA. */
static struct nlmsghdr *newlink_start(char *buf, size_t size, const char *ifname,
				      const char *kind, struct nlattr **linkinfo)
{
	struct nlmsghdr *nlh = msg_start(buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	*linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	return nlh;
}

/* Send a newlink_start() request; name in use is HS_ESTATE "link: <exists>:
 * ...", any other failure "link: create <what>: <errno>". */
static int newlink_send(int netns_fd, struct nlmsghdr *nlh, const char *exists,
			const char *what, char *err, size_t errlen)
{
	int kerr;
	int rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen);
	if (rc)
		return rc;
	if (kerr == -EEXIST)
		return err_set(err, errlen, HS_ESTATE,
			       "link: %s: an interface of that name exists", exists);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "link: create %s", what);
	}
	return HS_OK;
}

int link_veth_create(const char *host_if, int peer_netns_fd, const char *peer_name,
		     char *err, size_t errlen)
{
	int rc = check_name(host_if, err, errlen);
	if (rc == HS_OK)
		rc = check_name(peer_name, err, errlen);
	if (rc)
		return rc;
	char buf[1024], exists[48], what[48];
	struct nlattr *linkinfo;
	struct nlmsghdr *nlh = newlink_start(buf, sizeof(buf), host_if, "veth", &linkinfo);
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow its own ifinfomsg header. */
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	snprintf(exists, sizeof(exists), "veth %s/%s", host_if, peer_name);
	snprintf(what, sizeof(what), "veth %s (peer %s)", host_if, peer_name);
	return newlink_send(-1, nlh, exists, what, err, errlen);
}

int link_add_kind(int netns_fd, const char *ifname, const char *kind, char *err,
		  size_t errlen)
{
	int rc = check_name(ifname, err, errlen);
	if (rc)
		return rc;
	if (!kind || !kind[0] || strlen(kind) > 32)
		return err_set(err, errlen, HS_EINPUT, "link: %s: bad link kind", ifname);
	char buf[512], what[64];
	struct nlattr *linkinfo;
	struct nlmsghdr *nlh = newlink_start(buf, sizeof(buf), ifname, kind, &linkinfo);
	mnl_attr_nest_end(nlh, linkinfo);
	snprintf(what, sizeof(what), "%s %s", kind, ifname);
	return newlink_send(netns_fd, nlh, what, what, err, errlen);
}

int link_move_to_netns(int from_netns_fd, const char *ifname, int to_netns_fd,
		       const char *new_name, char *err, size_t errlen)
{
	int rc = check_name(ifname, err, errlen);
	if (rc == HS_OK && new_name)
		rc = check_name(new_name, err, errlen);
	int idx = 0;
	if (rc == HS_OK)
		rc = need_index(from_netns_fd, ifname, &idx, err, errlen);
	if (rc)
		return rc;
	char buf[512];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)to_netns_fd);
	/* With IFLA_NET_NS_FD the kernel uses IFLA_IFNAME as the name in the
	 * target namespace, so move and rename are one step. */
	if (new_name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name);
	int kerr;
	rc = nl_do(from_netns_fd, nlh, NULL, NULL, &kerr, err, errlen);
	if (rc)
		return rc;
	if (kerr == -EEXIST)
		return err_set(err, errlen, HS_ESTATE,
			       "link: move %s: the target namespace has an interface %s", ifname,
			       new_name ? new_name : ifname);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "link: move %s to another namespace", ifname);
	}
	return HS_OK;
}

/* One RTM_NEWLINK on ifname: the flags in change set to their value in
 * flags, and the MTU when mtu is not 0.  what names it in an error. */
static int link_change(int netns_fd, const char *ifname, unsigned flags, unsigned change,
		       unsigned mtu, const char *what, char *err, size_t errlen)
{
	int idx, rc = need_index(netns_fd, ifname, &idx, err, errlen);
	if (rc)
		return rc;
	char buf[512];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	int kerr;
	if ((rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen)))
		return rc;
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "link: %s %s", what, ifname);
	}
	return HS_OK;
}

int link_set_up(int netns_fd, const char *ifname, char *err, size_t errlen)
{
	return link_change(netns_fd, ifname, IFF_UP, IFF_UP, 0, "set up", err, errlen);
}

int link_set_mtu(int netns_fd, const char *ifname, unsigned mtu, char *err, size_t errlen)
{
	return link_change(netns_fd, ifname, 0, 0, mtu, "set the MTU of", err, errlen);
}

static void addr_fmt(char *out, size_t len, uint32_t a)
{
	snprintf(out, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* RTM_NEWADDR with IFA_LOCAL local and IFA_ADDRESS address: the same for
 * an ordinary address, the far end for a point-to-point one. */
static int addr_add(int netns_fd, const char *ifname, uint32_t local, uint8_t plen,
		    uint32_t address, char *err, size_t errlen)
{
	if (plen > 32)
		return err_set(err, errlen, HS_EINPUT, "link: prefix length %u > 32", plen);
	int idx, rc = need_index(netns_fd, ifname, &idx, err, errlen);
	if (rc)
		return rc;
	char buf[512];
	/* REPLACE keeps this idempotent when hsd re-adopts a running space. */
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)idx;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htobe32(local));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htobe32(address));
	int kerr;
	rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen);
	if (rc)
		return rc;
	if (kerr) {
		char l[16], p[16];
		errno = -kerr;
		addr_fmt(l, sizeof(l), local);
		addr_fmt(p, sizeof(p), address);
		return err_sys(err, errlen, "link: add %s/%u%s%s to %s", l, plen,
			       local != address ? " peer " : "", local != address ? p : "",
			       ifname);
	}
	return HS_OK;
}

int link_addr_add(int netns_fd, const char *ifname, uint32_t addr, uint8_t plen,
		  char *err, size_t errlen)
{
	return addr_add(netns_fd, ifname, addr, plen, addr, err, errlen);
}

int link_addr_add_peer(int netns_fd, const char *ifname, uint32_t local, uint8_t plen,
		       uint32_t peer, char *err, size_t errlen)
{
	return addr_add(netns_fd, ifname, local, plen, peer, err, errlen);
}

static void route_fmt(char *out, size_t len, uint32_t dst, uint8_t plen)
{
	snprintf(out, len, "%u.%u.%u.%u/%u", dst >> 24, (dst >> 16) & 255,
		 (dst >> 8) & 255, dst & 255, plen);
}

/* One route written: dst/plen, gw (0: none), out of ifname (NULL: none),
 * with RTNH_F_ONLINK and a metric when onlink (the metric: the device's
 * index, so each device has a route of its own to the same address). */
static int route_put(int netns_fd, uint32_t dst, uint8_t plen, uint32_t gw, const char *ifname,
		     uint8_t type, uint8_t proto, bool onlink, char *err, size_t errlen)
{
	int idx = 0, rc;
	char buf[512], what[32];

	if (ifname && (rc = need_index(netns_fd, ifname, &idx, err, errlen)))
		return rc;
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = proto;
	rtm->rtm_type = type;
	rtm->rtm_scope = type == RTN_UNICAST && !gw && idx ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (onlink)
		rtm->rtm_flags = RTNH_F_ONLINK;
	if (plen)
		mnl_attr_put_u32(nlh, RTA_DST, htobe32(dst));
	if (gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htobe32(gw));
	if (idx)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
	if (onlink)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, (uint32_t)idx);
	int kerr;
	if ((rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen)))
		return rc;
	if (kerr) {
		errno = -kerr;
		route_fmt(what, sizeof(what), dst, plen);
		return err_sys(err, errlen, "link: route %s%s%s", what, ifname ? " dev " : "",
			       ifname ? ifname : "");
	}
	return HS_OK;
}

int link_route_replace(int netns_fd, uint32_t dst, uint8_t plen, uint32_t gw,
		       const char *ifname, uint8_t type, uint8_t proto, char *err,
		       size_t errlen)
{
	return route_put(netns_fd, dst, plen, gw, ifname, type, proto, false, err, errlen);
}

int link_route_onlink(int netns_fd, uint32_t addr, const char *ifname, char *err, size_t errlen)
{
	return route_put(netns_fd, addr, 32, addr, ifname, RTN_UNICAST, RTPROT_STATIC, true, err,
			 errlen);
}

int link_route_delete(int netns_fd, uint32_t dst, uint8_t plen, char *err,
		      size_t errlen)
{
	char buf[512], what[32];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_DELROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	int kerr, rc;

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	if (plen)
		mnl_attr_put_u32(nlh, RTA_DST, htobe32(dst));
	if ((rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen)))
		return rc;
	if (kerr && kerr != -ESRCH) {
		errno = -kerr;
		route_fmt(what, sizeof(what), dst, plen);
		return err_sys(err, errlen, "link: delete route %s", what);
	}
	return HS_OK;
}

int link_route_add_default(int netns_fd, uint32_t gw, const char *ifname, char *err,
			   size_t errlen)
{
	return link_route_replace(netns_fd, 0, 0, gw, ifname, RTN_UNICAST, RTPROT_STATIC,
				  err, errlen);
}

int link_delete(int netns_fd, const char *ifname, char *err, size_t errlen)
{
	int rc = check_name(ifname, err, errlen);
	if (rc)
		return rc;
	char buf[512];
	struct nlmsghdr *nlh = msg_start(buf, sizeof(buf), RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	int kerr;
	rc = nl_do(netns_fd, nlh, NULL, NULL, &kerr, err, errlen);
	if (rc)
		return rc;
	if (kerr && kerr != -ENODEV) {
		errno = -kerr;
		return err_sys(err, errlen, "link: delete %s", ifname);
	}
	return HS_OK;
}
