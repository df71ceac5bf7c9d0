/* mirror_int.h - between mirror.c (tc: the link, ARP, IPv6 and the
 * server veths' IPv4), mirror_bpf.c (the classifier that copies a server's
 * IPv4) and mirror_nft.c (netfilter: the rest of IPv4). */
#ifndef HS_MIRROR_INT_H
#define HS_MIRROR_INT_H

#include <stdbool.h>
#include <stddef.h>

/* The copies go to an address on no network: with IFF_NOARP on base_if
 * the kernel sends them out of it without asking for a neighbour. */
#define MIRROR_GW "169.254.0.1"
#define MIRROR_GW_ADDR 0xa9fe0001u /* the same, host order */

/* Copy to base_if every IPv4 packet of the base that crosses no tapped
 * server veth (whose classifiers copy its own), once: the nftables table
 * hsd_mirror_BASE_IF, its set of tapped veths empty.  Replaces what an
 * earlier call left. */
int mirror_nft_set(const char *base_if, char *err, size_t errlen);

/* Add server_if to the tapped set (on) or take it out. */
int mirror_nft_tap(const char *base_if, const char *server_if, bool on, char *err,
		   size_t errlen);

/* Remove the table; none there is success. */
int mirror_nft_clear(const char *base_if, char *err, size_t errlen);

/* The most server veths a copy classifier knows (mirror_bpf.c). */
#define MIRROR_SKIP_MAX 256

/* Load the classifier that matches every packet but those received on
 * one of skip[0..nskip) (copied there already), for a filter whose
 * action copies what matches; returns its fd or a negative HS_* code. */
int mirror_prog_load(const int *skip, size_t nskip, char *err, size_t errlen);

#endif
