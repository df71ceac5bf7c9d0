/* meshfw.c - the mesh namespace's nftables table (see meshfw.h). */
#include "meshfw.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ifnames.h"
#include "netns.h"
#include "nftrun.h"

static const char *ip4(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { htonl(a) };
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* Names go into the script between quotes: allow only what hsd makes. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= WG_IFNAMSIZ)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static int validate(const struct meshfw *fw, char *err, size_t errlen)
{
	if (fw->prefix_len < 1 || fw->prefix_len > 30)
		return err_set(err, errlen, HS_EINPUT,
			       "mesh firewall: prefix length %u is not 1-30",
			       fw->prefix_len);
	uint32_t mask = ~0u << (32 - fw->prefix_len);
	if (fw->prefix & ~mask)
		return err_set(err, errlen, HS_EINPUT,
			       "mesh firewall: prefix has host bits set");
	if (fw->nhosts == 0 || !fw->hosts)
		return err_set(err, errlen, HS_EINPUT,
			       "mesh firewall: no host addresses");
	if (!fw->route_port || !fw->peer_port || !fw->fleetdb_port)
		return err_set(err, errlen, HS_EINPUT,
			       "mesh firewall: port 0");
	for (size_t i = 0; i < fw->nneigh; i++)
		if (!name_ok(fw->neigh[i].ifname))
			return err_set(err, errlen, HS_EINPUT,
				       "mesh firewall: bad interface name \"%.16s\"",
				       fw->neigh[i].ifname);
	return HS_OK;
}

int meshfw_render(const struct meshfw *fw, char **out, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], pfx[INET_ADDRSTRLEN + 4];
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = validate(fw, err, errlen)))
		return rc;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return err_sys(err, errlen, "mesh firewall: open_memstream");
	snprintf(pfx, sizeof(pfx), "%s/%u", ip4(fw->prefix, a), fw->prefix_len);
	/* add + delete first: the replace never fails on an absent table,
	 * and the whole script is one transaction. */
	fprintf(f, "add table ip %s\ndelete table ip %s\n", MESHFW_TABLE, MESHFW_TABLE);
	fprintf(f, "table ip %s {\n", MESHFW_TABLE);
	fprintf(f, "\tcounter spoofed {}\n\tcounter audit_to_mesh {}\n\tcounter refused {}\n");
	fprintf(f, "\tset hosts {\n\t\ttype ipv4_addr\n\t\telements = { ");
	for (size_t i = 0; i < fw->nhosts; i++)
		fprintf(f, "%s%s", i ? ", " : "", ip4(fw->hosts[i], a));
	fprintf(f, " }\n\t}\n");
	fprintf(f, "\tset neighbours {\n\t\ttype ifname . ipv4_addr\n");
	if (fw->nneigh) {
		fprintf(f, "\t\telements = { ");
		for (size_t i = 0; i < fw->nneigh; i++)
			fprintf(f, "%s\"%s\" . %s", i ? ", " : "", fw->neigh[i].ifname,
				ip4(fw->neigh[i].addr, a));
		fprintf(f, " }\n");
	}
	fprintf(f, "\t}\n");

	/* raw priority: before anything else looks at the packet. */
	fprintf(f,
		"\tchain prerouting {\n"
		"\t\ttype filter hook prerouting priority -300; policy accept;\n"
		"\t\tiifname \"" IFNAME_AUDIT "*\" ip saddr != %s counter name spoofed drop\n"
		"\t\tiifname \"" IFNAME_AUDIT "*\" ip saddr @hosts counter name spoofed drop\n"
		/* The only route to an audit address is its /32 on its own
		 * veth: a source routed elsewhere is somebody else's. */
		"\t\tiifname \"" IFNAME_AUDIT "*\" fib saddr . iif oif missing counter name spoofed drop\n"
		"\t\tiifname \"" IFNAME_MESH "*\" ip saddr %s counter name spoofed drop\n"
		"\t}\n",
		pfx, pfx);
	fprintf(f,
		"\tchain input {\n"
		"\t\ttype filter hook input priority 0; policy drop;\n"
		"\t\tiifname \"lo\" accept\n"
		"\t\tiifname \"" IFNAME_AUDIT "*\" counter name audit_to_mesh drop\n"
		"\t\tiifname != \"" IFNAME_MESH "*\" counter name refused drop\n"
		"\t\tip saddr != @hosts counter name refused drop\n"
		"\t\tudp dport %u iifname . ip saddr @neighbours accept\n"
		"\t\ttcp dport { %u, %u } accept\n"
		/* Replies to our own calls: stateless, the source is a host. */
		"\t\ttcp sport { %u, %u } accept\n"
		"\t\tip protocol icmp accept\n"
		"\t\tcounter name refused drop\n"
		"\t}\n",
		fw->route_port, fw->peer_port, fw->fleetdb_port, fw->peer_port, fw->fleetdb_port);
	fprintf(f,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority 0; policy accept;\n"
		"\t\tiifname \"" IFNAME_AUDIT "*\" ip daddr @hosts counter name audit_to_mesh drop\n"
		"\t\toifname \"" IFNAME_AUDIT "*\" ip saddr @hosts ip protocol != icmp counter name audit_to_mesh drop\n"
		"\t}\n}\n");
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return err_sys(err, errlen, "mesh firewall: rendering");
	}
	*out = buf;
	return HS_OK;
}

/* nft in nsfd's namespace: libnftables talks netlink from wherever the
 * thread is. */
static int nft_in(int nsfd, const char *script, char **output, char *err,
		  size_t errlen)
{
	int saved = -1, rc;

	if (nsfd >= 0 && (rc = netns_enter(nsfd, &saved, err, errlen)))
		return rc;
	rc = nftrun_script(script, "mesh firewall", output, err, errlen);
	if (saved >= 0)
		netns_leave(saved, NULL, 0);
	return rc;
}

int meshfw_apply(int nsfd, const struct meshfw *fw, char *err, size_t errlen)
{
	char *script;
	int rc = meshfw_render(fw, &script, err, errlen);
	if (rc)
		return rc;
	rc = nft_in(nsfd, script, NULL, err, errlen);
	free(script);
	return rc;
}

int meshfw_counter(int nsfd, const char *name, uint64_t *packets, char *err,
		   size_t errlen)
{
	char cmd[128], *out = NULL;
	int rc;

	*packets = 0;
	if (!name_ok(name))
		return err_set(err, errlen, HS_EINPUT, "mesh firewall: bad counter name");
	snprintf(cmd, sizeof(cmd), "list counter ip %s %s", MESHFW_TABLE, name);
	if ((rc = nft_in(nsfd, cmd, &out, err, errlen)))
		return rc;
	const char *p = strstr(out, "packets ");
	if (!p || sscanf(p, "packets %" SCNu64, packets) != 1)
		rc = err_set(err, errlen, HS_ESYS, "mesh firewall: counter %s unreadable", name);
	free(out);
	return rc;
}
