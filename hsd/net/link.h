/* link.h - network interfaces, addresses and routes over rtnetlink.
 *
 * Every function takes the namespace to work in as an fd (-1 = the
 * caller's current one) and opens its own short-lived NETLINK_ROUTE socket
 * there (see netns.h), so the caller never has to switch namespaces.
 * Interface names are checked with link_name_valid() first: 1..15 bytes of
 * [A-Za-z0-9_.-], because the kernel's limit is IFNAMSIZ-1 and the names
 * also end up inside nftables rules.  IPv4 values are host byte order.
 */
#ifndef HS_LINK_H
#define HS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_NAME_MAX 15

/* True when name is a usable interface name; else *why says why. */
bool link_name_valid(const char *name, const char **why);

/* Create a veth pair: host_if in the current namespace, its peer created
 * directly inside peer_netns_fd (-1 = here too) under peer_name (e.g.
 * "eth0").  Creating the peer in place means no temporary name can clash
 * with an interface in the base and there is no half-moved state.  Both
 * ends are left down.  host_if existing already is HS_ESTATE. */
int link_veth_create(const char *host_if, int peer_netns_fd, const char *peer_name,
		     char *err, size_t errlen);

/* Create ifname of the given kind (IFLA_INFO_KIND, e.g. "wireguard") with
 * no further options, left down.  ifname existing already is HS_ESTATE. */
int link_add_kind(int netns_fd, const char *ifname, const char *kind, char *err,
		  size_t errlen);

/* Move ifname from from_netns_fd into to_netns_fd, renaming it to new_name
 * on the way when new_name is not NULL.  Used e.g. for an interface that
 * must be created in the base and then live elsewhere (WireGuard). */
int link_move_to_netns(int from_netns_fd, const char *ifname, int to_netns_fd,
		       const char *new_name, char *err, size_t errlen);

/* Set ifname's MTU (the kernel refuses one beyond the device's maximum:
 * 65535 for a veth). */
int link_set_mtu(int netns_fd, const char *ifname, unsigned mtu, char *err, size_t errlen);

/* Bring ifname up. */
int link_set_up(int netns_fd, const char *ifname, char *err, size_t errlen);

/* Add (or replace) addr/plen on ifname. */
int link_addr_add(int netns_fd, const char *ifname, uint32_t addr, uint8_t plen,
		  char *err, size_t errlen);

/* Add (or replace) the point-to-point address local/plen with far end peer
 * on ifname (IFA_LOCAL local, IFA_ADDRESS peer), which routes peer/plen
 * out of ifname. */
int link_addr_add_peer(int netns_fd, const char *ifname, uint32_t local, uint8_t plen,
		       uint32_t peer, char *err, size_t errlen);

/* Add (or replace) the default route via gw out of ifname (main table). */
int link_route_add_default(int netns_fd, uint32_t gw, const char *ifname,
			   char *err, size_t errlen);

/* Add or replace the route dst/plen (gw 0: none; ifname NULL: none) of
 * type RTN_UNICAST, RTN_UNREACHABLE... with routing protocol proto. */
int link_route_replace(int netns_fd, uint32_t dst, uint8_t plen, uint32_t gw,
		       const char *ifname, uint8_t type, uint8_t proto, char *err,
		       size_t errlen);
/* Add or replace addr/32 via addr on link out of ifname, metric its
 * index: one such route per device, which the kernel caches (a lookup
 * that names the device finds its own). */
int link_route_onlink(int netns_fd, uint32_t addr, const char *ifname, char *err, size_t errlen);
/* Delete the route dst/plen; absent is fine. */
int link_route_delete(int netns_fd, uint32_t dst, uint8_t plen, char *err,
		      size_t errlen);

/* Delete ifname; absent is success.  Deleting one end of a veth pair
 * removes the other end too, wherever it is. */
int link_delete(int netns_fd, const char *ifname, char *err, size_t errlen);

/* *index = ifindex of ifname, or 0 (and HS_OK) when there is none. */
/* Wait until ifname is operational (IFF_RUNNING: carrier up, as the
 * kernel's link watch reports it, up to a second after "up"). */
int link_wait_running(int netns_fd, const char *ifname, int timeout_ms, char *err,
		      size_t errlen);

int link_index(int netns_fd, const char *ifname, int *index, char *err, size_t errlen);

/* A veth end in the current namespace: its index, its MAC and its peer's
 * (which may sit in another namespace). */
int link_veth_macs(const char *ifname, int *index, uint8_t mac[6], uint8_t peer_mac[6],
		   char *err, size_t errlen);

/* *exists = whether ifname is present. */
int link_exists(int netns_fd, const char *ifname, bool *exists, char *err, size_t errlen);

#endif
