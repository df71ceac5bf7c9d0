/* meshfw.h - the mesh namespace's firewall: nftables table "ip hsd_mesh".
 *
 * Audit spaces sit on veths hsa<N> in the mesh namespace and keep
 * CAP_NET_RAW (tcpdump on mon0 needs it), so they can craft any packet.
 * The table makes the overlay trust what WireGuard authenticated and
 * nothing else:
 *   prerouting  anti-spoof: a packet from hsa<N> must carry exactly that
 *               audit space's address (strict reverse path: the only route
 *               back to it is the /32 via hsa<N>, and it is neither a host's
 *               mesh address nor outside this host's prefix); a packet from
 *               a WireGuard link never carries this host's own prefix
 *   input       nothing from an audit veth; from WireGuard links only hosts'
 *               mesh addresses; route packets (UDP route_port) only from the
 *               neighbour that owns the link they came in on; hsd's peer
 *               port (TCP peer_port) and the fleet database's (TCP
 *               fleetdb_port: Raft and its clients) from any host's mesh
 *               address (calls cross several hops); everything else dropped
 *   forward     nothing from an audit veth to any host's mesh address, and
 *               no host's mesh address talks to an audit space (ICMP errors
 *               excepted)
 * Named counters: spoofed, audit_to_mesh, refused.  The table is always
 * replaced whole in one transaction.
 */
#ifndef HS_MESHFW_H
#define HS_MESHFW_H

#include <stddef.h>
#include <stdint.h>

#include "wg.h"

#define MESHFW_TABLE "hsd_mesh"

struct meshfw_neigh {
	char ifname[WG_IFNAMSIZ]; /* the WireGuard link to the neighbour */
	uint32_t addr;            /* its mesh address, host byte order */
};

struct meshfw {
	uint32_t prefix;          /* this host's overlay prefix, host order */
	uint8_t prefix_len;
	const uint32_t *hosts;    /* every host's mesh address (ours too) */
	size_t nhosts;
	const struct meshfw_neigh *neigh;
	size_t nneigh;
	uint16_t route_port, peer_port, fleetdb_port;
};

/* The nft script meshfw_apply() runs; *out is malloc'd. */
int meshfw_render(const struct meshfw *fw, char **out, char *err, size_t errlen);

/* Replace the table in the network namespace nsfd (-1: the current one). */
int meshfw_apply(int nsfd, const struct meshfw *fw, char *err, size_t errlen);

/* Packets counted by named counter name of the table in nsfd. */
int meshfw_counter(int nsfd, const char *name, uint64_t *packets, char *err,
		   size_t errlen);

#endif
