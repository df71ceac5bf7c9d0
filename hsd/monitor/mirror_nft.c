/* mirror_nft.c - the IPv4 half of a packet mirror: netfilter copies each
 * IPv4 packet of the base to base_if exactly once (see mirror.h).
 *
 * A packet passes prerouting once if it arrived and output once if the
 * host made it, so a copy taken in those two hooks is one per packet,
 * whichever interfaces it crosses.  Where in prerouting decides what the
 * copy shows:
 *   - from a space's veth, at priority -301: before hsd's own guards (raw,
 *     -300), so what a space sends is seen even when a guard drops it
 *     (a forged source address); nothing of NAT has happened yet, and the
 *     space's packets are exactly as it sent them;
 *   - from anywhere else, at -90: after destination NAT (-100), so a
 *     client's packet for a published port shows the server's address and
 *     port, as the server's answers do; the IDS sees one flow, not halves.
 *   - made by the host (output, -90): after its destination NAT likewise.
 * lo is left out, as it always was (the host talking to itself).
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
	/* add+delete+define in one transaction: replaces a table left by an
	 * earlier hsd atomically, and copies never stop meanwhile. */
	snprintf(script, sizeof(script),
		 "add table ip %s\ndelete table ip %s\ntable ip %s {\n"
		 "\tchain from_spaces {\n"
		 "\t\ttype filter hook prerouting priority -301; policy accept;\n"
		 "\t\tiifname \"" IFNAME_SERVER "*\" dup to " MIRROR_GW " device \"%s\"\n"
		 "\t}\n"
		 "\tchain from_outside {\n"
		 "\t\ttype filter hook prerouting priority -90; policy accept;\n"
		 "\t\tiifname != \"" IFNAME_SERVER "*\" iif != \"lo\" dup to " MIRROR_GW
		 " device \"%s\"\n"
		 "\t}\n"
		 "\tchain from_host {\n"
		 "\t\ttype filter hook output priority -90; policy accept;\n"
		 "\t\toif != \"lo\" dup to " MIRROR_GW " device \"%s\"\n"
		 "\t}\n"
		 "}\n",
		 t, t, t, base_if, base_if, base_if);
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
