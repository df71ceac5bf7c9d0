/* netns.c - network namespace switching (see netns.h). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <unistd.h>

#include "err.h"

/* thread-self, not self: setns() changes the calling thread only. */
#define NETNS_SELF "/proc/thread-self/ns/net"

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

int nl_open_in(int netns_fd, struct mnl_socket **out, char *err, size_t errlen)
{
	int saved = -1;
	*out = NULL;
	if (netns_fd >= 0) {
		int rc = netns_enter(netns_fd, &saved, err, errlen);
		if (rc)
			return rc;
	}
	int rc = HS_OK;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		rc = err_sys(err, errlen, "netlink: open NETLINK_ROUTE socket");
	else if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = err_sys(err, errlen, "netlink: bind NETLINK_ROUTE socket");
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
