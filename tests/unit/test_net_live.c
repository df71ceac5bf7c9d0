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
 *   :9000 tcp (tag C)       tables ip/ip6 hsd_test
 *                           (boundary tests: a host service :7000, tag H)
 *
 * Servers answer "<tag> <peer address>" so a test sees who it reached and
 * which source address the server saw.  The boundary tests attack from a
 * space and first run the same attack with no table loaded (positive
 * control: it works there, so a pass is the table's doing).  rp_filter is
 * off in the base so that only the table stands between a forged source
 * and the host.  Needs root; skipped otherwise.
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
#include <ifaddrs.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "linknet.h"
#include "mirror.h"
#include "netns.h"
#include "portmap.h"

#define TABLE "hsd_test"
#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define BASE_IP IP(192, 0, 2, 1)
#define CLIENT_IP IP(192, 0, 2, 2)

static int orig_ns = -1, base_ns = -1, ns_a = -1, ns_b = -1, ns_client = -1, ns_audit = -1;
static struct linknet link_a, link_b;
static char host_fwd_before[8];
static char err[HS_ERRLEN];

struct server {
	pid_t pid;
	int ctl; /* write end; closing it tells the server to exit */
};
static struct server servers[4];
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

/* A socket made inside ns (-1 = here, the base), where it stays, with
 * send and receive timeouts of ms. */
static int ns_socket(int ns, int domain, int type, int proto, int ms)
{
	int saved = -1;
	if (ns >= 0)
		cr_assert_eq(netns_enter(ns, &saved, err, sizeof(err)), HS_OK, "%s", err);
	int fd = socket(domain, type | SOCK_CLOEXEC, proto), e = errno;
	if (saved >= 0)
		cr_assert_eq(netns_leave(saved, err, sizeof(err)), HS_OK, "%s", err);
	cr_assert_geq(fd, 0, "socket: %s", strerror(e));
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Talk to ip:port from namespace ns (-1 = here, the base); reply gets
 * what the server said.  Returns 0, or -errno (timeouts after ms). */
static int talk_ms(int ns, int type, uint32_t ip, uint16_t port, char *reply, size_t rlen,
		   int ms)
{
	int fd = ns_socket(ns, AF_INET, type, 0, ms);
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

static int talk(int ns, int type, uint32_t ip, uint16_t port, char *reply, size_t rlen)
{
	return talk_ms(ns, type, ip, port, reply, rlen, 2000);
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
	char key[64];
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", hif);
	ok(netns_sysctl_set(-1, key, "0", err, sizeof(err)));
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
	/* No reverse-path filter (the machine's may be strict, inherited):
	 * the spoofing tests must see the table hold on its own.  No IPv6
	 * duplicate address detection: link-local addresses usable at once. */
	ok(netns_sysctl_set(-1, "net/ipv4/conf/all/rp_filter", "0", err, sizeof(err)));
	ok(netns_sysctl_set(-1, "net/ipv6/conf/default/accept_dad", "0", err, sizeof(err)));
	ok(netns_sysctl_set(ns_a, "net/ipv6/conf/default/accept_dad", "0", err, sizeof(err)));

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
	ok(netns_sysctl_set(-1, "net/ipv4/conf/hcl0/rp_filter", "0", err, sizeof(err)));
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
	int *fds[] = {&base_ns, &ns_a, &ns_b, &ns_client, &ns_audit};
	for (size_t i = 0; i < 5; i++) {
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
	struct portmap_net nets[2] = {{link_a.subnet, link_a.plen, "hsv0", link_a.space_addr},
				      {link_b.subnet, link_b.plen, "hsv1", link_b.space_addr}};
	ok(portmap_apply(TABLE, r, 3, nets, 2, err, sizeof(err)));
}

/* nft's output for cmd (which must succeed); the caller frees it. */
static char *nft_out(const char *cmd)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	cr_assert_not_null(nft);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	cr_assert_eq(nft_run_cmd_from_buffer(nft, cmd), 0, "%s: %s", cmd,
		     nft_ctx_get_error_buffer(nft));
	char *out = strdup(nft_ctx_get_output_buffer(nft));
	nft_ctx_free(nft);
	cr_assert_not_null(out);
	return out;
}

/* Is table "FAMILY hsd_test" there (family "ip" or "ip6")? */
static bool table_exists_in(const char *family)
{
	char want[64];
	snprintf(want, sizeof(want), "table %s " TABLE "\n", family);
	char *out = nft_out("list tables");
	bool found = strstr(out, want) != NULL;
	free(out);
	return found;
}

/* Packets counted by the rule of "FAMILY hsd_test CHAIN" whose text
 * starts with rule (as nft lists it, up to "counter"). */
static unsigned long counted(const char *family, const char *chain, const char *rule)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "list chain %s " TABLE " %s", family, chain);
	char *out = nft_out(cmd);
	char *line = strstr(out, rule), *c = line ? strstr(line, "counter packets ") : NULL;
	long n = c ? (long)strtoul(c + strlen("counter packets "), NULL, 10) : -1;
	free(out);
	cr_assert_geq(n, 0, "no counted rule \"%s\" in chain %s %s", rule, family, chain);
	return (unsigned long)n;
}

Test(live, client_reaches_each_space_and_keeps_its_address)
{
	publish_two();
	cr_assert(table_exists_in("ip"));
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
	cr_assert(table_exists_in("ip6"));
	ok(portmap_flush(TABLE, err, sizeof(err)));
	cr_assert_not(table_exists_in("ip"));
	cr_assert_not(table_exists_in("ip6"));
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
	bool host_table = table_exists_in("ip") || table_exists_in("ip6");
	ok(netns_leave(saved, err, sizeof(err)));
	cr_assert_str_eq(now, host_fwd_before);
	cr_assert_not(host_table);
}

/* ---- the boundary: attacks from a space, each with its control ---- */

#define HOST_PORT 7000 /* a host service on 0.0.0.0, not published */
#define NO_REPLY_MS 1000 /* wait for a dropped packet; the controls show replies come */

static void expect_blocked(int ns, int type, uint32_t ip, uint16_t port)
{
	char reply[64] = "";
	int rc = talk_ms(ns, type, ip, port, reply, sizeof(reply), NO_REPLY_MS);
	cr_assert_neq(rc, 0, "%s to %u.%u.%u.%u:%u got through: \"%s\"",
		      type == SOCK_STREAM ? "tcp" : "udp", ip >> 24, (ip >> 16) & 255,
		      (ip >> 8) & 255, ip & 255, port, reply);
}

static const char *const IN_DROP_A = "iifname \"hsv0\" counter packets";

Test(live, space_reaches_no_host_service)
{
	server_start(base_ns, "H", HOST_PORT);
	/* Control: without the table A reaches it by any of the host's
	 * addresses (its gateway, the LAN side, B's gateway). */
	expect_reply(ns_a, SOCK_STREAM, link_a.base_addr, HOST_PORT, "H 10.254.0.2");
	expect_reply(ns_a, SOCK_STREAM, BASE_IP, HOST_PORT, "H 10.254.0.2");
	expect_reply(ns_a, SOCK_STREAM, link_b.base_addr, HOST_PORT, "H 10.254.0.2");
	expect_reply(ns_a, SOCK_DGRAM, link_a.base_addr, HOST_PORT, "H 10.254.0.2");

	publish_two();
	expect_blocked(ns_a, SOCK_STREAM, link_a.base_addr, HOST_PORT);
	expect_blocked(ns_a, SOCK_STREAM, BASE_IP, HOST_PORT);
	expect_blocked(ns_a, SOCK_STREAM, link_b.base_addr, HOST_PORT);
	expect_blocked(ns_a, SOCK_DGRAM, link_a.base_addr, HOST_PORT);
	cr_assert_geq(counted("ip", "input", IN_DROP_A), 4);
	/* What stays: the LAN reaches the host's service, the host reaches
	 * the space (its replies pass input), published ports work. */
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, HOST_PORT, "H 192.0.2.2");
	expect_reply(-1, SOCK_STREAM, link_a.space_addr, 8080, "A 10.254.0.1");
	expect_reply(-1, SOCK_DGRAM, link_a.space_addr, 8080, "A 10.254.0.1");
	expect_reply(ns_a, SOCK_STREAM, BASE_IP, 8082, "B 10.254.0.5");
}

