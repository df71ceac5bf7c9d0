/* test_net_live.c - port-space translation end to end, with real
 * namespaces, veths, nftables and sockets.
 *
 * Every test builds its own world from fresh network namespaces that only
 * this process holds (netns_create), so nothing touches the real host's
 * interfaces or nftables, and the kernel removes all of it when the test
 * process ends, even if it crashes:
 *
 *   client ns               "base" ns (plays the host)           space A / B
 *   eth0 192.0.2.2/24 ---- hcl0 192.0.2.1/24
 *                           hsv0 10.254.0.1/30 ------------------ eth0 .2  :8080 tcp+udp
 *                           hsv1 10.254.0.5/30 ------------------ eth0 .6  :8080 tcp+udp
 *   :9000 tcp (tag C)       table ip hsd_test
 *
 * Servers answer "<tag> <peer address>" so a test sees who it reached and
 * which source address the server saw.  Needs root; skipped otherwise.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "linknet.h"
#include "netns.h"
#include "portmap.h"

#define TABLE "hsd_test"
#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define BASE_IP IP(192, 0, 2, 1)
#define CLIENT_IP IP(192, 0, 2, 2)

static int orig_ns = -1, base_ns = -1, ns_a = -1, ns_b = -1, ns_client = -1;
static struct linknet link_a, link_b;
static char host_fwd_before[8];
static char err[HS_ERRLEN];

struct server {
	pid_t pid;
	int ctl; /* write end; closing it tells the server to exit */
};
static struct server servers[3];
static size_t nservers;

/* ---- tiny echo-the-peer server, forked into a namespace ---- */

static void peer_reply(int fd, const char *tag, const struct sockaddr_in *peer,
		       const struct sockaddr_in *to)
{
	char ip[INET_ADDRSTRLEN], msg[64];
	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip));
	int n = snprintf(msg, sizeof(msg), "%s %s", tag, ip);
	if (to)
		sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
	else if (write(fd, msg, (size_t)n) < 0)
		return;
}

static int bound_socket(int type, uint16_t port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0))
		return -1;
	return fd;
}

static void server_main(int ns, const char *tag, uint16_t port, int ctl, int ready)
{
	int saved;
	if (netns_enter(ns, &saved, err, sizeof(err)) < 0)
		_exit(3);
	close(saved);
	int tcp = bound_socket(SOCK_STREAM, port);
	int udp = bound_socket(SOCK_DGRAM, port);
	if (tcp < 0 || udp < 0)
		_exit(4);
	if (write(ready, "r", 1) != 1)
		_exit(5);
	close(ready);
	struct pollfd p[3] = {{tcp, POLLIN, 0}, {udp, POLLIN, 0}, {ctl, POLLIN, 0}};
	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			_exit(6);
		if (p[2].revents)
			break; /* parent closed the pipe */
		if (p[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t len = sizeof(peer);
			int c = accept(tcp, (struct sockaddr *)&peer, &len);
			if (c >= 0) {
				peer_reply(c, tag, &peer, NULL);
				close(c);
			}
		}
		if (p[1].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t len = sizeof(peer);
			char buf[64];
			if (recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len) >= 0)
				peer_reply(udp, tag, &peer, &peer);
		}
	}
	close(tcp);
	close(udp);
	close(ctl);
	/* _exit, not exit: criterion's atexit handlers belong to the parent. */
	_exit(0);
}

static void server_start(int ns, const char *tag, uint16_t port)
{
	int ctl[2], ready[2];
	cr_assert_eq(pipe2(ctl, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Never outlive the test process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ctl[1]);
		close(ready[0]);
		for (size_t i = 0; i < nservers; i++)
			close(servers[i].ctl);
		server_main(ns, tag, port, ctl[0], ready[1]);
	}
	close(ctl[0]);
	close(ready[1]);
	char c;
	ssize_t n = read(ready[0], &c, 1);
	close(ready[0]);
	servers[nservers++] = (struct server){pid, ctl[1]};
	cr_assert_eq(n, 1, "server %s did not start", tag);
}

static void servers_stop(void)
{
	for (size_t i = 0; i < nservers; i++) {
		int st;
		close(servers[i].ctl);
		waitpid(servers[i].pid, &st, 0);
	}
	nservers = 0;
}

