/* test_wg_genl.c - kernel backend messages, built and parsed back without
 * the module; a live round trip where the module exists. */
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sched.h>
#include <unistd.h>

#include "err.h"
#include "netns.h"
#include "wg.h"
#include "wg_genl.h"

#define FAMILY 0x42

static void fill_key(uint8_t k[KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < KEY_LEN; i++)
		k[i] = (uint8_t)(seed + i);
}

/* Count peer nests of key carrying WGPEER_F_REPLACE_ALLOWEDIPS in nlh. */
static int replace_flags_for(const struct nlmsghdr *nlh, const uint8_t *key)
{
	struct wg_device one = { 0 };
	char err[HS_ERRLEN];
	int n = 0;
	cr_assert_eq(wg_genl_parse(nlh, &one, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < one.n_peers; i++)
		if (!memcmp(one.peers[i].public_key, key, KEY_LEN) &&
		    (one.peers[i].flags & WG_PEER_F_REPLACE_ALLOWEDIPS))
			n++;
	wg_device_free(&one);
	return n;
}

Test(wg_genl, set_fragments_and_parses_back)
{
	enum { NAIP = 60, SIZE = 600 };
	struct wg_allowedip many[NAIP], one;
	struct wg_peer peers[3] = { 0 };
	struct wg_device dev = { 0 }, back = { 0 };
	struct wg_genl_cursor cur = { 0 };
	char err[HS_ERRLEN];
	int msgs = 0, replaces = 0, more;

	for (int i = 0; i < NAIP; i++) {
		char txt[32];
		snprintf(txt, sizeof(txt), "10.%d.0.0/16", i);
		cr_assert_eq(wg_allowedip_parse(txt, &many[i]), 0);
	}
	cr_assert_eq(wg_allowedip_parse("fd00::/8", &one), 0);
	dev.flags = WG_DEV_F_HAS_PRIVATE_KEY | WG_DEV_F_HAS_LISTEN_PORT |
		    WG_DEV_F_HAS_FWMARK;
	fill_key(dev.private_key, 7);
	dev.listen_port = 51820;
	dev.fwmark = 9;
	fill_key(peers[0].public_key, 30);
	cr_assert_eq(wg_endpoint_parse("192.0.2.1:1000", &peers[0].endpoint), 0);
	peers[0].flags = WG_PEER_F_HAS_KEEPALIVE | WG_PEER_F_UPDATE_ONLY |
			 WG_PEER_F_REPLACE_ALLOWEDIPS;
	peers[0].persistent_keepalive = 5;
	peers[0].allowed = many;
	peers[0].n_allowed = NAIP;
	fill_key(peers[1].public_key, 60);
	peers[1].flags = WG_PEER_F_REMOVE;
	fill_key(peers[2].public_key, 90);
	cr_assert_eq(wg_endpoint_parse("[2001:db8::2]:2000", &peers[2].endpoint),
		     0);
	peers[2].allowed = &one;
	peers[2].n_allowed = 1;
	dev.peers = peers;
	dev.n_peers = 3;
	cr_assert_eq(wg_device_validate(&dev, err, sizeof(err)), 0, "%s", err);

	char *buf = malloc(SIZE);
	do {
		more = wg_genl_build_set(buf, SIZE, FAMILY, "hsm1", &dev, &cur,
					 err, sizeof(err));
		cr_assert_geq(more, 0, "%s", err);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		cr_assert_leq(nlh->nlmsg_len, SIZE);
		cr_assert_eq(nlh->nlmsg_type, FAMILY);
		struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
		cr_assert_eq(g->cmd, WG_CMD_SET_DEVICE);
		/* Every fragment names the device. */
		const struct nlattr *a;
		int named = 0;
		mnl_attr_for_each(a, nlh, sizeof(*g)) {
			if (mnl_attr_get_type(a) == WGDEVICE_A_IFNAME)
				named = !strcmp(mnl_attr_get_str(a), "hsm1");
			cr_assert_neq(mnl_attr_get_type(a), WGDEVICE_A_FLAGS,
				      "replace_peers must never be sent");
		}
		cr_assert(named);
		replaces += replace_flags_for(nlh, peers[0].public_key);
		cr_assert_eq(wg_genl_parse(nlh, &back, err, sizeof(err)), 0,
			     "%s", err);
		msgs++;
	} while (more);
	free(buf);

	cr_assert_gt(msgs, 1, "a %d-byte buffer should need fragments", SIZE);
	cr_assert_eq(replaces, 1, "REPLACE_ALLOWEDIPS sent %d times", replaces);
	cr_assert_eq(back.flags, dev.flags);
	cr_assert_eq(memcmp(back.private_key, dev.private_key, KEY_LEN), 0);
	cr_assert_eq(back.listen_port, 51820);
	cr_assert_eq(back.fwmark, 9);
	cr_assert_eq(back.n_peers, 3);
	for (size_t i = 0; i < 3; i++) {
		struct wg_peer *p = &back.peers[i], *q = &peers[i];
		cr_assert_eq(memcmp(p->public_key, q->public_key, KEY_LEN), 0);
		cr_assert_eq(p->flags, q->flags, "peer %zu flags %x != %x", i,
			     p->flags, q->flags);
		cr_assert_eq(p->n_allowed, q->n_allowed);
		for (size_t k = 0; k < q->n_allowed; k++) {
			cr_assert_eq(p->allowed[k].family, q->allowed[k].family);
			cr_assert_eq(p->allowed[k].cidr, q->allowed[k].cidr);
			cr_assert_eq(memcmp(&p->allowed[k].addr,
					    &q->allowed[k].addr,
					    q->allowed[k].family == AF_INET
						    ? 4 : 16), 0);
		}
		cr_assert_eq(p->endpoint.ss_family, q->endpoint.ss_family);
	}
	cr_assert_eq(back.peers[0].persistent_keepalive, 5);
	wg_device_free(&back);
}

Test(wg_genl, too_small_buffer_is_refused)
{
	struct wg_peer peer = { 0 };
	struct wg_device dev = { .peers = &peer, .n_peers = 1 };
	struct wg_genl_cursor cur = { 0 };
	char buf[48], err[HS_ERRLEN];
	fill_key(peer.public_key, 1);
	cr_assert_eq(wg_genl_build_set(buf, sizeof(buf), FAMILY, "hsm1", &dev,
				       &cur, err, sizeof(err)),
		     HS_EINPUT);
}

/* A GET dump split in two parts, the first peer's allowed IPs spanning
 * both, as the kernel sends them. */
Test(wg_genl, get_reply_parts_merge)
{
	char b1[1024], b2[1024], err[HS_ERRLEN];
	uint8_t pa[KEY_LEN], pb[KEY_LEN], priv[KEY_LEN];
	struct wg_device dev = { 0 };
	int64_t ts[2] = { 1700000000, 42 };
	uint32_t v4a = htonl(0x0a000000), v4b = htonl(0x0b000000);

	fill_key(pa, 11);
	fill_key(pb, 22);
	fill_key(priv, 33);
	struct nlmsghdr *n1 = mnl_nlmsg_put_header(b1);
	mnl_nlmsg_put_extra_header(n1, sizeof(struct genlmsghdr));
	mnl_attr_put_strz(n1, WGDEVICE_A_IFNAME, "hsm1");
	mnl_attr_put(n1, WGDEVICE_A_PRIVATE_KEY, KEY_LEN, priv);
	mnl_attr_put_u16(n1, WGDEVICE_A_LISTEN_PORT, 51820);
	struct nlattr *ps = mnl_attr_nest_start(n1, WGDEVICE_A_PEERS);
	struct nlattr *p = mnl_attr_nest_start(n1, 0);
	mnl_attr_put(n1, WGPEER_A_PUBLIC_KEY, KEY_LEN, pa);
	mnl_attr_put(n1, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	mnl_attr_put_u64(n1, WGPEER_A_RX_BYTES, 1234);
	mnl_attr_put_u64(n1, WGPEER_A_TX_BYTES, 5678);
	struct nlattr *as = mnl_attr_nest_start(n1, WGPEER_A_ALLOWEDIPS);
	struct nlattr *a = mnl_attr_nest_start(n1, 0);
	mnl_attr_put_u16(n1, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(n1, WGALLOWEDIP_A_IPADDR, 4, &v4a);
	mnl_attr_put_u8(n1, WGALLOWEDIP_A_CIDR_MASK, 8);
	mnl_attr_nest_end(n1, a);
	mnl_attr_nest_end(n1, as);
	mnl_attr_nest_end(n1, p);
	mnl_attr_nest_end(n1, ps);

	struct nlmsghdr *n2 = mnl_nlmsg_put_header(b2);
	mnl_nlmsg_put_extra_header(n2, sizeof(struct genlmsghdr));
	ps = mnl_attr_nest_start(n2, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(n2, 0);
	mnl_attr_put(n2, WGPEER_A_PUBLIC_KEY, KEY_LEN, pa);
	as = mnl_attr_nest_start(n2, WGPEER_A_ALLOWEDIPS);
	a = mnl_attr_nest_start(n2, 0);
	mnl_attr_put_u16(n2, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(n2, WGALLOWEDIP_A_IPADDR, 4, &v4b);
	mnl_attr_put_u8(n2, WGALLOWEDIP_A_CIDR_MASK, 8);
	mnl_attr_nest_end(n2, a);
	mnl_attr_nest_end(n2, as);
	mnl_attr_nest_end(n2, p);
	p = mnl_attr_nest_start(n2, 0);
	mnl_attr_put(n2, WGPEER_A_PUBLIC_KEY, KEY_LEN, pb);
	mnl_attr_nest_end(n2, p);
	mnl_attr_nest_end(n2, ps);

	cr_assert_eq(wg_genl_parse(n1, &dev, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wg_genl_parse(n2, &dev, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dev.listen_port, 51820);
	cr_assert_eq(dev.n_peers, 2);
	cr_assert_eq(dev.peers[0].n_allowed, 2);
	cr_assert_eq(dev.peers[0].allowed[1].addr.v4.s_addr, v4b);
	cr_assert_eq(dev.peers[0].last_handshake.tv_sec, 1700000000);
	cr_assert_eq(dev.peers[0].last_handshake.tv_nsec, 42);
	cr_assert_eq(dev.peers[0].rx_bytes, 1234);
	cr_assert_eq(dev.peers[0].tx_bytes, 5678);
	cr_assert_eq(memcmp(dev.peers[1].public_key, pb, KEY_LEN), 0);
	wg_device_free(&dev);
}

Test(wg_genl, malformed_attribute_is_refused)
{
	char b[256], err[HS_ERRLEN];
	struct wg_device dev = { 0 };
	struct nlmsghdr *n = mnl_nlmsg_put_header(b);
	mnl_nlmsg_put_extra_header(n, sizeof(struct genlmsghdr));
	mnl_attr_put(n, WGDEVICE_A_PRIVATE_KEY, 3, "abc");
	cr_assert_eq(wg_genl_parse(n, &dev, err, sizeof(err)), HS_ESYS);
	wg_device_free(&dev);
}

/* Live: only where the module is loaded, inside a private netns. */
Test(wg_genl, live_kernel_roundtrip)
{
	char err[HS_ERRLEN];
	if (geteuid() != 0)
		cr_skip("needs root");
	struct mnl_socket *nl;
	uint16_t id;
	cr_assert_eq(nl_open_bus_in(-1, NETLINK_GENERIC, &nl, err, sizeof(err)),
		     0, "%s", err);
	int have = wg_genl_family(nl, &id, NULL, err, sizeof(err)) == 0;
	mnl_socket_close(nl);
	if (!have)
		cr_skip("kernel has no wireguard module (genl family "
			"\"wireguard\" not found)");
	cr_assert_eq(wg_backend_detect(), &wg_backend_kernel);
	/* A throwaway namespace keeps the device away from the host. */
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	const struct wg_backend *be = &wg_backend_kernel;
	struct wg_proc proc;
	struct wg_allowedip all;
	struct wg_peer peer = { 0 };
	struct wg_device dev = { .flags = WG_DEV_F_HAS_PRIVATE_KEY |
					  WG_DEV_F_HAS_LISTEN_PORT,
				 .listen_port = 51999, .peers = &peer,
				 .n_peers = 1 };
	fill_key(dev.private_key, 4);
	fill_key(peer.public_key, 8);
	wg_allowedip_parse("0.0.0.0/0", &all);
	peer.allowed = &all;
	peer.n_allowed = 1;
	cr_assert_eq(be->create("hswgtest0", &proc, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(be->set("hswgtest0", -1, &dev, err, sizeof(err)), 0, "%s",
		     err);
	struct wg_device got;
	cr_assert_eq(be->get("hswgtest0", -1, &got, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(got.listen_port, 51999);
	cr_assert_eq(got.n_peers, 1);
	cr_assert_eq(got.peers[0].n_allowed, 1);
	wg_device_free(&got);
	cr_assert_eq(be->destroy("hswgtest0", -1, &proc, err, sizeof(err)), 0,
		     "%s", err);
}
