/* mirror_test.h - the world of the packet mirror's tests (test_mirror.c,
 * test_mirror_paths.c): fresh anonymous network namespaces that only the
 * test process holds (netns_create), so nothing touches the real host's
 * interfaces or tc, and the kernel removes all of it when the process
 * ends, even after a crash:
 *
 *   client ns              "base" ns (plays the host)        server ns
 *   eth0 192.0.2.2/24 ---- hcl0 192.0.2.1/24
 *                          hsv0 10.254.0.1/30 -------------- eth0 10.254.0.2 :8080
 *   audit ns A1: mon0 ==== hsmt1  (mirror of hcl0 + hsv0)
 *   audit ns A2: mon0 ==== hsmt2  (a second mirror of the same sources)
 *
 * Captures are the test's own AF_PACKET sockets, each opened inside the
 * namespace it watches.  Needs root; skipped otherwise.  Helpers are
 * static inline: each test file uses some of them.
 */
#ifndef HS_MIRROR_TEST_H
#define HS_MIRROR_TEST_H

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

static inline void ok(int rc)
{
	cr_assert_eq(rc, HS_OK, "%s", err);
}

/* A socket created inside ns (-1 = here) stays there. */
static inline int ns_socket(int ns, int domain, int type, int proto)
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

static inline void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, val, strlen(val)), (ssize_t)strlen(val));
	close(fd);
}

/* First byte of a /proc/sys file as seen from ns. */
static inline char read_sysctl(int ns, const char *path)
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
static inline int cap_open(int ns, const char *ifname)
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

static inline long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Packets on fd containing marker within ms milliseconds; returns early
 * once stop_at have been seen (0 = wait the whole time). */
static inline int cap_count(int fd, const char *marker, int ms, int stop_at)
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

static inline struct seen cap_seen(int fd, const char *marker, int ms)
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

static inline void unique(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "hsd-%s-%d-%d-%ld", what, (int)getpid(), ++seq, now_ms());
}

/* TCP from ns from to the server carrying payload; the server reads it,
 * so it really crossed the base. */
static inline void tcp_exchange_from(int from, uint32_t dst, uint16_t port, const char *payload,
				     const char *answer)
{
	int c = ns_socket(from, AF_INET, SOCK_STREAM, 0);
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

/* The same from the client. */
static inline void tcp_exchange(uint32_t dst, uint16_t port, const char *payload,
				const char *answer)
{
	tcp_exchange_from(client_ns, dst, port, payload, answer);
}

static inline void tcp_send(const char *payload)
{
	tcp_exchange(SERVER_IP, PORT, payload, NULL);
}

/* ---- tc inspection ---- */

struct count {
	const char *cookie; /* NULL = count all */
	int n;
};

static inline void count_cb(const struct tc_filter_info *f, void *arg)
{
	struct count *c = arg;
	if (!c->cookie || strcmp(c->cookie, f->cookie) == 0)
		c->n++;
}

/* u32 rules on ifname's hook (of the base) with cookie (NULL = any). */
static inline int filters(const char *ifname, enum tc_dir dir, const char *cookie)
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

static inline bool exists(int ns, const char *ifname)
{
	bool e;
	ok(link_exists(ns, ifname, &e, err, sizeof(err)));
	return e;
}

/* ---- the world ---- */

/* host_if in the base to eth0 in ns: host_ip and peer_ip on a /len, both
 * up, ns's default route via the base. */
static inline void peer_link(int ns, const char *host_if, uint32_t host_ip, uint32_t peer_ip,
			     uint8_t len)
{
	ok(link_veth_create(host_if, ns, "eth0", err, sizeof(err)));
	ok(link_addr_add(-1, host_if, host_ip, len, err, sizeof(err)));
	ok(link_set_up(-1, host_if, err, sizeof(err)));
	ok(link_addr_add(ns, "eth0", peer_ip, len, err, sizeof(err)));
	ok(link_set_up(ns, "eth0", err, sizeof(err)));
	ok(link_route_add_default(ns, host_ip, "eth0", err, sizeof(err)));
}

static inline void setup(void)
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

	peer_link(client_ns, "hcl0", BASE_CL_IP, CLIENT_IP, 24);
	peer_link(server_ns, "hsv0", BASE_SV_IP, SERVER_IP, 30);

	listener = ns_socket(server_ns, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	cr_assert_eq(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(listener, 8), 0);
}

static inline void teardown(void)
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

#endif
