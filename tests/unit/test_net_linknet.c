/* test_net_linknet.c - the /30-per-space address plan and name checks. */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "link.h"
#include "linknet.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

Test(linknet, default_plan)
{
	struct linknet_plan p;
	struct linknet l;
	char err[HS_ERRLEN];
	cr_assert_eq(linknet_plan_init(&p, NULL, err, sizeof(err)), HS_OK);
	cr_assert_eq(p.range, IP(10, 254, 0, 0));
	cr_assert_eq(p.len, 16);
	cr_assert_eq(linknet_capacity(&p), 16384);

	cr_assert_eq(linknet_for(&p, 0, &l, err, sizeof(err)), HS_OK);
	cr_assert_eq(l.subnet, IP(10, 254, 0, 0));
	cr_assert_eq(l.base_addr, IP(10, 254, 0, 1));
	cr_assert_eq(l.space_addr, IP(10, 254, 0, 2));
	cr_assert_eq(l.plen, 30);

	cr_assert_eq(linknet_for(&p, 1, &l, err, sizeof(err)), HS_OK);
	cr_assert_eq(l.base_addr, IP(10, 254, 0, 5));
	cr_assert_eq(l.space_addr, IP(10, 254, 0, 6));

	cr_assert_eq(linknet_for(&p, 64, &l, err, sizeof(err)), HS_OK);
	cr_assert_eq(l.subnet, IP(10, 254, 1, 0));

	cr_assert_eq(linknet_for(&p, 16383, &l, err, sizeof(err)), HS_OK);
	cr_assert_eq(l.subnet, IP(10, 254, 255, 252));
	cr_assert_eq(l.space_addr, IP(10, 254, 255, 254));

	cr_assert_eq(linknet_for(&p, 16384, &l, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "16384"), "%s", err);
}

Test(linknet, small_and_large_ranges)
{
	struct linknet_plan p;
	struct linknet l;
	char err[HS_ERRLEN];
	cr_assert_eq(linknet_plan_init(&p, "192.168.7.0/24", err, sizeof(err)), HS_OK);
	cr_assert_eq(linknet_capacity(&p), 64);
	cr_assert_eq(linknet_for(&p, 63, &l, err, sizeof(err)), HS_OK);
	cr_assert_eq(l.space_addr, IP(192, 168, 7, 254));
	cr_assert_eq(linknet_for(&p, 64, &l, err, sizeof(err)), HS_EINPUT);

	cr_assert_eq(linknet_plan_init(&p, "10.0.0.0/8", err, sizeof(err)), HS_OK);
	cr_assert_eq(linknet_capacity(&p), 16384);
	cr_assert_eq(linknet_plan_init(&p, "10.0.0.0/30", err, sizeof(err)), HS_OK);
	cr_assert_eq(linknet_capacity(&p), 1);
}

Test(linknet, bad_ranges)
{
	struct linknet_plan p;
	char err[HS_ERRLEN];
	cr_assert_eq(linknet_plan_init(&p, "10.254.0.1/16", err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "10.254.0.0/16"), "%s", err);
	cr_assert_eq(linknet_plan_init(&p, "10.254.0.0/31", err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "8..30"), "%s", err);
	cr_assert_eq(linknet_plan_init(&p, "10.0.0.0/7", err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(linknet_plan_init(&p, "ten/16", err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(linknet_plan_init(&p, "", err, sizeof(err)), HS_EINPUT);
	cr_assert_null(strchr(err, '\n'));
}

Test(linknet, ifnames)
{
	char buf[16];
	const char *why;
	linknet_host_ifname(16383, buf, sizeof(buf));
	cr_assert_str_eq(buf, "hsv16383");
	cr_assert(link_name_valid(buf, &why));
	cr_assert(link_name_valid("eth0", &why));
	cr_assert(link_name_valid("abcdefghijklmno", &why)); /* 15 */
	cr_assert_not(link_name_valid("abcdefghijklmnop", &why));
	cr_assert(strstr(why, "15"));
	cr_assert_not(link_name_valid("", &why));
	cr_assert_not(link_name_valid(NULL, &why));
	cr_assert_not(link_name_valid("a b", &why));
	cr_assert_not(link_name_valid("a/b", &why));
	cr_assert_not(link_name_valid("a\"b", &why));
	cr_assert_not(link_name_valid("..", &why));
}
