/* test_net_portmap.c - --publish parsing, rule checks and the generated
 * nft script (text only; test_net_live runs it). */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "portmap.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static char err[HS_ERRLEN];

static void parse_ok(const char *spec, uint16_t hp, uint16_t sp, uint8_t proto)
{
	struct portmap_rule r;
	cr_assert_eq(portmap_parse_publish(spec, &r, err, sizeof(err)), HS_OK, "%s: %s", spec,
		     err);
	cr_assert_eq(r.host_port, hp, "%s", spec);
	cr_assert_eq(r.space_port, sp, "%s", spec);
	cr_assert_eq(r.proto, proto, "%s", spec);
}

/* Fails with HS_EINPUT and a one-line message naming --publish and want. */
static void parse_bad(const char *spec, const char *want)
{
	struct portmap_rule r;
	err[0] = 0;
	cr_assert_eq(portmap_parse_publish(spec, &r, err, sizeof(err)), HS_EINPUT, "%s", spec);
	cr_assert(strstr(err, "--publish"), "%s: %s", spec, err);
	cr_assert(strstr(err, want), "%s: \"%s\" lacks \"%s\"", spec, err, want);
	cr_assert_null(strchr(err, '\n'), "%s", err);
}

Test(publish, good)
{
	parse_ok("8081:8080", 8081, 8080, IPPROTO_TCP);
	parse_ok("8081:8080/tcp", 8081, 8080, IPPROTO_TCP);
	parse_ok("53:5353/udp", 53, 5353, IPPROTO_UDP);
	parse_ok("1:65535", 1, 65535, IPPROTO_TCP);
	parse_ok("65535:1/udp", 65535, 1, IPPROTO_UDP);
}

Test(publish, bad)
{
	parse_bad("8081", "missing ':'");
	parse_bad("", "empty");
	parse_bad(NULL, "empty");
	parse_bad(":8080", "host port is empty");
	parse_bad("8081:", "port is empty");
	parse_bad("8081:/tcp", "port is empty");
	parse_bad("x:8080", "host port \"x\" is not a number");
	parse_bad("8081:80a", "port \"80a\" is not a number");
	parse_bad("-1:80", "is not a number");
	parse_bad("+1:80", "is not a number");
	parse_bad("0:8080", "host port 0 is not allowed");
	parse_bad("8080:0", "port 0 is not allowed");
	parse_bad("65536:80", "host port 65536 is out of range");
	parse_bad("80:99999999999999999999", "out of range");
	parse_bad("080:80", "leading zero");
	parse_bad("80:80/sctp", "protocol \"sctp\" is not tcp or udp");
	parse_bad("80:80/", "protocol \"\" is not tcp or udp");
	parse_bad("80:80/TCP", "is not tcp or udp");
	parse_bad("1.2.3.4:80:80", "more than one ':'");
	parse_bad("80 :80", "space or control character");
	parse_bad("80:80\n", "space or control character");
}

static struct portmap_rule rule(const char *space, uint8_t proto, uint16_t hp, uint32_t addr,
				uint16_t sp)
{
	struct portmap_rule r = {.proto = proto, .host_port = hp, .space_addr = addr,
				 .space_port = sp};
	snprintf(r.space, sizeof(r.space), "%s", space);
	return r;
}

