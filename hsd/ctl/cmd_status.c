/* cmd_status.c - hsctl status: what this host runs. */
#include "hsctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* The replicated fleet database: who leads, whether this host reaches a
 * quorum (docs/fleetdb.md). */
static void print_fleetdb(const json_t *db)
{
	const json_t *v;
	size_t i;

	if (!db) {
		printf("fleet db:  off (cluster.json names no voters)\n");
		return;
	}
	printf("fleet db:  voters");
	json_array_foreach(json_object_get(db, "voters"), i, v)
		printf(" %s", json_string_value(v));
	printf(" (this host %s)\n", json_is_true(json_object_get(db, "voter")) ? "votes" : "does not vote");
	const char *leader = json_string_value(json_object_get(db, "leader"));
	if (json_is_true(json_object_get(db, "quorum")))
		printf("           leader %s, quorum reached\n", leader ? leader : "?");
	else
		printf("           NO QUORUM: %s\n", json_string_value(json_object_get(db, "error")));
}

int cmd_status(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl status [--json]\n"
		"Shows this host (name, cluster, uptime, counts of spaces and instances,\n"
		"what the monitors dropped: --json has them per server and audit space)\n"
		"the replicated fleet database (voters, leader, quorum), and the fleet:\n"
		"every host, reachable or not, its IDS instances, their versions and\n"
		"last verified probe.\n";
	json_t *r;
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl status: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((rc = hsctl_call(h, "status", json_pack("{s:b}", "fleet", 1), &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		json_int_t up = json_integer_value(json_object_get(r, "uptime_s"));
		printf("host:      %s\n", json_string_value(json_object_get(r, "host")));
		printf("cluster:   %s (%lld hosts)\n",
		       json_string_value(json_object_get(r, "cluster")),
		       (long long)json_integer_value(json_object_get(r, "hosts")));
		printf("version:   %s\n", json_string_value(json_object_get(r, "version")));
		printf("uptime:    %lldd %02lld:%02lld:%02lld\n", (long long)up / 86400,
		       (long long)up / 3600 % 24, (long long)up / 60 % 60, (long long)up % 60);
		printf("spaces:    %lld\n", (long long)json_integer_value(json_object_get(r, "spaces")));
		printf("instances: %lld\n", (long long)json_integer_value(json_object_get(r, "instances")));
		json_t *mon = json_object_get(r, "monitors");
		printf("monitors:  %lld syslog copies dropped, %lld mon0 frames dropped\n",
		       (long long)json_integer_value(json_object_get(mon, "syslog_copies_dropped")),
		       (long long)json_integer_value(json_object_get(mon, "mirror_dropped")));
		print_fleetdb(json_object_get(r, "fleetdb"));
		json_t *hv, *iv;
		size_t i, k;
		printf("\n%-12s %-9s %-20s %-10s %-20s %s\n", "HOST", "REACHABLE", "INSTANCE", "STATE",
		       "VERIFIED", "LAST PROBE");
		json_array_foreach(json_object_get(r, "fleet"), i, hv) {
			const char *host = json_string_value(json_object_get(hv, "host"));
			bool reach = json_is_true(json_object_get(hv, "reachable"));
			json_t *insts = json_object_get(hv, "instances");
			if (!reach || json_array_size(insts) == 0)
				printf("%-12s %-9s %-20s\n", host, reach ? "yes" : "no", "-");
			json_array_foreach(insts, k, iv) {
				json_int_t ms = json_integer_value(json_object_get(iv, "verified_ms"));
				char stamp[TIMEFMT_ISO8601_LEN] = "-";
				if (ms > 0 && timefmt_iso8601(ms, stamp, sizeof(stamp), NULL, 0))
					snprintf(stamp, sizeof(stamp), "?");
				printf("%-12s %-9s %-20s %-10s %-20s %s\n", k ? "" : host, k ? "" : "yes",
				       json_string_value(json_object_get(iv, "instance")),
				       json_is_true(json_object_get(iv, "running"))
					       ? json_string_value(json_object_get(iv, "state")) : "down",
				       stamp, json_string_value(json_object_get(iv, "last_probe")));
			}
		}
	}
	json_decref(r);
	return 0;
}