Test(live, space_reaches_another_only_by_a_published_port)
{
	/* Control: without the table A reaches B's port directly, and so
	 * does the LAN once it routes the link range to the host. */
	ok(link_route_replace(ns_client, IP(10, 254, 0, 0), 16, BASE_IP, "eth0", RTN_UNICAST,
			      RTPROT_STATIC, err, sizeof(err)));
	expect_reply(ns_a, SOCK_STREAM, link_b.space_addr, 8080, "B 10.254.0.2");
	expect_reply(ns_a, SOCK_DGRAM, link_b.space_addr, 8080, "B 10.254.0.2");
	expect_reply(ns_client, SOCK_STREAM, link_a.space_addr, 8080, "A 192.0.2.2");

	publish_two();
	expect_blocked(ns_a, SOCK_STREAM, link_b.space_addr, 8080);
	expect_blocked(ns_a, SOCK_DGRAM, link_b.space_addr, 8080);
	expect_blocked(ns_client, SOCK_STREAM, link_a.space_addr, 8080);
	cr_assert_geq(counted("ip", "forward", "oifname \"hsv1\" counter packets"), 2);
	cr_assert_geq(counted("ip", "forward", "oifname \"hsv0\" counter packets"), 1);
	/* B's published port, by the host's address and by A's own gateway
	 * (DNAT, hairpin), and from the LAN. */
	expect_reply(ns_a, SOCK_STREAM, BASE_IP, 8082, "B 10.254.0.5");
	expect_reply(ns_a, SOCK_STREAM, link_a.base_addr, 8082, "B 10.254.0.5");
	expect_reply(ns_client, SOCK_STREAM, BASE_IP, 8082, "B 192.0.2.2");
}

