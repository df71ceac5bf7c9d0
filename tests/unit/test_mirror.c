/* test_mirror.c - the packet mirror end to end, with real namespaces,
 * veths, tc filters and AF_PACKET captures.
 *
 * Every test builds its own world from fresh anonymous network namespaces
 * that only this process holds (netns_create), so nothing touches the real
 * host's interfaces or tc, and the kernel removes all of it when the test
 * process ends, even after a crash:
 *
 *   client ns              "base" ns (plays the host)        server ns
 *   eth0 192.0.2.2/24 ---- hcl0 192.0.2.1/24
 *                          hsv0 10.254.0.1/30 -------------- eth0 10.254.0.2 :8080
 *   audit ns A1: mon0 ==== hsmt1  (mirror of hcl0 + hsv0)
 *   audit ns A2: mon0 ==== hsmt2  (a second mirror of the same sources)
 *
 * Captures are this test's own AF_PACKET sockets, each opened inside the
 * namespace it watches.  Needs root; skipped otherwise.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "mirror.h"
#include "netns.h"
#include "mirror_int.h"
#include "nftrun.h"
#include "tc.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define BASE_CL_IP IP(192, 0, 2, 1)
#define CLIENT_IP IP(192, 0, 2, 2)
#define BASE_SV_IP IP(10, 254, 0, 1)
#define SERVER_IP IP(10, 254, 0, 2)
#define PORT 8080

static int orig_ns = -1, base_ns = -1, client_ns = -1, server_ns = -1, a1_ns = -1, a2_ns = -1;
static int listener = -1;
static char err[HS_ERRLEN];
static int seq;

static void ok(int rc)
{
	cr_assert_eq(rc, HS_OK, "%s", err);
}

/* A socket created inside ns (-1 = here) stays there. */
static int ns_socket(int ns, int domain, int type, int proto)
{
	int saved = -1;
	if (ns >= 0)
		ok(netns_enter(ns, &saved, err, sizeof(err)));
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);
	int e = errno;
	if (saved >= 0)
		ok(netns_leave(saved, err, sizeof(err)));
	cr_assert_geq(fd, 0, "socket: %s", strerror(e));
	return fd;
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, val, strlen(val)), (ssize_t)strlen(val));
	close(fd);
}

/* First byte of a /proc/sys file as seen from ns. */
static char read_sysctl(int ns, const char *path)
{
	int saved = -1;
	if (ns >= 0)
		ok(netns_enter(ns, &saved, err, sizeof(err)));
	char c = '?';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '?';
		close(fd);
	}
	if (saved >= 0)
		ok(netns_leave(saved, err, sizeof(err)));
	return c;
}

/* ---- captures ---- */

/* Raw capture of ifname inside ns, both directions.  Bound with protocol
 * 0 first so nothing from other interfaces is queued before the bind. */
static int cap_open(int ns, const char *ifname)
{
	int idx;
	ok(link_index(ns, ifname, &idx, err, sizeof(err)));
	cr_assert_gt(idx, 0, "no %s", ifname);
	int fd = ns_socket(ns, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = idx};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0, "bind %s: %s", ifname,
		     strerror(errno));
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Packets on fd containing marker within ms milliseconds; returns early
 * once stop_at have been seen (0 = wait the whole time). */
static int cap_count(int fd, const char *marker, int ms, int stop_at)
{
	static char pkt[65536];
	int found = 0;
	long end = now_ms() + ms;
	for (;;) {
		ssize_t n;
		while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 0)
			if (memmem(pkt, (size_t)n, marker, strlen(marker)))
				found++;
		if (stop_at && found >= stop_at)
			break;
		long left = end - now_ms();
		if (left <= 0)
			break;
		struct pollfd p = {fd, POLLIN, 0};
		poll(&p, 1, (int)left);
	}
	return found;
}

/* Frames on fd holding marker: how many, and the IPv4 addresses and TCP
 * or UDP ports of the last one (host order). */
struct seen {
	int n;
	uint32_t src, dst;
	uint16_t sport, dport;
};

