/*
 * check.c - hsd --check: validate what hsd would start with and print
 * what this host would do, changing nothing (no directory made, no lock
 * taken, no key written, nothing started).  Like `nginx -t` or `nomad
 * plan`: run it before the first start and before every reload.
 */
#include "check.h"
#include "fastpath.h"
#include "addr.h"
#include "cluster.h"
#include "daemon.h"
#include "err.h"
#include "keys.h"
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "192.0.2.2" or "2001:db8::2" from a normalised endpoint. */
static void host_of(const struct cluster_host *h, char *out, size_t len)
{
	const char *colon = strrchr(h->endpoint, ':');
	const char *start = h->endpoint[0] == '[' ? h->endpoint + 1 : h->endpoint;
	size_t n = (size_t)(colon - start) - (h->endpoint[0] == '[');

	snprintf(out, len, "%.*s", (int)n, start);
}

/* The pid of a running hsd holding the run directory, or 0. */
static pid_t running_hsd(const char *run_dir)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hsd.pid", run_dir);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || kill((pid_t)pid, 0) != 0)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

int hsd_check(const struct hsd_options *opt, FILE *out, char *err, size_t errlen)
{
	struct cluster c;
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char a[ADDR_ENDPOINT_MAX], b[ADDR_ENDPOINT_MAX], path[PATH_MAX];
	int self, rc, nlinks = 0;
	pid_t pid;

	if (!opt->join)
		return err_set(err, errlen, HS_EINPUT,
			       "--check: needs --join FILE (without it hsd is a single-host "
			       "cluster of this machine and there is nothing to check)");
	if ((rc = cluster_load(opt->join, &c, err, errlen)))
		return rc;
	if ((self = cluster_select_host(&c, opt->host, err, errlen)) < 0) {
		cluster_free(&c);
		return self;
	}
	/* The key as hsd would read it: refused if others may read it. */
	if ((rc = key_read_private(opt->state_dir, priv, err, errlen))) {
		cluster_free(&c);
		return rc;
	}
	key_public_of(priv, pub);
	if (memcmp(pub, c.hosts[self].public_key, KEY_LEN) != 0) {
		cluster_free(&c);
		return err_set(err, errlen, HS_EINPUT,
			       "%s: hosts[%d].public_key: does not match the private key in %s/"
			       KEY_PRIVATE_FILE, opt->join, self, opt->state_dir);
	}

	const struct cluster_host *me = &c.hosts[self];
	addr_format_cidr4(c.overlay, c.overlay_len, a, sizeof(a));
	fprintf(out, "cluster.json %s: valid\n", opt->join);
	fprintf(out, "host %s (hosts[%d]) of cluster %s: %zu hosts, overlay %s, "
		     "%zu operator key%s\n", me->name, self, c.name, c.nhosts, a,
		c.noperators, c.noperators == 1 ? "" : "s");
	addr_format_cidr4(me->prefix, me->prefix_len, a, sizeof(a));
	addr_format_ip4(me->prefix + 1, b, sizeof(b));
	fprintf(out, "prefix %s; mesh address %s, hsd-to-hsd on tcp/%d inside the mesh\n", a, b,
		PEER_PORT);
	fprintf(out, "private key %s/" KEY_PRIVATE_FILE ": matches hosts[%d].public_key\n",
		opt->state_dir, self);
	for (size_t p = 0; p < c.nhosts; p++) {
		if ((int)p == self || !cluster_linked(&c, (size_t)self, p))
			continue;
		host_of(&c.hosts[p], a, sizeof(a));
		fprintf(out, "link hsm%zu to %s: listen udp/%u, peer %s udp/%u\n", p, c.hosts[p].name,
			cluster_host_port(me) + (unsigned)p, a, cluster_host_port(&c.hosts[p]) + (unsigned)self);
		nlinks++;
	}
	if (nlinks)
		fprintf(out, "hsroute: a hello every %u ms, a neighbour dead after %u ms of silence "
			     "(\"mesh\"; a reload restarts the route engine with new ones)\n",
			c.hello_ms, c.dead_ms);
	if (!nlinks)
		fprintf(out, "no links: this host reaches no other (\"links\" in %s)\n", opt->join);
	else
		fprintf(out, "underlay firewall: inbound udp/%u-%u from the linked hosts' "
			     "addresses, nothing else (docs/mesh.md)\n",
			cluster_host_port(me), cluster_host_port(me) + (unsigned)c.nhosts - 1);
	char uplink[IF_NAMESIZE];
	uint32_t served;
	fastpath_uplink(&me->addr, uplink, &served);
	addr_format_ip4(served, a, sizeof(a));
	if (opt->no_fastpath || !uplink[0])
		fprintf(out, "published ports: by DNAT alone (%s)\n",
			opt->no_fastpath ? "--no-fastpath" : "no uplink: no IPv4 address of hosts[].endpoint "
							    "on an Ethernet interface, nor an IPv4 default "
							    "route by one");
	else
		fprintf(out, "published ports: TCP on %s (%s) by the fast path, the rest by DNAT "
			     "(docs/networking.md)\n", a, uplink);
	snprintf(path, sizeof(path), "%s/hsd.db", opt->state_dir);
	fprintf(out, "state %s: %s\n", opt->state_dir,
		access(path, F_OK) == 0 ? "a store exists (its spaces and instances are kept)"
					 : "no store yet (made at the first start)");
	if ((pid = running_hsd(opt->run_dir)))
		fprintf(out, "hsd runs (pid %d): `hsctl reload` or SIGHUP applies this file; "
			     "the overlay and this host's prefix need a restart\n", (int)pid);
	else
		fprintf(out, "hsd does not run: `hsd --join %s --host %s` would start as above\n",
			opt->join, me->name);
	cluster_free(&c);
	return 0;
}
