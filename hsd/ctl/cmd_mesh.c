/* cmd_mesh.c - hsctl routes and hsctl peers: the mesh as this host sees it. */
#include "hsctl.h"

#include <getopt.h>
#include <stdio.h>
#include <time.h>

static int mesh_cmd(struct hsctl *h, int argc, char **argv, const char *cmd,
		    const char *usage, json_t **r)
{
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);
	if (rc)
		return rc < 0 ? -1 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl %s: unexpected argument \"%s\"\n", cmd, argv[optind]);
		return 2;
	}
	return hsctl_call(h, cmd, NULL, r);
}

int cmd_routes(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl routes [--json]\n"
		"The overlay routes of this host's mesh: prefix, next hop, origin, metric,\n"
		"sequence number, age of the last update; and how many announcements were\n"
		"dropped as hijacks (a prefix outside the overlay, or not its origin's).\n";
	json_t *r, *v;
	size_t i;
	int rc = mesh_cmd(h, argc, argv, "routes", usage, &r);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		printf("%-18s %-12s %-12s %6s %6s %8s\n", "PREFIX", "VIA", "ORIGIN", "METRIC", "SEQNO", "AGE");
		json_array_foreach(json_object_get(r, "routes"), i, v)
			printf("%-18s %-12s %-12s %6lld %6lld %7.1fs\n",
			       json_string_value(json_object_get(v, "prefix")),
			       json_string_value(json_object_get(v, "via")),
			       json_string_value(json_object_get(v, "origin")),
			       (long long)json_integer_value(json_object_get(v, "metric")),
			       (long long)json_integer_value(json_object_get(v, "seqno")),
			       json_integer_value(json_object_get(v, "age_ms")) / 1000.0);
		json_t *hj = json_object_get(r, "hijacks");
		printf("hijacks dropped: %lld (outside-overlay %lld, wrong-origin %lld)\n",
		       (long long)json_integer_value(json_object_get(r, "hijacks_dropped")),
		       (long long)json_integer_value(json_object_get(hj, "outside-overlay")),
		       (long long)json_integer_value(json_object_get(hj, "wrong-origin")));
	}
	json_decref(r);
	return 0;
}

int cmd_peers(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl peers [--json]\n"
		"This host's mesh links: neighbour, liveness (hsroute hellos), last\n"
		"WireGuard handshake, bytes received and sent, route announcements from\n"
		"it dropped as hijacks; the route engine's pid, restarts and messages\n"
		"hsd refused from it.\n";
	json_t *r, *v;
	size_t i;
	int rc = mesh_cmd(h, argc, argv, "peers", usage, &r);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		time_t now = time(NULL);
		printf("%-8s %-12s %-5s %10s %12s %12s %8s\n", "LINK", "HOST", "ALIVE", "HANDSHAKE", "RX", "TX",
		       "HIJACKS");
		json_array_foreach(json_object_get(r, "peers"), i, v) {
			json_int_t hs = json_integer_value(json_object_get(v, "last_handshake_ms")) / 1000;
			char ago[32];
			if (hs > 0)
				snprintf(ago, sizeof(ago), "%llds ago", (long long)(now - hs));
			else
				snprintf(ago, sizeof(ago), "never");
			printf("%-8s %-12s %-5s %10s %12lld %12lld %8lld\n",
			       json_string_value(json_object_get(v, "link")),
			       json_string_value(json_object_get(v, "host")),
			       json_is_true(json_object_get(v, "alive")) ? "yes" : "no", ago,
			       (long long)json_integer_value(json_object_get(v, "rx_bytes")),
			       (long long)json_integer_value(json_object_get(v, "tx_bytes")),
			       (long long)json_integer_value(json_object_get(v, "hijacks_dropped")));
		}
		json_t *e = json_object_get(r, "engine");
		json_int_t hello = json_integer_value(json_object_get(e, "hello_ms"));
		printf("route engine: pid %lld, %lld restarts, %lld messages refused",
		       (long long)json_integer_value(json_object_get(e, "pid")),
		       (long long)json_integer_value(json_object_get(e, "restarts")),
		       (long long)json_integer_value(json_object_get(e, "refused")));
		/* the timers it runs with (cluster.json "mesh"), once it told us */
		if (hello)
			printf("; hellos every %lld ms, a neighbour dead after %lld ms of silence",
			       (long long)hello,
			       (long long)json_integer_value(json_object_get(e, "dead_ms")));
		putchar('\n');
	}
	json_decref(r);
	return 0;
}