static struct seen cap_seen(int fd, const char *marker, int ms)
{
	static unsigned char pkt[65536];
	struct seen w = {0};
	long end = now_ms() + ms;
	for (;;) {
		ssize_t n;
		while ((n = recv(fd, pkt, sizeof(pkt), 0)) > 34) {
			if (!memmem(pkt, (size_t)n, marker, strlen(marker)) || pkt[12] != 0x08 ||
			    pkt[13] != 0x00)
				continue;
			const unsigned char *ip = pkt + 14, *l4 = ip + (ip[0] & 0x0f) * 4;
			w.n++;
			w.src = (uint32_t)ip[12] << 24 | ip[13] << 16 | ip[14] << 8 | ip[15];
			w.dst = (uint32_t)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];
			w.sport = (uint16_t)(l4[0] << 8 | l4[1]);
			w.dport = (uint16_t)(l4[2] << 8 | l4[3]);
		}
		long left = end - now_ms();
		if (left <= 0)
			return w;
		struct pollfd p = {fd, POLLIN, 0};
		poll(&p, 1, (int)left);
	}
}

/* ---- traffic ---- */

static void unique(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "hsd-%s-%d-%d-%ld", what, (int)getpid(), ++seq, now_ms());
}

/* TCP from the client to the server carrying payload; the server reads it,
 * so it really crossed the base. */
static void tcp_exchange(uint32_t dst, uint16_t port, const char *payload, const char *answer)
{
	int c = ns_socket(client_ns, AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(dst)};
	cr_assert_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	cr_assert_eq(send(c, payload, strlen(payload), 0), (ssize_t)strlen(payload));
	struct pollfd p = {listener, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 2000), 1, "server never saw the connection");
	int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(s, 0);
	char got[128] = "";
	p = (struct pollfd){s, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 2000), 1);
	cr_assert_gt(recv(s, got, sizeof(got) - 1, 0), 0);
	cr_assert_str_eq(got, payload);
	if (answer) {
		cr_assert_eq(send(s, answer, strlen(answer), 0), (ssize_t)strlen(answer));
		p = (struct pollfd){c, POLLIN, 0};
		cr_assert_eq(poll(&p, 1, 2000), 1, "the client never got the answer");
		memset(got, 0, sizeof(got));
		cr_assert_gt(recv(c, got, sizeof(got) - 1, 0), 0);
		cr_assert_str_eq(got, answer);
	}
	close(s);
	close(c);
}

static void tcp_send(const char *payload)
{
	tcp_exchange(SERVER_IP, PORT, payload, NULL);
}

static uint16_t ip_csum(const unsigned char *h, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* From the audit space, out of mon0: an IPv4/UDP frame to the server,
 * addressed to base_if's MAC (so the base would route it on, were it not
 * dropped), and the same as a broadcast. */
static void audit_transmit(int audit_ns, const char *base_if, const char *marker)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", base_if);
	int q = ns_socket(-1, AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(ioctl(q, SIOCGIFHWADDR, &ifr), 0);
	close(q);

	unsigned char f[256];
	memset(f, 0, sizeof(f));
	size_t mlen = strlen(marker), iplen = 20 + 8 + mlen;
	cr_assert_lt(14 + iplen, sizeof(f));
	memcpy(f, ifr.ifr_hwaddr.sa_data, 6);
	const unsigned char src_mac[6] = {0x02, 0, 0, 0, 0, 0x99};
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08; /* IPv4 */
	unsigned char *ip = f + 14;
	ip[0] = 0x45;
	ip[2] = (unsigned char)(iplen >> 8);
	ip[3] = (unsigned char)iplen;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	uint32_t s = htonl(IP(192, 0, 2, 99)), d = htonl(SERVER_IP);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	uint16_t c = htons(ip_csum(ip, 20));
	memcpy(ip + 10, &c, 2);
	unsigned char *udp = ip + 20;
	udp[0] = udp[2] = 0x27; /* ports 9999 */
	udp[1] = udp[3] = 0x0f;
	udp[4] = (unsigned char)((8 + mlen) >> 8);
	udp[5] = (unsigned char)(8 + mlen);
	memcpy(udp + 8, marker, mlen);

	int idx;
	ok(link_index(audit_ns, MIRROR_PEER, &idx, err, sizeof(err)));
	int fd = ns_socket(audit_ns, AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = idx, .sll_halen = 6};
	cr_assert_eq(sendto(fd, f, 14 + iplen, 0, (struct sockaddr *)&sll, sizeof(sll)),
		     (ssize_t)(14 + iplen), "send on mon0: %s", strerror(errno));
	memset(f, 0xff, 6); /* broadcast */
	cr_assert_eq(sendto(fd, f, 14 + iplen, 0, (struct sockaddr *)&sll, sizeof(sll)),
		     (ssize_t)(14 + iplen));
	close(fd);
}

