/* mesh_rtnl.c - netns switching and rtnetlink for the mesh layer. */
#include "mesh_rtnl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* Big enough for any dump part (libmnl 1.0.4 lacks NL_RECV_SIZE). */
#define NL_RECV_SIZE 32768

int mesh_ns_enter(int nsfd, int *saved, char *err, size_t errlen)
{
	*saved = -1;
	if (nsfd < 0)
		return HS_OK;
	/* thread-self: setns() moves only this thread. */
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "opening own network namespace");
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int rc = err_sys(err, errlen, "entering network namespace");
		close(fd);
		return rc;
	}
	*saved = fd;
	return HS_OK;
}

int mesh_ns_leave(int saved, char *err, size_t errlen)
{
	if (saved < 0)
		return HS_OK;
	int rc = HS_OK;
	if (setns(saved, CLONE_NEWNET) < 0)
		rc = err_sys(err, errlen, "returning to own network namespace");
	close(saved);
	return rc;
}

struct mnl_socket *mesh_nl_open(int bus, int nsfd, char *err, size_t errlen)
{
	int saved;
	if (mesh_ns_enter(nsfd, &saved, err, errlen))
		return NULL;
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl)
		err_sys(err, errlen, "opening netlink socket");
	else if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err_sys(err, errlen, "binding netlink socket");
		mnl_socket_close(nl);
		nl = NULL;
	}
	if (mesh_ns_leave(saved, nl ? err : NULL, errlen) && nl) {
		mnl_socket_close(nl);
		nl = NULL;
	}
	return nl;
}

int mesh_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data, int *kerr, char *err, size_t errlen)
{
	static unsigned seq_counter;
	char *buf = malloc(NL_RECV_SIZE);
	unsigned portid = mnl_socket_get_portid(nl);
	int rc = HS_OK;

	if (kerr)
		*kerr = 0;
	if (!buf)
		return err_sys(err, errlen, "netlink buffer");
	nlh->nlmsg_seq = (unsigned)time(NULL) + ++seq_counter;
	/* Both DUMP bits: NLM_F_EXCL alone shares its bit with NLM_F_MATCH. */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = err_sys(err, errlen, "netlink send");
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_sys(err, errlen, "netlink receive");
			break;
		}
		int r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb,
				   data);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			if (kerr)
				*kerr = errno;
			rc = err_sys(err, errlen, "netlink request");
			break;
		}
	}
out:
	free(buf);
	return rc;
}

/* One request on a fresh rtnetlink socket in nsfd. */
static int rtnl_do(int nsfd, struct nlmsghdr *nlh, int *kerr, char *err,
		   size_t errlen)
{
	struct mnl_socket *nl = mesh_nl_open(NETLINK_ROUTE, nsfd, err, errlen);
	if (!nl)
		return HS_ESYS;
	int rc = mesh_nl_talk(nl, nlh, NULL, NULL, kerr, err, errlen);
	mnl_socket_close(nl);
	return rc;
}

/* buf must hold LINK_MSG_SIZE bytes; zeroed so no stack garbage is sent. */
#define LINK_MSG_SIZE 1024
static struct nlmsghdr *link_msg(char *buf, int type, unsigned flags,
				 const char *ifname)
{
	memset(buf, 0, LINK_MSG_SIZE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return nlh;
}

int mesh_link_add_kind(int nsfd, const char *ifname, const char *kind,
		       char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK,
					NLM_F_CREATE | NLM_F_EXCL, ifname);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, li);
	int rc = rtnl_do(nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "creating %s link %s", kind, ifname);
	return rc;
}

int mesh_veth_add(int nsfd, const char *name, const char *peer,
		  int peer_nsfd, char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK,
					NLM_F_CREATE | NLM_F_EXCL, name);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *pi = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow its own ifinfomsg header. */
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
	mnl_attr_nest_end(nlh, pi);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	int rc = rtnl_do(nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "creating veth %s/%s", name, peer);
	return rc;
}

int mesh_link_del(int nsfd, const char *ifname, char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0, ifname);
	int rc = rtnl_do(nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "deleting link %s", ifname);
	return rc;
}

int mesh_link_move(int from_nsfd, const char *ifname, int to_nsfd,
		   char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifname);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)to_nsfd);
	int rc = rtnl_do(from_nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "moving link %s to the mesh namespace",
			ifname);
	return rc;
}

int mesh_link_up(int nsfd, const char *ifname, char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifname);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	int rc = rtnl_do(nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "setting link %s up", ifname);
	return rc;
}

static int index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

/* ifname's index in nsfd: > 0, 0 if absent, < 0 on error. */
static int link_index(int nsfd, const char *ifname, char *err, size_t errlen)
{
	char buf[LINK_MSG_SIZE];
	int index = 0, kerr = 0;
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, ifname);
	struct mnl_socket *nl = mesh_nl_open(NETLINK_ROUTE, nsfd, err, errlen);
	if (!nl)
		return HS_ESYS;
	int rc = mesh_nl_talk(nl, nlh, index_cb, &index, &kerr, err, errlen);
	mnl_socket_close(nl);
	if (rc && kerr == ENODEV)
		return 0;
	if (rc)
		return err_sys(err, errlen, "looking up link %s", ifname);
	return index;
}

int mesh_link_exists(int nsfd, const char *ifname, char *err, size_t errlen)
{
	int idx = link_index(nsfd, ifname, err, errlen);
	return idx < 0 ? idx : idx > 0;
}

int mesh_addr_add(int nsfd, const char *ifname, const struct in_addr *local,
		  unsigned prefixlen, const struct in_addr *peer, char *err,
		  size_t errlen)
{
	char buf[512] = { 0 };
	int idx = link_index(nsfd, ifname, err, errlen);
	if (idx <= 0)
		return idx < 0 ? idx
			       : err_set(err, errlen, HS_ESYS,
					 "link %s not found", ifname);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	/* REPLACE makes re-applying the same address a no-op. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_index = (unsigned)idx;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(*local), local);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(*local), peer ? peer : local);
	int rc = rtnl_do(nsfd, nlh, NULL, err, errlen);
	if (rc)
		err_sys(err, errlen, "adding an address to %s", ifname);
	return rc;
}

int mesh_sysctl_set(int nsfd, const char *key, const char *value, char *err,
		    size_t errlen)
{
	char path[256];
	int saved, rc;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	if ((rc = mesh_ns_enter(nsfd, &saved, err, errlen)))
		return rc;
	/* /proc/sys/net resolves to the opener's network namespace. */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		rc = err_sys(err, errlen, "opening %s", path);
	else {
		size_t n = strlen(value);
		if (write(fd, value, n) != (ssize_t)n)
			rc = err_sys(err, errlen, "writing %s", path);
		close(fd);
	}
	int lrc = mesh_ns_leave(saved, err, errlen);
	return rc ? rc : lrc;
}