Test(validate, duplicates)
{
	struct portmap_rule r[3] = {
		rule("web", IPPROTO_TCP, 8081, IP(10, 254, 0, 2), 8080),
		rule("api", IPPROTO_UDP, 8081, IP(10, 254, 0, 6), 8080), /* other proto: fine */
		rule("api", IPPROTO_TCP, 8081, IP(10, 254, 0, 6), 8080),
	};
	cr_assert_eq(portmap_validate(r, 2, NULL, 0, err, sizeof(err)), HS_OK, "%s", err);
	cr_assert_eq(portmap_validate(r, 3, NULL, 0, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "publish: host port tcp/8081 already published by space \"web\"");
}

Test(validate, bad_fields)
{
	struct portmap_rule r = rule("web", IPPROTO_TCP, 8081, IP(10, 254, 0, 2), 8080);
	struct portmap_net good = {.subnet = IP(10, 254, 0, 0), .len = 30, .host_if = "hsv0",
				   .space_addr = IP(10, 254, 0, 2)};
	cr_assert_eq(portmap_validate(&r, 1, &good, 1, err, sizeof(err)), HS_OK, "%s", err);

	struct portmap_rule b = r;
	snprintf(b.space, sizeof(b.space), "we\"b");
	cr_assert_eq(portmap_validate(&b, 1, NULL, 0, err, sizeof(err)), HS_EINPUT);
	b = r;
	b.space[0] = 0;
	cr_assert_eq(portmap_validate(&b, 1, NULL, 0, err, sizeof(err)), HS_EINPUT);
	b = r;
	b.proto = IPPROTO_SCTP;
	cr_assert_eq(portmap_validate(&b, 1, NULL, 0, err, sizeof(err)), HS_EINPUT);
	b = r;
	b.space_port = 0;
	cr_assert_eq(portmap_validate(&b, 1, NULL, 0, err, sizeof(err)), HS_EINPUT);

	struct portmap_net n = good;
	n.subnet = IP(10, 254, 0, 1);
	cr_assert_eq(portmap_validate(&r, 1, &n, 1, err, sizeof(err)), HS_EINPUT);
	n = good;
	snprintf(n.host_if, sizeof(n.host_if), "a\"; drop");
	cr_assert_eq(portmap_validate(&r, 1, &n, 1, err, sizeof(err)), HS_EINPUT);
}

static const struct portmap_net two_nets[2] = {
	{.subnet = IP(10, 254, 0, 0), .len = 30, .host_if = "hsv0", .space_addr = IP(10, 254, 0, 2)},
	{.subnet = IP(10, 254, 0, 4), .len = 30, .host_if = "hsv1", .space_addr = IP(10, 254, 0, 6)},
};

Test(render, full_script)
{
	struct portmap_rule r[2] = {
		rule("web", IPPROTO_TCP, 8081, IP(10, 254, 0, 2), 8080),
		rule("dns", IPPROTO_UDP, 5353, IP(10, 254, 0, 6), 53),
	};
	char *s;
	cr_assert_eq(portmap_render("hsd", r, 2, two_nets, 2, &s, err, sizeof(err)), HS_OK, "%s",
		     err);
	const char *want =
		"add table ip hsd\n"
		"delete table ip hsd\n"
		"table ip hsd {\n"
		"\tchain guard_hsv0 {\n"
		"\t\tip saddr != 10.254.0.2 counter drop\n"
		"\t\tip daddr 127.0.0.0/8 counter drop\n"
		"\t\taccept\n"
		"\t}\n"
		"\tchain guard_hsv1 {\n"
		"\t\tip saddr != 10.254.0.6 counter drop\n"
		"\t\tip daddr 127.0.0.0/8 counter drop\n"
		"\t\taccept\n"
		"\t}\n"
		"\tchain guard {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n"
		"\t\tiifname vmap { \"hsv0\" : jump guard_hsv0, \"hsv1\" : jump guard_hsv1 }\n"
		"\t\tiifname \"hsv*\" counter drop\n"
		"\t\tip saddr { 10.254.0.0/30, 10.254.0.4/30 } iif != \"lo\" counter drop\n"
		"\t}\n"
		"\tchain prerouting {\n"
		"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		"\t\tfib daddr type local tcp dport 8081 counter dnat to 10.254.0.2:8080 comment \"web\"\n"
		"\t\tfib daddr type local udp dport 5353 counter dnat to 10.254.0.6:53 comment \"dns\"\n"
		"\t}\n"
		"\tchain output {\n"
		"\t\ttype nat hook output priority -100; policy accept;\n"
		"\t\tfib daddr type local tcp dport 8081 counter dnat to 10.254.0.2:8080 comment \"web\"\n"
		"\t\tfib daddr type local udp dport 5353 counter dnat to 10.254.0.6:53 comment \"dns\"\n"
		"\t}\n"
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\tiifname != \"hsv*\" accept\n"
		"\t\tiifname \"hsv0\" ct state established,related counter accept\n"
		"\t\tiifname \"hsv0\" counter drop\n"
		"\t\tiifname \"hsv1\" ct state established,related counter accept\n"
		"\t\tiifname \"hsv1\" counter drop\n"
		"\t}\n"
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tct status dnat counter accept\n"
		"\t\tct state established,related counter accept\n"
		"\t\toifname \"hsv0\" counter drop\n"
		"\t\toifname \"hsv1\" counter drop\n"
		"\t\toifname \"hsv*\" counter drop\n"
		"\t\toifname \"hsx*\" counter drop\n"
		"\t\tiifname \"hsv*\" ct state invalid counter drop\n"
		"\t\tiifname \"hsv0\" counter accept\n"
		"\t\tiifname \"hsv1\" counter accept\n"
		"\t}\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip saddr 10.254.0.2 tcp sport 8080 oifname != \"hsv0\" counter masquerade to :8081\n"
		"\t\tip saddr 10.254.0.0/30 oifname != \"hsv0\" meta l4proto { tcp, udp } counter masquerade to :8082-65535\n"
		"\t\tip saddr 10.254.0.0/30 oifname != \"hsv0\" counter masquerade\n"
		"\t\tip saddr 10.254.0.0/30 oifname \"hsv0\" ct status dnat counter masquerade\n"
		"\t\tip saddr 127.0.0.0/8 oifname \"hsv0\" counter masquerade\n"
		"\t\tip saddr 10.254.0.4/30 oifname != \"hsv1\" meta l4proto { tcp, udp } counter masquerade to :8082-65535\n"
		"\t\tip saddr 10.254.0.4/30 oifname != \"hsv1\" counter masquerade\n"
		"\t\tip saddr 10.254.0.4/30 oifname \"hsv1\" ct status dnat counter masquerade\n"
		"\t\tip saddr 127.0.0.0/8 oifname \"hsv1\" counter masquerade\n"
		"\t}\n"
		"}\n"
		"add table ip6 hsd\n"
		"delete table ip6 hsd\n"
		"table ip6 hsd {\n"
		"\tchain guard {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n"
		"\t\tiifname \"hsv*\" counter drop\n"
		"\t}\n"
		"}\n";
	cr_assert_str_eq(s, want);
	free(s);
}

/* The text of one chain of table ip "hsd" rendered for nets with no
 * published port (from its "chain" line to its "}"). */
static char *chain_of(const struct portmap_net *nets, size_t nnets, const char *chain)
{
	char *s, head[64];
	cr_assert_eq(portmap_render("hsd", NULL, 0, nets, nnets, &s, err, sizeof(err)), HS_OK,
		     "%s", err);
	snprintf(head, sizeof(head), "\tchain %s {\n", chain);
	const char *a = strstr(s, head);
	cr_assert_not_null(a, "no chain %s", chain);
	const char *b = strstr(a, "\t}\n");
	cr_assert_not_null(b);
	char *c = strndup(a, (size_t)(b - a));
	free(s);
	return c;
}

/* Index of line within text, or -1: to check the order of rules. */
static long line_at(const char *text, const char *line)
{
	const char *p = strstr(text, line);
	return p ? (long)(p - text) : -1;
}

/* Anti-spoofing: each veth admits only its space's own address, and is
 * checked before it is accepted; an unlisted hsv* veth carries nothing;
 * a space's link addresses come from its veth or from lo only. */
Test(render, guard_admits_only_the_space_address)
{
	char *g = chain_of(two_nets, 2, "guard_hsv1");
	long spoof = line_at(g, "ip saddr != 10.254.0.6 counter drop\n");
	long accept = line_at(g, "\t\taccept\n");
	cr_assert(spoof >= 0 && accept > spoof, "%s", g);
	/* The 127/8 source check of the old guard is part of the spoof rule. */
	cr_assert_null(strstr(g, "saddr 127.0.0.0/8"), "%s", g);
	free(g);
	g = chain_of(two_nets, 2, "guard");
	cr_assert(strstr(g, "hook prerouting priority raw;"), "%s", g);
	long map = line_at(g, "iifname vmap { \"hsv0\" : jump guard_hsv0, \"hsv1\" : jump guard_hsv1 }\n");
	long other = line_at(g, "iifname \"hsv*\" counter drop\n");
	long lan = line_at(g, "ip saddr { 10.254.0.0/30, 10.254.0.4/30 } iif != \"lo\" counter drop\n");
	cr_assert(map >= 0 && other > map && lan > other, "%s", g);
	free(g);
}

/* With no space there is no map to jump by (nft refuses an empty one). */
Test(render, guard_without_spaces_drops_every_veth)
{
	char *g = chain_of(NULL, 0, "guard");
	cr_assert_null(strstr(g, "vmap"), "%s", g);
	cr_assert_null(strstr(g, "saddr"), "%s", g);
	cr_assert(strstr(g, "iifname \"hsv*\" counter drop\n"), "%s", g);
	free(g);
}

/* The host offers spaces nothing but replies; each drop counts. */
Test(render, input_takes_only_replies_from_a_space)
{
	char *c = chain_of(two_nets, 2, "input");
	cr_assert(strstr(c, "type filter hook input priority filter; policy accept;"), "%s", c);
	for (int i = 0; i < 2; i++) {
		char ok_rule[96], drop[64];
		snprintf(ok_rule, sizeof(ok_rule),
			 "iifname \"hsv%d\" ct state established,related counter accept\n", i);
		snprintf(drop, sizeof(drop), "iifname \"hsv%d\" counter drop\n", i);
		cr_assert(line_at(c, ok_rule) >= 0 && line_at(c, drop) > line_at(c, ok_rule),
			  "%s", c);
	}
	/* No port of the host is open to a space, not even the probe's 9. */
	cr_assert_null(strstr(c, "dport"), "%s", c);
	free(c);
}

/* Into a space: replies and DNAT only, checked before the space's own
 * outgoing accept (or B's accept would let A's packet to B through). */
Test(render, forward_enters_a_space_only_by_dnat)
{
	char *c = chain_of(two_nets, 2, "forward");
	long dnat = line_at(c, "ct status dnat counter accept\n");
	long est = line_at(c, "ct state established,related counter accept\n");
	long in1 = line_at(c, "oifname \"hsv1\" counter drop\n");
	long any = line_at(c, "oifname \"hsv*\" counter drop\n");
	long mirror = line_at(c, "oifname \"hsx*\" counter drop\n");
	long out0 = line_at(c, "iifname \"hsv0\" counter accept\n");
	cr_assert(dnat >= 0 && est >= 0 && in1 > dnat && in1 > est, "%s", c);
	cr_assert(any > in1 && out0 > any, "%s", c);
	/* nothing forwarded into a mirror, ahead of a space's own accept */
	cr_assert(mirror >= 0 && out0 > mirror, "%s", c);
	free(c);
}

/* IPv6 from any veth is dropped in an ip6 table of the same name, in the
 * same transaction as the ip table. */
/* A space's connections are masqueraded to the widest run of ports no
 * published port is in (a published port's number could otherwise give
 * one the address and port of a connection the fast path carries); one
 * from a port the space publishes alone, to that port's host number. */
Test(render, masquerade_keeps_off_published_ports)
{
	struct portmap_rule r[3] = {
		rule("web", IPPROTO_TCP, 80, IP(10, 254, 0, 2), 8080),
		rule("web", IPPROTO_UDP, 30000, IP(10, 254, 0, 2), 53),
		rule("b", IPPROTO_TCP, 8081, IP(10, 254, 0, 6), 8080),
	};
	char *s;
	cr_assert_eq(portmap_render("hsd", r, 3, two_nets, 2, &s, err, sizeof(err)), HS_OK, "%s", err);
	cr_assert_not_null(strstr(s, "ip saddr 10.254.0.0/30 oifname != \"hsv0\" meta l4proto { tcp, udp } counter masquerade to :30001-65535\n"), "%s", s);
	cr_assert_not_null(strstr(s, "ip saddr 10.254.0.2 tcp sport 8080 oifname != \"hsv0\" counter masquerade to :80\n"));
	cr_assert_not_null(strstr(s, "ip saddr 10.254.0.6 tcp sport 8080 oifname != \"hsv1\" counter masquerade to :8081\n"));
	cr_assert_null(strstr(s, "sport 53"), "UDP is not the fast path's");
	free(s);
}

Test(render, ip6_table_drops_everything_from_veths)
{
	char *s;
	cr_assert_eq(portmap_render("hsd_x", NULL, 0, NULL, 0, &s, err, sizeof(err)), HS_OK);
	const char *t = strstr(s, "add table ip6 hsd_x\ndelete table ip6 hsd_x\ntable ip6 hsd_x {\n");
	cr_assert_not_null(t, "%s", s);
	cr_assert_gt(t, strstr(s, "table ip hsd_x {\n"));
	cr_assert(strstr(t, "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			    "\t\tiifname \"hsv*\" counter drop\n"));
	free(s);
}

Test(validate, space_address_inside_its_link)
{
	struct portmap_net n = two_nets[0];
	cr_assert_eq(portmap_validate(NULL, 0, &n, 1, err, sizeof(err)), HS_OK, "%s", err);
	const uint32_t bad[] = {0, IP(10, 254, 0, 0), IP(10, 254, 0, 3), IP(10, 254, 0, 6),
				IP(10, 255, 0, 2)};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n.space_addr = bad[i];
		err[0] = 0;
		cr_assert_eq(portmap_validate(NULL, 0, &n, 1, err, sizeof(err)), HS_EINPUT, "%zu", i);
		cr_assert_str_eq(err, "publish: hsv0: space address is not a host of its subnet");
	}
	/* Refused before any text. */
	char *s = (char *)1;
	cr_assert_eq(portmap_render("hsd", NULL, 0, &n, 1, &s, err, sizeof(err)), HS_EINPUT);
	cr_assert_null(s);
}

