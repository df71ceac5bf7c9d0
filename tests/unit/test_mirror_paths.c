/* test_mirror_paths.c - the paths where a server veth's classifiers copy
 * IPv4 and netfilter leaves it to them (mirror.h): still each packet
 * once, each with a control that shows the part it rests on.  The world
 * is mirror_test.h's, plus a second server where a test needs one:
 *
 *   server1 ns eth0 10.254.1.2/30 ---- hsv1 10.254.1.1/30 (in the base)
 */
#include "mirror_test.h"

#include <linux/bpf.h>

TestSuite(mirror_paths, .init = setup, .fini = teardown, .timeout = 60);

static const char *const both[] = {"hcl0", "hsv0"};

static void nft(const char *script)
{
	ok(nftrun_script(script, "test", NULL, err, sizeof(err)));
}

/* UDP carrying marker from ns to dst:9999. */
static void udp_send(int ns, uint32_t dst, const char *marker)
{
	int fd = ns_socket(ns, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9999),
				 .sin_addr.s_addr = htonl(dst)};
	cr_assert_eq(sendto(fd, marker, strlen(marker), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)strlen(marker), "send: %s", strerror(errno));
	close(fd);
}

/* The second server (see the top) and a published port of the first on
 * its gateway address; returns its namespace. */
static int server1_up(void)
{
	int s1 = -1;
	ok(netns_create(&s1, err, sizeof(err)));
	peer_link(s1, "hsv1", IP(10, 254, 1, 1), IP(10, 254, 1, 2), 30);
	char rules[256];
	snprintf(rules, sizeof(rules),
		 "table ip hsmt_nat {\n chain pre { type nat hook prerouting priority dstnat;"
		 " ip daddr 10.254.1.1 tcp dport 80 dnat to 10.254.0.2:%d\n }\n}\n",
		 PORT);
	nft(rules);
	return s1;
}

/* A space talking to a published port of another: its request is copied
 * as it left the first space, the answer as it left the second, and
 * neither again where it enters the other's veth. */
