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
	struct portmap_net good = {.subnet = IP(10, 254, 0, 0), .len = 30, .host_if = "hsv0"};
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

Test(render, full_script)
{
	struct portmap_rule r[2] = {
		rule("web", IPPROTO_TCP, 8081, IP(10, 254, 0, 2), 8080),
		rule("dns", IPPROTO_UDP, 5353, IP(10, 254, 0, 6), 53),
	};
	struct portmap_net n[2] = {
		{.subnet = IP(10, 254, 0, 0), .len = 30, .host_if = "hsv0"},
		{.subnet = IP(10, 254, 0, 4), .len = 30, .host_if = "hsv1"},
	};
	char *s;
	cr_assert_eq(portmap_render("hsd", r, 2, n, 2, &s, err, sizeof(err)), HS_OK, "%s", err);
	const char *want =
		"add table ip hsd\n"
		"delete table ip hsd\n"
		"table ip hsd {\n"
		"\tchain guard {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n"
		"\t\tiifname \"hsv0\" ip saddr 127.0.0.0/8 counter drop\n"
		"\t\tiifname \"hsv0\" ip daddr 127.0.0.0/8 counter drop\n"
		"\t\tiifname \"hsv1\" ip saddr 127.0.0.0/8 counter drop\n"
		"\t\tiifname \"hsv1\" ip daddr 127.0.0.0/8 counter drop\n"
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
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tct status dnat counter accept\n"
		"\t\tct state established,related counter accept\n"
		"\t\tiifname \"hsv0\" counter accept\n"
		"\t\tiifname \"hsv1\" counter accept\n"
		"\t}\n"
		"\tchain postrouting {\n"
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip saddr 10.254.0.0/30 oifname != \"hsv0\" counter masquerade\n"
		"\t\tip saddr 10.254.0.0/30 oifname \"hsv0\" ct status dnat counter masquerade\n"
		"\t\tip saddr 127.0.0.0/8 oifname \"hsv0\" counter masquerade\n"
		"\t\tip saddr 10.254.0.4/30 oifname != \"hsv1\" counter masquerade\n"
		"\t\tip saddr 10.254.0.4/30 oifname \"hsv1\" ct status dnat counter masquerade\n"
		"\t\tip saddr 127.0.0.0/8 oifname \"hsv1\" counter masquerade\n"
		"\t}\n"
		"}\n";
	cr_assert_str_eq(s, want);
	free(s);
}

Test(render, empty_and_bad_table)
{
	char *s;
	cr_assert_eq(portmap_render("hsd_x1", NULL, 0, NULL, 0, &s, err, sizeof(err)), HS_OK);
	cr_assert(strstr(s, "table ip hsd_x1 {\n"));
	cr_assert_null(strstr(s, "dnat to"));
	cr_assert_null(strstr(s, "masquerade"));
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
