/* portmap.c - publish parsing, rule checks and the nft script text
 * (see portmap.h; the system side is in portmap_sys.c). */
#include "portmap.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "ifnames.h"
#include "link.h"
#include "linknet.h"

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* Parse a port of 1..65535 spelled canonically; what = "host port" etc. */
static int parse_port(const char *spec, const char *s, size_t n, const char *what,
		      uint16_t *port, char *err, size_t errlen)
{
	if (n == 0)
		return err_set(err, errlen, HS_EINPUT, "--publish \"%.40s\": %s is empty", spec,
			       what);
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(err, errlen, HS_EINPUT,
				       "--publish \"%.40s\": %s \"%.*s\" is not a number", spec,
				       what, (int)(n > 12 ? 12 : n), s);
		/* Stop accumulating early: anything this long is out of range. */
		if (i < 7)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (n > 1 && s[0] == '0')
		return err_set(err, errlen, HS_EINPUT,
			       "--publish \"%.40s\": %s \"%.*s\" has a leading zero", spec, what,
			       (int)(n > 12 ? 12 : n), s);
	if (v == 0)
		return err_set(err, errlen, HS_EINPUT,
			       "--publish \"%.40s\": %s 0 is not allowed (1-65535)", spec, what);
	if (n > 5 || v > 65535)
		return err_set(err, errlen, HS_EINPUT,
			       "--publish \"%.40s\": %s %.*s is out of range (1-65535)", spec, what,
			       (int)(n > 12 ? 12 : n), s);
	*port = (uint16_t)v;
	return HS_OK;
}

int portmap_parse_publish(const char *spec, struct portmap_rule *out, char *err,
			  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return err_set(err, errlen, HS_EINPUT,
			       "--publish: empty (want HOSTPORT:PORT[/tcp|/udp])");
	/* Refuse before echoing: the message must stay one printable line. */
	for (const char *p = spec; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return err_set(err, errlen, HS_EINPUT,
				       "--publish: contains a space or control character "
				       "(want HOSTPORT:PORT[/tcp|/udp])");
	const char *colon = strchr(spec, ':');
	if (!colon)
		return err_set(err, errlen, HS_EINPUT,
			       "--publish \"%.40s\": missing ':' (want HOSTPORT:PORT[/tcp|/udp])",
			       spec);
	const char *port2 = colon + 1;
	const char *slash = strchr(port2, '/');
	size_t n2 = slash ? (size_t)(slash - port2) : strlen(port2);
	if (strchr(port2, ':'))
		return err_set(err, errlen, HS_EINPUT,
			       "--publish \"%.40s\": more than one ':' (want HOSTPORT:PORT[/tcp|/udp]"
			       ", no address)",
			       spec);
	int rc = parse_port(spec, spec, (size_t)(colon - spec), "host port", &out->host_port,
			    err, errlen);
	if (rc == HS_OK)
		rc = parse_port(spec, port2, n2, "port", &out->space_port, err, errlen);
	if (rc)
		return rc;
	out->proto = IPPROTO_TCP;
	if (slash) {
		if (strcmp(slash + 1, "udp") == 0)
			out->proto = IPPROTO_UDP;
		else if (strcmp(slash + 1, "tcp") != 0)
			return err_set(err, errlen, HS_EINPUT,
				       "--publish \"%.40s\": protocol \"%.12s\" is not tcp or udp",
				       spec, slash + 1);
	}
	return HS_OK;
}

/* Space names go into nft comments and messages: keep them plain. */
static bool space_name_ok(const char *s)
{
	size_t n = strnlen(s, PORTMAP_SPACE_MAX);
	if (n == 0 || n >= PORTMAP_SPACE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '@'))
			return false;
	}
	return true;
}

