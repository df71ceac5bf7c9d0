/* spaces_net.c - the network of a space.
 *
 * A server space gets a veth to the base (link network from linknet.h, no
 * IPv6 on either end), ping without CAP_NET_RAW, and its published ports
 * and network boundary in hsd's nftables tables; an audit space gets only
 * its loopback here (its mesh link comes from the mesh part).  The tables
 * are always rewritten whole from the store, so what is installed never
 * drifts from what is recorded, also across hsd restarts.
 */
#include "spaces_int.h"
#include "daemon.h"
#include "err.h"
#include "fastpath.h"
#include "fastpath_abi.h"
#include "ifnames.h"
#include "link.h"
#include "log.h"
#include "mesh.h"
#include "netns.h"
#include "portmap.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPACE_AUDIT_DGRAM_QLEN "512"

#define NFT_TABLE "hsd"

/* A server's veth carries what the largest loopback-like hop can: a client
 * on the same host then sends the server 64 KiB segments as it would over
 * lo, instead of being cut to 1500-byte ones.  Traffic that leaves by a
 * smaller link is sized by TCP's MSS (from that link's MTU) and by path
 * MTU discovery, whose ICMP "fragmentation needed" the host sends back
 * into the space (docs/networking.md). */
#define SPACE_VETH_MTU 65535u

int space_net_init(struct hsd *d, char *err, size_t errlen)
{
	char why[HS_ERRLEN];

	if (!d->opt.no_fastpath && fastpath_open(&d->spaces->fastpath, why, sizeof(why)))
		log_warn("%s: published ports go by DNAT alone", why);
	return linknet_plan_init(&d->spaces->plan, LINKNET_DEFAULT_RANGE, err, errlen);
}

/* The fast path follows the nftables table; failing, it is taken out and
 * the table, complete by itself, carries everything. */
static void space_fastpath_sync(struct hsd *d, const struct portmap_rule *rules, size_t nrules,
				const struct portmap_net *nets, size_t nnets)
{
	struct fastpath *fp = d->spaces->fastpath;
	char uplink[IF_NAMESIZE], err[HS_ERRLEN];
	uint32_t addr;

	fastpath_uplink(&d->cluster.hosts[d->self].addr, uplink, &addr);
	if (!fp) {
		fastpath_detach(uplink, nets, nnets);
		return;
	}
	if (fastpath_sync(fp, uplink, addr, rules, nrules, nets, nnets, err, sizeof(err)) == HS_OK)
		return;
	log_error("%s: published ports go by DNAT alone", err);
	fastpath_stop_in(fp, uplink);
}

json_t *spaces_fastpath_json(struct hsd *d)
{
	static const char *const kinds[FP_STAT_N] = {
		[FP_STAT_IN] = "in", [FP_STAT_OUT] = "out", [FP_STAT_ICMP] = "icmp",
		[FP_STAT_UNROUTED] = "unrouted_dropped", [FP_STAT_REFUSED] = "refused_dropped",
		[FP_STAT_COPY_FAIL] = "copy_failed", [FP_STAT_UNWRITABLE] = "unwritable_dropped"};
	uint64_t n[FP_STAT_N];
	char uplink[IF_NAMESIZE];

	if (!d->spaces->fastpath || fastpath_status(d->spaces->fastpath, uplink, n, FP_STAT_N))
		return json_pack("{s:b}", "on", 0);
	json_t *packets = json_object();
	for (size_t i = 0; i < FP_STAT_N; i++)
		json_object_set_new(packets, kinds[i], json_integer((json_int_t)n[i]));
	return json_pack("{s:b, s:s, s:o}", "on", 1, "uplink", uplink, "packets", packets);
}

void spaces_fastpath_mirrors(struct hsd *d)
{
	char err[HS_ERRLEN];

	/* Our own uplink program is the one to take off: a leftover of an
	 * earlier hsd went at this hsd's first sync. */
	if (d->spaces->fastpath && fastpath_sync_mirrors(d->spaces->fastpath, err, sizeof(err))) {
		log_error("%s: published ports go by DNAT alone", err);
		fastpath_stop_in(d->spaces->fastpath, "");
	}
}

int space_publish_check(struct hsd *d, const struct space_req *req,
			struct publish_row **out, char *err, size_t errlen)
{
	struct publish_row *pub = calloc(req->npublish + 1, sizeof(*pub));
	int rc = 0;