/* From ns, one IPv4/UDP datagram to dst:port claiming to come from src,
 * built by hand on a raw socket (the test has CAP_NET_RAW everywhere). */
static void send_forged(int ns, uint32_t src, uint32_t dst, uint16_t port, const char *payload)
{
	int fd = ns_socket(ns, AF_INET, SOCK_RAW, IPPROTO_RAW, 0);
	unsigned char pkt[128];
	size_t plen = strlen(payload), len = sizeof(struct iphdr) + sizeof(struct udphdr) + plen;
	cr_assert_leq(len, sizeof(pkt));
	memset(pkt, 0, sizeof(pkt));
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)len); /* the kernel fills id and checksum */
	ip->saddr = htonl(src);
	ip->daddr = htonl(dst);
	udp->source = htons(40000);
	udp->dest = htons(port);
	udp->len = htons((uint16_t)(sizeof(*udp) + plen)); /* checksum 0: none */
	memcpy(pkt + sizeof(*ip) + sizeof(*udp), payload, plen);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(dst)};
	cr_assert_eq(sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len,
		     "sendto: %s", strerror(errno));
	close(fd);
}

/* A UDP socket of the base on port; the test reads it itself. */
static int host_udp(uint16_t port)
{
	int fd = ns_socket(-1, AF_INET, SOCK_DGRAM, 0, NO_REPLY_MS);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	return fd;
}

/* The next datagram on fd: 0 and its source, or -errno. */
static int host_recv(int fd, char *buf, size_t len, uint32_t *from)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ssize_t n = recvfrom(fd, buf, len - 1, 0, (struct sockaddr *)&peer, &plen);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	*from = ntohl(peer.sin_addr.s_addr);
	return 0;
}