/* ---- tc inspection ---- */

struct count {
	const char *cookie; /* NULL = count all */
	int n;
};

static void count_cb(const struct tc_filter_info *f, void *arg)
{
	struct count *c = arg;
	if (!c->cookie || strcmp(c->cookie, f->cookie) == 0)
		c->n++;
}

/* u32 rules on ifname's hook (of the base) with cookie (NULL = any). */
static int filters(const char *ifname, enum tc_dir dir, const char *cookie)
{
	int idx;
	ok(link_index(-1, ifname, &idx, err, sizeof(err)));
	cr_assert_gt(idx, 0);
	struct mnl_socket *nl;
	ok(nl_open_in(-1, &nl, err, sizeof(err)));
	struct count c = {cookie, 0};
	ok(tc_filter_list(nl, idx, dir, 0, count_cb, &c, err, sizeof(err)));
	mnl_socket_close(nl);
	return c.n;
}

static bool exists(int ns, const char *ifname)
{
	bool e;
	ok(link_exists(ns, ifname, &e, err, sizeof(err)));
	return e;
}

/* ---- the world ---- */

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, tc)");
	ok(netns_create(&base_ns, err, sizeof(err)));
	ok(netns_create(&client_ns, err, sizeof(err)));
	ok(netns_create(&server_ns, err, sizeof(err)));
	ok(netns_create(&a1_ns, err, sizeof(err)));
	ok(netns_create(&a2_ns, err, sizeof(err)));
	/* From here on this process lives in the fake base. */
	ok(netns_enter(base_ns, &orig_ns, err, sizeof(err)));
	ok(link_set_up(-1, "lo", err, sizeof(err)));
	write_file("/proc/sys/net/ipv4/ip_forward", "1\n");

	ok(link_veth_create("hcl0", client_ns, "eth0", err, sizeof(err)));
	ok(link_addr_add(-1, "hcl0", BASE_CL_IP, 24, err, sizeof(err)));
	ok(link_set_up(-1, "hcl0", err, sizeof(err)));
	ok(link_addr_add(client_ns, "eth0", CLIENT_IP, 24, err, sizeof(err)));
	ok(link_set_up(client_ns, "eth0", err, sizeof(err)));
	ok(link_route_add_default(client_ns, BASE_CL_IP, "eth0", err, sizeof(err)));

	ok(link_veth_create("hsv0", server_ns, "eth0", err, sizeof(err)));
	ok(link_addr_add(-1, "hsv0", BASE_SV_IP, 30, err, sizeof(err)));
	ok(link_set_up(-1, "hsv0", err, sizeof(err)));
	ok(link_addr_add(server_ns, "eth0", SERVER_IP, 30, err, sizeof(err)));
	ok(link_set_up(server_ns, "eth0", err, sizeof(err)));
	ok(link_route_add_default(server_ns, BASE_SV_IP, "eth0", err, sizeof(err)));

	listener = ns_socket(server_ns, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	cr_assert_eq(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(listener, 8), 0);
}

