/* test_wg_fw.c - the mesh namespace's firewall (hsd/mesh/meshfw.c).
 *
 * Offline: the rendered script and its input checks.  Live (root): a mesh
 * namespace M with three audit spaces A (hsa0, 10.99.1.2), B (hsa1,
 * 10.99.1.3) and C (hsa2, 10.99.1.4), all made here with netns_create so the kernel removes them
 * with the test process.  A sends genuine and spoofed packets.
 */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "meshfw.h"
#include "netns.h"

#define ok(call) cr_assert_eq((call), 0, "%s: %s", #call, err)

static char err[HS_ERRLEN];
static const uint32_t hosts[] = { 0x0a630101, 0x0a630201 }; /* 10.99.1.1, 10.99.2.1 */
static const struct meshfw_neigh neigh[] = { { "hsm1", 0x0a630201 } };

static struct meshfw fw_conf(void)
{
	return (struct meshfw){ .prefix = 0x0a630100, .prefix_len = 24,
				.hosts = hosts, .nhosts = 2, .neigh = neigh, .nneigh = 1,
				.route_port = 6696, .peer_port = 7070,
				.fleetdb_port = 6699 };
}

Test(meshfw, render)
{
	struct meshfw fw = fw_conf();
	char *s;

	ok(meshfw_render(&fw, &s, err, sizeof(err)));
	cr_assert(strstr(s, "add table ip hsd_mesh\ndelete table ip hsd_mesh\n") == s,
		  "the table is replaced in the same transaction");
	cr_assert(strstr(s, "elements = { 10.99.1.1, 10.99.2.1 }"));
	cr_assert(strstr(s, "elements = { \"hsm1\" . 10.99.2.1 }"));
	cr_assert(strstr(s, "iifname \"hsa*\" ip saddr != 10.99.1.0/24 counter name spoofed drop"));
	cr_assert(strstr(s, "iifname \"hsa*\" fib saddr . iif oif missing counter name spoofed drop"));
	cr_assert(strstr(s, "iifname \"hsm*\" ip saddr 10.99.1.0/24 counter name spoofed drop"));
	cr_assert(strstr(s, "policy drop;"), "the input chain drops by default");
	cr_assert(strstr(s, "iifname \"hsa*\" counter name audit_to_mesh drop"));
	cr_assert(strstr(s, "udp dport 6696 iifname . ip saddr @neighbours accept"));
	cr_assert(strstr(s, "iifname \"hsa*\" ip daddr @hosts counter name audit_to_mesh drop"));
	free(s);

	/* No neighbour: an empty set, which nft refuses to spell "{ }". */
	fw.nneigh = 0;
	ok(meshfw_render(&fw, &s, err, sizeof(err)));
	cr_assert(!strstr(s, "{  }") && !strstr(s, "\"hsm1\""));
	free(s);
}

Test(meshfw, refuses_bad_input)
{
	struct meshfw fw = fw_conf();
	struct meshfw_neigh bad[] = { { "hsm\"1", 1 } };
	char *s = (char *)1;

	fw.prefix_len = 0;
	cr_assert_eq(meshfw_render(&fw, &s, err, sizeof(err)), HS_EINPUT);
	cr_assert_null(s);
	fw = fw_conf();
	fw.prefix |= 5;
	cr_assert_eq(meshfw_render(&fw, &s, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "host bits"), "%s", err);
	fw = fw_conf();
	fw.neigh = bad;
	cr_assert_eq(meshfw_render(&fw, &s, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "interface name"), "%s", err);
	fw = fw_conf();
	fw.nhosts = 0;
	cr_assert_eq(meshfw_render(&fw, &s, err, sizeof(err)), HS_EINPUT);
}

/* --- live --- */

static int ns_m = -1, ns_a = -1, ns_b = -1, ns_c = -1;

static void audit_link(int ns, const char *host_if, uint32_t addr)
{
	ok(link_veth_create(host_if, ns, "mesh0", err, sizeof(err)));
	ok(link_set_up(ns_m, host_if, err, sizeof(err)));
	ok(link_route_replace(ns_m, addr, 32, 0, host_if, RTN_UNICAST, RTPROT_STATIC, err, sizeof(err)));
	ok(link_set_up(ns, "lo", err, sizeof(err)));
	ok(link_addr_add(ns, "mesh0", addr, 32, err, sizeof(err)));
	ok(link_set_up(ns, "mesh0", err, sizeof(err)));
	ok(link_route_replace(ns, 0x0a630101, 32, 0, "mesh0", RTN_UNICAST, RTPROT_STATIC, err, sizeof(err)));
	ok(link_route_replace(ns, 0, 0, 0x0a630101, "mesh0", RTN_UNICAST, RTPROT_STATIC, err, sizeof(err)));
}

/* A UDP socket bound to port in ns. */
static int udp_in(int ns, uint16_t port)
{
	int saved, one = 1;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	ok(netns_enter(ns, &saved, err, sizeof(err)));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ok(netns_leave(saved, err, sizeof(err)));
	return fd;
}

/* From audit space A, a UDP datagram src -> dst:port built by hand (raw
 * socket, as an audit space with CAP_NET_RAW can). */
