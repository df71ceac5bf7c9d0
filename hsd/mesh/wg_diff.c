/* wg_diff.c - the smallest set request from the current to the wanted
 * configuration: a reload must not reset sessions that did not change. */
#include "wg.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static int cmp_peer_ptr(const void *a, const void *b)
{
	const struct wg_peer *const *pa = a, *const *pb = b;
	return memcmp((*pa)->public_key, (*pb)->public_key, KEY_LEN);
}

static const struct wg_peer *find_peer(const struct wg_peer **sorted, size_t n,
				       const uint8_t key[KEY_LEN])
{
	struct wg_peer probe;
	const struct wg_peer *pp = &probe, **hit;
	memcpy(probe.public_key, key, KEY_LEN);
	hit = bsearch(&pp, sorted, n, sizeof(*sorted), cmp_peer_ptr);
	return hit ? *hit : NULL;
}

static const struct wg_peer **sort_peers(const struct wg_device *d)
{
	const struct wg_peer **s = calloc(d->n_peers + 1, sizeof(*s));
	if (!s)
		return NULL;
	for (size_t i = 0; i < d->n_peers; i++)
		s[i] = &d->peers[i];
	qsort(s, d->n_peers, sizeof(*s), cmp_peer_ptr);
	return s;
}

static int endpoint_equal(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return 1;
}

static int aip_in(const struct wg_allowedip *a, const struct wg_peer *p)
{
	size_t len = a->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < p->n_allowed; i++)
		if (p->allowed[i].family == a->family &&
		    p->allowed[i].cidr == a->cidr &&
		    !memcmp(&p->allowed[i].addr, &a->addr, len))
			return 1;
	return 0;
}

static int copy_aips(struct wg_peer *d, const struct wg_peer *src,
		     const struct wg_peer *skip_those_in)
{
	for (size_t i = 0; i < src->n_allowed; i++) {
		if (skip_those_in && aip_in(&src->allowed[i], skip_those_in))
			continue;
		struct wg_allowedip *a = wg_peer_add_allowed(d);
		if (!a)
			return -1;
		*a = src->allowed[i];
	}
	return 0;
}

/* Fill d with what turns peer c (may be NULL) into w; 1 if d says
 * anything, 0 if not, -1 on no memory. */
static int diff_peer(const struct wg_peer *c, const struct wg_peer *w,
		     struct wg_peer *d)
{
	int any = 0;
	memcpy(d->public_key, w->public_key, KEY_LEN);
	if (!c) {
		*d = *w;
		d->allowed = NULL;
		d->n_allowed = 0;
		d->flags &= ~(WG_PEER_F_REMOVE | WG_PEER_F_REPLACE_ALLOWEDIPS);
		return copy_aips(d, w, NULL) ? -1 : 1;
	}
	d->flags = WG_PEER_F_UPDATE_ONLY;
	if (w->endpoint.ss_family && !endpoint_equal(&c->endpoint, &w->endpoint)) {
		d->endpoint = w->endpoint;
		any = 1;
	}
	if ((w->flags & WG_PEER_F_HAS_KEEPALIVE) &&
	    w->persistent_keepalive != c->persistent_keepalive) {
		d->flags |= WG_PEER_F_HAS_KEEPALIVE;
		d->persistent_keepalive = w->persistent_keepalive;
		any = 1;
	}
	if ((w->flags & WG_PEER_F_HAS_PRESHARED_KEY) &&
	    memcmp(w->preshared_key, c->preshared_key, KEY_LEN)) {
		d->flags |= WG_PEER_F_HAS_PRESHARED_KEY;
		memcpy(d->preshared_key, w->preshared_key, KEY_LEN);
		any = 1;
	}
	int superset = 1;
	for (size_t i = 0; i < c->n_allowed && superset; i++)
		superset = aip_in(&c->allowed[i], w);
	if (!superset) {
		/* No single-prefix removal before Linux 6.16: replace. */
		d->flags |= WG_PEER_F_REPLACE_ALLOWEDIPS;
		if (copy_aips(d, w, NULL))
			return -1;
		any = 1;
	} else {
		if (copy_aips(d, w, c))
			return -1;
		any |= d->n_allowed > 0;
	}
	return any;
}

int wg_device_is_empty(const struct wg_device *dev)
{
	return !dev->flags && !dev->n_peers;
}

int wg_device_diff(const struct wg_device *cur, const struct wg_device *want,
		   struct wg_device *delta, char *err, size_t errlen)
{
	const struct wg_peer **cs = sort_peers(cur), **ws = sort_peers(want);

	memset(delta, 0, sizeof(*delta));
	if (!cs || !ws)
		goto oom;
	if ((want->flags & WG_DEV_F_HAS_PRIVATE_KEY) &&
	    (!(cur->flags & WG_DEV_F_HAS_PRIVATE_KEY) ||
	     memcmp(cur->private_key, want->private_key, KEY_LEN))) {
		delta->flags |= WG_DEV_F_HAS_PRIVATE_KEY;
		memcpy(delta->private_key, want->private_key, KEY_LEN);
	}
	if ((want->flags & WG_DEV_F_HAS_LISTEN_PORT) &&
	    want->listen_port != cur->listen_port) {
		delta->flags |= WG_DEV_F_HAS_LISTEN_PORT;
		delta->listen_port = want->listen_port;
	}
	if ((want->flags & WG_DEV_F_HAS_FWMARK) && want->fwmark != cur->fwmark) {
		delta->flags |= WG_DEV_F_HAS_FWMARK;
		delta->fwmark = want->fwmark;
	}
	for (size_t i = 0; i < cur->n_peers; i++) {
		if (find_peer(ws, want->n_peers, cur->peers[i].public_key))
			continue;
		struct wg_peer *d = wg_device_add_peer(delta);
		if (!d)
			goto oom;
		memcpy(d->public_key, cur->peers[i].public_key, KEY_LEN);
		d->flags = WG_PEER_F_REMOVE;
	}
	for (size_t i = 0; i < want->n_peers; i++) {
		const struct wg_peer *w = &want->peers[i];
		struct wg_peer *d = wg_device_add_peer(delta);
		if (!d)
			goto oom;
		int r = diff_peer(find_peer(cs, cur->n_peers, w->public_key), w,
				  d);
		if (r < 0)
			goto oom;
		if (r == 0) { /* nothing to say about this peer */
			free(d->allowed);
			delta->n_peers--;
		}
	}
	free(cs);
	free(ws);
	return HS_OK;
oom:
	free(cs);
	free(ws);
	wg_device_free(delta);
	return err_set(err, errlen, HS_ESYS,
		       "out of memory comparing WireGuard configurations");
}