static void teardown(void)
{
	if (listener >= 0)
		close(listener);
	/* Leaving and dropping the fds ends the namespaces and, with them,
	 * every veth and filter the test made. */
	if (orig_ns >= 0)
		netns_leave(orig_ns, err, sizeof(err));
	int *fds[] = {&base_ns, &client_ns, &server_ns, &a1_ns, &a2_ns};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

TestSuite(mirror, .init = setup, .fini = teardown, .timeout = 60);

static const char *const both[] = {"hcl0", "hsv0"};

Test(mirror, attach_sets_up_a_silent_receive_only_link)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	cr_assert(exists(-1, "hsmt1"));
	cr_assert(exists(a1_ns, MIRROR_PEER));
	cr_assert_eq(read_sysctl(-1, "/proc/sys/net/ipv6/conf/hsmt1/disable_ipv6"), '1');
	cr_assert_eq(read_sysctl(a1_ns, "/proc/sys/net/ipv6/conf/mon0/disable_ipv6"), '1');
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "hsmt1");
	int q = ns_socket(-1, AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(ioctl(q, SIOCGIFFLAGS, &ifr), 0);
	cr_assert(ifr.ifr_flags & IFF_NOARP, "arp is on on hsmt1");
	cr_assert(ifr.ifr_flags & IFF_UP);
	cr_assert_eq(ioctl(q, SIOCGIFMTU, &ifr), 0);
	cr_assert_eq(ifr.ifr_mtu, 65535, "a reassembled datagram would not fit");
	/* ARP and IPv6 rules per hook per source, one drop rule on the mirror. */
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(filters(both[i], TC_DIR_INGRESS, "Mhsmt1"), 2);
		cr_assert_eq(filters(both[i], TC_DIR_EGRESS, "Mhsmt1"), 2);
	}
	char *out = NULL;
	ok(nftrun_script("list table ip hsd_mirror_hsmt1", "list", &out, err, sizeof(err)));
	cr_assert(out && strstr(out, "dup to 169.254.0.1 device \"hsmt1\""), "%s", out ? out : "");
	free(out);
	/* The copies' route is an on-link gateway route, which the kernel
	 * caches (without it, one route was built per copy). */
	char line[256] = "";
	FILE *ip = popen("ip -o route get " MIRROR_GW " oif hsmt1 2>&1", "r");
	cr_assert(ip && fgets(line, sizeof(line), ip));
	pclose(ip);
	cr_assert(strstr(line, "via " MIRROR_GW " dev hsmt1"), "the copies' route: %s", line);
	/* ... and the drop filter on the mirror's own ingress. */
	cr_assert_eq(filters("hsmt1", TC_DIR_INGRESS, NULL), 1);
	cr_assert_eq(filters("hsmt1", TC_DIR_EGRESS, NULL), 0);
	close(q);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	cr_assert_neq(nftrun_script("list table ip hsd_mirror_hsmt1", "list", NULL, err,
				    sizeof(err)),
		      HS_OK, "detach left the netfilter table");
}

Test(mirror, audit_space_sees_client_to_server_payload)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a1_ns, MIRROR_PEER);
	char payload[96];
	unique(payload, sizeof(payload), "payload");
	tcp_send(payload);
	/* The data segment crosses hcl0 (ingress) and hsv0 (egress), and is
	 * copied once. */
	int n = cap_count(cap, payload, 1000, 0);
	cr_assert_eq(n, 1, "payload seen %d times on mon0", n);
	close(cap);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