/* The guard's map takes each veth once, and a link's addresses may come
 * from one veth only. */
Test(validate, links_distinct)
{
	struct portmap_net n[2] = {two_nets[0], two_nets[1]};
	snprintf(n[1].host_if, sizeof(n[1].host_if), "hsv0");
	cr_assert_eq(portmap_validate(NULL, 0, n, 2, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "publish: hsv0: listed twice");
	n[1] = two_nets[1];
	n[1].subnet = IP(10, 254, 0, 0);
	n[1].len = 29;
	n[1].space_addr = IP(10, 254, 0, 5);
	cr_assert_eq(portmap_validate(NULL, 0, n, 2, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "publish: hsv1: subnet overlaps the one of hsv0");
	cr_assert_eq(portmap_validate(NULL, 0, two_nets, 2, err, sizeof(err)), HS_OK, "%s", err);
}

Test(render, empty_and_bad_table)
{
	char *s;
	cr_assert_eq(portmap_render("hsd_x1", NULL, 0, NULL, 0, &s, err, sizeof(err)), HS_OK);
	cr_assert(strstr(s, "table ip hsd_x1 {\n"));
	cr_assert_null(strstr(s, "dnat to"));
	cr_assert_null(strstr(s, "masquerade"));
	/* No space: only the catch-alls for unlisted veths remain. */
	cr_assert_null(strstr(s, "ct state established,related counter accept\n\t\tiifname"));
	cr_assert(strstr(s, "table ip6 hsd_x1 {\n"));
	free(s);
	const char *bad[] = {"", "1hsd", "hs d", "hsd;", "Hsd", "abcdefghijabcdefghijabcdefghijabc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (char *)1;
		cr_assert_eq(portmap_render(bad[i], NULL, 0, NULL, 0, &s, err, sizeof(err)), HS_EINPUT,
			     "%s", bad[i]);
		cr_assert_null(s);
	}
	/* A duplicate is refused before any text is produced. */
	struct portmap_rule r[2] = {rule("a", IPPROTO_UDP, 53, IP(10, 254, 0, 2), 53),
				    rule("b", IPPROTO_UDP, 53, IP(10, 254, 0, 6), 53)};
	cr_assert_eq(portmap_render("hsd", r, 2, NULL, 0, &s, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "publish: host port udp/53 already published by space \"a\"");
}