Test(mirror_paths, a_space_talking_to_another_is_copied_once)
{
	int s1 = server1_up();
	const char *three[] = {"hcl0", "hsv0", "hsv1"};
	ok(mirror_attach(a1_ns, "hsmt1", three, 3, err, sizeof(err)));

	int cap = cap_open(a1_ns, MIRROR_PEER), cap2 = cap_open(a1_ns, MIRROR_PEER);
	char q[96], a[96];
	unique(q, sizeof(q), "hairpin-request");
	unique(a, sizeof(a), "hairpin-answer");
	tcp_exchange_from(s1, IP(10, 254, 1, 1), 80, q, a);
	struct seen rq = cap_seen(cap, q, 800), an = cap_seen(cap2, a, 100);
	cr_assert_eq(rq.n, 1, "request copied %d times", rq.n);
	cr_assert_eq(an.n, 1, "answer copied %d times", an.n);
	cr_assert(rq.src == IP(10, 254, 1, 2) && rq.dst == IP(10, 254, 1, 1) && rq.dport == 80,
		  "request not shown as the space sent it: %08x -> %08x:%u", rq.src, rq.dst,
		  rq.dport);
	cr_assert(an.src == SERVER_IP && an.sport == PORT, "answer shown from %08x:%u", an.src,
		  an.sport);

	/* Control: hsv1's egress classifier without its list of server veths
	 * copies the answer a second time as it enters the first space. */
	int base_idx, v1;
	ok(link_index(-1, "hsmt1", &base_idx, err, sizeof(err)));
	ok(link_index(-1, "hsv1", &v1, err, sizeof(err)));
	int fd = mirror_prog_load(NULL, 0, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	struct mnl_socket *nl;
	ok(nl_open_in(-1, &nl, err, sizeof(err)));
	ok(tc_bpf_add(nl, v1, TC_DIR_EGRESS,
		      (uint16_t)(mirror_prio("hsmt1") + 2 * MIRROR_PRIO_SPAN + 1), ETH_P_IP, fd,
		      "Mhsmt1", base_idx, true, err, sizeof(err)));
	mnl_socket_close(nl);
	close(fd);
	unique(q, sizeof(q), "control-request");
	unique(a, sizeof(a), "control-answer");
	tcp_exchange_from(s1, IP(10, 254, 1, 1), 80, q, a);
	an = cap_seen(cap2, a, 800);
	cr_assert_eq(an.n, 2, "control: without the list the answer is copied %d times", an.n);

	close(cap);
	close(cap2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	nft("delete table ip hsmt_nat");
	close(s1); /* its namespace goes, and the veth with it */
}

/* The client sends to the server's own address, which hsd's forward
 * chain refuses (only DNATed or established traffic goes into a space):
 * the server never gets it, the IDS still sees it, once. */
Test(mirror_paths, a_packet_refused_on_its_way_into_a_space_is_still_copied)
{
	/* hsd's forward policy (portmap.c, put_forward), which the mirror's
	 * refused chain follows. */
	nft("table ip hsmt_fwd {\n chain f { type filter hook forward priority filter;\n"
	    "  ct status dnat accept\n  ct state established,related accept\n"
	    "  oifname \"hsv*\" drop\n }\n}\n");
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a1_ns, MIRROR_PEER), sv = cap_open(server_ns, "eth0");
	char m[96];
	unique(m, sizeof(m), "refused");
	udp_send(client_ns, SERVER_IP, m);
	cr_assert_eq(cap_count(cap, m, 800, 0), 1, "the refused packet is not copied once");
	cr_assert_eq(cap_count(sv, m, 100, 0), 0, "the forward chain let it in: proves nothing");

	/* Control: without from_outside, whose last rule copies what hsd
	 * refuses, nobody copies it. */
	nft("delete chain ip hsd_mirror_hsmt1 from_outside");
	unique(m, sizeof(m), "refused-control");
	udp_send(client_ns, SERVER_IP, m);
	cr_assert_eq(cap_count(cap, m, 800, 0), 0, "control: copied without from_outside");
	close(cap);
	close(sv);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	nft("delete table ip hsmt_fwd");
}

/* The host itself talking to a server: its request leaves by output, the
 * answer arrives for input; the veth's classifiers copy both, and
 * netfilter, told the veth is tapped, neither. */
Test(mirror_paths, the_host_talking_to_a_server_is_copied_once)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a1_ns, MIRROR_PEER), cap2 = cap_open(a1_ns, MIRROR_PEER);
	char q[96], a[96];
	unique(q, sizeof(q), "host-request");
	unique(a, sizeof(a), "host-answer");
	tcp_exchange_from(-1, SERVER_IP, PORT, q, a);
	cr_assert_eq(cap_count(cap, q, 800, 0), 1);
	cr_assert_eq(cap_count(cap2, a, 100, 0), 1);

	/* Control: with the tapped set emptied, netfilter copies the request
	 * too, beside the classifier. */
	nft("flush set ip hsd_mirror_hsmt1 tapped");
	unique(q, sizeof(q), "host-control");
	tcp_exchange_from(-1, SERVER_IP, PORT, q, NULL);
	cr_assert_eq(cap_count(cap, q, 800, 0), 2, "control: the set changes nothing");
	close(cap);
	close(cap2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

/* A server veth no longer a source goes back to netfilter: its packets
 * are still copied, once, both ways; and when it is a source again, the
 * classifiers take over once more. */
Test(mirror_paths, a_veth_given_back_to_netfilter_is_still_copied_once)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	ok(mirror_remove_source("hsmt1", "hsv0", err, sizeof(err)));
	cr_assert_eq(filters("hsv0", TC_DIR_INGRESS, NULL), 0);
	char *out = NULL;
	ok(nftrun_script("list set ip hsd_mirror_hsmt1 tapped", "list", &out, err, sizeof(err)));
	cr_assert(out && !strstr(out, "elements"), "hsv0 still tapped: %s", out ? out : "");
	free(out);
	int cap = cap_open(a1_ns, MIRROR_PEER), cap2 = cap_open(a1_ns, MIRROR_PEER);
	for (int round = 0; round < 2; round++) {
		char q[96], a[96];
		unique(q, sizeof(q), "back-request");
		unique(a, sizeof(a), "back-answer");
		tcp_exchange(SERVER_IP, PORT, q, a);
		cr_assert_eq(cap_count(cap, q, 800, 0), 1, "round %d: request", round);
		cr_assert_eq(cap_count(cap2, a, 100, 0), 1, "round %d: answer", round);
		ok(mirror_add_source("hsmt1", "hsv0", err, sizeof(err)));
		cr_assert_eq(filters("hsv0", TC_DIR_INGRESS, "Mhsmt1"), 3);
	}
	close(cap);
	close(cap2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

/* An audit space that died leaves its classifiers behind, aimed at an
 * interface index that is gone; a mirror made again under the same name
 * must aim them at its own. */
Test(mirror_paths, a_mirror_made_again_aims_the_classifiers_anew)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	ok(link_delete(-1, "hsmt1", err, sizeof(err))); /* as if its namespace died */
	ok(mirror_attach(a2_ns, "hsmt1", both, 2, err, sizeof(err)));
	int cap = cap_open(a2_ns, MIRROR_PEER), cap2 = cap_open(a2_ns, MIRROR_PEER);
	char q[96], a[96];
	unique(q, sizeof(q), "again-request");
	unique(a, sizeof(a), "again-answer");
	tcp_exchange(SERVER_IP, PORT, q, a);
	cr_assert_eq(cap_count(cap, q, 800, 0), 1, "request");
	cr_assert_eq(cap_count(cap2, a, 100, 0), 1, "answer (the ingress classifier)");
	close(cap);
	close(cap2);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
}

/* A server that appears after the mirror: the veths tapped before must
 * learn its veth, or what it sends to them is copied again as it enters
 * theirs. */
Test(mirror_paths, a_server_that_comes_later_is_known_to_the_others)
{
	ok(mirror_attach(a1_ns, "hsmt1", both, 2, err, sizeof(err)));
	int s1 = server1_up();
	ok(mirror_add_source("hsmt1", "hsv1", err, sizeof(err)));
	int cap = cap_open(a1_ns, MIRROR_PEER);
	char q[96];
	unique(q, sizeof(q), "later-request");
	tcp_exchange_from(s1, IP(10, 254, 1, 1), 80, q, NULL);
	cr_assert_eq(cap_count(cap, q, 800, 0), 1, "request");
	close(cap);
	ok(mirror_detach("hsmt1", err, sizeof(err)));
	nft("delete table ip hsmt_nat");
	close(s1);
}