static void send_raw(uint32_t src, uint32_t dst, uint16_t port)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		char data[4];
	} pkt;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(dst) };
	int saved;

	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 16;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.saddr = htonl(src);
	pkt.ip.daddr = htonl(dst);
	pkt.udp.source = htons(40000);
	pkt.udp.dest = htons(port);
	pkt.udp.len = htons(sizeof(pkt) - sizeof(pkt.ip));
	memcpy(pkt.data, "spof", 4);
	ok(netns_enter(ns_a, &saved, err, sizeof(err)));
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	cr_assert(fd >= 0);
	cr_assert_eq(sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(pkt));
	close(fd);
	ok(netns_leave(saved, err, sizeof(err)));
}

static int got(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[64];
	if (poll(&p, 1, 300) != 1)
		return 0;
	return recv(fd, buf, sizeof(buf), 0) > 0;
}

/* Sends until fd receives, up to 10 times: the first packets through links
 * just made may wait for the neighbour to be resolved.  For the checks that
 * something gets through; what must not is sent once, after one did. */
static int got_sending(int fd, uint32_t src, uint32_t dst, uint16_t port)
{
	for (int i = 0; i < 10; i++) {
		send_raw(src, dst, port);
		if (got(fd)) {
			/* An earlier try that waited on the neighbour may still
			 * come: none may be taken for a later packet. */
			while (got(fd))
				;
			return 1;
		}
	}
	return 0;
}

static uint64_t count(const char *name)
{
	uint64_t n;
	ok(meshfw_counter(ns_m, name, &n, err, sizeof(err)));
	return n;
}

static void live_fini(void)
{
	int fds[] = { ns_m, ns_a, ns_b, ns_c };
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

Test(meshfw, live_spoofing_and_control_ports, .fini = live_fini)
{
	int saved;

	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, nftables)");
	ok(netns_create(&ns_m, err, sizeof(err)));
	ok(netns_create(&ns_a, err, sizeof(err)));
	ok(netns_create(&ns_b, err, sizeof(err)));
	ok(netns_create(&ns_c, err, sizeof(err)));
	ok(link_set_up(ns_m, "lo", err, sizeof(err)));
	ok(link_addr_add(ns_m, "lo", 0x0a630101, 32, err, sizeof(err)));
	ok(netns_sysctl_set(ns_m, "net/ipv4/ip_forward", "1", err, sizeof(err)));
	ok(netns_sysctl_set(ns_m, "net/ipv4/conf/all/rp_filter", "0", err, sizeof(err)));
	ok(netns_sysctl_set(ns_m, "net/ipv4/conf/default/rp_filter", "0", err, sizeof(err)));
	ok(netns_enter(ns_m, &saved, err, sizeof(err)));
	audit_link(ns_a, "hsa0", 0x0a630102);
	audit_link(ns_b, "hsa1", 0x0a630103);
	audit_link(ns_c, "hsa2", 0x0a630104);
	/* A stand-in for the WireGuard link to host 2 (a veth to nowhere). */
	ok(link_veth_create("hsm1", ns_b, "far0", err, sizeof(err)));
	ok(link_set_up(ns_b, "far0", err, sizeof(err)));
	ok(link_set_up(-1, "hsm1", err, sizeof(err)));
	ok(link_route_replace(-1, 0x0a630200, 24, 0, "hsm1", RTN_UNICAST, RTPROT_STATIC, err,
			      sizeof(err)));
	ok(netns_leave(saved, err, sizeof(err)));

	int route = udp_in(ns_m, 6696), at_b = udp_in(ns_b, 9999);
	/* Before the table: the holes this file closes are real. */
	cr_assert(got_sending(at_b, 0x0a630104, 0x0a630103, 9999),
		  "without the table a spoofed packet is forwarded");
	cr_assert(got_sending(route, 0x0a630102, 0x0a630101, 6696),
		  "without the table an audit space reaches the route port");

	struct meshfw fw = fw_conf();
	ok(meshfw_apply(ns_m, &fw, err, sizeof(err)));
	ok(meshfw_apply(ns_m, &fw, err, sizeof(err))); /* replacing is idempotent */
	cr_assert_eq(count("spoofed"), 0);

	/* Genuine audit-to-audit traffic is forwarded. */
	send_raw(0x0a630102, 0x0a630103, 9999);
	cr_assert(got(at_b), "A's own address reaches B");
	/* Spoofing C, an unused address of the prefix, this host's mesh
	 * address, a remote host's, or one outside the prefix: all dropped
	 * and counted. */
	send_raw(0x0a630104, 0x0a630103, 9999);
	send_raw(0x0a630105, 0x0a630103, 9999);
	send_raw(0x0a630101, 0x0a630103, 9999);
	send_raw(0x0a630201, 0x0a630103, 9999);
	send_raw(0xc0000201, 0x0a630103, 9999);
	cr_assert_not(got(at_b), "no spoofed packet reaches B");
	cr_assert_eq(count("spoofed"), 5);
	/* The mesh namespace's own ports, with A's genuine address. */
	send_raw(0x0a630102, 0x0a630101, 6696);
	cr_assert_not(got(route), "an audit space never reaches the route port");
	cr_assert_eq(count("audit_to_mesh"), 1);
	/* Nor a remote host's mesh address, through forwarding. */
	send_raw(0x0a630102, 0x0a630201, 7070);
	cr_assert_eq(count("audit_to_mesh"), 2);
	close(route);
	close(at_b);
}
