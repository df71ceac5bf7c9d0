/* mesh_show.c - what hsctl routes and hsctl peers print, and the audit
 * spaces' attachment to the mesh. */
#include "mesh.h"
#include "daemon.h"
#include "engine_sup.h"
#include "err.h"
#include "ifnames.h"
#include "link.h"
#include "meshfw.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

static json_t *addr_json(uint32_t addr, int len)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a = { htonl(addr) };
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return len >= 0 ? json_sprintf("%s/%d", buf, len) : json_string(buf);
}

/* Updates dropped by origin validation (hsroute's origin.c), by reason. */
static json_t *hijacks_json(const uint64_t drops[HSR_DROP__MAX])
{
	return json_pack("{s:I, s:I}",
			 hsr_drop_name(HSR_DROP_OUTSIDE_OVERLAY), (json_int_t)drops[HSR_DROP_OUTSIDE_OVERLAY],
			 hsr_drop_name(HSR_DROP_WRONG_ORIGIN), (json_int_t)drops[HSR_DROP_WRONG_ORIGIN]);
}

static const char *host_of_router(const struct hsd *d, uint32_t id)
{
	for (size_t i = 0; i < d->cluster.nhosts; i++)
		if (cluster_router_id(d->cluster.hosts[i].name) == id)
			return d->cluster.hosts[i].name;
	return "?";
}

/* What the route engine last reported (it sends a snapshot every 500 ms;
 * before its first, no route and no neighbour). */
static int mesh_view(struct hsd *d, struct engine_view *v, char *err, size_t errlen)
{
	if (!d->mesh || !d->mesh->running)
		return err_set(err, errlen, HS_ESTATE, "mesh: not running on this host");
	return engine_sup_view(d, v) ? err_set(err, errlen, HS_ESTATE, "mesh: no route engine") : 0;
}

int mesh_routes_json(struct hsd *d, json_t **out, char *err, size_t errlen)
{
	struct engine_view v;
	int rc;

	if ((rc = mesh_view(d, &v, err, errlen)))
		return rc;
	json_t *arr = json_array();
	for (uint32_t i = 0; i < v.s.n_routes; i++) {
		struct engine_route_info r;
		memcpy(&r, &v.routes[i], sizeof(r));
		bool own = r.flags & ENGINE_RI_OWN;
		json_array_append_new(arr, json_pack("{s:o, s:s, s:s, s:i, s:i, s:I, s:b}",
			"prefix", addr_json(r.addr, (int)r.len),
			"via", own ? "local" : host_of_router(d, r.nexthop_id),
			"origin", host_of_router(d, r.source_id),
			"metric", (int)r.metric, "seqno", (int)r.seqno,
			"age_ms", (json_int_t)(own ? 0 : r.age_ms),
			"installed", own || (r.flags & ENGINE_RI_INSTALLED)));
	}
	*out = json_pack("{s:o, s:I, s:o}", "routes", arr,
			 "hijacks_dropped", (json_int_t)hsr_hijacks(v.s.drops),
			 "hijacks", hijacks_json(v.s.drops));
	return 0;
}

static json_t *neigh_json(struct hsd *d, const struct engine_neigh_info *n)
{
	const struct mesh *m = d->mesh;
	const struct mesh_link *l = NULL;
	struct wg_device dev;
	char err[HS_ERRLEN];

	for (size_t i = 0; i < m->nlinks && !l; i++)
		if (m->links[i].active && m->links[i].id == n->link_id)
			l = &m->links[i];
	if (!l)
		return NULL;
	uint64_t drops = 0;
	for (int i = 0; i < HSR_DROP__MAX; i++)
		drops += n->drops[i];
	json_t *j = json_pack("{s:s, s:s, s:b, s:I, s:i, s:I, s:I, s:I, s:I, s:i, s:i}",
			      "link", l->ml.ifname, "host", l->name, "alive", n->up != 0,
			      "hello_age_ms", (json_int_t)(n->hello_age_ms == HSR_NEVER ? -1 : (json_int_t)n->hello_age_ms),
			      "listen_port", l->ml.listen_port,
			      "route_pkts_in", (json_int_t)n->pkts_in, "route_pkts_out", (json_int_t)n->pkts_out,
			      "route_drops", (json_int_t)drops,
			      "route_bad_source", (json_int_t)n->bad_source,
			      "wg_pid", (int)l->ml.proc.pid, "wg_restarts", (int)l->wg_restarts);
	/* Announcements of prefixes this neighbour (or whoever it relays)
	 * does not own: dropped, and counted here by who sent them. */
	json_object_set_new(j, "hijacks_dropped", json_integer((json_int_t)hsr_hijacks(n->drops)));
	json_object_set_new(j, "hijacks", hijacks_json(n->drops));
	memset(&dev, 0, sizeof(dev));
	if (m->be->get(l->ml.ifname, m->ns.fd, &dev, err, sizeof(err)) == 0 && dev.n_peers == 1) {
		/* Milliseconds since the epoch, as every time in JSON (0: never). */
		const struct timespec *hs = &dev.peers[0].last_handshake;
		json_object_set_new(j, "last_handshake_ms",
				    json_integer((json_int_t)hs->tv_sec * 1000 + hs->tv_nsec / 1000000));
		json_object_set_new(j, "rx_bytes", json_integer((json_int_t)dev.peers[0].rx_bytes));
		json_object_set_new(j, "tx_bytes", json_integer((json_int_t)dev.peers[0].tx_bytes));
		/* As the device reports them, not as configured. */
		json_t *aips = json_array();
		char buf[64];
		for (size_t i = 0; i < dev.peers[0].n_allowed; i++)
			if (wg_allowedip_format(&dev.peers[0].allowed[i], buf, sizeof(buf)) == 0)
				json_array_append_new(aips, json_string(buf));
		json_object_set_new(j, "allowed_ips", aips);
	}
	wg_device_free(&dev);
	return j;
}

