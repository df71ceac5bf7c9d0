/* test_mirror.c - the packet mirror end to end, with real namespaces,
 * veths, tc filters and AF_PACKET captures (the world: mirror_test.h):
 * its links, its filters and their owners, each packet once on the usual
 * paths, and what the audit space may not do.  The paths a server veth's
 * classifiers take over from netfilter are test_mirror_paths.c's.
 */
#include "mirror_test.h"

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
	/* ARP and IPv6 rules per hook per source, the IPv4 classifier on a
	 * server veth, one drop rule on the mirror. */
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(filters(both[i], TC_DIR_INGRESS, "Mhsmt1"), i ? 3 : 2);
		cr_assert_eq(filters(both[i], TC_DIR_EGRESS, "Mhsmt1"), i ? 3 : 2);
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
			cr_assert_eq(filters(both[i], (enum tc_dir)d, "Mhsmt2"), i ? 3 : 2);
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
	cr_assert_eq(filters("hsv0", TC_DIR_INGRESS, "Mhsmt1"), 3);
	cr_assert_eq(filters("hsv0", TC_DIR_EGRESS, "Mhsmt1"), 3);

	int cap = cap_open(a1_ns, MIRROR_PEER);
	arp_from_client(IP(192, 0, 2, 201));
	cr_assert_eq(cap_arp(cap, IP(192, 0, 2, 201), 500), 1, "an ARP request is copied once");
	ok(mirror_remove_source("hsmt1", "hcl0", err, sizeof(err)));
	cr_assert_eq(filters("hcl0", TC_DIR_INGRESS, NULL), 0);
	arp_from_client(IP(192, 0, 2, 202));
	cr_assert_eq(cap_arp(cap, IP(192, 0, 2, 202), 500), 0, "hcl0's ARP after its removal");
	/* IPv4 into the server: its veth's classifier, whatever else is a
	 * source: still once. */
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

/* A mirror made again under the same name (its audit space died): the
 * ARP rules found on the sources still aim at the dead interface, and
 * are aimed anew like the classifiers, or no ARP would be copied. */
Test(mirror, a_mirror_made_again_copies_arp)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	ok(link_delete(-1, "hsmt1", err, sizeof(err))); /* as if its namespace died */
	ok(mirror_attach(a2_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a2_ns, MIRROR_PEER);
	arp_from_client(IP(192, 0, 2, 203));
	cr_assert_eq(cap_arp(cap, IP(192, 0, 2, 203), 500), 1, "ARP copied to the new mirror");
	close(cap);
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
