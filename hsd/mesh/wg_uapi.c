/* wg_uapi.c - the cross-platform userspace API client (protocol part). */
#include "wg_uapi.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"

#define UAPI_TIMEOUT_MS 5000
#define UAPI_MAX_REPLY (256u << 20) /* a million peers' worth, roughly */

int wg_uapi_sock_path(const char *ifname, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	int rc = wg_ifname_valid(ifname, err, errlen);
	if (rc)
		return rc;
	int n = snprintf(out, outlen, WG_UAPI_DIR "/%s.sock", ifname);
	if (n < 0 || (size_t)n >= outlen)
		return err_set(err, errlen, HS_EINPUT, "socket path too long");
	return HS_OK;
}

/* A growing text buffer.  Its old copies are wiped when it grows since it
 * holds private keys. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? 2 * b->cap : 1024;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *np = malloc(cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		if (b->p) {
			memcpy(np, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
}

void wg_uapi_buf_free(char *buf, size_t len)
{
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
}

static void put_key(struct sbuf *b, const char *name, const uint8_t key[KEY_LEN])
{
	char hex[2 * KEY_LEN + 1];
	key_to_hex(key, hex);
	sb_printf(b, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

int wg_uapi_format_set(const struct wg_device *dev, char **out, size_t *len,
		       char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	char txt[INET6_ADDRSTRLEN + 16];

	*out = NULL;
	*len = 0;
	int rc = wg_device_validate(dev, err, errlen);
	if (rc)
		return rc;
	sb_printf(&b, "set=1\n");
	if (dev->flags & WG_DEV_F_HAS_PRIVATE_KEY)
		put_key(&b, "private_key", dev->private_key);
	if (dev->flags & WG_DEV_F_HAS_LISTEN_PORT)
		sb_printf(&b, "listen_port=%u\n", dev->listen_port);
	if (dev->flags & WG_DEV_F_HAS_FWMARK)
		sb_printf(&b, "fwmark=%" PRIu32 "\n", dev->fwmark);
	/* Never replace_peers: a reload names only what changes. */
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		put_key(&b, "public_key", p->public_key);
		if (p->flags & WG_PEER_F_REMOVE) {
			sb_printf(&b, "remove=true\n");
			continue;
		}
		if (p->flags & WG_PEER_F_UPDATE_ONLY)
			sb_printf(&b, "update_only=true\n");
		if (p->flags & WG_PEER_F_HAS_PRESHARED_KEY)
			put_key(&b, "preshared_key", p->preshared_key);
		if (p->endpoint.ss_family) {
			wg_endpoint_format(&p->endpoint, txt, sizeof(txt));
			sb_printf(&b, "endpoint=%s\n", txt);
		}
		if (p->flags & WG_PEER_F_HAS_KEEPALIVE)
			sb_printf(&b, "persistent_keepalive_interval=%u\n",
				  p->persistent_keepalive);
		if (p->flags & WG_PEER_F_REPLACE_ALLOWEDIPS)
			sb_printf(&b, "replace_allowed_ips=true\n");
		for (size_t k = 0; k < p->n_allowed; k++) {
			wg_allowedip_format(&p->allowed[k], txt, sizeof(txt));
			sb_printf(&b, "allowed_ip=%s\n", txt);
		}
	}
	sb_printf(&b, "\n");
	if (b.oom) {
		wg_uapi_buf_free(b.p, b.cap);
		return err_set(err, errlen, HS_ESYS,
			       "out of memory formatting a WireGuard request");
	}
	*out = b.p;
	*len = b.len;
	return HS_OK;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*v = x;
	return 0;
}

static int parse_errno_value(const char *val, int *remote)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < -4095 || v > 4095)
		return -1;
	*remote = (int)v;
	return 0;
}

static int remote_error(int remote, const char *what, char *err, size_t errlen)
{
	int e = remote < 0 ? -remote : remote;
	return err_set(err, errlen, HS_ESYS, "wireguard %s failed: %s (errno %d)",
		       what, strerror(e), remote);
}

