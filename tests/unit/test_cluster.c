/* test_cluster.c - cluster.json loading, validation, selection and diff. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "err.h"

/* The base64 ed25519 public key made from a seed of 32 bytes all equal n. */
static void op_key(int n, char out[45])
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
		sk[crypto_sign_SECRETKEYBYTES];

	memset(seed, n, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(out, 45, pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
}

/* Templates use ' for " (readable C strings), @N (N = 1..9) for the
 * base64 of a 32-byte key whose bytes all equal N, and %N for the base64
 * ed25519 public key of operator N. */
static char *expand(const char *tpl)
{
	char *out = malloc(strlen(tpl) * 23 + 1), *o = out;

	cr_assert_not_null(out);
	for (const char *p = tpl; *p; p++) {
		if (*p == '\'') {
			*o++ = '"';
		} else if (*p == '@' && p[1] >= '1' && p[1] <= '9') {
			uint8_t key[32];
			memset(key, p[1] - '0', sizeof(key));
			sodium_bin2base64(o, 45, key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
			o += 44;
			p++;
		} else if (*p == '%' && p[1] >= '1' && p[1] <= '9') {
			op_key(p[1] - '0', o);
			o += 44;
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

#define H(n, i)                                                                     \
	"{'name':'" n "','endpoint':'192.0.2." #i ":51820','public_key':'@" #i          \
	"','prefix':'10.99." #i ".0/24'}"
#define OPS "'operators':['%1']"
#define HEAD "{'cluster':'lab','overlay':'10.99.0.0/16'," OPS ",'hosts':["
#define HOSTS3 H("a", 1) "," H("b", 2) "," H("c", 3)
#define HOSTS4 HOSTS3 "," H("d", 4)
#define V3 HEAD HOSTS3 "]}"

static int parse_tpl(const char *tpl, struct cluster *c, char *err)
{
	char *json = expand(tpl);
	int rc = cluster_parse(json, strlen(json), c, err, HS_ERRLEN);
	free(json);
	return rc;
}

static void ok(const char *tpl, struct cluster *c)
{
	char err[HS_ERRLEN] = "";
	int rc = parse_tpl(tpl, c, err);
	cr_assert_eq(rc, 0, "unexpected error: %s", err);
}

/* The message must start with the JSON path, contain the detail, be one
 * line, and the output must be left zeroed. */
static void bad(const char *tpl, const char *path, const char *detail)
{
	char err[HS_ERRLEN] = "";
	struct cluster c;
	size_t plen = strlen(path);

	memset(&c, 0x5a, sizeof(c));
	int rc = parse_tpl(tpl, &c, err);
	cr_assert_eq(rc, HS_EINPUT, "rc %d, message: %s", rc, err);
	cr_assert(strncmp(err, path, plen) == 0 && err[plen] == ':',
		  "message \"%s\" does not start with \"%s:\"", err, path);
	cr_assert_not_null(strstr(err, detail), "message \"%s\" lacks \"%s\"", err, detail);
	cr_assert_null(strchr(err, '\n'), "message has a newline: %s", err);
	cr_assert(c.hosts == NULL && c.links == NULL && c.nhosts == 0 && c.nlinks == 0);
}

/* A host entry with one field replaced. */
#define HX(field_json) "{" field_json "}"
#define FIELDS(name, ep, key, pfx)                                                  \
	"'name':'" name "','endpoint':'" ep "','public_key':'" key "','prefix':'" pfx "'"
#define WITH2(ep, key, pfx) HEAD H("a", 1) "," HX(FIELDS("b", ep, key, pfx)) "]}"

/* ---- examples ---- */

static void load_example(const char *file, struct cluster *c)
{
	char path[512], err[HS_ERRLEN] = "";
	snprintf(path, sizeof(path), "%s/deploy/examples/%s", HSD_SOURCE_DIR, file);
	int rc = cluster_load(path, c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", file, err);
}

Test(examples, line5)
{
	struct cluster c;
	load_example("line5.json", &c);
	cr_assert_eq(c.nhosts, 5);
	cr_assert_eq(c.nlinks, 4);
	cr_assert(!c.full_mesh);
	cr_assert(cluster_linked(&c, 0, 1) && cluster_linked(&c, 4, 3));
	cr_assert(!cluster_linked(&c, 0, 2) && !cluster_linked(&c, 0, 4));
	cluster_free(&c);
}

Test(examples, ring4)
{
	struct cluster c;
	load_example("ring4.json", &c);
	cr_assert_eq(c.nhosts, 4);
	cr_assert_eq(c.nlinks, 4);
	cr_assert(cluster_linked(&c, 3, 0) && !cluster_linked(&c, 0, 2));
	cluster_free(&c);
}

Test(examples, three)
{
	struct cluster c;
	load_example("three.json", &c);
	cr_assert_eq(c.nhosts, 3);
	cr_assert(c.full_mesh);
	cr_assert_eq(c.nlinks, 3);
	cluster_free(&c);
}

Test(examples, sites)
{
	struct cluster c;
	load_example("sites.json", &c);
	cr_assert_eq(c.nhosts, 6);
	cr_assert_eq(c.nlinks, 7);
	int e1 = cluster_host_index(&c, "east-1"), w1 = cluster_host_index(&c, "west-1");
	int e2 = cluster_host_index(&c, "east-2"), w2 = cluster_host_index(&c, "west-2");
	cr_assert(e1 >= 0 && w1 >= 0 && e2 >= 0 && w2 >= 0);
	cr_assert(cluster_linked(&c, (size_t)e1, (size_t)w1));
	cr_assert(!cluster_linked(&c, (size_t)e2, (size_t)w2));
	cluster_free(&c);
}

/* ---- valid input ---- */

Test(parse, fields)
{
	struct cluster c;
	ok(HEAD H("a", 1) ",{'name':'b-2','endpoint':'[2001:DB8:0:0::1]:443','public_key':'@2',"
		"'prefix':'10.99.128.0/17'}]}", &c);
	cr_assert_str_eq(c.name, "lab");
	cr_assert_eq(c.overlay, 0x0a630000u);
	cr_assert_eq(c.overlay_len, 16);
	cr_assert_eq(c.nhosts, 2);
	cr_assert_str_eq(c.hosts[0].endpoint, "192.0.2.1:51820");
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&c.hosts[0].addr;
	cr_assert_eq(sin->sin_family, AF_INET);
	cr_assert_eq(ntohs(sin->sin_port), 51820);
	cr_assert_eq(ntohl(sin->sin_addr.s_addr), 0xc0000201u);
	cr_assert_eq(c.hosts[0].public_key[0], 1);
	cr_assert_eq(c.hosts[0].public_key[31], 1);
	cr_assert_eq(c.hosts[0].prefix, 0x0a630100u);
	cr_assert_eq(c.hosts[0].prefix_len, 24);
	cr_assert_str_eq(c.hosts[1].name, "b-2");
	cr_assert_str_eq(c.hosts[1].endpoint, "[2001:db8::1]:443");
	cr_assert_eq(c.hosts[1].addr.ss_family, AF_INET6);
	cr_assert_eq(c.hosts[1].prefix, 0x0a638000u);
	cr_assert(c.full_mesh);
	cr_assert_eq(c.nlinks, 1);
	cluster_free(&c);
	cluster_free(&c); /* twice is safe */
}

Test(parse, single_host_empty_links)
{
	struct cluster c;
	ok(HEAD H("a", 1) "],'links':[]}", &c);
	cr_assert_eq(c.nlinks, 0);
	cr_assert(!c.full_mesh);
	cluster_free(&c);
}

Test(parse, links_sorted_normalised)
{
	struct cluster c;
	ok(HEAD HOSTS3 "],'links':[['c','b'],['b','a']]}", &c);
	cr_assert_eq(c.nlinks, 2);
	cr_assert(c.links[0].a == 0 && c.links[0].b == 1);
	cr_assert(c.links[1].a == 1 && c.links[1].b == 2);
	cluster_free(&c);
}

Test(parse, free_zeroed)
{
	struct cluster c = {0};
	cluster_free(&c);
	cluster_free(NULL);
	struct cluster_diff d = {0};
	cluster_diff_free(&d);
	cluster_diff_free(&d);
}

/* ---- JSON-level errors ---- */

Test(errors, not_json)
{
	bad("{'cluster':'lab',\n 'overlay': }", "(root)", "line 2, column");
	bad("", "(root)", "invalid JSON");
	bad(V3 " trailing", "(root)", "invalid JSON");
}

Test(errors, duplicate_json_key)
{
	bad("{'cluster':'a','cluster':'b'}", "(root)", "duplicate");
}

Test(errors, root_not_object)
{
	bad("[1,2]", "(root)", "expected an object, got an array");
	bad("'lab'", "(root)", "expected an object");
}

Test(errors, unknown_keys)
{
	bad("{'cluster':'lab','overlay':'10.99.0.0/16','hostz':[]}", "(root)",
	    "unknown key \"hostz\"");
	bad(HEAD H("a", 1) ",{'name':'b','adress':'x'}]}", "hosts[1]", "unknown key \"adress\"");
}

Test(errors, missing_keys)
{
	bad("{'overlay':'10.99.0.0/16','hosts':[]}", "(root)", "missing required key \"cluster\"");
	bad("{'cluster':'lab','hosts':[]}", "(root)", "missing required key \"overlay\"");
	bad("{'cluster':'lab','overlay':'10.99.0.0/16'," OPS "}", "(root)",
	    "missing required key \"hosts\"");
	bad(HEAD H("a", 1) ",{'name':'b','public_key':'@2','prefix':'10.99.2.0/24'}]}",
	    "hosts[1]", "missing required key \"endpoint\"");
}

Test(errors, wrong_types)
{
	bad("{'cluster':7,'overlay':'10.99.0.0/16','operators':['%1'],'hosts':[]}", "cluster",
	    "expected a string, got an integer");
	bad("{'cluster':'lab','overlay':[],'operators':['%1'],'hosts':[]}", "overlay", "expected a string");
	bad("{'cluster':'lab','overlay':'10.99.0.0/16','operators':['%1'],'hosts':{}}", "hosts",
	    "expected an array, got an object");
	bad(HEAD "'a']}", "hosts[0]", "expected an object, got a string");
	bad(HEAD "{'name':1,'endpoint':'x','public_key':'x','prefix':'x'}]}", "hosts[0].name",
	    "expected a string");
	bad(HEAD "{'name':'a','endpoint':null,'public_key':'x','prefix':'x'}]}",
	    "hosts[0].endpoint", "got null");
	bad(HEAD "{'name':'a','endpoint':'192.0.2.1:1','public_key':true,'prefix':'x'}]}",
	    "hosts[0].public_key", "got a boolean");
	bad(HEAD "{'name':'a','endpoint':'192.0.2.1:1','public_key':'@1','prefix':1.5}]}",
	    "hosts[0].prefix", "got a number");
	bad(V3 "x", "(root)", "invalid JSON");
	bad(HEAD HOSTS3 "],'links':{}}", "links", "expected an array");
}

/* ---- names ---- */

Test(errors, bad_names)
{
	bad("{'cluster':'Lab','overlay':'10.99.0.0/16','operators':['%1'],'hosts':[]}", "cluster", "bad name \"Lab\"");
	bad("{'cluster':'','overlay':'10.99.0.0/16','operators':['%1'],'hosts':[]}", "cluster", "bad name");
	bad("{'cluster':'-x','overlay':'10.99.0.0/16','operators':['%1'],'hosts':[]}", "cluster", "bad name");
	bad("{'cluster':'abcdefghijabcdefghijabcdefghijabc','overlay':'10.99.0.0/16','operators':['%1'],'hosts':[]}",
	    "cluster", "bad name");
	bad(HEAD H("a_b", 1) "]}", "hosts[0].name", "bad name \"a_b\"");
	bad(HEAD H("a.b", 1) "]}", "hosts[0].name", "bad name");
	/* A newline inside a name must not break the one-line rule. */
	bad(HEAD H("a\\nb", 1) "]}", "hosts[0].name", "bad name \"a\\x0ab\"");
}

Test(parse, name_limits)
{
	struct cluster c;
	ok("{'cluster':'0-','overlay':'10.99.0.0/16'," OPS ",'hosts':["
	   H("abcdefghijabcdefghijabcdefghij12", 1) "]}", &c);
	cr_assert_str_eq(c.hosts[0].name, "abcdefghijabcdefghijabcdefghij12");
	cluster_free(&c);
}

Test(errors, duplicate_host_name)
{
	bad(HEAD HOSTS4 ",{'name':'b','endpoint':'192.0.2.5:51820','public_key':'@5',"
		"'prefix':'10.99.5.0/24'}]}",
	    "hosts[4].name", "duplicate host name \"b\" (also hosts[1])");
}

/* Two names with one FNV-1a hash: their routers would be one to hsroute. */
Test(errors, router_id_shared_by_two_names)
{
	cr_assert_eq(cluster_router_id("host53866"), cluster_router_id("host1018390"),
		     "control: these names collide");
	cr_assert_neq(cluster_router_id("a"), cluster_router_id("b"));
	bad(HEAD "{'name':'host53866','endpoint':'192.0.2.1:51820','public_key':'@1',"
		 "'prefix':'10.99.1.0/24'},{'name':'host1018390','endpoint':'192.0.2.2:51820',"
		 "'public_key':'@2','prefix':'10.99.2.0/24'}]}",
	    "hosts[1].name", "\"host1018390\" has the router id of hosts[0] (a8d60e35); rename one");
}

Test(errors, duplicate_endpoint)
{
	bad(WITH2("192.0.2.1:51820", "@2", "10.99.2.0/24"), "hosts[1].endpoint",
	    "duplicate endpoint \"192.0.2.1:51820\" (also hosts[0])");
	/* Same address on another port is a different endpoint. */
	struct cluster c;
	ok(WITH2("192.0.2.1:51821", "@2", "10.99.2.0/24"), &c);
	cluster_free(&c);
	/* IPv6 duplicates are found after normalisation. */
	bad(HEAD "{'name':'a','endpoint':'[2001:db8::1]:1','public_key':'@1','prefix':'10.99.1.0/24'},"
		"{'name':'b','endpoint':'[2001:DB8:0::1]:1','public_key':'@2','prefix':'10.99.2.0/24'}]}",
	    "hosts[1].endpoint", "duplicate endpoint \"[2001:db8::1]:1\"");
}

Test(errors, duplicate_public_key)
{
	bad(WITH2("192.0.2.2:51820", "@1", "10.99.2.0/24"), "hosts[1].public_key",
	    "duplicate public key (also hosts[0])");
}

/* ---- endpoints ---- */

Test(errors, bad_endpoints)
{
	const char *p = "hosts[1].endpoint";
	bad(WITH2("192.0.2.2", "@2", "10.99.2.0/24"), p, "missing :port");
	bad(WITH2("192.0.2.2:", "@2", "10.99.2.0/24"), p, "missing port number");
	bad(WITH2("192.0.2.2:0", "@2", "10.99.2.0/24"), p, "port out of range");
	bad(WITH2("192.0.2.2:65536", "@2", "10.99.2.0/24"), p, "port out of range");
	bad(WITH2("192.0.2.2:99999999999", "@2", "10.99.2.0/24"), p, "port out of range");
	bad(WITH2("192.0.2.2:0080", "@2", "10.99.2.0/24"), p, "leading zero");
	bad(WITH2("192.0.2.2:5x", "@2", "10.99.2.0/24"), p, "not a decimal");
	bad(WITH2("192.0.2.2:-1", "@2", "10.99.2.0/24"), p, "not a decimal");
	bad(WITH2("192.0.2.256:1", "@2", "10.99.2.0/24"), p, "not an IPv4 address");
	bad(WITH2("192.0.2:1", "@2", "10.99.2.0/24"), p, "not an IPv4 address");
	bad(WITH2("192.0.2.02:1", "@2", "10.99.2.0/24"), p, "not an IPv4 address");
	bad(WITH2("example.com:51820", "@2", "10.99.2.0/24"), p, "not an IPv4 address");
	bad(WITH2("hello", "@2", "10.99.2.0/24"), p, "missing :port");
	bad(WITH2("", "@2", "10.99.2.0/24"), p, "empty");
	bad(WITH2("0.0.0.0:51820", "@2", "10.99.2.0/24"), p, "not a unicast");
	bad(WITH2("224.0.0.1:51820", "@2", "10.99.2.0/24"), p, "not a unicast");
	bad(WITH2("2001:db8::1:51820", "@2", "10.99.2.0/24"), p, "bracketed");
	bad(WITH2("[2001:db8::1]", "@2", "10.99.2.0/24"), p, "missing :port");
	bad(WITH2("[2001:db8::1:51820", "@2", "10.99.2.0/24"), p, "missing ']'");
	bad(WITH2("[2001:zz8::1]:51820", "@2", "10.99.2.0/24"), p, "not an IPv6 address");
	bad(WITH2("[fe80::1%eth0]:51820", "@2", "10.99.2.0/24"), p, "not an IPv6 address");
	bad(WITH2("[::]:51820", "@2", "10.99.2.0/24"), p, "not a unicast");
	bad(WITH2("[2001:db8::1]x51820", "@2", "10.99.2.0/24"), p, "expected ':'");
}

/* ---- keys ---- */

Test(errors, bad_keys)
{
	const char *p = "hosts[1].public_key";
	bad(WITH2("192.0.2.2:1", "not base64!", "10.99.2.0/24"), p, "not standard padded base64");
	/* 31 and 33 bytes. */
	bad(WITH2("192.0.2.2:1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ==", "10.99.2.0/24"), p,
	    "decodes to 31 bytes");
	bad(WITH2("192.0.2.2:1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", "10.99.2.0/24"), p,
	    "decodes to 33 bytes");
	/* Unpadded, URL-safe alphabet, embedded space, empty, non-canonical bits. */
	bad(WITH2("192.0.2.2:1", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", "10.99.2.0/24"), p,
	    "base64");
	bad(WITH2("192.0.2.2:1", "-_EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "10.99.2.0/24"), p,
	    "base64");
	bad(WITH2("192.0.2.2:1", "AQEB AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "10.99.2.0/24"), p,
	    "base64");
	bad(WITH2("192.0.2.2:1", "", "10.99.2.0/24"), p, "decodes to 0 bytes");
	bad(WITH2("192.0.2.2:1", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=", "10.99.2.0/24"), p,
	    "base64");
	bad(WITH2("192.0.2.2:1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "10.99.2.0/24"), p,
	    "all-zero");
}

/* ---- prefixes and overlay ---- */

Test(errors, bad_prefixes)
{
	const char *p = "hosts[1].prefix";
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.0"), p, "not an IPv4 prefix");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.0/33"), p, "not an IPv4 prefix");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.0/024"), p, "not an IPv4 prefix");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.0/"), p, "not an IPv4 prefix");
	bad(WITH2("192.0.2.2:1", "@2", "garbage"), p, "not an IPv4 prefix");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.1/24"), p,
	    "10.99.2.1/24 has host bits set (network is 10.99.2.0/24)");
	bad(WITH2("192.0.2.2:1", "@2", "10.98.2.0/24"), p, "outside overlay 10.99.0.0/16");
	bad(WITH2("192.0.2.2:1", "@2", "10.0.0.0/8"), p, "outside overlay");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.0.0/16"), p, "whole overlay");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.2.0/31"), p, "longer than /30");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.1.0/25"), p,
	    "10.99.1.0/25 overlaps hosts[0].prefix 10.99.1.0/24");
	bad(WITH2("192.0.2.2:1", "@2", "10.99.0.0/23"), p,
	    "10.99.0.0/23 overlaps hosts[0].prefix 10.99.1.0/24");
	bad(HEAD HOSTS3 ",{'name':'d','endpoint':'192.0.2.4:1','public_key':'@4',"
		"'prefix':'10.99.3.128/25'}]}",
	    "hosts[3].prefix", "overlaps hosts[2].prefix 10.99.3.0/24");
}

Test(errors, bad_overlay)
{
	bad("{'cluster':'lab','overlay':'10.99.0.0','operators':['%1'],'hosts':[]}", "overlay", "not an IPv4 prefix");
	bad("{'cluster':'lab','overlay':'10.99.1.0/16','operators':['%1'],'hosts':[]}", "overlay",
	    "host bits set (network is 10.99.0.0/16)");
	bad("{'cluster':'lab','overlay':'8.0.0.0/7','operators':['%1'],'hosts':[]}", "overlay", "/8../29");
	bad("{'cluster':'lab','overlay':'10.99.0.0/30','operators':['%1'],'hosts':[]}", "overlay", "/8../29");
	bad("{'cluster':'lab','overlay':'10.99.0.0/16x','operators':['%1'],'hosts':[]}", "overlay", "not an IPv4");
}

/* ---- host count ---- */

Test(errors, no_hosts)
{
	bad(HEAD "]}", "hosts", "at least one host");
}

/* Build a cluster of n distinct hosts in a /8 overlay with /30 prefixes. */
static char *many_hosts(size_t n)
{
	size_t cap = 256 + n * 160, o = 0;
	char *s = malloc(cap), op[45];
	cr_assert_not_null(s);
	op_key(1, op);
	o += (size_t)snprintf(s + o, cap - o,
			      "{\"cluster\":\"big\",\"overlay\":\"10.0.0.0/8\","
			      "\"operators\":[\"%s\"],\"hosts\":[", op);
	for (size_t i = 0; i < n; i++) {
		uint8_t key[32] = {1, (uint8_t)(i >> 8), (uint8_t)i};
		char b64[45];
		sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
		o += (size_t)snprintf(s + o, cap - o,
				      "%s{\"name\":\"h%zu\",\"endpoint\":\"192.0.2.1:%zu\","
				      "\"public_key\":\"%s\",\"prefix\":\"10.%zu.%zu.0/30\"}",
				      i ? "," : "", i, i + 1, b64, i >> 8, i & 0xff);
	}
	snprintf(s + o, cap - o, "]}");
	return s;
}

Test(errors, too_many_hosts)
{
	char *json = many_hosts(CLUSTER_HOSTS_MAX + 1), err[HS_ERRLEN];
	struct cluster c;
	int rc = cluster_parse(json, strlen(json), &c, err, sizeof(err));
	free(json);
	cr_assert_eq(rc, HS_EINPUT);
	cr_assert(strncmp(err, "hosts: 1025 hosts, at most 1024", 31) == 0, "%s", err);
	cr_assert_null(c.hosts);
}

Test(parse, max_hosts)
{
	char *json = many_hosts(CLUSTER_HOSTS_MAX), err[HS_ERRLEN];
	struct cluster c;
	int rc = cluster_parse(json, strlen(json), &c, err, sizeof(err));
	free(json);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(c.nlinks, (size_t)CLUSTER_HOSTS_MAX * (CLUSTER_HOSTS_MAX - 1) / 2);
	cr_assert(cluster_linked(&c, 0, 1023));
	cluster_free(&c);
}

/* ---- links ---- */

Test(errors, link_unknown_host)
{
	bad(HEAD HOSTS3 "],'links':[['a','b'],['b','c'],['c','a'],['a','zz']]}",
	    "links[3][1]", "unknown host \"zz\"");
}

Test(errors, link_to_self)
{
	bad(HEAD HOSTS3 "],'links':[['a','b'],['b','b']]}", "links[1]", "links host \"b\" to itself");
}

Test(errors, duplicate_link)
{
	bad(HEAD HOSTS3 "],'links':[['a','b'],['b','c'],['b','a']]}", "links[2]",
	    "duplicate link a-b (also links[0])");
	bad(HEAD HOSTS3 "],'links':[['a','b'],['b','c'],['c','b'],['a','b']]}", "links[2]",
	    "duplicate link b-c (also links[1])");
}

Test(errors, link_shape)
{
	bad(HEAD HOSTS3 "],'links':[['a','b'],'c']}", "links[1]", "expected an array of 2 host names");
	bad(HEAD HOSTS3 "],'links':[['a','b','c']]}", "links[0]", "of another length");
	bad(HEAD HOSTS3 "],'links':[['a']]}", "links[0]", "expected an array of 2");
	bad(HEAD HOSTS3 "],'links':[['a',2]]}", "links[0][1]", "expected a host name string");
	bad(HEAD HOSTS3 "],'links':'a-b'}", "links", "expected an array");
}

Test(errors, disconnected)
{
	bad(HEAD HOSTS4 "],'links':[['a','b'],['c','d']]}", "links",
	    "hosts[2] \"c\" is not reachable from hosts[0] \"a\"");
	bad(HEAD HOSTS4 "],'links':[['c','d'],['b','c']]}", "links",
	    "hosts[1] \"b\" is not reachable from hosts[0] \"a\"");
	bad(HEAD HOSTS3 "],'links':[]}", "links", "hosts[1] \"b\" is not reachable");
}

/* ---- files ---- */

Test(load, unreadable)
{
	struct cluster c;
	char err[HS_ERRLEN];
	int rc = cluster_load("/nonexistent/cluster.json", &c, err, sizeof(err));
	cr_assert_eq(rc, HS_ESYS);
	cr_assert(strncmp(err, "/nonexistent/cluster.json: ", 27) == 0, "%s", err);
	cr_assert_null(strchr(err, '\n'));
	rc = cluster_load("/", &c, err, sizeof(err));
	cr_assert_eq(rc, HS_ESYS, "%s", err);
	cr_assert_null(c.hosts);
}

Test(load, bad_content_prefixed_by_path)
{
	char path[] = "/tmp/test_cluster_XXXXXX", err[HS_ERRLEN];
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	char *json = expand(WITH2("192.0.2.2:0", "@2", "10.99.2.0/24"));
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	free(json);
	struct cluster c;
	int rc = cluster_load(path, &c, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, HS_EINPUT);
	char want[128];
	snprintf(want, sizeof(want), "%s: hosts[1].endpoint: ", path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
}

/* ---- selection and links ---- */

Test(select, host)
{
	struct cluster c;
	char err[HS_ERRLEN];
	ok(V3, &c);
	cr_assert_eq(cluster_select_host(&c, "b", err, sizeof(err)), 1);
	cr_assert_eq(cluster_host_index(&c, "c"), 2);
	cr_assert_eq(cluster_host_index(&c, "x"), -1);
	cr_assert_eq(cluster_select_host(&c, "x", err, sizeof(err)), HS_EINPUT);
	cr_assert(strncmp(err, "--host: \"x\" is not a host of cluster \"lab\"", 42) == 0, "%s", err);
	cr_assert_eq(cluster_select_host(&c, NULL, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(cluster_select_host(&c, "", err, sizeof(err)), HS_EINPUT);
	cluster_free(&c);
}

Test(linked, full_mesh)
{
	struct cluster c;
	ok(HEAD HOSTS4 "]}", &c);
	cr_assert_eq(c.nlinks, 6);
	for (size_t a = 0; a < 4; a++)
		for (size_t b = 0; b < 4; b++)
			cr_assert_eq(cluster_linked(&c, a, b), a != b);
	cr_assert(!cluster_linked(&c, 0, 4));
	cluster_free(&c);
}

Test(linked, partial)
{
	struct cluster c;
	ok(HEAD HOSTS4 "],'links':[['a','b'],['d','b'],['c','d']]}", &c);
	cr_assert(cluster_linked(&c, 0, 1) && cluster_linked(&c, 1, 0));
	cr_assert(cluster_linked(&c, 1, 3) && cluster_linked(&c, 2, 3));
	cr_assert(!cluster_linked(&c, 0, 2) && !cluster_linked(&c, 0, 3));
	cr_assert(!cluster_linked(&c, 1, 2) && !cluster_linked(&c, 1, 1));
	cr_assert(!cluster_linked(&c, 1, 99));
	cluster_free(&c);
}

/* ---- default ---- */

Test(defaults, single_host)
{
	struct cluster c;
	uint8_t key[32];
	char err[HS_ERRLEN];
	memset(key, 7, sizeof(key));
	cr_assert_eq(cluster_default(&c, "My_Host.example.com", key, err, sizeof(err)), 0);
	cr_assert_str_eq(c.name, "local");
	cr_assert_eq(c.nhosts, 1);
	cr_assert_str_eq(c.hosts[0].name, "my-host");
	cr_assert_str_eq(c.hosts[0].endpoint, "127.0.0.1:51820");
	cr_assert_eq(c.hosts[0].addr.ss_family, AF_INET);
	cr_assert_eq(c.hosts[0].prefix, 0x0a630100u);
	cr_assert_eq(c.hosts[0].prefix_len, 24);
	cr_assert_eq(c.overlay, 0x0a630000u);
	cr_assert_eq(c.overlay_len, 16);
	cr_assert_eq(c.hosts[0].public_key[5], 7);
	cr_assert_eq(c.nlinks, 0);
	cr_assert_eq(c.hello_ms, 400);
	cr_assert_eq(c.dead_ms, 1300);
	cr_assert_eq(cluster_select_host(&c, "my-host", err, sizeof(err)), 0);
	cluster_free(&c);
}

Test(defaults, sanitise)
{
	struct cluster c;
	uint8_t key[32] = {1};
	char err[HS_ERRLEN];
	cr_assert_eq(cluster_default(&c, "--", key, err, sizeof(err)), 0);
	cr_assert_str_eq(c.hosts[0].name, "host");
	cluster_free(&c);
	cr_assert_eq(cluster_default(&c, NULL, key, err, sizeof(err)), 0);
	cr_assert_str_eq(c.hosts[0].name, "host");
	cluster_free(&c);
	cr_assert_eq(cluster_default(&c, "ABCDEFGHIJABCDEFGHIJABCDEFGHIJ-xyz", key, err,
				     sizeof(err)), 0);
	cr_assert_str_eq(c.hosts[0].name, "abcdefghijabcdefghijabcdefghij-x");
	cluster_free(&c);
	cr_assert_eq(cluster_default(&c, "a", NULL, err, sizeof(err)), HS_EINPUT);
	cr_assert_null(c.hosts);
}

/* ---- diff ---- */

static void diff_of(const char *old_tpl, const char *new_tpl, struct cluster_diff *d)
{
	struct cluster a, b;
	char err[HS_ERRLEN];
	ok(old_tpl, &a);
	ok(new_tpl, &b);
	cr_assert_eq(cluster_diff(&a, &b, d, err, sizeof(err)), 0, "%s", err);
	cluster_free(&a);
	cluster_free(&b);
}

Test(diff, identical_and_reordered)
{
	struct cluster_diff d;
	diff_of(V3, V3, &d);
	cr_assert(cluster_diff_empty(&d));
	cluster_diff_free(&d);
	/* Same hosts in another order, full mesh spelt out: no change. */
	diff_of(V3, HEAD H("c", 3) "," H("a", 1) "," H("b", 2)
		"],'links':[['a','b'],['c','b'],['a','c']]}", &d);
	cr_assert(cluster_diff_empty(&d));
	cluster_diff_free(&d);
}

Test(diff, hosts_added_removed)
{
	struct cluster_diff d;
	diff_of(V3, HEAD H("a", 1) "," H("c", 3) "," H("d", 4) "]}", &d);
	cr_assert_eq(d.nremoved, 1);
	cr_assert_eq(d.removed[0], 1); /* b in old */
	cr_assert_eq(d.nadded, 1);
	cr_assert_eq(d.added[0], 2); /* d in new */
	cr_assert_eq(d.nchanged, 0);
	/* a-b and b-c gone; a-d and c-d new; a-c kept. */
	cr_assert_eq(d.nlinks_removed, 2);
	cr_assert_eq(d.nlinks_added, 2);
	cr_assert(d.links_added[0].a == 0 && d.links_added[0].b == 2);
	cr_assert(d.links_added[1].a == 1 && d.links_added[1].b == 2);
	cr_assert(!cluster_diff_empty(&d));
	cluster_diff_free(&d);
}

Test(diff, fields_changed)
{
	struct cluster_diff d;
	diff_of(V3, HEAD H("a", 1) ",{'name':'b','endpoint':'192.0.2.9:51820','public_key':'@9',"
		"'prefix':'10.99.2.0/25'}," H("c", 3) "]}", &d);
	cr_assert_eq(d.nchanged, 1);
	cr_assert_eq(d.changed[0].old_idx, 1);
	cr_assert_eq(d.changed[0].new_idx, 1);
	cr_assert_eq(d.changed[0].fields,
		     CLUSTER_CH_ENDPOINT | CLUSTER_CH_PUBLIC_KEY | CLUSTER_CH_PREFIX);
	cr_assert_eq(d.nadded + d.nremoved + d.nlinks_added + d.nlinks_removed, 0);
	cluster_diff_free(&d);
	diff_of(V3, HEAD H("a", 1) ",{'name':'b','endpoint':'192.0.2.2:51820','public_key':'@8',"
		"'prefix':'10.99.2.0/24'}," H("c", 3) "]}", &d);
	cr_assert_eq(d.nchanged, 1);
	cr_assert_eq(d.changed[0].fields, CLUSTER_CH_PUBLIC_KEY);
	cluster_diff_free(&d);
}

Test(diff, links_only)
{
	struct cluster_diff d;
	diff_of(HEAD HOSTS3 "],'links':[['a','b'],['b','c']]}",
		HEAD HOSTS3 "],'links':[['a','b'],['a','c']]}", &d);
	cr_assert_eq(d.nlinks_removed, 1);
	cr_assert(d.links_removed[0].a == 1 && d.links_removed[0].b == 2);
	cr_assert_eq(d.nlinks_added, 1);
	cr_assert(d.links_added[0].a == 0 && d.links_added[0].b == 2);
	cr_assert_eq(d.nadded + d.nremoved + d.nchanged, 0);
	cluster_diff_free(&d);
}

Test(diff, cluster_fields)
{
	struct cluster_diff d;
	diff_of(V3, "{'cluster':'lab2','overlay':'10.0.0.0/8'," OPS ",'hosts':[" HOSTS3 "]}", &d);
	cr_assert(d.name_changed && d.overlay_changed && !d.operators_changed);
	cr_assert_eq(d.nchanged, 0);
	cluster_diff_free(&d);
	cluster_diff_free(&d);
}

/* --- operators ------------------------------------------------------------ */

Test(operators, parsed_in_order)
{
	struct cluster c;
	char k2[45];
	uint8_t raw[32];
	size_t len;

	ok("{'cluster':'lab','overlay':'10.99.0.0/16','operators':['%2','%1'],'hosts':[" HOSTS3 "]}", &c);
	cr_assert_eq(c.noperators, 2);
	op_key(2, k2);
	cr_assert_eq(sodium_base642bin(raw, sizeof(raw), k2, 44, NULL, &len, NULL,
				       sodium_base64_VARIANT_ORIGINAL), 0);
	cr_assert(memcmp(c.operators[0], raw, 32) == 0);
	cr_assert(cluster_is_operator(&c, raw));
	cr_assert(cluster_is_operator(&c, c.operators[1]));
	memset(raw, 7, sizeof(raw));
	cr_assert(!cluster_is_operator(&c, raw));
	cluster_free(&c);
}

Test(operators, required_and_checked)
{
#define ROOT(ops) "{'cluster':'lab','overlay':'10.99.0.0/16'," ops ",'hosts':[" HOSTS3 "]}"
	bad("{'cluster':'lab','overlay':'10.99.0.0/16','hosts':[" HOSTS3 "]}", "(root)",
	    "missing required key \"operators\"");
	bad(ROOT("'operators':[]"), "operators", "must list 1..16");
	bad(ROOT("'operators':'%1'"), "operators", "expected an array");
	bad(ROOT("'operators':['%1',7]"), "operators[1]", "expected a string");
	/* A host's X25519 key of all 1s is not a point an ed25519 key may be. */
	bad(ROOT("'operators':['%1','%2','@1']"), "operators[2]",
	    "not a base64 ed25519 public key");
	bad(ROOT("'operators':['AAAA']"), "operators[0]", "not a base64 ed25519 public key");
	/* The all-zero encoding is a small-order point: it would verify
	 * signatures nobody made. */
	bad(ROOT("'operators':['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=']"), "operators[0]",
	    "not a base64 ed25519 public key");
	bad(ROOT("'operators':['%1','%2','%1']"), "operators[2]",
	    "duplicate operator key (also operators[0])");
	bad(ROOT("'operators':['%1','%2','%3','%4','%5','%6','%7','%8','%9','%1','%2','%3','%4','%5','%6','%7','%8']"),
	    "operators", "must list 1..16 operator keys, lists 17");
#undef ROOT
}

Test(operators, reload_diff)
{
	struct cluster_diff d;

	diff_of(V3, "{'cluster':'lab','overlay':'10.99.0.0/16','operators':['%2'],'hosts':[" HOSTS3 "]}", &d);
	cr_assert(d.operators_changed);
	cr_assert(!cluster_diff_empty(&d));
	cr_assert_eq(d.nadded + d.nremoved + d.nchanged, 0);
	cluster_diff_free(&d);
	/* The same set in another order is no change. */
	diff_of("{'cluster':'lab','overlay':'10.99.0.0/16','operators':['%1','%2'],'hosts':[" HOSTS3 "]}",
		"{'cluster':'lab','overlay':'10.99.0.0/16','operators':['%2','%1'],'hosts':[" HOSTS3 "]}", &d);
	cr_assert(!d.operators_changed);
	cr_assert(cluster_diff_empty(&d));
	cluster_diff_free(&d);
}

/* ---- voters (docs/fleetdb.md) ---- */

#define WITHV(v) "{'cluster':'lab','overlay':'10.99.0.0/16'," OPS ",'hosts':[" HOSTS4 "]," v "}"

Test(voters, parsed_in_order)
{
	struct cluster c;

	ok(WITHV("'voters':['c','a','d']"), &c);
	cr_assert_eq(c.nvoters, 3);
	cr_assert_eq(c.voters[0], 2);
	cr_assert_eq(c.voters[1], 0);
	cr_assert_eq(c.voters[2], 3);
	cr_assert(cluster_is_voter(&c, 0) && !cluster_is_voter(&c, 1));
	cluster_free(&c);
}

Test(voters, absent)
{
	struct cluster c;

	/* No fleet database unless asked for. */
	ok(V3, &c);
	cr_assert_eq(c.nvoters, 0);
	cr_assert(!cluster_is_voter(&c, 0));
	cluster_free(&c);
	/* One host may be its own voter. */
	ok(HEAD H("a", 1) "], 'voters':['a']}", &c);
	cr_assert_eq(c.nvoters, 1);
	cr_assert(cluster_is_voter(&c, 0));
	cluster_free(&c);
}

Test(voters, checked)
{
	bad(WITHV("'voters':'a'"), "voters", "expected an array");
	bad(WITHV("'voters':[]"), "voters", "must list 1, 3 or 5 hosts, lists 0");
	bad(WITHV("'voters':['a','b']"), "voters", "must list 1, 3 or 5 hosts, lists 2");
	bad(WITHV("'voters':['a','b',3]"), "voters[2]", "expected a string");
	bad(WITHV("'voters':['a','b','x']"), "voters[2]", "\"x\" is not a host");
	bad(WITHV("'voters':['a','b','a']"), "voters[2]", "\"a\" is listed twice (also voters[0])");
}

Test(voters, reload_diff)
{
	struct cluster_diff d;

	diff_of(WITHV("'voters':['a','b','c']"), WITHV("'voters':['a','b','d']"), &d);
	cr_assert(d.voters_changed);
	cr_assert(!cluster_diff_empty(&d));
	cluster_diff_free(&d);
	diff_of(WITHV("'voters':['a','b','c']"), WITHV("'voters':['a','b','c']"), &d);
	cr_assert(!d.voters_changed && cluster_diff_empty(&d));
	cluster_diff_free(&d);
}

/* ---- mesh timers (docs/cluster-json.md, "mesh") ---- */

#define WITHM(m) "{'cluster':'lab','overlay':'10.99.0.0/16'," OPS ",'hosts':[" HOSTS3 "]," m "}"

static void timers(const char *tpl, unsigned hello, unsigned dead)
{
	struct cluster c;

	ok(tpl, &c);
	cr_assert_eq(c.hello_ms, hello, "hello_ms %u, want %u", c.hello_ms, hello);
	cr_assert_eq(c.dead_ms, dead, "dead_ms %u, want %u", c.dead_ms, dead);
	cluster_free(&c);
}

Test(mesh, defaults_when_absent)
{
	timers(V3, 400, 1300);
	timers(WITHM("'mesh':{}"), 400, 1300);
	/* Every example the docs point at runs the defaults. */
	struct cluster c;
	load_example("ring4.json", &c);
	cr_assert(c.hello_ms == 400 && c.dead_ms == 1300);
	cluster_free(&c);
}

Test(mesh, accepted)
{
	timers(WITHM("'mesh':{'hello_ms':250,'dead_ms':700}"), 250, 700);
	/* The limits themselves. */
	timers(WITHM("'mesh':{'hello_ms':100,'dead_ms':250}"), 100, 250);
	timers(WITHM("'mesh':{'hello_ms':10000,'dead_ms':60000}"), 10000, 60000);
	timers(WITHM("'mesh':{'hello_ms':401,'dead_ms':1003}"), 401, 1003); /* 2.5 x 401 = 1002.5 */
	/* One alone: dead_ms defaults to 3.25 x hello_ms, hello_ms to 400. */
	timers(WITHM("'mesh':{'hello_ms':1000}"), 1000, 3250);
	timers(WITHM("'mesh':{'hello_ms':250}"), 250, 812);
	timers(WITHM("'mesh':{'dead_ms':2000}"), 400, 2000);
}

Test(mesh, refused)
{
	bad(WITHM("'mesh':[250]"), "mesh", "expected an object, got an array");
	bad(WITHM("'mesh':{'hello':250}"), "mesh", "unknown key \"hello\"");
	bad(WITHM("'mesh':{'hello_ms':'250'}"), "mesh.hello_ms", "expected an integer (milliseconds), got a string");
	bad(WITHM("'mesh':{'hello_ms':250.0}"), "mesh.hello_ms", "expected an integer (milliseconds), got a number");
	bad(WITHM("'mesh':{'hello_ms':true}"), "mesh.hello_ms", "expected an integer");
	bad(WITHM("'mesh':{'hello_ms':null}"), "mesh.hello_ms", "expected an integer");
	bad(WITHM("'mesh':{'dead_ms':'1s'}"), "mesh.dead_ms", "expected an integer (milliseconds), got a string");
	bad(WITHM("'mesh':{'hello_ms':99}"), "mesh.hello_ms", "99 is outside 100..10000");
	bad(WITHM("'mesh':{'hello_ms':10001}"), "mesh.hello_ms", "10001 is outside 100..10000");
	bad(WITHM("'mesh':{'hello_ms':-400}"), "mesh.hello_ms", "-400 is outside 100..10000");
	bad(WITHM("'mesh':{'hello_ms':250,'dead_ms':500}"), "mesh.dead_ms",
	    "500 is below 2.5 x mesh.hello_ms (250): want at least 625");
	bad(WITHM("'mesh':{'hello_ms':401,'dead_ms':1002}"), "mesh.dead_ms",
	    "1002 is below 2.5 x mesh.hello_ms (401): want at least 1003");
	/* hello_ms 400 when absent. */
	bad(WITHM("'mesh':{'dead_ms':999}"), "mesh.dead_ms", "999 is below 2.5 x mesh.hello_ms (400)");
	bad(WITHM("'mesh':{'hello_ms':250,'dead_ms':-1}"), "mesh.dead_ms", "-1 is below 2.5 x");
	bad(WITHM("'mesh':{'hello_ms':10000,'dead_ms':60001}"), "mesh.dead_ms", "60001 is above 60000");
	/* Far outside any integer type of the struct: no wrap-around. */
	bad(WITHM("'mesh':{'dead_ms':9223372036854775807}"), "mesh.dead_ms", "is above 60000");
	bad(WITHM("'mesh':{'dead_ms':-9223372036854775807}"), "mesh.dead_ms", "is below 2.5 x");
	bad(WITHM("'mesh':{'hello_ms':4294967696}"), "mesh.hello_ms", "4294967696 is outside 100..10000");
	/* dead_ms derived from a large hello_ms stays within its limit. */
	timers(WITHM("'mesh':{'hello_ms':10000}"), 10000, 32500);
}

Test(mesh, reload_diff)
{
	struct cluster_diff d;

	diff_of(V3, WITHM("'mesh':{'hello_ms':250,'dead_ms':700}"), &d);
	cr_assert(d.mesh_changed);
	cr_assert(!cluster_diff_empty(&d));
	cluster_diff_free(&d);
	diff_of(V3, WITHM("'mesh':{'hello_ms':400,'dead_ms':1301}"), &d);
	cr_assert(d.mesh_changed);
	cluster_diff_free(&d);
	/* The defaults written out are no change. */
	diff_of(V3, WITHM("'mesh':{'hello_ms':400,'dead_ms':1300}"), &d);
	cr_assert(!d.mesh_changed && cluster_diff_empty(&d));
	cluster_diff_free(&d);
}
