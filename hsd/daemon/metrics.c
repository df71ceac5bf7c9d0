/* metrics.c - hsd's state as Prometheus metric families (metrics.h). */
#include "metrics.h"
#include "control.h"
#include "daemon.h"
#include "err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One family's header.  Every family is written once, its samples after. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

/* name{k1="v1",...} value; kv holds n names and values, alternating. */
static void sample(FILE *f, const char *name, const char *const *kv, size_t n, double v)
{
	fputs(name, f);
	for (size_t i = 0; i + 1 < n; i += 2) {
		fprintf(f, "%c%s=", i ? ',' : '{', kv[i]);
		label_value(f, kv[i + 1] ? kv[i + 1] : "");
	}
	fprintf(f, "%s %.17g\n", n ? "}" : "", v);
}

static double num(const json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* A family of one unlabelled sample from obj.key. */
static void single(FILE *f, const char *name, const char *type, const char *help,
		   const json_t *obj, const char *key)
{
	if (!json_is_number(json_object_get(obj, key)))
		return;
	family(f, name, type, help);
	sample(f, name, NULL, 0, num(obj, key));
}

/* A counter family with one sample per numeric member of obj, labelled
 * label=<member name> (drop counters by reason). */
static void by_key(FILE *f, const char *name, const char *help, const char *label,
		   const json_t *obj)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return;
	family(f, name, "counter", help);
	json_object_foreach((json_t *)obj, k, v)
		if (json_is_number(v)) {
			const char *kv[] = { label, k };
			sample(f, name, kv, 2, json_number_value(v));
		}
}

/* A gauge family counting the members of arr by the values of up to two
 * string fields (spaces by kind and state, rollouts by state). */
static void count_by(FILE *f, const char *name, const char *help, const json_t *arr,
		     const char *l1, const char *l2)
{
	size_t n = json_array_size(arr);
	bool *done = calloc(n ? n : 1, sizeof(*done));

	if (!done || !json_is_array(arr)) {
		free(done);
		return;
	}
	family(f, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(arr, i);
		const char *v1 = str(a, l1), *v2 = l2 ? str(a, l2) : "";
		size_t count = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < n; j++) {
			const json_t *b = json_array_get(arr, j);
			if (!done[j] && !strcmp(str(b, l1), v1) && (!l2 || !strcmp(str(b, l2), v2))) {
				done[j] = true;
				count++;
			}
		}
		const char *kv[] = { l1, v1, l2, v2 };
		sample(f, name, kv, l2 ? 4 : 2, (double)count);
	}
	free(done);
}

/* One sample per element of arr: value arr[i].field, an integer divided
 * by div (whole: JSON's milliseconds become Prometheus's seconds without
 * a float's noise), labelled by the listed string fields (label name =
 * field name unless renamed). */
static void per_item_div(FILE *f, const char *name, const char *type, const char *help,
			 const json_t *arr, const char *field, json_int_t div, const char *label,
			 const char *label_field)
{
	if (!json_is_array(arr))
		return;
	family(f, name, type, help);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *a = json_array_get(arr, i);
		json_t *v = json_object_get(a, field);
		const char *kv[] = { label, str(a, label_field) };

		if (json_is_integer(v))
			sample(f, name, kv, 2, (double)(json_integer_value(v) / div));
		else if (json_is_number(v))
			sample(f, name, kv, 2, json_number_value(v) / (double)div);
		else if (json_is_boolean(v))
			sample(f, name, kv, 2, json_is_true(v));
	}
}

static void per_item(FILE *f, const char *name, const char *type, const char *help,
		     const json_t *arr, const char *field, const char *label,
		     const char *label_field)
{
	per_item_div(f, name, type, help, arr, field, 1, label, label_field);
}