Test(mirror, nothing_sent_on_mon0_gets_anywhere)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	/* Prime ARP on the base so a leaked packet would be routed at once. */
	char warm[96];
	unique(warm, sizeof(warm), "warm");
	tcp_send(warm);
	int caps[] = {cap_open(-1, "hcl0"), cap_open(-1, "hsv0"), cap_open(-1, "lo"),
		      cap_open(server_ns, "eth0"), cap_open(client_ns, "eth0")};
	const char *where[] = {"base hcl0", "base hsv0", "base lo", "server eth0", "client eth0"};
	uint64_t before;
	ok(mirror_dropped("hsmt1", &before, err, sizeof(err)));
	char marker[96];
	unique(marker, sizeof(marker), "audit-tx");
	audit_transmit(a1_ns, "hsmt1", marker);
	for (size_t i = 0; i < 5; i++) {
		int n = cap_count(caps[i], marker, i == 0 ? 500 : 50, 0);
		cr_assert_eq(n, 0, "packet from the audit space reached %s", where[i]);
	}
	uint64_t after;
	ok(mirror_dropped("hsmt1", &after, err, sizeof(err)));
	cr_assert_geq(after - before, 2, "drop counter %llu -> %llu", (unsigned long long)before,
		      (unsigned long long)after);

	/* Control: without the drop rule the same frame does reach the
	 * server, so the silence above was the rule's doing. */
	int idx;
	ok(link_index(-1, "hsmt1", &idx, err, sizeof(err)));
	struct mnl_socket *nl;
	ok(nl_open_in(-1, &nl, err, sizeof(err)));
	struct count all = {NULL, 0};
	ok(tc_filter_list(nl, idx, TC_DIR_INGRESS, MIRROR_DROP_PRIO, count_cb, &all, err,
			  sizeof(err)));
	cr_assert_eq(all.n, 1);
	/* Handle 0 deletes the whole priority. */
	ok(tc_filter_del(nl, idx, TC_DIR_INGRESS, MIRROR_DROP_PRIO, 0, err, sizeof(err)));
	mnl_socket_close(nl);
	unique(marker, sizeof(marker), "control");
	audit_transmit(a1_ns, "hsmt1", marker);
	cr_assert_geq(cap_count(caps[3], marker, 1000, 1), 1,
		      "control frame never reached the server: the test proves nothing");
	for (size_t i = 0; i < 5; i++)
		close(caps[i]);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

/* hsd reports each audit space's mon0 drops to the operator: a mirror's
 * count must be its own clsact's, not another interface's that a qdisc
 * dump happens to list last. */
Test(mirror, drop_counts_are_each_mirrors_own)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	ok(mirror_attach(a2_ns, "hsmt2", both, 2, err, sizeof(err)));
	uint64_t b1, b2, a1, a2;
	char marker[96];
	ok(mirror_dropped("hsmt1", &b1, err, sizeof(err)));
	ok(mirror_dropped("hsmt2", &b2, err, sizeof(err)));
	unique(marker, sizeof(marker), "drops-1");
	audit_transmit(a1_ns, "hsmt1", marker);
	ok(mirror_dropped("hsmt1", &a1, err, sizeof(err)));
	ok(mirror_dropped("hsmt2", &a2, err, sizeof(err)));
	cr_assert_geq(a1 - b1, 2, "hsmt1's drops %llu -> %llu", (unsigned long long)b1,
		      (unsigned long long)a1);
	cr_assert_eq(a2, b2, "hsmt2 counted hsmt1's drops");
	unique(marker, sizeof(marker), "drops-2");
	audit_transmit(a2_ns, "hsmt2", marker);
	ok(mirror_dropped("hsmt1", &b1, err, sizeof(err)));
	ok(mirror_dropped("hsmt2", &b2, err, sizeof(err)));
	cr_assert_eq(b1, a1, "hsmt1 counted hsmt2's drops");
	cr_assert_geq(b2 - a2, 2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	ok(mirror_detach("hsmt2", err, sizeof(err)));
}

