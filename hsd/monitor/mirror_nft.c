/* mirror_nft.c - the netfilter half of a packet mirror: it copies the
 * IPv4 packets the server veths' classifiers do not (see mirror.h).
 *
 * The set "tapped" holds the server veths whose classifiers copy their
 * IPv4, by index (mirror.c adds a veth once they do, and takes it out
 * before they go; a deleted veth leaves an index no later veth gets,
 * where its name could come back before its classifiers).  What crosses
 * a tapped veth is theirs; netfilter copies the rest, each packet once:
 *   - from_spaces (prerouting, -301): a server veth not tapped (yet), as
 *     its space sent the packet, before hsd's guards (raw, -300);
 *   - from_outside (prerouting, -90, after destination NAT): what arrived
 *     elsewhere (lo aside: the host talking to itself) and is not routed
 *     into a tapped veth, which would copy it there; and what is routed
 *     into one but hsd's forward chain will drop (portmap.c: into a space
 *     only DNATed or established traffic), so the IDS sees the attempt.
 *     Decided here, not in forward: one chain less for every packet.
 *   - from_host (output, -90): what the host sends, unless into a tapped
 *     veth.
 * A packet routed into a veth the host then refuses to forward before
 * netfilter's forward hook (its TTL runs out here) is copied by no one;
 * the ICMP error the host sends back is.
 */
#include "mirror_int.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ifnames.h"
#include "nftrun.h"

/* base_if passed link_name_valid: letters, digits, '_', '-', '.', which
 * an nft name takes after a first letter. */
static void table_name(const char *base_if, char out[32])
{
	snprintf(out, 32, "hsd_mirror_%s", base_if);
}

int mirror_nft_set(const char *base_if, char *err, size_t errlen)
{
	char t[32], script[2048];
	table_name(base_if, t);
	const char *dup = "dup to " MIRROR_GW " device";
	/* add+delete+define in one transaction: replaces a table left by an
	 * earlier hsd atomically, and copies never stop meanwhile.  The set
	 * starts empty: until mirror.c taps a veth again, netfilter copies its
	 * packets (twice for a moment, never none). */
	snprintf(script, sizeof(script),
		"add table ip %s\ndelete table ip %s\ntable ip %s {\n"
		"\tset tapped {\n\t\ttype iface_index\n\t}\n"
		"\tchain from_spaces {\n"
		"\t\ttype filter hook prerouting priority -301; policy accept;\n"
		"\t\tiifname \"" IFNAME_SERVER "*\" iif != @tapped %s \"%s\"\n"
		"\t}\n"
		"\tchain from_outside {\n"
		"\t\ttype filter hook prerouting priority -90; policy accept;\n"
		"\t\tiif \"lo\" accept\n"
		"\t\tiifname \"" IFNAME_SERVER "*\" accept\n"
		"\t\tfib daddr . mark oif != @tapped %s \"%s\" accept\n"
		/* Into a tapped veth: what hsd's forward chain lets in is
		 * copied there, what it refuses here. */
		"\t\tct status dnat accept\n"
		"\t\tct state established,related accept\n"
		"\t\t%s \"%s\"\n"
		"\t}\n"
		"\tchain from_host {\n"
		"\t\ttype filter hook output priority -90; policy accept;\n"
		"\t\toif != \"lo\" oif != @tapped %s \"%s\"\n"
		"\t}\n"
		"}\n",
		t, t, t, dup, base_if, dup, base_if, dup, base_if, dup, base_if);
	return nftrun_script(script, "mirror", NULL, err, errlen);
}

int mirror_nft_tap(const char *base_if, const char *server_if, bool on, char *err,
		   size_t errlen)
{
	char t[32], script[256];
	table_name(base_if, t);
	/* "add" before "delete" in one transaction: an element that is not
	 * there is no error. */
	int n = snprintf(script, sizeof(script), "add element ip %s tapped { \"%s\" }\n", t,
			 server_if);
	if (!on)
		snprintf(script + n, sizeof(script) - (size_t)n,
			 "delete element ip %s tapped { \"%s\" }\n", t, server_if);
	return nftrun_script(script, "mirror", NULL, err, errlen);
}

int mirror_nft_clear(const char *base_if, char *err, size_t errlen)
{
	char t[32], script[256];
	table_name(base_if, t);
	/* "add" first, so a table that is gone already is no error. */
	snprintf(script, sizeof(script), "add table ip %s\ndelete table ip %s\n", t, t);
	return nftrun_script(script, "mirror", NULL, err, errlen);
}