static void host_families(FILE *f, const json_t *st)
{
	const json_t *peer = json_object_get(st, "peer"), *mon = json_object_get(st, "monitors");
	const json_t *disk = json_object_get(st, "disk");
	static const struct {
		const char *key, *name, *help;
	} peer_counters[] = {
		{ "accepted", "hsd_peer_accepted_total", "hsd-to-hsd connections accepted" },
		{ "refused", "hsd_peer_refused_total", "hsd-to-hsd requests or connections refused" },
		{ "auth_refused", "hsd_peer_auth_refused_total",
		  "hsd-to-hsd requests refused: no valid MAC, stale or replayed" },
		{ "over_host_limit", "hsd_peer_over_host_limit_total",
		  "connections refused: the host held its share of the listener" },
		{ "served", "hsd_peer_served_total", "hsd-to-hsd requests served" },
		{ "idle_closed", "hsd_peer_idle_closed_total", "idle peer connections closed" },
		{ "calls_sent", "hsd_peer_calls_sent_total", "calls this hsd made to other hosts" },
		{ "calls_failed", "hsd_peer_calls_failed_total", "calls to other hosts that failed" },
		{ "timeouts", "hsd_peer_call_timeouts_total", "calls to other hosts with no reply in time" },
	};

	if (st) {
		const char *kv[] = { "host", str(st, "host"), "cluster", str(st, "cluster"),
				     "version", str(st, "version") };
		family(f, "hsd_info", "gauge", "this hsd: host, cluster and version");
		sample(f, "hsd_info", kv, 6, 1);
	}
	single(f, "hsd_uptime_seconds", "gauge", "seconds since hsd started", st, "uptime_s");
	single(f, "hsd_cluster_hosts", "gauge", "hosts in cluster.json", st, "hosts");
	for (size_t i = 0; i < sizeof(peer_counters) / sizeof(*peer_counters); i++)
		single(f, peer_counters[i].name, "counter", peer_counters[i].help, peer,
		       peer_counters[i].key);
	single(f, "hsd_peer_connections", "gauge", "open accepted peer connections", peer,
	       "connections");
	single(f, "hsd_peer_calls_pending", "gauge", "calls to other hosts under way", peer,
	       "pending");
	single(f, "hsd_mirror_dropped_total", "counter",
	       "packets the audit spaces' mirrors dropped", mon, "mirror_dropped");
	single(f, "hsd_syslog_copies_dropped_total", "counter",
	       "syslog lines not copied to an audit space (none listening yet, or its queue full)", mon,
	       "syslog_copies_dropped");
	const json_t *relays = json_object_get(mon, "syslog");
	per_item(f, "hsd_syslog_received_total", "counter", "syslog lines a server space wrote",
		 relays, "received", "server", "server");
	per_item(f, "hsd_syslog_forwarded_total", "counter",
		 "a server's syslog lines forwarded to the host", relays, "forwarded", "server",
		 "server");
	per_item(f, "hsd_syslog_forward_dropped_total", "counter",
		 "a server's syslog lines the host's syslog did not take", relays,
		 "forward_dropped", "server", "server");
	per_item(f, "hsd_syslog_truncated_total", "counter",
		 "a server's syslog lines cut to the maximum length", relays, "truncated",
		 "server", "server");
	const json_t *as = json_object_get(st, "alerts_syslog");
	single(f, "hsd_alerts_syslog_sent_total", "counter",
	       "copies of stored alerts sent to the host's syslog", as, "sent");
	single(f, "hsd_alerts_syslog_dropped_total", "counter",
	       "copies of stored alerts the host's syslog did not take (the store has them)", as,
	       "dropped");
	by_key(f, "hsd_fastpath_packets_total",
	       "packets of published ports the fast path handled, by kind (docs/networking.md)",
	       "kind", json_object_get(json_object_get(st, "fastpath"), "packets"));
	single(f, "hsd_disk_free_bytes", "gauge", "free bytes under the state directory", disk,
	       "free");
	single(f, "hsd_disk_reserve_bytes", "gauge", "size of the state directory's reserve",
	       disk, "reserve");
	if (json_is_object(disk)) {
		family(f, "hsd_disk_full", "gauge", "1 while new work is refused for lack of room");
		sample(f, "hsd_disk_full", NULL, 0, json_is_true(json_object_get(disk, "full")));
	}
}

static void fleet_families(FILE *f, const struct metrics_in *in)
{
	const json_t *inst = json_object_get(in->instances, "instances");

	count_by(f, "hsd_spaces", "spaces on this host by kind and state",
		 json_object_get(in->spaces, "spaces"), "kind", "state");
	count_by(f, "hsd_instances", "IDS instances on this host by bundle and state", inst,
		 "bundle", "state");
	if (json_is_array(inst)) {
		family(f, "hsd_instance_verified", "gauge",
		       "1 for a running IDS instance that passed its probe, 0 before");
		for (size_t i = 0; i < json_array_size(inst); i++) {
			const json_t *a = json_array_get(inst, i);
			const char *kv[] = { "instance", str(a, "space"), "bundle", str(a, "bundle"),
					     "version", str(a, "version") };
			if (num(a, "stopped_ms") == 0)
				sample(f, "hsd_instance_verified", kv, 6, num(a, "verified_ms") > 0);
		}
	}
	count_by(f, "hsd_rollouts", "rollouts this host coordinated, by state",
		 json_object_get(in->rollouts, "rollouts"), "state", NULL);
}