Test(mirror, detach_leaves_a_second_mirror_of_the_same_sources)
{
	cr_assert_neq(mirror_prio("hsmt1"), mirror_prio("hsmt2"));
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	ok(mirror_attach(a2_ns, "hsmt2", both, 2, err, sizeof(err)));
	int c1 = cap_open(a1_ns, MIRROR_PEER), c2 = cap_open(a2_ns, MIRROR_PEER);
	char p[96];
	unique(p, sizeof(p), "both");
	tcp_send(p);
	/* Both mirrors see everything, once each, not just the first. */
	cr_assert_eq(cap_count(c1, p, 1000, 0), 1);
	cr_assert_eq(cap_count(c2, p, 1000, 0), 1);
	close(c1);

	ok(mirror_detach("hsmt1", err, sizeof(err)));
	cr_assert_not(exists(-1, "hsmt1"));
	cr_assert_not(exists(a1_ns, MIRROR_PEER));
	for (size_t i = 0; i < 2; i++) {
		for (int d = TC_DIR_INGRESS; d <= TC_DIR_EGRESS; d++) {
			cr_assert_eq(filters(both[i], (enum tc_dir)d, "Mhsmt1"), 0);
			cr_assert_eq(filters(both[i], (enum tc_dir)d, "Mhsmt2"), 2);
		}
	}
	unique(p, sizeof(p), "after");
	tcp_send(p);
	cr_assert_eq(cap_count(c2, p, 1000, 0), 1, "second mirror stopped with the first");
	close(c2);

	ok(mirror_detach("hsmt2", err, sizeof(err)));
	for (size_t i = 0; i < 2; i++)
		for (int d = TC_DIR_INGRESS; d <= TC_DIR_EGRESS; d++)
			cr_assert_eq(filters(both[i], (enum tc_dir)d, NULL), 0);
	/* Detaching again (e.g. after a restart that lost track) is harmless. */
	ok(mirror_detach("hsmt2", err, sizeof(err)));
}

/* A broadcast ARP request from the client for target (who has it). */
static void arp_from_client(uint32_t target)
{
	unsigned char f[42];
	memset(f, 0xff, 6);
	const unsigned char mac[6] = {0x02, 0, 0, 0, 0, 0x42};
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	const unsigned char hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, mac, 6);
	uint32_t s = htonl(CLIENT_IP), t = htonl(target);
	memcpy(f + 28, &s, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &t, 4);
	int idx;
	ok(link_index(client_ns, "eth0", &idx, err, sizeof(err)));
	int fd = ns_socket(client_ns, AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = idx, .sll_halen = 6};
	cr_assert_eq(sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)),
		     (ssize_t)sizeof(f));
	close(fd);
}

/* ARP frames on fd asking for target. */
static int cap_arp(int fd, uint32_t target, int ms)
{
	unsigned char t[4] = {target >> 24, target >> 16 & 0xff, target >> 8 & 0xff, target & 0xff};
	static unsigned char pkt[2048];
	int found = 0;
	long end = now_ms() + ms;
	for (long left = ms; left > 0; left = end - now_ms()) {
		struct pollfd p = {fd, POLLIN, 0};
		poll(&p, 1, (int)left);
		ssize_t n;
		while ((n = recv(fd, pkt, sizeof(pkt), 0)) >= 42)
			if (pkt[12] == 0x08 && pkt[13] == 0x06 && memcmp(pkt + 38, t, 4) == 0)
				found++;
	}
	return found;
}

Test(mirror, sources_come_and_go)
{
	const char *one[] = {"hcl0"};
	ok(mirror_attach(a1_ns, "hsmt1", one, 1, err, sizeof(err)));
	cr_assert_eq(filters("hsv0", TC_DIR_INGRESS, NULL), 0);
	ok(mirror_add_source("hsmt1", "hsv0", err, sizeof(err)));
	ok(mirror_add_source("hsmt1", "hsv0", err, sizeof(err))); /* idempotent */
	cr_assert_eq(filters("hsv0", TC_DIR_INGRESS, "Mhsmt1"), 2);
	cr_assert_eq(filters("hsv0", TC_DIR_EGRESS, "Mhsmt1"), 2);

	int cap = cap_open(a1_ns, MIRROR_PEER);
	arp_from_client(IP(192, 0, 2, 201));
	cr_assert_eq(cap_arp(cap, IP(192, 0, 2, 201), 500), 1, "an ARP request is copied once");
	ok(mirror_remove_source("hsmt1", "hcl0", err, sizeof(err)));
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, NULL), 0);
	arp_from_client(IP(192, 0, 2, 202));
	cr_assert_eq(cap_arp(cap, IP(192, 0, 2, 202), 500), 0, "hcl0's ARP after its removal");
	/* IPv4 is netfilter's, whatever the sources: still once. */
	char p[96];
	unique(p, sizeof(p), "ipv4-any-source");
	tcp_send(p);
	cr_assert_eq(cap_count(cap, p, 1000, 0), 1);
	close(cap);

	ok(mirror_remove_source("hsmt1", "hsv0", err, sizeof(err)));
	ok(mirror_remove_source("hsmt1", "hsv0", err, sizeof(err)));
	ok(mirror_remove_source("hsmt1", "gone0", err, sizeof(err)));
	cr_assert_eq(filters("hsv0", TC_DIR_EGRESS, NULL), 0);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