/* ---- client side ---- */

/* Talk to ip:port from namespace ns (-1 = here, the base); reply gets
 * what the server said.  Returns 0, or -errno (timeouts after 2 s). */
static int talk(int ns, int type, uint32_t ip, uint16_t port, char *reply, size_t rlen)
{
	int saved = -1, fd;
	if (ns >= 0)
		cr_assert_eq(netns_enter(ns, &saved, err, sizeof(err)), HS_OK, "%s", err);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (saved >= 0)
		cr_assert_eq(netns_leave(saved, err, sizeof(err)), HS_OK, "%s", err);
	cr_assert_geq(fd, 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(ip)};
	int rc = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_DGRAM && send(fd, "?", 1, 0) != 1)) {
		rc = -errno;
		goto out;
	}
	ssize_t n = recv(fd, reply, rlen - 1, 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	reply[n] = 0;
out:
	close(fd);
	return rc;
}

static void expect_reply(int ns, int type, uint32_t ip, uint16_t port, const char *want)
{
	char reply[64] = "";
	int rc = talk(ns, type, ip, port, reply, sizeof(reply));
	cr_assert_eq(rc, 0, "%s to %u.%u.%u.%u:%u: %s", type == SOCK_STREAM ? "tcp" : "udp",
		     ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port, strerror(-rc));
	cr_assert_str_eq(reply, want);
}

/* ---- the world ---- */

static void read_host_forward(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "re");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, (int)len, f));
	fclose(f);
}

static void ok(int rc)
{
	cr_assert_eq(rc, HS_OK, "%s", err);
}

static void space_link(int ns, uint32_t n, struct linknet *l)
{
	struct linknet_plan plan;
	char hif[16];
	ok(linknet_plan_init(&plan, NULL, err, sizeof(err)));
	ok(linknet_for(&plan, n, l, err, sizeof(err)));
	linknet_host_ifname(n, hif, sizeof(hif));
	ok(link_veth_create(hif, ns, "eth0", err, sizeof(err)));
	ok(link_addr_add(-1, hif, l->base_addr, l->plen, err, sizeof(err)));
	ok(link_set_up(-1, hif, err, sizeof(err)));
	ok(link_set_up(ns, "lo", err, sizeof(err)));
	ok(link_addr_add(ns, "eth0", l->space_addr, l->plen, err, sizeof(err)));
	ok(link_set_up(ns, "eth0", err, sizeof(err)));
	ok(link_route_add_default(ns, l->base_addr, "eth0", err, sizeof(err)));
	ok(portmap_enable_localnet(hif, err, sizeof(err)));
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, nftables)");
	read_host_forward(host_fwd_before, sizeof(host_fwd_before));
	ok(netns_create(&base_ns, err, sizeof(err)));
	ok(netns_create(&ns_a, err, sizeof(err)));
	ok(netns_create(&ns_b, err, sizeof(err)));
	ok(netns_create(&ns_client, err, sizeof(err)));
	/* From here on this process lives in the fake base. */
	ok(netns_enter(base_ns, &orig_ns, err, sizeof(err)));
	ok(link_set_up(-1, "lo", err, sizeof(err)));

	space_link(ns_a, 0, &link_a);
	space_link(ns_b, 1, &link_b);

	/* The client's veth: made here in the base, then moved and renamed,
	 * which is what the mesh code will do with its interfaces. */
	ok(link_veth_create("hcl0", -1, "hclp", err, sizeof(err)));
	ok(link_move_to_netns(-1, "hclp", ns_client, "eth0", err, sizeof(err)));
	ok(link_addr_add(-1, "hcl0", BASE_IP, 24, err, sizeof(err)));
	ok(link_set_up(-1, "hcl0", err, sizeof(err)));
	ok(link_set_up(ns_client, "lo", err, sizeof(err)));
	ok(link_addr_add(ns_client, "eth0", CLIENT_IP, 24, err, sizeof(err)));
	ok(link_set_up(ns_client, "eth0", err, sizeof(err)));
	ok(portmap_enable_forwarding(err, sizeof(err)));

	server_start(ns_a, "A", 8080);
	server_start(ns_b, "B", 8080);
	server_start(ns_client, "C", 9000);
}