	*out = NULL;
	if (!pub)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t i = 0; i < req->npublish && !rc; i++) {
		struct portmap_rule r;
		char owner[SPACE_ROW_NAME];
		bool busy = false;

		if ((rc = portmap_parse_publish(req->publish[i], &r, err, errlen)))
			break;
		snprintf(pub[i].proto, sizeof(pub[i].proto), "%s",
			 r.proto == IPPROTO_UDP ? "udp" : "tcp");
		pub[i].host_port = r.host_port;
		pub[i].port = r.space_port;
		for (size_t j = 0; j < i && !rc; j++)
			if (pub[j].host_port == pub[i].host_port && !strcmp(pub[j].proto, pub[i].proto))
				rc = err_set(err, errlen, HS_EINPUT,
					     "--publish: host port %s/%d given twice",
					     pub[i].proto, pub[i].host_port);
		if (rc)
			break;
		rc = store_publish_owner(d->store, pub[i].proto, pub[i].host_port, owner,
					 sizeof(owner), err, errlen);
		if (rc == 1) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "--publish: host port %s/%d is already published by space \"%s\"",
				     pub[i].proto, pub[i].host_port, owner);
			break;
		}
		if (rc || (rc = portmap_port_in_use(r.proto, r.host_port, &busy, err, errlen)))
			break;
		if (busy)
			rc = err_set(err, errlen, HS_EINPUT,
				     "--publish: host port %s/%d is in use by a program on this host",
				     pub[i].proto, pub[i].host_port);
	}
	if (rc) {
		free(pub);
		return rc;
	}
	*out = pub;
	return 0;
}

int space_net_up(struct hsd *d, const struct space_row *row,
		 const struct space_proc *proc, char *err, size_t errlen)
{
	struct linknet ln;
	char host_if[16];
	int fd, rc;

	if ((fd = space_ns_open(proc, "net", err, errlen)) < 0)
		return fd;
	rc = link_set_up(fd, "lo", err, errlen);
	/* An IDS reads its syslog copies from a datagram socket, whose queue
	 * is the netns's max_dgram_qlen (default 10): a burst of server log
	 * lines would be dropped at once.  Give audit spaces room. */
	if (!rc && strcmp(row->kind, "audit") == 0)
		rc = netns_sysctl_set(fd, "net/unix/max_dgram_qlen", SPACE_AUDIT_DGRAM_QLEN,
				      err, errlen);
	/* Servers have no CAP_NET_RAW: ping must use ICMP echo sockets. */
	if (!rc && strcmp(row->kind, "server") == 0)
		rc = portmap_allow_ping(fd, err, errlen);
	if (rc || row->netidx < 0)
		goto out;
	if (strcmp(row->kind, "audit") == 0) {
		rc = mesh_audit_attach(d, fd, (uint32_t)row->netidx, err, errlen);
		goto out;
	}
	if ((rc = linknet_for(&d->spaces->plan, (uint32_t)row->netidx, &ln, err, errlen)))
		goto out;
	linknet_host_ifname((uint32_t)row->netidx, host_if, sizeof(host_if));
	/* A veth left by a crash would make the create fail: it is ours. */
	link_delete(-1, host_if, NULL, 0);
	/* IPv6 off on both ends before they are up, so neither ever has an
	 * address: the base end is the boundary (no link-local path to the
	 * host's [::] listeners), the space end keeps the space from
	 * sending neighbour discovery noise the mirror would copy. */
	if ((rc = link_veth_create(host_if, fd, "eth0", err, errlen)) ||
	    (rc = portmap_disable_ipv6(-1, host_if, err, errlen)) ||
	    (rc = portmap_disable_ipv6(fd, "eth0", err, errlen)) ||
	    (rc = link_set_mtu(-1, host_if, SPACE_VETH_MTU, err, errlen)) ||
	    (rc = link_set_mtu(fd, "eth0", SPACE_VETH_MTU, err, errlen)) ||
	    (rc = link_addr_add(-1, host_if, ln.base_addr, ln.plen, err, errlen)) ||
	    (rc = link_set_up(-1, host_if, err, errlen)) ||
	    (rc = link_addr_add(fd, "eth0", ln.space_addr, ln.plen, err, errlen)) ||
	    (rc = link_set_up(fd, "eth0", err, errlen)) ||
	    (rc = link_route_add_default(fd, ln.base_addr, "eth0", err, errlen)))
		goto out;
out:
	close(fd);
	return rc;
}

void space_net_down(struct hsd *d, const struct space_row *row, char *err,
		    size_t errlen)
{
	char host_if[16];

	if (row->netidx < 0)
		return;
	if (strcmp(row->kind, "audit") == 0) {
		mesh_audit_detach(d, (uint32_t)row->netidx);
		return;
	}
	linknet_host_ifname((uint32_t)row->netidx, host_if, sizeof(host_if));
	link_delete(-1, host_if, err, errlen);
}