/* A published port: the client talks to the base's address, the server
 * answers from its own.  Both directions must show the server's side, or
 * an IDS would see two half connections. */
Test(mirror, a_published_port_shows_one_flow_with_the_servers_address)
{
	char rules[512];
	snprintf(rules, sizeof(rules),
		 "table ip hsmt_nat {\n chain pre { type nat hook prerouting priority dstnat;"
		 " tcp dport 80 dnat to 10.254.0.2:%d\n }\n}\n",
		 PORT);
	ok(nftrun_script(rules, "dnat", NULL, err, sizeof(err)));
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	/* Two captures: each reading drops what does not carry its marker. */
	int cap = cap_open(a1_ns, MIRROR_PEER), cap2 = cap_open(a1_ns, MIRROR_PEER);
	char q[96], a[96];
	unique(q, sizeof(q), "request");
	unique(a, sizeof(a), "answer");
	tcp_exchange(BASE_CL_IP, 80, q, a);
	struct seen rq = cap_seen(cap, q, 800), an = cap_seen(cap2, a, 100);
	cr_assert_eq(rq.n, 1, "request copied %d times", rq.n);
	cr_assert_eq(an.n, 1, "answer copied %d times", an.n);
	cr_assert(rq.src == CLIENT_IP && rq.dst == SERVER_IP && rq.dport == PORT,
		  "request shown as %08x -> %08x:%u", rq.src, rq.dst, rq.dport);
	cr_assert(an.src == SERVER_IP && an.sport == PORT && an.dst == CLIENT_IP,
		  "answer shown as %08x:%u -> %08x", an.src, an.sport, an.dst);
	close(cap);
	close(cap2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	ok(nftrun_script("delete table ip hsmt_nat", "dnat", NULL, err, sizeof(err)));
}

/* A server forging its source is dropped by hsd's guard (raw priority),
 * and its IDS must still see the attempt. */
Test(mirror, a_forged_packet_the_guard_drops_is_still_copied)
{
	ok(nftrun_script("table ip hsmt_guard {\n chain g { type filter hook prerouting priority"
			 " raw; iifname \"hsv0\" ip saddr != 10.254.0.2 drop\n }\n}\n",
			 "guard", NULL, err, sizeof(err)));
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a1_ns, MIRROR_PEER), cl = cap_open(client_ns, "eth0");
	char m[96];
	unique(m, sizeof(m), "forged");
	/* UDP from 192.0.2.77 (not the server's) out of the server's eth0. */
	int fd = ns_socket(server_ns, AF_INET, SOCK_RAW, IPPROTO_RAW);
	unsigned char pk[160];
	memset(pk, 0, sizeof(pk));
	size_t len = 28 + strlen(m);
	pk[0] = 0x45, pk[2] = (unsigned char)(len >> 8), pk[3] = (unsigned char)len, pk[8] = 64;
	pk[9] = IPPROTO_UDP;
	uint32_t s = htonl(IP(192, 0, 2, 77)), d = htonl(CLIENT_IP);
	memcpy(pk + 12, &s, 4);
	memcpy(pk + 16, &d, 4);
	pk[20] = pk[22] = 0x27, pk[21] = pk[23] = 0x0f, pk[25] = (unsigned char)(8 + strlen(m));
	memcpy(pk + 28, m, strlen(m));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = d};
	cr_assert_eq(sendto(fd, pk, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len,
		     "send: %s", strerror(errno));
	close(fd);
	cr_assert_eq(cap_count(cap, m, 800, 0), 1, "the forged packet is copied once");
	cr_assert_eq(cap_count(cl, m, 100, 0), 0, "the guard let it through: the test proves nothing");
	close(cap);
	close(cl);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	ok(nftrun_script("delete table ip hsmt_guard", "guard", NULL, err, sizeof(err)));
}

