/* cmd_inventory.c - hsctl inventory: what every host runs and stores, from
 * the fleet database (docs/fleetdb.md, "Inventory"). */
#include "hsctl.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EXIT_STALE 4

static const char *stamp(json_int_t ms, char *buf, size_t len)
{
	if (ms <= 0 || timefmt_iso8601(ms, buf, len, NULL, 0))
		snprintf(buf, len, "-");
	return buf;
}

static void print_hosts(json_t *r)
{
	json_t *h, *v;
	size_t i, j;
	char since[TIMEFMT_ISO8601_LEN], verified[TIMEFMT_ISO8601_LEN];
	time_t now = time(NULL);

	printf("%-12s %-20s %-9s %-21s %-21s %s\n", "HOST", "INSTANCE", "STATE", "SINCE",
	       "LAST VERIFIED", "ROW AGE");
	json_array_foreach(json_object_get(r, "hosts"), i, h) {
		long long age = (long long)now - json_integer_value(json_object_get(h, "at")) / 1000;
		json_t *insts = json_object_get(h, "instances");
		if (!json_array_size(insts))
			printf("%-12s %-20s %-9s %-21s %-21s %llds\n",
			       json_string_value(json_object_get(h, "host")), "(none)", "", "", "", age);
		json_array_foreach(insts, j, v)
			printf("%-12s %-20s %-9s %-21s %-21s %llds\n",
			       json_string_value(json_object_get(h, "host")),
			       json_string_value(json_object_get(v, "instance")),
			       json_string_value(json_object_get(v, "state")),
			       stamp(json_integer_value(json_object_get(v, "since")), since, sizeof(since)),
			       stamp(json_integer_value(json_object_get(v, "verified")), verified,
				     sizeof(verified)), age);
	}
}

static void print_bundles(json_t *r)
{
	json_t *b, *c, *host;
	size_t i, j, k;

	printf("\n%-20s %-14s %s\n", "BUNDLE", "HASH", "HOSTS");
	json_array_foreach(json_object_get(r, "bundles"), i, b) {
		bool conflict = json_is_true(json_object_get(b, "conflict"));
		json_array_foreach(json_object_get(b, "contents"), j, c) {
			printf("%-20s %.12s…  ", json_string_value(json_object_get(b, "id")),
			       json_string_value(json_object_get(c, "hash")));
			json_array_foreach(json_object_get(c, "hosts"), k, host)
				printf("%s%s", k ? " " : "", json_string_value(host));
			printf("%s\n", conflict ? "   CONFLICT: other content under this id" : "");
		}
	}
}

static void print_rollouts(json_t *r)
{
	json_t *v;
	size_t i;

	printf("\n%-20s %-20s %-12s %s\n", "ROLLOUT OF", "TO", "DRIVEN BY", "EPOCH");
	json_array_foreach(json_object_get(r, "rollouts"), i, v)
		printf("%-20s %-20s %-12s %lld\n", json_string_value(json_object_get(v, "ids")),
		       json_string_value(json_object_get(v, "target")),
		       json_string_value(json_object_get(v, "driver")),
		       (long long)json_integer_value(json_object_get(v, "epoch")));
}

int cmd_inventory(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl inventory [--json]\n"
		"What every host runs and stores, from the fleet database: each host's IDS\n"
		"instances (state, since, last verified) and bundles (content hash, and the\n"
		"hosts holding each; two contents under one bundle id are a CONFLICT), and\n"
		"the rollouts under way: of which IDS, to which bundle, driven by which host.\n"
		"Without a quorum: the last inventory this host read, marked STALE (exit 4).\n";
	char as_of[TIMEFMT_ISO8601_LEN];
	json_t *r;
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl inventory: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((rc = hsctl_call(h, "inventory", NULL, &r)))
		return rc;
	bool stale = json_is_true(json_object_get(r, "stale"));
	if (h->json) {
		hsctl_print_json(r);
	} else {
		stamp(json_integer_value(json_object_get(r, "as_of")), as_of, sizeof(as_of));
		if (stale)
			printf("STALE: %s; the inventory as read at %s\n",
			       json_string_value(json_object_get(r, "error")), as_of);
		else
			printf("inventory of the fleet database, %s\n", as_of);
		print_hosts(r);
		print_bundles(r);
		print_rollouts(r);
		if (json_is_true(json_object_get(r, "more")))
			printf("(more hosts than one answer holds: not all shown)\n");
	}
	json_decref(r);
	return stale ? EXIT_STALE : 0;
}
