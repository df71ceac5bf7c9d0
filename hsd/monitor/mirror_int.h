/* mirror_int.h - between mirror.c (tc: ARP and IPv6, the link) and
 * mirror_nft.c (netfilter: IPv4). */
#ifndef HS_MIRROR_INT_H
#define HS_MIRROR_INT_H

#include <stddef.h>

/* The copies go to an address on no network: with IFF_NOARP on base_if
 * the kernel sends them out of it without asking for a neighbour. */
#define MIRROR_GW "169.254.0.1"
#define MIRROR_GW_ADDR 0xa9fe0001u /* the same, host order */

/* Copy every IPv4 packet of the base to base_if once (nftables table
 * hsd_mirror_BASE_IF); replaces what an earlier call left. */
int mirror_nft_set(const char *base_if, char *err, size_t errlen);

/* Stop that; no table is success. */
int mirror_nft_clear(const char *base_if, char *err, size_t errlen);

#endif
