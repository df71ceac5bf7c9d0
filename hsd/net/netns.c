/* netns.c - network namespace switching (see netns.h). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* thread-self, not self: setns() changes the calling thread only. */
#define NETNS_SELF "/proc/thread-self/ns/net"

/* Large enough for one part of any dump (e.g. a WireGuard device's peers);
 * a smaller buffer would truncate the message. */
#define NL_RECV_SIZE 32768

int netns_enter(int target_fd, int *saved_fd, char *err, size_t errlen)
{
	*saved_fd = -1;
	int saved = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return err_sys(err, errlen, "netns: open %s", NETNS_SELF);
	if (setns(target_fd, CLONE_NEWNET) < 0) {
		int rc = err_sys(err, errlen, "netns: setns to fd %d", target_fd);
		close(saved);
		return rc;
	}
	*saved_fd = saved;
	return HS_OK;
}

int netns_leave(int saved_fd, char *err, size_t errlen)
{
	int rc = HS_OK;
	if (setns(saved_fd, CLONE_NEWNET) < 0)
		rc = err_sys(err, errlen, "netns: setns back to the original namespace");
	close(saved_fd);
	return rc;
}

int netns_create(int *out_fd, char *err, size_t errlen)
{
	*out_fd = -1;
	int saved = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return err_sys(err, errlen, "netns: open %s", NETNS_SELF);
	if (unshare(CLONE_NEWNET) < 0) {
		int rc = err_sys(err, errlen, "netns: unshare(CLONE_NEWNET)");
		close(saved);
		return rc;
	}
	int fd = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 ? err_sys(err, errlen, "netns: open new %s", NETNS_SELF) : HS_OK;
	/* Go back even if the open failed; the new namespace then dies with
	 * no reference left. */
	int lrc = netns_leave(saved, rc ? NULL : err, errlen);
	if (rc == HS_OK && lrc != HS_OK) {
		close(fd);
		return lrc;
	}
	if (rc == HS_OK)
		*out_fd = fd;
	return rc;
}

static const char *bus_name(int bus)
{
	switch (bus) {
	case NETLINK_ROUTE:
		return "NETLINK_ROUTE";
	case NETLINK_GENERIC:
		return "NETLINK_GENERIC";
	default:
		return "netlink";
	}
}

int nl_open_in(int netns_fd, struct mnl_socket **out, char *err, size_t errlen)
{
	return nl_open_bus_in(netns_fd, NETLINK_ROUTE, out, err, errlen);
}

int nl_open_bus_in(int netns_fd, int bus, struct mnl_socket **out, char *err,
		   size_t errlen)
{
	int saved = -1;
	*out = NULL;
	if (netns_fd >= 0) {
		int rc = netns_enter(netns_fd, &saved, err, errlen);
		if (rc)
			return rc;
	}
	int rc = HS_OK;
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl)
		rc = err_sys(err, errlen, "netlink: open %s socket", bus_name(bus));
	else if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = err_sys(err, errlen, "netlink: bind %s socket", bus_name(bus));
	if (saved >= 0) {
		int lrc = netns_leave(saved, rc ? NULL : err, errlen);
		if (rc == HS_OK)
			rc = lrc;
	}
	if (rc) {
		if (nl)
			mnl_socket_close(nl);
		return rc;
	}
	*out = nl;
	return HS_OK;
}

int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static unsigned seq_counter;
	char *buf = malloc(NL_RECV_SIZE);
	if (!buf)
		return -ENOMEM;
	unsigned portid = mnl_socket_get_portid(nl);
	/* Both DUMP bits: NLM_F_EXCL alone shares its bit with NLM_F_MATCH. */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	/* Several requests may share a socket within one second. */
	nlh->nlmsg_seq = (unsigned)time(NULL) + ++seq_counter;
	int rc = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		/* mnl_cb_run returns MNL_CB_STOP (0) on the ACK / NLMSG_DONE and
		 * -1 with errno set on an error message. */
		int r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == MNL_CB_STOP)
			break;
	}
out:
	free(buf);
	return rc;
}

/* A relative path with no empty, "." or ".." component: it stays below
 * /proc/sys (an interface name such as "a..b" is still fine). */
static bool sysctl_key_ok(const char *key)
{
	const char *c = key;
	for (;;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

int netns_sysctl_set(int netns_fd, const char *key, const char *value, char *err,
		     size_t errlen)
{
	char path[256];
	if (!sysctl_key_ok(key) ||
	    snprintf(path, sizeof(path), "/proc/sys/%s", key) >= (int)sizeof(path))
		return err_set(err, errlen, HS_EINPUT, "netns: bad sysctl name \"%.64s\"", key);
	int saved = -1, rc = HS_OK;
	if (netns_fd >= 0 && (rc = netns_enter(netns_fd, &saved, err, errlen)))
		return rc;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		rc = err_sys(err, errlen, "netns: open %s", path);
	else {
		size_t n = strlen(value);
		if (write(fd, value, n) != (ssize_t)n)
			rc = err_sys(err, errlen, "netns: write %s", path);
		close(fd);
	}
	if (saved >= 0) {
		int lrc = netns_leave(saved, rc ? NULL : err, errlen);
		if (rc == HS_OK)
			rc = lrc;
	}
	return rc;
}