int mesh_peers_json(struct hsd *d, json_t **out, char *err, size_t errlen)
{
	struct engine_view v;
	int rc;

	if ((rc = mesh_view(d, &v, err, errlen)))
		return rc;
	struct mesh *m = d->mesh;
	json_t *arr = json_array();
	for (uint32_t i = 0; i < v.s.n_neigh; i++) {
		struct engine_neigh_info n;
		memcpy(&n, &v.neigh[i], sizeof(n));
		json_t *j = neigh_json(d, &n);
		if (j)
			json_array_append_new(arr, j);
	}
	/* Dropped by the engine's route socket, and by the mesh firewall. */
	json_t *dropped = json_pack("{s:I, s:I, s:I}", "unknown_link", (json_int_t)v.s.unknown_link,
				    "bad_source", (json_int_t)v.s.bad_source,
				    "send_errors", (json_int_t)v.s.send_errors);
	static const char *const counters[] = { "spoofed", "audit_to_mesh", "refused" };
	json_t *fw = json_object();
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t val;
		char e[HS_ERRLEN];
		if (meshfw_counter(m->ns.fd, counters[i], &val, e, sizeof(e)) == 0)
			json_object_set_new(fw, counters[i], json_integer((json_int_t)val));
	}
	json_t *engine = json_pack("{s:i, s:i, s:I, s:b}", "pid", v.pid, "restarts", (int)v.restarts,
				   "refused", (json_int_t)v.refused, "reported", v.reported);
	/* As the engine reports them (after its first snapshot), not as
	 * configured: what hsroute really runs with. */
	if (v.reported) {
		json_object_set_new(engine, "hello_ms", json_integer(v.s.hello_ms));
		json_object_set_new(engine, "dead_ms", json_integer(v.s.dead_ms));
	}
	*out = json_pack("{s:o, s:s, s:o, s:o, s:o}", "peers", arr, "backend", m->be->name,
			 "route_socket", dropped, "firewall", fw, "engine", engine);
	return 0;
}

uint32_t mesh_audit_addr(const struct hsd *d, uint32_t n)
{
	return d->cluster.hosts[d->self].prefix + 2 + n;
}

int mesh_audit_attach(struct hsd *d, int audit_netns_fd, uint32_t n, char *err,
		      size_t errlen)
{
	const struct cluster_host *me = &d->cluster.hosts[d->self];
	uint32_t addr = mesh_audit_addr(d, n), gw = me->prefix + 1;
	char host_if[16];
	int rc;

	if (!d->mesh || !d->mesh->running)
		return 0;
	if (n + 3 >= (1u << (32 - me->prefix_len)))
		return err_set(err, errlen, HS_EINPUT,
			       "mesh: no overlay address left for audit space %u in this host's prefix", n);
	snprintf(host_if, sizeof(host_if), IFNAME_AUDIT "%u", n);
	int mfd = d->mesh->ns.fd;
	link_delete(mfd, host_if, NULL, 0);
	link_delete(-1, host_if, NULL, 0);
	if ((rc = link_veth_create(host_if, audit_netns_fd, "mesh0", err, errlen)) ||
	    (rc = link_move_to_netns(-1, host_if, mfd, NULL, err, errlen)) ||
	    (rc = link_set_up(mfd, host_if, err, errlen)) ||
	    (rc = link_route_replace(mfd, addr, 32, 0, host_if, RTN_UNICAST, MESH_RTPROT, err, errlen)) ||
	    (rc = link_addr_add(audit_netns_fd, "mesh0", addr, 32, err, errlen)) ||
	    (rc = link_set_up(audit_netns_fd, "mesh0", err, errlen)) ||
	    (rc = link_route_replace(audit_netns_fd, gw, 32, 0, "mesh0", RTN_UNICAST, RTPROT_STATIC, err, errlen)) ||
	    (rc = link_route_replace(audit_netns_fd, 0, 0, gw, "mesh0", RTN_UNICAST, RTPROT_STATIC, err, errlen)))
		link_delete(mfd, host_if, NULL, 0);
	return rc;
}

void mesh_audit_detach(struct hsd *d, uint32_t n)
{
	char host_if[16];

	if (!d->mesh || !d->mesh->running)
		return;
	snprintf(host_if, sizeof(host_if), IFNAME_AUDIT "%u", n);
	link_delete(d->mesh->ns.fd, host_if, NULL, 0);
}