static void mesh_families(FILE *f, const struct metrics_in *in)
{
	const json_t *routes = json_object_get(in->routes, "routes");
	const json_t *peers = json_object_get(in->peers, "peers");

	if (json_is_array(routes)) {
		family(f, "hsd_route_metric", "gauge",
		       "hsroute's metric of each overlay prefix (0: this host's own)");
		for (size_t i = 0; i < json_array_size(routes); i++) {
			const json_t *r = json_array_get(routes, i);
			const char *kv[] = { "prefix", str(r, "prefix"), "origin", str(r, "origin"),
					     "via", str(r, "via") };
			sample(f, "hsd_route_metric", kv, 6, num(r, "metric"));
		}
	}
	by_key(f, "hsd_route_hijacks_dropped_total",
	       "route updates dropped by origin validation, by reason", "reason",
	       json_object_get(in->routes, "hijacks"));
	per_item(f, "hsd_mesh_link_up", "gauge", "1 while the link's neighbour is heard", peers,
		 "alive", "peer", "host");
	per_item_div(f, "hsd_mesh_last_handshake_timestamp_seconds", "gauge",
		     "the link's last WireGuard handshake, seconds since the epoch", peers,
		     "last_handshake_ms", 1000, "peer", "host");
	per_item(f, "hsd_mesh_receive_bytes_total", "counter", "bytes the link received", peers,
		 "rx_bytes", "peer", "host");
	per_item(f, "hsd_mesh_transmit_bytes_total", "counter", "bytes the link sent", peers,
		 "tx_bytes", "peer", "host");
	per_item(f, "hsd_mesh_route_packets_received_total", "counter",
		 "route packets received on the link", peers, "route_pkts_in", "peer", "host");
	per_item(f, "hsd_mesh_route_packets_sent_total", "counter",
		 "route packets sent on the link", peers, "route_pkts_out", "peer", "host");
	per_item(f, "hsd_mesh_route_drops_total", "counter",
		 "route packets or updates from the link that hsroute dropped", peers,
		 "route_drops", "peer", "host");
	per_item(f, "hsd_mesh_wireguard_restarts_total", "counter",
		 "times the link's wireguard-go was restarted", peers, "wg_restarts", "peer",
		 "host");
	by_key(f, "hsd_mesh_firewall_dropped_total",
	       "packets the mesh namespace's firewall dropped, by rule", "reason",
	       json_object_get(in->peers, "firewall"));
	by_key(f, "hsd_mesh_route_socket_dropped_total",
	       "route packets the route socket refused or could not send, by reason", "reason",
	       json_object_get(in->peers, "route_socket"));
	const json_t *engine = json_object_get(in->peers, "engine");
	single(f, "hsd_mesh_engine_restarts_total", "counter",
	       "times hsd restarted its route engine (hsengine)", engine, "restarts");
	single(f, "hsd_mesh_engine_refused_total", "counter",
	       "messages from the route engine hsd refused (malformed, or a route it may not ask for)",
	       engine, "refused");
}

int metrics_render(const struct metrics_in *in, char **out, char *err, size_t errlen)
{
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return err_set(err, errlen, HS_ESYS, "metrics: out of memory");
	host_families(f, in->status);
	fleet_families(f, in);
	mesh_families(f, in);
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return err_set(err, errlen, HS_ESYS, "metrics: out of memory");
	}
	return 0;
}

int metrics_collect(struct hsd *d, char **out, char *err, size_t errlen)
{
	static const char *const cmds[] = { "status", "space.list", "instance.list", "routes",
					     "peers", "rollout.history" };
	json_t *r[6] = { 0 };
	int rc = 0;

	/* A command that fails (no mesh: routes, peers) only leaves its
	 * families out. */
	for (size_t i = 0; i < 6; i++)
		control_local(d, cmds[i], &r[i], NULL, 0);
	struct metrics_in in = { r[0], r[1], r[2], r[3], r[4], r[5] };
	rc = metrics_render(&in, out, err, errlen);
	for (size_t i = 0; i < 6; i++)
		json_decref(r[i]);
	return rc;
}