/* Apply one get line to out; the current peer is the last one. */
static int get_line(struct wg_device *out, const char *key, const char *val,
		    int *remote, int *seen_errno)
{
	struct wg_peer *p = out->n_peers ? &out->peers[out->n_peers - 1] : NULL;
	uint64_t v;

	if (!strcmp(key, "errno")) {
		*seen_errno = 1;
		return parse_errno_value(val, remote);
	}
	if (!strcmp(key, "private_key")) {
		if (wg_key_from_hex(val, out->private_key))
			return -1;
		out->flags |= WG_DEV_F_HAS_PRIVATE_KEY;
		if (!wg_key_is_zero(out->private_key)) {
			key_public_of(out->private_key, out->public_key);
			out->flags |= WG_DEV_F_HAS_PUBLIC_KEY;
		}
	} else if (!strcmp(key, "listen_port")) {
		if (parse_u64(val, 65535, &v))
			return -1;
		out->listen_port = (uint16_t)v;
		out->flags |= WG_DEV_F_HAS_LISTEN_PORT;
	} else if (!strcmp(key, "fwmark")) {
		if (parse_u64(val, UINT32_MAX, &v))
			return -1;
		out->fwmark = (uint32_t)v;
		out->flags |= WG_DEV_F_HAS_FWMARK;
	} else if (!strcmp(key, "public_key")) {
		if (!(p = wg_device_add_peer(out)))
			return -2;
		if (wg_key_from_hex(val, p->public_key))
			return -1;
	} else if (!p) {
		return 0; /* a device key we do not know: newer wireguard-go */
	} else if (!strcmp(key, "preshared_key")) {
		if (wg_key_from_hex(val, p->preshared_key))
			return -1;
		p->flags |= WG_PEER_F_HAS_PRESHARED_KEY;
	} else if (!strcmp(key, "endpoint")) {
		if (wg_endpoint_parse(val, &p->endpoint))
			return -1;
	} else if (!strcmp(key, "persistent_keepalive_interval")) {
		if (parse_u64(val, 65535, &v))
			return -1;
		p->persistent_keepalive = (uint16_t)v;
		p->flags |= WG_PEER_F_HAS_KEEPALIVE;
	} else if (!strcmp(key, "allowed_ip")) {
		struct wg_allowedip *a = wg_peer_add_allowed(p);
		if (!a)
			return -2;
		if (wg_allowedip_parse(val, a))
			return -1;
	} else if (!strcmp(key, "last_handshake_time_sec")) {
		if (parse_u64(val, INT64_MAX, &v))
			return -1;
		p->last_handshake.tv_sec = (time_t)v;
	} else if (!strcmp(key, "last_handshake_time_nsec")) {
		if (parse_u64(val, 999999999, &v))
			return -1;
		p->last_handshake.tv_nsec = (long)v;
	} else if (!strcmp(key, "rx_bytes")) {
		if (parse_u64(val, UINT64_MAX, &p->rx_bytes))
			return -1;
	} else if (!strcmp(key, "tx_bytes")) {
		if (parse_u64(val, UINT64_MAX, &p->tx_bytes))
			return -1;
	}
	/* protocol_version and unknown keys: nothing to keep. */
	return 0;
}

int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *out,
		      char *err, size_t errlen)
{
	int remote = 0, seen_errno = 0, rc = HS_OK;
	size_t pos = 0, lineno = 0;
	char line[512];

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl) {
			rc = err_set(err, errlen, HS_ESYS,
				     "wireguard get reply is truncated");
			break;
		}
		size_t n = (size_t)(nl - (text + pos));
		lineno++;
		if (n == 0)
			break; /* the blank line ends the reply */
		if (n >= sizeof(line)) {
			rc = err_set(err, errlen, HS_ESYS,
				     "wireguard get reply line %zu is too long",
				     lineno);
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + 1;
		char *eq = strchr(line, '=');
		if (!eq) {
			rc = err_set(err, errlen, HS_ESYS,
				     "wireguard get reply line %zu has no '='",
				     lineno);
			break;
		}
		*eq = 0;
		int r = get_line(out, line, eq + 1, &remote, &seen_errno);
		if (r == -2) {
			rc = err_set(err, errlen, HS_ESYS,
				     "out of memory parsing a wireguard reply");
			break;
		}
		if (r) {
			/* The value may be a key: name only the field. */
			rc = err_set(err, errlen, HS_ESYS,
				     "wireguard get reply line %zu: bad %s value",
				     lineno, line);
			break;
		}
	}
	sodium_memzero(line, sizeof(line));
	if (!rc && !seen_errno)
		rc = err_set(err, errlen, HS_ESYS,
			     "wireguard get reply has no errno line");
	if (!rc && remote)
		rc = remote_error(remote, "get", err, errlen);
	if (rc)
		wg_device_free(out);
	return rc;
}