Test(live, forged_source_is_dropped_first)
{
	int fd = host_udp(7001);
	char got[64];
	uint32_t from = 0;
	/* Control: the host takes A's forgery for B, and the LAN's for A. */
	send_forged(ns_a, link_b.space_addr, link_a.base_addr, 7001, "forged-1");
	cr_assert_eq(host_recv(fd, got, sizeof(got), &from), 0, "control: nothing arrived");
	cr_assert_str_eq(got, "forged-1");
	cr_assert_eq(from, link_b.space_addr);
	send_forged(ns_client, link_a.space_addr, BASE_IP, 7001, "forged-2");
	cr_assert_eq(host_recv(fd, got, sizeof(got), &from), 0, "control: nothing arrived");
	cr_assert_eq(from, link_a.space_addr);

	publish_two();
	unsigned long in_before = counted("ip", "input", IN_DROP_A);
	send_forged(ns_a, link_b.space_addr, link_a.base_addr, 7001, "forged-3");
	send_forged(ns_a, link_b.space_addr, CLIENT_IP, 9000, "forged-4"); /* would be forwarded */
	send_forged(ns_client, link_a.space_addr, BASE_IP, 7001, "forged-5");
	int rc = host_recv(fd, got, sizeof(got), &from);
	cr_assert_neq(rc, 0, "a forged datagram arrived: \"%s\"", got);
	cr_assert_geq(counted("ip", "guard_hsv0", "ip saddr != 10.254.0.2 counter packets"), 2);
	cr_assert_geq(counted("ip", "guard", "iif != \"lo\" counter packets"), 1);
	/* Dropped in the guard, before input ever saw it. */
	cr_assert_eq(counted("ip", "input", IN_DROP_A), in_before);
	/* With its own address A's datagram passes the guard and goes out. */
	send_forged(ns_a, link_a.space_addr, CLIENT_IP, 9000, "own-address");
	cr_assert_eq(counted("ip", "forward", "iifname \"hsv0\" counter packets"), 1);
	close(fd);
}

/* hsv0's IPv6 link-local address; it appears once the link is running,
 * so look up to tries times, 50 ms apart. */
static bool base_link_local(struct in6_addr *out, int tries)
{
	for (int i = 0; i < tries; i++) {
		struct ifaddrs *ifa, *p;
		cr_assert_eq(getifaddrs(&ifa), 0);
		bool found = false;
		for (p = ifa; p && !found; p = p->ifa_next)
			if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET6 &&
			    strcmp(p->ifa_name, "hsv0") == 0) {
				*out = ((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
				found = IN6_IS_ADDR_LINKLOCAL(out);
			}
		freeifaddrs(ifa);
		if (found)
			return true;
		if (i + 1 < tries)
			usleep(50 * 1000);
	}
	return false;
}

/* TCP from space A to [ll%eth0]:port: 0 when the host accepted it. */
static int connect6_from_a(const struct in6_addr *ll, uint16_t port)
{
	int idx;
	ok(link_index(ns_a, "eth0", &idx, err, sizeof(err)));
	int fd = ns_socket(ns_a, AF_INET6, SOCK_STREAM, 0, NO_REPLY_MS);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = *ll, .sin6_scope_id = (uint32_t)idx};
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

/* A host listener on [::]:port (v4 and v6), kept by the test itself. */
static int host_listen6(uint16_t port)
{
	int fd = ns_socket(-1, AF_INET6, SOCK_STREAM, 0, 0), zero = 0;
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 8), 0);
	return fd;
}

Test(live, ipv6_link_local_blocked_by_the_table)
{
	struct in6_addr ll;
	int l = host_listen6(7002);
	cr_assert(base_link_local(&ll, 100), "hsv0 got no link-local address");
	int rc = connect6_from_a(&ll, 7002);
	cr_assert_eq(rc, 0, "control: %s", strerror(-rc));

	publish_two(); /* IPv6 still on for hsv0: only the ip6 table stands */
	cr_assert_neq(connect6_from_a(&ll, 7002), 0, "IPv6 from a space reached the host");
	cr_assert_geq(counted("ip6", "guard", "iifname \"hsv*\" counter packets"), 1);
	close(l);
}

Test(live, ipv6_disabled_on_the_base_end)
{
	struct in6_addr ll;
	int l = host_listen6(7002);
	cr_assert(base_link_local(&ll, 100), "hsv0 got no link-local address");
	int rc = connect6_from_a(&ll, 7002);
	cr_assert_eq(rc, 0, "control: %s", strerror(-rc));

	/* No table: the sysctl alone holds. */
	ok(portmap_disable_ipv6(-1, "hsv0", err, sizeof(err)));
	cr_assert_not(base_link_local(&ll, 1), "hsv0 kept its link-local address");
	cr_assert_neq(connect6_from_a(&ll, 7002), 0, "IPv6 from a space reached the host");
	cr_assert_eq(portmap_disable_ipv6(-1, "bad name", err, sizeof(err)), HS_EINPUT);
	close(l);
}