static void teardown(void)
{
	servers_stop();
	if (orig_ns >= 0)
		netns_leave(orig_ns, err, sizeof(err));
	orig_ns = -1;
	/* Closing the last references lets the kernel delete the namespaces
	 * with every veth and nftables table in them. */
	int *fds[] = {&base_ns, &ns_a, &ns_b, &ns_client};
	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

TestSuite(live, .init = setup, .fini = teardown, .timeout = 60);

static void publish_two(void)
{
	struct portmap_rule r[3];
	ok(portmap_parse_publish("8081:8080", &r[0], err, sizeof(err)));
	ok(portmap_parse_publish("8082:8080", &r[1], err, sizeof(err)));
	ok(portmap_parse_publish("8081:8080/udp", &r[2], err, sizeof(err)));
	snprintf(r[0].space, sizeof(r[0].space), "a");
	snprintf(r[1].space, sizeof(r[1].space), "b");
	snprintf(r[2].space, sizeof(r[2].space), "a");
	r[0].space_addr = r[2].space_addr = link_a.space_addr;
	r[1].space_addr = link_b.space_addr;
	struct portmap_net nets[2] = {{link_a.subnet, link_a.plen, "hsv0"},
				      {link_b.subnet, link_b.plen, "hsv1"}};
	ok(portmap_apply(TABLE, r, 3, nets, 2, err, sizeof(err)));
}

static bool table_exists(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	cr_assert_not_null(nft);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	cr_assert_eq(nft_run_cmd_from_buffer(nft, "list tables"), 0);
	bool found = strstr(nft_ctx_get_output_buffer(nft), "table ip " TABLE "\n") != NULL;
	nft_ctx_free(nft);
	return found;
}

Test(live, client_reaches_each_space_and_keeps_its_address)
{
	publish_two();
	cr_assert(table_exists());
	/* Same internal port 8080 in both spaces, told apart by host port. */
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8081, "A 192.0.2.2");
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8082, "B 192.0.2.2");
	expect_reply(ns_client, SOCK_DGRAM, BASE_IP, 8081, "A 192.0.2.2");
	/* Applying again replaces the table in place. */
	publish_two();
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8082, "B 192.0.2.2");
}

Test(live, host_itself_reaches_published_ports)
{
	publish_two();
	/* output hook: the base's own connection, to its own address ... */
	expect_reply(-1, SOCK_STREAM, BASE_IP, 8081, "A 192.0.2.1");
	/* ... and to loopback (route_localnet + masquerade to hsv1's .5). */
	expect_reply(-1, SOCK_STREAM, IP(127, 0, 0, 1), 8082, "B 10.254.0.5");
	expect_reply(-1, SOCK_DGRAM, IP(127, 0, 0, 1), 8081, "A 10.254.0.1");
}

Test(live, spaces_go_out_masqueraded_and_hairpin)
{
	publish_two();
	/* Outgoing: the client sees the base's address, not 10.254.0.2. */
	expect_reply(ns_a, SOCK_STREAM, CLIENT_IP, 9000, "C 192.0.2.1");
	expect_reply(ns_b, SOCK_STREAM, CLIENT_IP, 9000, "C 192.0.2.1");
	/* Space A through the host's published port to space B, and to itself. */
	expect_reply(ns_a, SOCK_STREAM, BASE_IP, 8082, "B 10.254.0.5");
	expect_reply(ns_a, SOCK_STREAM, BASE_IP, 8081, "A 10.254.0.1");
}

Test(live, duplicate_publish_is_refused_and_keeps_old_rules)
{
	publish_two();
	struct portmap_rule r[2];
	ok(portmap_parse_publish("8081:8080", &r[0], err, sizeof(err)));
	ok(portmap_parse_publish("8081:9999", &r[1], err, sizeof(err)));
	snprintf(r[0].space, sizeof(r[0].space), "web");
	snprintf(r[1].space, sizeof(r[1].space), "api");
	r[0].space_addr = link_a.space_addr;
	r[1].space_addr = link_b.space_addr;
	cr_assert_eq(portmap_apply(TABLE, r, 2, NULL, 0, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "publish: host port tcp/8081 already published by space \"web\"");
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8082, "B 192.0.2.2");
}