static bool table_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > PORTMAP_TABLE_MAX || !((s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int portmap_validate(const struct portmap_rule *r, size_t n, const struct portmap_net *nets,
		     size_t nnets, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (!space_name_ok(r[i].space))
			return err_set(err, errlen, HS_EINPUT,
				       "publish: space name \"%.63s\" must be 1-63 of [A-Za-z0-9_.@-]",
				       r[i].space);
		if (r[i].proto != IPPROTO_TCP && r[i].proto != IPPROTO_UDP)
			return err_set(err, errlen, HS_EINPUT,
				       "publish: space \"%s\": protocol %u is not tcp or udp",
				       r[i].space, r[i].proto);
		if (r[i].host_port == 0 || r[i].space_port == 0)
			return err_set(err, errlen, HS_EINPUT, "publish: space \"%s\": port 0",
				       r[i].space);
		if (r[i].space_addr == 0)
			return err_set(err, errlen, HS_EINPUT,
				       "publish: space \"%s\": no space address", r[i].space);
		/* Quadratic, but a host publishes tens of ports, not thousands. */
		for (size_t j = 0; j < i; j++)
			if (r[j].proto == r[i].proto && r[j].host_port == r[i].host_port)
				return err_set(err, errlen, HS_EINPUT,
					       "publish: host port %s/%u already published by space "
					       "\"%s\"",
					       proto_name(r[i].proto), r[i].host_port, r[j].space);
	}
	for (size_t i = 0; i < nnets; i++) {
		const char *why;
		if (!link_name_valid(nets[i].host_if, &why))
			return err_set(err, errlen, HS_EINPUT, "publish: \"%.16s\": %s",
				       nets[i].host_if, why);
		if (nets[i].len > 32 || (nets[i].subnet & ~addr_mask4(nets[i].len)))
			return err_set(err, errlen, HS_EINPUT,
				       "publish: %s: subnet is not a network address/len",
				       nets[i].host_if);
		/* The anti-spoofing rule admits exactly this address: it must
		 * be a host of the link, or the space could not talk at all. */
		uint32_t mask = addr_mask4(nets[i].len);
		if ((nets[i].space_addr & mask) != nets[i].subnet ||
		    nets[i].space_addr == nets[i].subnet ||
		    (nets[i].len < 31 && nets[i].space_addr == (nets[i].subnet | ~mask)))
			return err_set(err, errlen, HS_EINPUT,
				       "publish: %s: space address is not a host of its subnet",
				       nets[i].host_if);
		/* Each veth has one chain in the guard's map, and each link's
		 * addresses one veth they may come from. */
		for (size_t j = 0; j < i; j++) {
			unsigned len = nets[i].len < nets[j].len ? nets[i].len : nets[j].len;
			if (strcmp(nets[i].host_if, nets[j].host_if) == 0)
				return err_set(err, errlen, HS_EINPUT, "publish: %s: listed twice",
					       nets[i].host_if);
			if (((nets[i].subnet ^ nets[j].subnet) & addr_mask4(len)) == 0)
				return err_set(err, errlen, HS_EINPUT,
					       "publish: %s: subnet overlaps the one of %s",
					       nets[i].host_if, nets[j].host_if);
		}
	}
	return HS_OK;
}

static void fmt_ip(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void put_dnat_rules(FILE *f, const struct portmap_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ip[16];
		fmt_ip(r[i].space_addr, ip, sizeof(ip));
		fprintf(f,
			"\t\tfib daddr type local %s dport %u counter dnat to %s:%u"
			" comment \"%s\"\n",
			proto_name(r[i].proto), r[i].host_port, ip, r[i].space_port, r[i].space);
	}
}

/* guard (raw, before conntrack: a dropped packet leaves no state).  A
 * verdict map sends a veth's packets to its own chain, so the guard costs
 * every packet the same however many spaces there are: with a rule list,
 * a packet from the LAN went past every space's rules first. */
static void put_guard(FILE *f, const struct portmap_net *nets, size_t nnets)
{
	for (size_t i = 0; i < nnets; i++) {
		char ip[16];
		fmt_ip(nets[i].space_addr, ip, sizeof(ip));
		fprintf(f,
			"\tchain guard_%s {\n"
			"\t\tip saddr != %s counter drop\n"
			"\t\tip daddr 127.0.0.0/8 counter drop\n"
			"\t\taccept\n"
			"\t}\n",
			nets[i].host_if, ip);
	}
	fprintf(f, "\tchain guard {\n"
		   "\t\ttype filter hook prerouting priority raw; policy accept;\n");
	if (nnets) {
		fprintf(f, "\t\tiifname vmap { ");
		for (size_t i = 0; i < nnets; i++)
			fprintf(f, "%s\"%s\" : jump guard_%s", i ? ", " : "", nets[i].host_if,
				nets[i].host_if);
		fprintf(f, " }\n");
	}
	/* A veth hsd has not listed (yet): created but the table not
	 * rewritten, or left by something else under our prefix. */
	fprintf(f, "\t\tiifname \"" IFNAME_SERVER "*\" counter drop\n");
	/* A space's link addresses belong to its veth, whose chain took its
	 * packets; arriving elsewhere (the LAN) they are forged.  lo carries
	 * the host's own traffic. */
	if (nnets) {
		fprintf(f, "\t\tip saddr { ");
		for (size_t i = 0; i < nnets; i++) {
			char net[16];
			fmt_ip(nets[i].subnet, net, sizeof(net));
			fprintf(f, "%s%s/%u", i ? ", " : "", net, nets[i].len);
		}
		fprintf(f, " } iif != \"lo\" counter drop\n");
	}
	fprintf(f, "\t}\n");
}

/* input: the host offers a space no service of its own; what the host
 * (or hsd's probe path, which is mirrored at tc before this) started
 * gets its replies and related ICMP errors. */
static void put_input(FILE *f, const struct portmap_net *nets, size_t nnets)
{
	/* The first rule lets the host's own traffic past the spaces' rules
	 * (the chain's policy would accept it after them). */
	fprintf(f, "\tchain input {\n"
		   "\t\ttype filter hook input priority filter; policy accept;\n"
		   "\t\tiifname != \"" IFNAME_SERVER "*\" accept\n");
	for (size_t i = 0; i < nnets; i++)
		fprintf(f,
			"\t\tiifname \"%s\" ct state established,related counter accept\n"
			"\t\tiifname \"%s\" counter drop\n",
			nets[i].host_if, nets[i].host_if);
	fprintf(f, "\t}\n");
}

/* forward: into a space only replies and published ports (DNATed, which
 * also covers hairpin from another space), into a mirror nothing; out of
 * a space anything.  The packet mirror copies what this refuses by the
 * same test (mirror_nft.c, from_outside): change both together. */
static void put_forward(FILE *f, const struct portmap_net *nets, size_t nnets)
{
	fprintf(f, "\tchain forward {\n"
		   "\t\ttype filter hook forward priority filter; policy accept;\n"
		   "\t\tct status dnat counter accept\n"
		   "\t\tct state established,related counter accept\n");
	for (size_t i = 0; i < nnets; i++)
		fprintf(f, "\t\toifname \"%s\" counter drop\n", nets[i].host_if);
	fprintf(f, "\t\toifname \"" IFNAME_SERVER "*\" counter drop\n");
	/* A mirror carries copies the host makes, never a forwarded packet:
	 * a space's packet for the copies' address would otherwise follow
	 * their route into the audit space beside its own copy. */
	fprintf(f, "\t\toifname \"" IFNAME_MIRROR "*\" counter drop\n");
	/* What conntrack cannot place would leave without NAT. */
	fprintf(f, "\t\tiifname \"" IFNAME_SERVER "*\" ct state invalid counter drop\n");
	for (size_t i = 0; i < nnets; i++)
		fprintf(f, "\t\tiifname \"%s\" counter accept\n", nets[i].host_if);
	fprintf(f, "\t}\n");
}

bool portmap_rule_alone(const struct portmap_rule *r, size_t n, size_t i)
{
	if (r[i].proto != IPPROTO_TCP)
		return false;
	for (size_t j = 0; j < n; j++)
		if (j != i && r[j].proto == IPPROTO_TCP && r[j].space_addr == r[i].space_addr &&
		    r[j].space_port == r[i].space_port)
			return false;
	return true;
}

/* The widest run of ports from 1024 up that no published port is in
 * (UDP's too): where a space's connections are masqueraded to. */
static void masq_range(const struct portmap_rule *r, size_t n, unsigned *lo, unsigned *hi)
{
	unsigned from = 1024;

	*lo = *hi = 0;
	for (;;) {
		unsigned next = 65536;
		for (size_t j = 0; j < n; j++)
			if (r[j].host_port >= from && r[j].host_port < next)
				next = r[j].host_port;
		if (next > from && next - from > *hi - *lo + (*hi ? 1u : 0u)) {
			*lo = from;
			*hi = next - 1;
		}
		if (next == 65536)
			return;
		from = next + 1;
	}
}

/* postrouting: what a space sends out is masqueraded, but
 *  - from a TCP port it publishes alone, to that published host port:
 *    the source the fast path gives its replies, so that one of them
 *    that reaches the stack (an IP option, say) leaves the same way;
 *  - anything else to a port no published port is (masq_range): kept
 *    or picked by NAT, a published port's number could give a space's
 *    connection the host address and port of one the fast path carries
 *    and conntrack does not know, and with them that client's packets. */
static void put_postrouting(FILE *f, const struct portmap_rule *r, size_t n,
			    const struct portmap_net *nets, size_t nnets)
{
	unsigned lo, hi;

	masq_range(r, n, &lo, &hi);
	fprintf(f, "\tchain postrouting {\n"
		   "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < nnets; i++) {
		char ip[16], sa[16];
		const char *h = nets[i].host_if;
		fmt_ip(nets[i].subnet, ip, sizeof(ip));
		fmt_ip(nets[i].space_addr, sa, sizeof(sa));
		for (size_t j = 0; j < n; j++)
			if (r[j].space_addr == nets[i].space_addr && portmap_rule_alone(r, n, j))
				fprintf(f,
					"\t\tip saddr %s tcp sport %u oifname != \"%s\" counter masquerade to :%u\n",
					sa, r[j].space_port, h, r[j].host_port);
		fprintf(f,
			"\t\tip saddr %s/%u oifname != \"%s\" meta l4proto { tcp, udp } counter masquerade to :%u-%u\n"
			"\t\tip saddr %s/%u oifname != \"%s\" counter masquerade\n"
			"\t\tip saddr %s/%u oifname \"%s\" ct status dnat counter masquerade\n"
			"\t\tip saddr 127.0.0.0/8 oifname \"%s\" counter masquerade\n",
			ip, nets[i].len, h, lo, hi, ip, nets[i].len, h, ip, nets[i].len, h, h);
	}
	fprintf(f, "\t}\n");
}

int portmap_render(const char *table, const struct portmap_rule *r, size_t n,
		   const struct portmap_net *nets, size_t nnets, char **out, char *err,
		   size_t errlen)
{
	*out = NULL;
	if (!table_name_ok(table))
		return err_set(err, errlen, HS_EINPUT,
			       "publish: table name \"%.32s\" must be 1-32 of [a-z0-9_], "
			       "starting with a letter",
			       table ? table : "");
	int rc = portmap_validate(r, n, nets, nnets, err, errlen);
	if (rc)
		return rc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return err_sys(err, errlen, "publish: open_memstream");

	/* add + delete + define in one transaction: the table is replaced
	 * whole, whether or not it existed, and whatever an older hsd put
	 * in it (chains included). */
	fprintf(f, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", table, table, table);
	put_guard(f, nets, nnets);

	fprintf(f, "\tchain prerouting {\n"
		   "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	put_dnat_rules(f, r, n);
	fprintf(f, "\t}\n");

	fprintf(f, "\tchain output {\n"
		   "\t\ttype nat hook output priority -100; policy accept;\n"); /* = dstnat, a name nft accepts for prerouting only */
	put_dnat_rules(f, r, n);
	fprintf(f, "\t}\n");

	put_input(f, nets, nnets);
	put_forward(f, nets, nnets);
	put_postrouting(f, r, n, nets, nnets);
	fprintf(f, "}\n");

	/* Spaces have no IPv6: none of it may come in from a veth, whatever
	 * the interface's sysctls say (an ip table never sees IPv6). */
	fprintf(f,
		"add table ip6 %s\ndelete table ip6 %s\ntable ip6 %s {\n"
		"\tchain guard {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n"
		"\t\tiifname \"" IFNAME_SERVER "*\" counter drop\n"
		"\t}\n"
		"}\n",
		table, table, table);

	if (fclose(f) != 0) {
		free(buf);
		return err_sys(err, errlen, "publish: write the nft script");
	}
	*out = buf;
	return HS_OK;
}
