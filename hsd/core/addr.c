/* addr.c - strict IPv4/CIDR/endpoint parsing (see addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

uint32_t addr_mask4(unsigned len)
{
	/* Shifting a 32-bit value by 32 is undefined, hence the special case. */
	if (len == 0)
		return 0;
	if (len >= 32)
		return 0xffffffffu;
	return 0xffffffffu << (32 - len);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse 1..maxdigits decimal digits without a leading zero (a lone "0" is
 * fine).  Advances *p past the digits.  Returns -1 if there are none or the
 * spelling is not canonical; *val may exceed the caller's range. */
static int parse_dec(const char **p, unsigned maxdigits, unsigned long *val)
{
	const char *s = *p;
	unsigned n = 0;
	unsigned long v = 0;

	while (is_digit(s[n])) {
		if (n == maxdigits)
			return -1;
		v = v * 10 + (unsigned long)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	*p = s + n;
	*val = v;
	return 0;
}

/* Parse a dotted quad at *p, advancing past it; trailing text is left for
 * the caller to judge. */
static int scan_ip4(const char **p, uint32_t *ip)
{
	const char *s = *p;
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned long octet;
		if (i > 0 && *s++ != '.')
			return -1;
		if (parse_dec(&s, 3, &octet) < 0 || octet > 255)
			return -1;
		v = (v << 8) | (uint32_t)octet;
	}
	*p = s;
	*ip = v;
	return 0;
}

int addr_parse_cidr4(const char *s, uint32_t *ip, uint8_t *len, bool *hostbits,
		     const char **why)
{
	unsigned long plen;

	*hostbits = false;
	if (scan_ip4(&s, ip) < 0 || *s++ != '/' || parse_dec(&s, 2, &plen) < 0 ||
	    *s != '\0' || plen > 32) {
		*why = "not an IPv4 prefix a.b.c.d/len";
		return -1;
	}
	*len = (uint8_t)plen;
	if (*ip & ~addr_mask4(*len)) {
		*hostbits = true;
		*why = "host bits set";
		return -1;
	}
	return 0;
}

void addr_format_ip4(uint32_t ip, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%u.%u.%u.%u", (ip >> 24) & 0xff, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
}

void addr_format_cidr4(uint32_t ip, unsigned len, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%u.%u.%u.%u/%u", (ip >> 24) & 0xff, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff, len);
}

bool addr_cidr4_overlap(uint32_t a, unsigned alen, uint32_t b, unsigned blen)
{
	/* Two prefixes overlap exactly when the shorter one contains the other. */
	uint32_t m = addr_mask4(alen < blen ? alen : blen);
	return (a & m) == (b & m);
}

bool addr_cidr4_inside(uint32_t inner, unsigned ilen, uint32_t outer, unsigned olen)
{
	return ilen >= olen && (inner & addr_mask4(olen)) == (outer & addr_mask4(olen));
}

static int parse_port(const char *s, uint16_t *port, const char **why)
{
	unsigned long v;

	if (*s == '\0') {
		*why = "missing port number after ':'";
		return -1;
	}
	for (const char *q = s; *q; q++) {
		if (!is_digit(*q)) {
			*why = "port is not a decimal number";
			return -1;
		}
	}
	size_t n = strlen(s);
	if (n > 1 && s[0] == '0') {
		*why = "port has a leading zero";
		return -1;
	}
	if (n > 5 || parse_dec(&s, 5, &v) < 0 || v == 0 || v > 65535) {
		*why = "port out of range 1..65535";
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

static bool ip4_unicast(uint32_t ip)
{
	/* 0.0.0.0/8 ("this network"), multicast and broadcast cannot be a peer. */
	return (ip >> 24) != 0 && (ip >> 28) != 0xe && ip != 0xffffffffu;
}

static int endpoint4(const char *s, struct sockaddr_storage *ss, char *norm,
		     size_t normlen, const char **why)
{
	uint32_t ip;
	uint16_t port;
	const char *p = s;

	if (scan_ip4(&p, &ip) < 0 || *p != ':') {
		*why = "not an IPv4 address before ':'";
		return -1;
	}
	if (!ip4_unicast(ip)) {
		*why = "address is not a unicast address";
		return -1;
	}
	if (parse_port(p + 1, &port, why) < 0)
		return -1;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(ip);
	snprintf(norm, normlen, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff, port);
	return 0;
}

static int endpoint6(const char *s, struct sockaddr_storage *ss, char *norm,
		     size_t normlen, const char **why)
{
	char text[INET6_ADDRSTRLEN];
	const char *close = strchr(s, ']');
	struct in6_addr a;
	uint16_t port;

	if (!close) {
		*why = "missing ']' after IPv6 address";
		return -1;
	}
	size_t n = (size_t)(close - s - 1);
	if (n == 0 || n >= sizeof(text)) {
		*why = "not an IPv6 address inside [ ]";
		return -1;
	}
	memcpy(text, s + 1, n);
	text[n] = '\0';
	/* inet_pton rejects zone ids ("%eth0"), which a cluster file cannot use:
	 * the interface name differs from host to host. */
	if (inet_pton(AF_INET6, text, &a) != 1) {
		*why = "not an IPv6 address inside [ ]";
		return -1;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a)) {
		*why = "address is not a unicast address";
		return -1;
	}
	if (close[1] != ':') {
		*why = close[1] ? "expected ':' after ']'" : "missing :port";
		return -1;
	}
	if (parse_port(close + 2, &port, why) < 0)
		return -1;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a;
	inet_ntop(AF_INET6, &a, text, sizeof(text));
	snprintf(norm, normlen, "[%s]:%u", text, port);
	return 0;
}

int addr_parse_endpoint(const char *s, struct sockaddr_storage *ss, char *norm,
			size_t normlen, const char **why)
{
	memset(ss, 0, sizeof(*ss));
	if (*s == '\0') {
		*why = "empty endpoint";
		return -1;
	}
	if (strlen(s) >= ADDR_ENDPOINT_MAX) {
		*why = "endpoint too long";
		return -1;
	}
	if (s[0] == '[')
		return endpoint6(s, ss, norm, normlen, why);

	const char *colon = strchr(s, ':');
	if (!colon) {
		*why = "missing :port";
		return -1;
	}
	if (strchr(colon + 1, ':')) {
		*why = "IPv6 addresses must be bracketed, as in [2001:db8::1]:51820";
		return -1;
	}
	return endpoint4(s, ss, norm, normlen, why);
}
