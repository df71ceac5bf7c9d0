/* netns.h - moving the calling thread between network namespaces, netlink
 * sockets bound to a namespace, and sysctls of a namespace.
 *
 * hsd does this on its single main thread only: setns() affects the
 * calling thread, and everything else (sysctl files under /proc/sys/net,
 * new sockets, libnftables) follows that thread's namespace.  A socket
 * stays in the namespace it was created in, so nl_open_in() enters,
 * creates and leaves again at once.
 *
 * A namespace is named by an open fd (from /proc/PID/ns/net, a bind mount,
 * or netns_create()); -1 means "the namespace the caller is in now".
 */
#ifndef HS_NETNS_H
#define HS_NETNS_H

#include <stddef.h>

#include <libmnl/libmnl.h>

/* Switch the calling thread to target_fd's netns.  *saved_fd receives an
 * fd for the namespace it was in; give it to netns_leave(), which closes
 * it.  On failure nothing changed and *saved_fd is -1. */
int netns_enter(int target_fd, int *saved_fd, char *err, size_t errlen);

/* Return to saved_fd's namespace and close saved_fd (always closed). */
int netns_leave(int saved_fd, char *err, size_t errlen);

/* Create a fresh, empty network namespace held only by *out_fd (close it
 * and the namespace goes away once nothing else uses it).  The caller
 * stays where it was. */
int netns_create(int *out_fd, char *err, size_t errlen);

/* Open and bind a NETLINK_ROUTE socket inside netns_fd (-1 = current). */
int nl_open_in(int netns_fd, struct mnl_socket **out, char *err, size_t errlen);

/* The same for any netlink bus (NETLINK_ROUTE, NETLINK_GENERIC...). */
int nl_open_bus_in(int netns_fd, int bus, struct mnl_socket **out, char *err,
		   size_t errlen);

/* Send nlh on nl and run cb (may be NULL) on every reply message until the
 * ACK or NLMSG_DONE.  NLM_F_ACK is added unless nlh is a dump.  Returns 0
 * or the negative errno the kernel (or the socket) reported; it writes no
 * message, the caller knows best what failed. */
int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Write value to /proc/sys/<key> (e.g. "net/ipv4/ip_forward") as seen in
 * netns_fd (-1 = current): /proc/sys/net shows the namespace of the thread
 * that opens the file, so the thread enters, opens and leaves. */
int netns_sysctl_set(int netns_fd, const char *key, const char *value, char *err,
		     size_t errlen);

#endif
