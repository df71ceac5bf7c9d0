/* test_mesh_allowedips.c - a mesh link's one peer owns the overlay, not
 * 0.0.0.0/0: in the configuration meshns wants, in the UAPI text sent to
 * wireguard-go, in the genl message sent to the kernel, and in the diff
 * that moves an existing 0.0.0.0/0 link over on a reload. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "meshns.h"
#include "wg.h"
#include "wg_genl.h"
#include "wg_uapi.h"

/* A link as mesh.c configures it, with overlay 10.99.0.0/16 when set. */
static void mk_link(struct meshns_link *l, int with_overlay)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->ifname, "hsm1");
	l->listen_port = 51821;
	for (int i = 0; i < KEY_LEN; i++) {
		l->private_key[i] = (uint8_t)(1 + i);
		l->peer_public_key[i] = (uint8_t)(100 + i);
	}
	cr_assert_eq(wg_endpoint_parse("192.0.2.2:51820", &l->peer_endpoint), 0);
	if (with_overlay) {
		l->allowed.s_addr = htonl(0x0A630000);
		l->allowed_len = 16;
	}
}

/* The UAPI set request for link l, as text. */
static char *uapi_text(const struct meshns_link *l, size_t *len)
{
	struct wg_device want;
	struct wg_peer peer;
	struct wg_allowedip aip;
	char err[HS_ERRLEN], *out;

	meshns_link_want(l, &want, &peer, &aip);
	cr_assert_eq(wg_device_validate(&want, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wg_uapi_format_set(&want, &out, len, err, sizeof(err)), 0,
		     "%s", err);
	return out;
}

Test(mesh_allowedips, uapi_text_carries_the_overlay)
{
	struct meshns_link l;
	size_t len;
	char *out;

	mk_link(&l, 1);
	out = uapi_text(&l, &len);
	cr_assert_not_null(strstr(out, "\nallowed_ip=10.99.0.0/16\n"), "%s", "no overlay");
	cr_assert_null(strstr(out, "0.0.0.0/0"));
	/* Exactly one allowed_ip line: the overlay. */
	int n = 0;
	for (const char *p = out; (p = strstr(p, "allowed_ip=")); p++)
		n++;
	cr_assert_eq(n, 1);
	wg_uapi_buf_free(out, len);

	/* Positive control: the same check tells the old 0.0.0.0/0 apart. */
	mk_link(&l, 0);
	out = uapi_text(&l, &len);
	cr_assert_not_null(strstr(out, "\nallowed_ip=0.0.0.0/0\n"));
	cr_assert_null(strstr(out, "10.99.0.0/16"));
	wg_uapi_buf_free(out, len);
}

Test(mesh_allowedips, genl_message_carries_the_overlay)
{
	struct meshns_link l;
	struct wg_device want, back = { 0 };
	struct wg_peer peer;
	struct wg_allowedip aip;
	struct wg_genl_cursor cur = { 0 };
	char err[HS_ERRLEN], buf[4096];

	mk_link(&l, 1);
	meshns_link_want(&l, &want, &peer, &aip);
	cr_assert_eq(wg_genl_build_set(buf, sizeof(buf), 0x42, "hsm1", &want, &cur,
				       err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wg_genl_parse((struct nlmsghdr *)buf, &back, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(back.n_peers, 1);
	cr_assert_eq(back.peers[0].n_allowed, 1);
	cr_assert_eq(back.peers[0].allowed[0].family, AF_INET);
	cr_assert_eq(back.peers[0].allowed[0].cidr, 16);
	cr_assert_eq(ntohl(back.peers[0].allowed[0].addr.v4.s_addr), 0x0A630000u);
	wg_device_free(&back);
}

/* A link made by an older hsd (0.0.0.0/0) gets its allowed IPs replaced
 * by the overlay on the next apply; one already right is left alone. */
Test(mesh_allowedips, diff_replaces_the_old_catch_all)
{
	struct meshns_link old_l, new_l;
	struct wg_device cur, want, delta;
	struct wg_peer cur_peer, want_peer;
	struct wg_allowedip cur_aip, want_aip;
	char err[HS_ERRLEN];

	mk_link(&old_l, 0);
	mk_link(&new_l, 1);
	meshns_link_want(&old_l, &cur, &cur_peer, &cur_aip);
	meshns_link_want(&new_l, &want, &want_peer, &want_aip);
	cr_assert_eq(wg_device_diff(&cur, &want, &delta, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(delta.n_peers, 1);
	cr_assert(delta.peers[0].flags & WG_PEER_F_REPLACE_ALLOWEDIPS);
	cr_assert(delta.peers[0].flags & WG_PEER_F_UPDATE_ONLY, "no new session");
	cr_assert_eq(delta.peers[0].n_allowed, 1);
	cr_assert_eq(delta.peers[0].allowed[0].cidr, 16);
	cr_assert_eq(ntohl(delta.peers[0].allowed[0].addr.v4.s_addr), 0x0A630000u);
	wg_device_free(&delta);

	cr_assert_eq(wg_device_diff(&want, &want, &delta, err, sizeof(err)), 0, "%s", err);
	cr_assert(wg_device_is_empty(&delta));
	wg_device_free(&delta);
}
