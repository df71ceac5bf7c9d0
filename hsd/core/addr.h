/* addr.h - strict parsing of IPv4 addresses, IPv4 CIDR prefixes and
 * underlay endpoints ("a.b.c.d:port", "[v6]:port").
 *
 * The parsers accept one canonical spelling only (no leading zeros, no
 * signs, no spaces, no host names) so that two strings naming the same
 * thing compare equal after normalisation.  On failure they return -1 and
 * point *why at a short static reason suitable for an error message.
 * IPv4 values are uint32_t in host byte order.
 */
#ifndef HS_ADDR_H
#define HS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest normalised endpoint: "[" 45-char IPv6 "]:" 5-digit port, NUL. */
#define ADDR_ENDPOINT_MAX 64
/* Longest "255.255.255.255/32" plus NUL. */
#define ADDR_CIDR_STRLEN 19

/* Network mask of a prefix length 0..32 (host byte order). */
uint32_t addr_mask4(unsigned len);

/* Parse "a.b.c.d/len".  Sets *ip and *len even when host bits are set, so
 * that the caller can suggest the network address; returns -1 with
 * *hostbits = true in that case. */
int addr_parse_cidr4(const char *s, uint32_t *ip, uint8_t *len, bool *hostbits,
		     const char **why);

/* Format "a.b.c.d" into buf (at least 16 bytes). */
void addr_format_ip4(uint32_t ip, char *buf, size_t buflen);
/* Format "a.b.c.d/len" into buf (at least ADDR_CIDR_STRLEN bytes). */
void addr_format_cidr4(uint32_t ip, unsigned len, char *buf, size_t buflen);

/* True when the two prefixes share any address. */
bool addr_cidr4_overlap(uint32_t a, unsigned alen, uint32_t b, unsigned blen);

/* True when inner/ilen lies wholly inside outer/olen. */
bool addr_cidr4_inside(uint32_t inner, unsigned ilen, uint32_t outer, unsigned olen);

/* Parse an endpoint into a sockaddr_in/sockaddr_in6 and write its
 * normalised spelling to norm (ADDR_ENDPOINT_MAX bytes). */
int addr_parse_endpoint(const char *s, struct sockaddr_storage *ss, char *norm,
			size_t normlen, const char **why);

#endif
