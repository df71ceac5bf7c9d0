/* wg_genl.h - the kernel WireGuard backend over generic netlink.
 *
 * The kernel finds the device in the netlink socket's network namespace,
 * so sockets are opened inside the namespace the interface is in.  Message
 * building and parsing are exposed so they can be tested without the
 * module.
 */
#ifndef HS_WG_GENL_H
#define HS_WG_GENL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "wg.h"

/* Resolve the "wireguard" family on nl: 0 and *id, or HS_ESYS (ENOENT in
 * *kerr when the module is absent). */
int wg_genl_family(struct mnl_socket *nl, uint16_t *id, int *kerr, char *err,
		   size_t errlen);

/* Progress through a set request split over several messages. */
struct wg_genl_cursor {
	size_t peer;  /* next peer to send */
	size_t aip;   /* next allowed IP of that peer (> 0: continuing) */
	int dev_done; /* device attributes sent */
};

/* Build the next WG_CMD_SET_DEVICE message of dev (already validated) into
 * buf (size bytes) and advance cur.  Returns 1 if more messages follow, 0
 * for the last, HS_EINPUT if buf cannot hold even one peer.  A peer whose
 * allowed IPs do not fit continues in the next message under its public
 * key with only UPDATE_ONLY kept: REPLACE_ALLOWEDIPS must not repeat. */
int wg_genl_build_set(char *buf, size_t size, uint16_t family,
		      const char *ifname, const struct wg_device *dev,
		      struct wg_genl_cursor *cur, char *err, size_t errlen);

/* Merge one device message (a GET reply part, or a SET message for tests)
 * into dev: a first peer equal to dev's last peer continues it.
 * HS_ESYS on a malformed message or no memory. */
int wg_genl_parse(const struct nlmsghdr *nlh, struct wg_device *dev,
		  char *err, size_t errlen);

#endif