/* Child of the test in space A, without CAP_NET_RAW: exit 0 when a ping
 * socket sent an echo to the client and got the reply; 10 + errno's
 * code for what failed otherwise (EACCES: ping_group_range). */
static int ping_child(void)
{
	int saved;
	if (netns_enter(ns_a, &saved, NULL, 0))
		return 2;
	close(saved);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return 3;
	d[0].effective &= ~(1u << CAP_NET_RAW);
	d[0].permitted &= ~(1u << CAP_NET_RAW);
	if (syscall(SYS_capset, &h, d))
		return 4;
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (raw >= 0 || errno != EPERM)
		return 5; /* CAP_NET_RAW still there: the test would prove nothing */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return 10 + (errno == EACCES ? 1 : 2);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct icmphdr echo = {.type = ICMP_ECHO, .un.echo.sequence = htons(1)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(CLIENT_IP)};
	unsigned char buf[256];
	if (sendto(fd, &echo, sizeof(echo), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 20;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(echo) || ((struct icmphdr *)buf)->type != ICMP_ECHOREPLY)
		return 21;
	return 0;
}

static int run_ping_child(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(ping_child());
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "ping child died");
	return WEXITSTATUS(st);
}

Test(live, ping_without_cap_net_raw)
{
	publish_two(); /* the echo crosses the boundary like any ping out */
	/* Control: a fresh netns refuses echo sockets to every group. */
	cr_assert_eq(run_ping_child(), 11, "want EACCES without ping_group_range");
	ok(portmap_allow_ping(ns_a, err, sizeof(err)));
	int rc = run_ping_child();
	cr_assert_eq(rc, 0, "ping from A without CAP_NET_RAW: child said %d", rc);
}

/* hsd's packet probe: a datagram from the space to its gateway's port 9.
 * The mirror copies it at tc ingress of hsv0, before netfilter, so the
 * audit space sees it although input drops it. */
Test(live, probe_is_mirrored_though_input_drops_it)
{
	const char *src[] = {"hsv0"};
	ok(netns_create(&ns_audit, err, sizeof(err)));
	ok(mirror_attach(ns_audit, "hsx0", src, 1, err, sizeof(err)));
	int idx;
	ok(link_index(ns_audit, "mon0", &idx, err, sizeof(err)));
	/* Bound with protocol 0 first: nothing queued before the bind. */
	int cap = ns_socket(ns_audit, AF_PACKET, SOCK_RAW, 0, 2000);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = idx};
	cr_assert_eq(bind(cap, (struct sockaddr *)&sll, sizeof(sll)), 0, "%s", strerror(errno));
	int port9 = host_udp(9);

	publish_two();
	char reply[64], marker[48];
	snprintf(marker, sizeof(marker), "hsd-probe live-%d", (int)getpid());
	/* As probe.c sends it: one datagram from the space to gateway:9. */
	int fd = ns_socket(ns_a, AF_INET, SOCK_DGRAM, 0, 0);
	struct sockaddr_in gw = {.sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(link_a.base_addr)};
	cr_assert_eq(sendto(fd, marker, strlen(marker), 0, (struct sockaddr *)&gw, sizeof(gw)),
		     (ssize_t)strlen(marker));
	close(fd);
	static char pkt[2048];
	bool seen = false;
	for (int i = 0; i < 50 && !seen; i++) {
		ssize_t n = recv(cap, pkt, sizeof(pkt), 0);
		if (n < 0)
			break;
		seen = memmem(pkt, (size_t)n, marker, strlen(marker)) != NULL;
	}
	cr_assert(seen, "the mirror did not copy the probe");
	uint32_t from;
	cr_assert_neq(host_recv(port9, reply, sizeof(reply), &from), 0,
		      "the probe reached a host socket");
	cr_assert_geq(counted("ip", "input", IN_DROP_A), 1);
	close(port9);
	close(cap);
}