Test(live, port_in_use_sees_listeners)
{
	bool used;
	ok(portmap_port_in_use(IPPROTO_TCP, 8080, &used, err, sizeof(err)));
	cr_assert_not(used, "nothing listens on 8080 in the base");
	int saved;
	ok(netns_enter(ns_a, &saved, err, sizeof(err)));
	ok(portmap_port_in_use(IPPROTO_TCP, 8080, &used, err, sizeof(err)));
	cr_assert(used);
	ok(portmap_port_in_use(IPPROTO_UDP, 8080, &used, err, sizeof(err)));
	cr_assert(used);
	ok(portmap_port_in_use(IPPROTO_TCP, 8081, &used, err, sizeof(err)));
	cr_assert_not(used);
	ok(netns_leave(saved, err, sizeof(err)));
	/* A TCP socket that is not listening does not count. */
	char reply[64];
	publish_two();
	cr_assert_eq(talk(-1, SOCK_STREAM, BASE_IP, 8081, reply, sizeof(reply)), 0);
	ok(portmap_port_in_use(IPPROTO_TCP, 8081, &used, err, sizeof(err)));
	cr_assert_not(used);
	cr_assert_eq(portmap_port_in_use(IPPROTO_SCTP, 1, &used, err, sizeof(err)), HS_EINPUT);
}

Test(live, flush_removes_the_table)
{
	publish_two();
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8081, "A 192.0.2.2");
	ok(portmap_flush(TABLE, err, sizeof(err)));
	cr_assert_not(table_exists());
	ok(portmap_flush(TABLE, err, sizeof(err))); /* idempotent */
	char reply[64];
	int rc = talk(ns_client, SOCK_STREAM, BASE_IP, 8081, reply, sizeof(reply));
	cr_assert_eq(rc, -ECONNREFUSED, "%s", strerror(-rc));
	cr_assert_eq(portmap_flush("bad name", err, sizeof(err)), HS_EINPUT);
}

Test(live, links_lifecycle)
{
	bool exists;
	int idx;
	ok(link_exists(ns_a, "eth0", &exists, err, sizeof(err)));
	cr_assert(exists);
	ok(link_index(-1, "hsv0", &idx, err, sizeof(err)));
	cr_assert_gt(idx, 0);
	ok(link_index(-1, "nosuch0", &idx, err, sizeof(err)));
	cr_assert_eq(idx, 0);
	cr_assert_eq(link_veth_create("hsv0", ns_a, "eth1", err, sizeof(err)), HS_ESTATE);
	cr_assert(strstr(err, "hsv0"), "%s", err);
	cr_assert_eq(link_veth_create("x", ns_a, "eth0", err, sizeof(err)), HS_ESTATE,
		     "peer name taken in the target namespace: %s", err);
	ok(link_exists(-1, "x", &exists, err, sizeof(err)));
	cr_assert_not(exists, "a failed create leaves nothing behind");
	cr_assert_eq(link_veth_create("averyveryverylongname", -1, "p", err, sizeof(err)),
		     HS_EINPUT);
	cr_assert_eq(link_set_up(-1, "nosuch0", err, sizeof(err)), HS_ESTATE);
	/* Deleting the base end takes the space's end with it. */
	ok(link_delete(-1, "hsv0", err, sizeof(err)));
	ok(link_exists(ns_a, "eth0", &exists, err, sizeof(err)));
	cr_assert_not(exists);
	ok(link_delete(-1, "hsv0", err, sizeof(err)));
	cr_assert_eq(link_move_to_netns(-1, "hsv0", ns_a, NULL, err, sizeof(err)), HS_ESTATE);
}

Test(live, host_namespace_untouched)
{
	publish_two();
	char now[8];
	int saved;
	ok(netns_enter(orig_ns, &saved, err, sizeof(err)));
	read_host_forward(now, sizeof(now));
	bool host_table = table_exists();
	ok(netns_leave(saved, err, sizeof(err)));
	cr_assert_str_eq(now, host_fwd_before);
	cr_assert_not(host_table);
}
