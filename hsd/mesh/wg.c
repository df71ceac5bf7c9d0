/* wg.c - validation and helpers shared by the WireGuard backends. */
#include "wg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "hexdigit.h"

int wg_ifname_valid(const char *ifname, char *err, size_t errlen)
{
	size_t n = ifname ? strlen(ifname) : 0;

	if (n == 0 || n >= WG_IFNAMSIZ)
		return err_set(err, errlen, HS_EINPUT,
			       "interface name must be 1-%d characters",
			       WG_IFNAMSIZ - 1);
	/* The name becomes a file name under /var/run/wireguard. */
	if (!strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return err_set(err, errlen, HS_EINPUT,
			       "interface name \"%s\" is reserved", ifname);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ifname[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':')
			return err_set(err, errlen, HS_EINPUT,
				       "interface name \"%s\" has a bad character",
				       ifname);
	}
	return HS_OK;
}

int wg_key_is_zero(const uint8_t key[KEY_LEN])
{
	uint8_t acc = 0;
	for (int i = 0; i < KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

int wg_key_from_hex(const char *hex, uint8_t key[KEY_LEN])
{
	if (strlen(hex) != 2 * KEY_LEN)
		return -1;
	for (int i = 0; i < KEY_LEN; i++) {
		int hi = hex_digit((unsigned char)hex[2 * i]), lo = hex_digit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int wg_endpoint_format(const struct sockaddr_storage *ss, char *out,
		       size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		n = snprintf(out, outlen, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		n = snprintf(out, outlen, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		return -1;
	}
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65535 || s[0] == '-' || s[0] == '+')
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int wg_endpoint_parse(const char *text, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' ||
		    (size_t)(close - text - 1) >= sizeof(host))
			return -1;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = 0;
		/* A scope id (%eth0) would need if_nametoindex; refuse it. */
		struct sockaddr_in6 *sin6 = (void *)ss;
		if (parse_port(close + 2, &port) ||
		    inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	struct sockaddr_in *sin = (void *)ss;
	if (parse_port(colon + 1, &port) ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return 0;
}

int wg_allowedip_parse(const char *text, struct wg_allowedip *aip)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	char *end;

	memset(aip, 0, sizeof(*aip));
	if (!slash || (size_t)(slash - text) >= sizeof(ip) || !slash[1])
		return -1;
	memcpy(ip, text, (size_t)(slash - text));
	ip[slash - text] = 0;
	errno = 0;
	unsigned long cidr = strtoul(slash + 1, &end, 10);
	if (errno || *end || slash[1] == '-' || slash[1] == '+')
		return -1;
	if (inet_pton(AF_INET, ip, &aip->addr.v4) == 1) {
		aip->family = AF_INET;
		if (cidr > 32)
			return -1;
	} else if (inet_pton(AF_INET6, ip, &aip->addr.v6) == 1) {
		aip->family = AF_INET6;
		if (cidr > 128)
			return -1;
	} else {
		return -1;
	}
	aip->cidr = (uint8_t)cidr;
	return 0;
}

int wg_allowedip_format(const struct wg_allowedip *aip, char *out,
			size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	if ((aip->family != AF_INET && aip->family != AF_INET6) ||
	    !inet_ntop(aip->family, &aip->addr, ip, sizeof(ip)))
		return -1;
	int n = snprintf(out, outlen, "%s/%u", ip, aip->cidr);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* Capacity is 4 below 4 elements, else the next power of two, so the
 * arrays need no capacity field. */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n == 0)
		return realloc(arr, 4 * size);
	if (n < 4 || (n & (n - 1)))
		return arr;
	return realloc(arr, 2 * n * size);
}

struct wg_peer *wg_device_add_peer(struct wg_device *dev)
{
	struct wg_peer *p = grow(dev->peers, dev->n_peers, sizeof(*p));
	if (!p)
		return NULL;
	dev->peers = p;
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	return p;
}

struct wg_allowedip *wg_peer_add_allowed(struct wg_peer *peer)
{
	struct wg_allowedip *a = grow(peer->allowed, peer->n_allowed, sizeof(*a));
	if (!a)
		return NULL;
	peer->allowed = a;
	a = &peer->allowed[peer->n_allowed++];
	memset(a, 0, sizeof(*a));
	return a;
}

void wg_device_free(struct wg_device *dev)
{
	for (size_t i = 0; i < dev->n_peers; i++) {
		free(dev->peers[i].allowed);
		sodium_memzero(dev->peers[i].preshared_key, KEY_LEN);
	}
	free(dev->peers);
	sodium_memzero(dev, sizeof(*dev));
}

static int validate_peer(const struct wg_device *dev, size_t i, char *err,
			 size_t errlen)
{
	const struct wg_peer *p = &dev->peers[i];
	const uint32_t known = WG_PEER_F_REMOVE | WG_PEER_F_UPDATE_ONLY |
			       WG_PEER_F_REPLACE_ALLOWEDIPS |
			       WG_PEER_F_HAS_KEEPALIVE |
			       WG_PEER_F_HAS_PRESHARED_KEY;
	char pub[KEY_B64_LEN + 1];

	/* Naming a peer by its public key is fine: it is public. */
	key_to_base64(p->public_key, pub);
	if (wg_key_is_zero(p->public_key))
		return err_set(err, errlen, HS_EINPUT,
			       "peer %zu has an all-zero public key", i);
	if (p->flags & ~known)
		return err_set(err, errlen, HS_EINPUT,
			       "peer %s has unknown flags 0x%x", pub, p->flags);
	if ((dev->flags & WG_DEV_F_HAS_PRIVATE_KEY) &&
	    !wg_key_is_zero(dev->private_key)) {
		uint8_t own[KEY_LEN];
		key_public_of(dev->private_key, own);
		int self = !memcmp(own, p->public_key, KEY_LEN);
		sodium_memzero(own, sizeof(own));
		/* WireGuard silently ignores such a peer; say so instead. */
		if (self)
			return err_set(err, errlen, HS_EINPUT,
				       "peer %s is the device's own key", pub);
	}
	if ((p->flags & WG_PEER_F_REMOVE) &&
	    (p->n_allowed || p->endpoint.ss_family ||
	     (p->flags & (WG_PEER_F_HAS_KEEPALIVE |
			  WG_PEER_F_HAS_PRESHARED_KEY |
			  WG_PEER_F_REPLACE_ALLOWEDIPS))))
		return err_set(err, errlen, HS_EINPUT,
			       "peer %s is removed and configured at once", pub);
	if (p->endpoint.ss_family) {
		const struct sockaddr_in *sin = (const void *)&p->endpoint;
		const struct sockaddr_in6 *sin6 = (const void *)&p->endpoint;
		if (p->endpoint.ss_family != AF_INET &&
		    p->endpoint.ss_family != AF_INET6)
			return err_set(err, errlen, HS_EINPUT,
				       "peer %s endpoint has address family %d",
				       pub, p->endpoint.ss_family);
		if ((p->endpoint.ss_family == AF_INET && !sin->sin_port) ||
		    (p->endpoint.ss_family == AF_INET6 && !sin6->sin6_port))
			return err_set(err, errlen, HS_EINPUT,
				       "peer %s endpoint has port 0", pub);
	}
	if (p->n_allowed && !p->allowed)
		return err_set(err, errlen, HS_EINPUT,
			       "peer %s has allowed IPs but no array", pub);
	for (size_t k = 0; k < p->n_allowed; k++) {
		const struct wg_allowedip *a = &p->allowed[k];
		if ((a->family != AF_INET && a->family != AF_INET6) ||
		    a->cidr > (a->family == AF_INET ? 32 : 128))
			return err_set(err, errlen, HS_EINPUT,
				       "peer %s allowed IP %zu is malformed",
				       pub, k);
	}
	return HS_OK;
}

static int cmp_peer_key(const void *a, const void *b)
{
	const struct wg_peer *const *pa = a, *const *pb = b;
	return memcmp((*pa)->public_key, (*pb)->public_key, KEY_LEN);
}

static int cmp_aip(const void *a, const void *b)
{
	const struct wg_allowedip *const *pa = a, *const *pb = b;
	const struct wg_allowedip *x = *pa, *y = *pb;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->cidr != y->cidr)
		return x->cidr < y->cidr ? -1 : 1;
	return memcmp(&x->addr, &y->addr, x->family == AF_INET ? 4 : 16);
}

/* Duplicate peers, or one prefix named twice (the winner would depend on
 * order), found by sorting pointers: O(n log n) for big meshes. */
static int validate_unique(const struct wg_device *dev, char *err,
			   size_t errlen)
{
	size_t n_aip = 0;
	int rc = HS_OK;

	for (size_t i = 0; i < dev->n_peers; i++)
		n_aip += dev->peers[i].n_allowed;
	const struct wg_peer **peers = calloc(dev->n_peers + 1, sizeof(*peers));
	const struct wg_allowedip **aips = calloc(n_aip + 1, sizeof(*aips));
	if (!peers || !aips) {
		rc = err_sys(err, errlen, "validating a WireGuard request");
		goto out;
	}
	n_aip = 0;
	for (size_t i = 0; i < dev->n_peers; i++) {
		peers[i] = &dev->peers[i];
		for (size_t k = 0; k < dev->peers[i].n_allowed; k++)
			aips[n_aip++] = &dev->peers[i].allowed[k];
	}
	qsort(peers, dev->n_peers, sizeof(*peers), cmp_peer_key);
	for (size_t i = 1; i < dev->n_peers; i++)
		if (!cmp_peer_key(&peers[i - 1], &peers[i])) {
			char pub[KEY_B64_LEN + 1];
			key_to_base64(peers[i]->public_key, pub);
			rc = err_set(err, errlen, HS_EINPUT,
				     "peer %s is listed twice", pub);
			goto out;
		}
	qsort(aips, n_aip, sizeof(*aips), cmp_aip);
	for (size_t i = 1; i < n_aip; i++)
		if (!cmp_aip(&aips[i - 1], &aips[i])) {
			char txt[64];
			wg_allowedip_format(aips[i], txt, sizeof(txt));
			rc = err_set(err, errlen, HS_EINPUT,
				     "allowed IP %s is listed twice", txt);
			goto out;
		}
out:
	free(peers);
	free(aips);
	return rc;
}

int wg_device_validate(const struct wg_device *dev, char *err, size_t errlen)
{
	const uint32_t known = WG_DEV_F_HAS_PRIVATE_KEY |
			       WG_DEV_F_HAS_LISTEN_PORT | WG_DEV_F_HAS_FWMARK;

	if (dev->flags & ~known)
		return err_set(err, errlen, HS_EINPUT,
			       "device flags 0x%x are not settable", dev->flags);
	if (dev->n_peers > WG_MAX_PEERS)
		return err_set(err, errlen, HS_EINPUT,
			       "%zu peers exceed WireGuard's limit of %u",
			       dev->n_peers, WG_MAX_PEERS);
	if (dev->n_peers && !dev->peers)
		return err_set(err, errlen, HS_EINPUT,
			       "device has peers but no array");
	for (size_t i = 0; i < dev->n_peers; i++) {
		int rc = validate_peer(dev, i, err, errlen);
		if (rc)
			return rc;
	}
	return validate_unique(dev, err, errlen);
}