/* An hsd from before copied every protocol with one rule per hook: after
 * an upgrade its rules must go, or every packet would come twice again. */
Test(mirror, readopt_replaces_an_older_hsds_rules)
{
	ok(mirror_attach(a1_ns, "hsmt1", NULL, 0, err, sizeof(err)));
	int idx, base_idx;
	ok(link_index(-1, "hcl0", &idx, err, sizeof(err)));
	ok(link_index(-1, "hsmt1", &base_idx, err, sizeof(err)));
	struct mnl_socket *nl;
	ok(nl_open_in(-1, &nl, err, sizeof(err)));
	ok(tc_clsact_add(nl, idx, err, sizeof(err)));
	ok(tc_mirror_add(nl, idx, TC_DIR_INGRESS, mirror_prio("hsmt1"), ETH_P_ALL, base_idx,
			 "Mhsmt1", err, sizeof(err)));
	mnl_socket_close(nl);
	int cap = cap_open(a1_ns, MIRROR_PEER);
	char p[96];
	unique(p, sizeof(p), "old-rule");
	tcp_send(p);
	cr_assert_eq(cap_count(cap, p, 800, 0), 2, "control: the old rule copies again");
	ok(mirror_readopt("hsmt1", both, 2, err, sizeof(err)));
	unique(p, sizeof(p), "readopted");
	tcp_send(p);
	cr_assert_eq(cap_count(cap, p, 800, 0), 1);
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, "Mhsmt1"), 2);
	close(cap);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

Test(mirror, bad_input_and_failures_leave_nothing_behind)
{
	cr_assert_eq(mirror_attach(a1_ns, "bad name", both, 2, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(mirror_attach(-1, "hsmt1", both, 2, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(mirror_add_source("hsmt9", "hcl0", err, sizeof(err)), HS_ESTATE);

	const char *missing[] = {"hcl0", "nosuch0"};
	cr_assert_eq(mirror_attach(a1_ns, "hsmt1", missing, 2, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "nosuch0"), "%s", err);
	cr_assert_not(exists(-1, "hsmt1"));
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, NULL), 0);

	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	cr_assert_eq(mirror_attach(a2_ns, "hsmt1", both, 2, err, sizeof(err)), HS_ESTATE);
	cr_assert(exists(-1, "hsmt1"), "a refused attach removed the existing mirror");
	cr_assert_eq(mirror_add_source("hsmt1", "hsmt1", err, sizeof(err)), HS_EINPUT);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

Test(mirror, a_foreign_filter_on_our_priority_is_not_shared)
{
	int idx;
	ok(link_index(-1, "hcl0", &idx, err, sizeof(err)));
	struct mnl_socket *nl;
	ok(nl_open_in(-1, &nl, err, sizeof(err)));
	ok(tc_clsact_add(nl, idx, err, sizeof(err)));
	/* Someone else's mirror (to lo) on exactly our priority. */
	ok(tc_mirror_add(nl, idx, TC_DIR_INGRESS, mirror_prio("hsmt1"), ETH_P_ARP, 1, "someone", err,
			 sizeof(err)));
	mnl_socket_close(nl);
	cr_assert_eq(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "taken"), "%s", err);
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, "someone"), 1,
		     "the rollback removed a foreign rule");
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, NULL), 1);
	cr_assert_eq(filters("hcl0", TC_DIR_EGRESS, NULL), 0);
	cr_assert_not(exists(-1, "hsmt1"));
}
