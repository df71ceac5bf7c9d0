/* mesh_rtnl.h - the few netns and rtnetlink operations the mesh needs.
 *
 * Private to hsd/mesh (hsd/net has the general versions; the lead may merge
 * them).  nsfd is a network namespace fd, or -1 for the caller's own.  A
 * netlink socket belongs to the namespace it was created in, so sockets are
 * opened while the calling thread is briefly inside nsfd.
 */
#ifndef HS_MESH_RTNL_H
#define HS_MESH_RTNL_H

#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stddef.h>

/* Move the calling thread into nsfd; *saved gets a fd for the way back. */
int mesh_ns_enter(int nsfd, int *saved, char *err, size_t errlen);
/* Return to saved and close it.  Failing to return is fatal to the thread's
 * view of the world, so it is reported (HS_ESYS). */
int mesh_ns_leave(int saved, char *err, size_t errlen);

/* An mnl socket on bus (NETLINK_ROUTE, NETLINK_GENERIC) inside nsfd. */
struct mnl_socket *mesh_nl_open(int bus, int nsfd, char *err, size_t errlen);
/* Send nlh (NLM_F_ACK is added unless it is a dump) and run cb on every
 * reply message until the ACK or NLMSG_DONE.  Returns 0, or HS_ESYS with
 * the kernel's error; *kerr (if non-NULL) gets the positive errno. */
int mesh_nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data, int *kerr, char *err, size_t errlen);

int mesh_link_add_kind(int nsfd, const char *ifname, const char *kind,
		       char *err, size_t errlen);
/* A veth pair: name in nsfd, peer in peer_nsfd. */
int mesh_veth_add(int nsfd, const char *name, const char *peer,
		  int peer_nsfd, char *err, size_t errlen);
int mesh_link_del(int nsfd, const char *ifname, char *err, size_t errlen);
/* Move ifname from from_nsfd into to_nsfd. */
int mesh_link_move(int from_nsfd, const char *ifname, int to_nsfd,
		   char *err, size_t errlen);
int mesh_link_up(int nsfd, const char *ifname, char *err, size_t errlen);
/* 1 if ifname exists in nsfd, 0 if not, < 0 on error. */
int mesh_link_exists(int nsfd, const char *ifname, char *err, size_t errlen);
/* Add (or replace) local/prefixlen on ifname; peer (if non-NULL) makes it
 * a point-to-point address, which routes peer/32 through ifname. */
int mesh_addr_add(int nsfd, const char *ifname, const struct in_addr *local,
		  unsigned prefixlen, const struct in_addr *peer, char *err,
		  size_t errlen);
/* Write value to /proc/sys/<key, with '/'> as seen inside nsfd. */
int mesh_sysctl_set(int nsfd, const char *key, const char *value, char *err,
		    size_t errlen);

#endif
