/* mirror_int.h - between mirror.c (tc: ARP and IPv6, the link) and
 * mirror_nft.c (netfilter: IPv4). */
#ifndef HS_MIRROR_INT_H
#define HS_MIRROR_INT_H

#include <stddef.h>

/* Copy every IPv4 packet of the base to base_if once (nftables table
 * hsd_mirror_BASE_IF); replaces what an earlier call left. */
int mirror_nft_set(const char *base_if, char *err, size_t errlen);

/* Stop that; no table is success. */
int mirror_nft_clear(const char *base_if, char *err, size_t errlen);

#endif