static bool space_running(struct hsd *d, const char *name, const char *also)
{
	if (also && strcmp(also, name) == 0)
		return true;
	for (struct space_rt *r = d->spaces->running; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			return true;
	return false;
}

int spaces_net_apply(struct hsd *d, const char *also_running, char *err,
		     size_t errlen)
{
	struct space_row *rows = NULL;
	struct publish_row *pub = NULL;
	struct portmap_rule *rules = NULL;
	struct portmap_net *nets = NULL;
	size_t nrows = 0, npub = 0, nrules = 0, nnets = 0;
	int rc;

	if ((rc = store_space_list(d->store, &rows, &nrows, err, errlen)) ||
	    (rc = store_publish_list(d->store, NULL, &pub, &npub, err, errlen)))
		goto out;
	rules = calloc(npub + 1, sizeof(*rules));
	nets = calloc(nrows + 1, sizeof(*nets));
	if (!rules || !nets) {
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		struct linknet ln;
		if (rows[i].netidx < 0 || strcmp(rows[i].kind, "server") ||
		    !space_running(d, rows[i].name, also_running) ||
		    linknet_for(&d->spaces->plan, (uint32_t)rows[i].netidx, &ln, NULL, 0))
			continue;
		nets[nnets].subnet = ln.subnet;
		nets[nnets].len = ln.plen;
		nets[nnets].space_addr = ln.space_addr;
		linknet_host_ifname((uint32_t)rows[i].netidx, nets[nnets].host_if,
				    sizeof(nets[nnets].host_if));
		/* A space whose veth is gone is dying (its init went while hsd
		 * was down, say): its death, seen next, applies the rules
		 * again.  It must not fail them for every other space, nor
		 * hsd's start. */
		if (if_nametoindex(nets[nnets].host_if) == 0) {
			log_warn("space %s: no interface %s: its ports are not published", rows[i].name,
				 nets[nnets].host_if);
			continue;
		}
		nnets++;
		for (size_t j = 0; j < npub; j++) {
			if (strcmp(pub[j].space, rows[i].name))
				continue;
			struct portmap_rule *r = &rules[nrules++];
			snprintf(r->space, sizeof(r->space), "%s", rows[i].name);
			r->proto = strcmp(pub[j].proto, "udp") ? IPPROTO_TCP : IPPROTO_UDP;
			r->host_port = (uint16_t)pub[j].host_port;
			r->space_addr = ln.space_addr;
			r->space_port = (uint16_t)pub[j].port;
		}
	}
	if (nnets == 0) {
		space_fastpath_sync(d, NULL, 0, NULL, 0);
		rc = portmap_flush(NFT_TABLE, err, errlen);
		goto out;
	}
	if ((rc = portmap_enable_forwarding(err, errlen)))
		goto out;
	/* Also on every rewrite: a space re-adopted from an older hsd got
	 * its veth before IPv6 was turned off at creation. */
	for (size_t i = 0; i < nnets; i++)
		if ((rc = portmap_enable_localnet(nets[i].host_if, err, errlen)) ||
		    (rc = portmap_disable_ipv6(-1, nets[i].host_if, err, errlen)))
			goto out;
	if ((rc = portmap_apply(NFT_TABLE, rules, nrules, nets, nnets, err, errlen)) == HS_OK)
		space_fastpath_sync(d, rules, nrules, nets, nnets);
out:
	space_rows_free(rows, nrows);
	free(pub);
	free(rules);
	free(nets);
	return rc;
}

void space_net_describe(struct hsd *d, const struct space_row *row, json_t *j)
{
	struct linknet ln;
	char addr[INET_ADDRSTRLEN], host_if[16];
	struct in_addr a;

	if (row->netidx >= 0 && strcmp(row->kind, "audit") == 0 && d->mesh) {
		a.s_addr = htonl(mesh_audit_addr(d, (uint32_t)row->netidx));
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		json_object_set_new(j, "address", json_string(addr));
		json_object_set_new(j, "mirror", json_sprintf(IFNAME_MIRROR "%u", (unsigned)(row->netidx & 0xffff)));
		return;
	}
	if (row->netidx < 0 || linknet_for(&d->spaces->plan, (uint32_t)row->netidx, &ln, NULL, 0))
		return;
	a.s_addr = htonl(ln.space_addr);
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	linknet_host_ifname((uint32_t)row->netidx, host_if, sizeof(host_if));
	json_object_set_new(j, "address", json_string(addr));
	json_object_set_new(j, "veth", json_string(host_if));
}

int spaces_linknet(struct hsd *d, const char *name, struct linknet *out, char *err,
		   size_t errlen)
{
	struct space_row row;
	int rc = store_space_get(d->store, name, &row, err, errlen);

	if (rc <= 0)
		return rc ? rc : err_set(err, errlen, HS_ENOENT, "name: unknown space \"%s\"", name);
	rc = row.netidx < 0 || strcmp(row.kind, "server")
		     ? err_set(err, errlen, HS_EINPUT, "space %s: not a server space with a link", name)
		     : linknet_for(&d->spaces->plan, (uint32_t)row.netidx, out, err, errlen);
	space_row_clear(&row);
	return rc;
}