int wg_uapi_parse_errno(const char *text, size_t len, int *remote, char *err,
			size_t errlen)
{
	char buf[32];

	*remote = 0;
	if (len < 9 || len >= sizeof(buf) || strncmp(text, "errno=", 6) ||
	    text[len - 1] != '\n' || text[len - 2] != '\n')
		return err_set(err, errlen, HS_ESYS,
			       "wireguard set reply is malformed");
	memcpy(buf, text + 6, len - 8);
	buf[len - 8] = 0;
	if (parse_errno_value(buf, remote))
		return err_set(err, errlen, HS_ESYS,
			       "wireguard set reply has a bad errno");
	return HS_OK;
}

int wg_uapi_connect(const char *ifname, pid_t *peer_pid, char *err,
		    size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = UAPI_TIMEOUT_MS / 1000 };
	int rc = wg_uapi_sock_path(ifname, sun.sun_path, sizeof(sun.sun_path),
				   err, errlen);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, errlen, "socket(AF_UNIX)");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = err_sys(err, errlen, "connecting to %s", sun.sun_path);
		close(fd);
		return rc;
	}
	if (peer_pid) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			rc = err_sys(err, errlen, "SO_PEERCRED on %s",
				     sun.sun_path);
			close(fd);
			return rc;
		}
		*peer_pid = cred.pid;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the reply's terminating blank line ("\n\n"). */
static int read_reply(int fd, const char *ifname, char **out, size_t *len,
		      char *err, size_t errlen)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return err_sys(err, errlen, "reading from %s", ifname);
	for (;;) {
		if (n >= 2 && buf[n - 1] == '\n' && buf[n - 2] == '\n')
			break;
		if (n == 1 && buf[0] == '\n')
			break;
		if (cap - n < 1024) {
			if (cap >= UAPI_MAX_REPLY) {
				wg_uapi_buf_free(buf, n);
				return err_set(err, errlen, HS_ESYS,
					       "wireguard reply from %s is too big",
					       ifname);
			}
			char *nb = malloc(2 * cap);
			if (!nb) {
				wg_uapi_buf_free(buf, n);
				return err_sys(err, errlen, "reading from %s",
					       ifname);
			}
			memcpy(nb, buf, n);
			wg_uapi_buf_free(buf, n);
			buf = nb;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int rc = r < 0 ? err_sys(err, errlen,
						 "reading from wireguard %s",
						 ifname)
				       : err_set(err, errlen, HS_ESYS,
						 "wireguard %s closed the socket "
						 "mid-reply", ifname);
			wg_uapi_buf_free(buf, n);
			return rc;
		}
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return HS_OK;
}

/* Send req on a fresh connection and return the whole reply. */
static int roundtrip(const char *ifname, const char *req, size_t reqlen,
		     char **reply, size_t *replylen, char *err, size_t errlen)
{
	int fd = wg_uapi_connect(ifname, NULL, err, errlen);
	if (fd < 0)
		return fd;
	int rc;
	if (write_all(fd, req, reqlen))
		rc = err_sys(err, errlen, "writing to wireguard %s", ifname);
	else
		rc = read_reply(fd, ifname, reply, replylen, err, errlen);
	close(fd);
	return rc;
}

int wg_uapi_set(const char *ifname, const struct wg_device *dev, char *err,
		size_t errlen)
{
	char *req = NULL, *reply = NULL;
	size_t reqlen = 0, replylen = 0;
	int remote = 0;

	int rc = wg_ifname_valid(ifname, err, errlen);
	if (!rc)
		rc = wg_uapi_format_set(dev, &req, &reqlen, err, errlen);
	if (!rc)
		rc = roundtrip(ifname, req, reqlen, &reply, &replylen, err,
			       errlen);
	wg_uapi_buf_free(req, reqlen);
	if (!rc)
		rc = wg_uapi_parse_errno(reply, replylen, &remote, err, errlen);
	if (!rc && remote)
		rc = remote_error(remote, "set", err, errlen);
	free(reply);
	return rc;
}

int wg_uapi_get(const char *ifname, struct wg_device *out, char *err,
		size_t errlen)
{
	static const char req[] = "get=1\n\n";
	char *reply = NULL;
	size_t replylen = 0;

	memset(out, 0, sizeof(*out));
	int rc = roundtrip(ifname, req, sizeof(req) - 1, &reply, &replylen, err,
			   errlen);
	if (!rc)
		rc = wg_uapi_parse_get(reply, replylen, out, err, errlen);
	wg_uapi_buf_free(reply, replylen);
	return rc;
}
