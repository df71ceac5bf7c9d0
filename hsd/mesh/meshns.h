/* meshns.h - a host's mesh namespace and its per-neighbour WireGuard links.
 *
 * The mesh namespace is a network namespace kept alive by a bind mount at a
 * path the caller chooses (the `ip netns add` technique).  Each neighbour
 * gets its own WireGuard interface with one peer whose AllowedIPs are the
 * cluster's overlay; kernel routes pick the interface.  An interface is created in the
 * caller's (base) namespace, so its UDP socket stays there, and is then
 * moved into the mesh namespace, which is reachable only through tunnels.
 */
#ifndef HS_MESHNS_H
#define HS_MESHNS_H

#include <limits.h>
#include <netinet/in.h>

#include "wg.h"

#define MESHNS_KEEPALIVE 5 /* s: keeps NAT state and shows a dead link */

struct meshns {
	char path[PATH_MAX];
	int fd; /* the namespace, -1 when closed */
	const struct wg_backend *be;
};

/* Create the namespace at path, or re-adopt the one mounted there, and
 * (re)apply loopback up, ip_forward=1 and rp_filter=0 (transit may be
 * asymmetric).  be NULL: wg_backend_detect(). */
int meshns_open(struct meshns *ns, const char *path,
		const struct wg_backend *be, char *err, size_t errlen);
/* Close the fd; the namespace stays (hsd restarts re-adopt it). */
void meshns_close(struct meshns *ns);
/* Unmount and remove the namespace.  Delete the links first: a userspace
 * link's wireguard-go would otherwise keep running. */
int meshns_destroy(struct meshns *ns, char *err, size_t errlen);

struct meshns_link {
	char ifname[WG_IFNAMSIZ];
	uint16_t listen_port;
	uint8_t private_key[KEY_LEN];
	uint8_t peer_public_key[KEY_LEN];
	struct sockaddr_storage peer_endpoint; /* in the base namespace */
	uint16_t keepalive;                    /* 0: MESHNS_KEEPALIVE */
	struct in_addr local;                  /* this host's overlay address */
	struct in_addr peer;                   /* the neighbour's */
	/* The peer's only AllowedIPs entry: the overlay (0/0 when unset).
	 * WireGuard drops what the peer sends from any other source. */
	struct in_addr allowed;
	uint8_t allowed_len;
	/* Filled in: the serving wireguard-go (userspace backend). */
	struct wg_proc proc;
};

/* Create and configure link, or re-apply it to an existing one: then only
 * the differences are set (no handshake reset, no new socket).  After an
 * hsd restart, a running wireguard-go is adopted (link->proc filled). */
int meshns_add_link(struct meshns *ns, struct meshns_link *link, char *err,
		    size_t errlen);
/* The configuration link should have (a set request, keys included: wipe
 * want after use).  peer and aip are want's storage. */
void meshns_link_want(const struct meshns_link *link, struct wg_device *want,
		      struct wg_peer *peer, struct wg_allowedip *aip);
/* Delete the link (stops its wireguard-go, found by socket if link->proc
 * is empty). */
int meshns_del_link(struct meshns *ns, struct meshns_link *link, char *err,
		    size_t errlen);

#endif
