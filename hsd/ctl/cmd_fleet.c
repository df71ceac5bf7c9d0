/* cmd_fleet.c - hsctl bundle, deploy, alerts, instances. */
#include "hsctl.h"
#include "ctl.h"

#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int no_more_args(const char *cmd, int argc, int want)
{
	if (argc - optind != want) {
		fprintf(stderr, "hsctl %s: %s\n", cmd,
			argc - optind < want ? "missing argument (see --help)" : "unexpected argument");
		return 2;
	}
	return 0;
}

int cmd_bundle(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl bundle add DIR | bundle list [--json]\n"
		"add checks the IDS bundle in DIR (NAME-VERSION/bundle.json and its files,\n"
		"see docs/bundles.md) and stores it on this host.\n";
	json_t *r, *v;
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, usage, NULL, NULL, NULL)))
		return rc < 0 ? 0 : rc;
	if (!strcmp(sub, "add")) {
		char path[PATH_MAX];
		if ((rc = no_more_args("bundle add", argc - 1, 1)))
			return rc;
		/* hsd reads the directory itself: give it an absolute path. */
		if (!realpath(argv[1 + optind], path)) {
			fprintf(stderr, "hsctl bundle add: %s: no such directory\n", argv[1 + optind]);
			return 2;
		}
		if ((rc = hsctl_call(h, "bundle.add", json_pack("{s:s}", "path", path), &r)))
			return rc;
		if (h->json)
			hsctl_print_json(r);
		else
			printf("bundle %s stored\n", json_string_value(json_object_get(r, "id")));
		json_decref(r);
		return 0;
	}
	if (!strcmp(sub, "list")) {
		if ((rc = no_more_args("bundle list", argc - 1, 0)) ||
		    (rc = hsctl_call(h, "bundle.list", NULL, &r)))
			return rc;
		if (h->json) {
			hsctl_print_json(r);
		} else {
			printf("%-24s %-16s %s\n", "BUNDLE", "VERSION", "HASH");
			json_array_foreach(json_object_get(r, "bundles"), i, v)
				printf("%-24s %-16s %.16s\n", json_string_value(json_object_get(v, "name")),
				       json_string_value(json_object_get(v, "version")),
				       json_string_value(json_object_get(v, "hash")));
		}
		json_decref(r);
		return 0;
	}
	fprintf(stderr, "hsctl bundle: unknown subcommand \"%s\" (add, list)\n", sub);
	return 2;
}

int cmd_deploy(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl deploy BUNDLE [--json]\n"
		"Starts the stored bundle NAME-VERSION on every host of the cluster, each in\n"
		"a new audit space NAME@VERSION watching its server spaces, and waits until\n"
		"every instance has reported its probe.  Exit status as hsctl rollout.\n";
	char *args[] = { (char *)"rollout", NULL, (char *)"--deploy", (char *)"--wait", NULL };
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = no_more_args("deploy", argc, 1)))
		return rc;
	args[1] = argv[optind];
	return cmd_rollout(h, 4, args);
}

int cmd_instance(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl instance list [--json]\n"
		"The IDS instances of this host: bundle, version, space, state, last probe.\n";
	json_t *r, *v;
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "list")) {
		fputs(usage, argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, usage, NULL, NULL, NULL)))
		return rc < 0 ? 0 : rc;
	if ((rc = no_more_args("instance list", argc - 1, 0)) ||
	    (rc = hsctl_call(h, "instance.list", NULL, &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		printf("%-20s %-10s %-10s %s\n", "INSTANCE", "STATE", "VERIFIED", "LAST PROBE");
		json_array_foreach(json_object_get(r, "instances"), i, v) {
			time_t t = (time_t)(json_integer_value(json_object_get(v, "verified_ms")) / 1000);
			char stamp[16] = "-";
			if (t)
				strftime(stamp, sizeof(stamp), "%H:%M:%S", gmtime(&t));
			printf("%-20s %-10s %-10s %s\n", json_string_value(json_object_get(v, "space")),
			       json_string_value(json_object_get(v, "state")), stamp,
			       json_string_value(json_object_get(v, "last_probe")));
		}
	}
	json_decref(r);
	return 0;
}

struct alerts_opts {
	bool follow;
	const char *host;
	long last;
};

static int alerts_opt(int c, const char *arg, void *ctx)
{
	struct alerts_opts *o = ctx;
	char *end;
	if (c == 'f') {
		o->follow = true;
	} else if (c == 'l') {
		o->last = strtol(arg, &end, 10);
		if (*end || o->last < 1 || o->last > CTL_ALERTS_MAX) {
			fprintf(stderr, "hsctl alerts: --last: want 1..%d, got \"%s\"\n", CTL_ALERTS_MAX, arg);
			return 2;
		}
	} else {
		o->host = arg;
	}
	return 0;
}

int cmd_alerts(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl alerts [--host HOST] [--last N] [--follow] [--json]\n"
		"The latest N (default 100) alerts of this host's (or HOST's) IDS instances,\n"
		"oldest first: time, instance, line.  --follow keeps printing new ones.\n";
	static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
					       { "host", required_argument, NULL, 'H' },
					       { "last", required_argument, NULL, 'l' }, { 0 } };
	struct alerts_opts o = { false, NULL, 100 };
	json_int_t after = -1; /* none yet: the latest N first */
	int rc = hsctl_getopt(h, argc, argv, usage, opts, alerts_opt, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = no_more_args("alerts", argc, 0)))
		return rc;
	do {
		json_t *r, *v;
		size_t i;
		json_t *args = json_pack("{s:I}", "last", (json_int_t)(after < 0 ? o.last : CTL_ALERTS_MAX));
		if (after >= 0)
			json_object_set_new(args, "after", json_integer(after));
		if (o.host)
			json_object_set_new(args, "host", json_string(o.host));
		if ((rc = hsctl_call(h, "alerts", args, &r)))
			return rc;
		if (h->json && !o.follow) { /* one document, as every --json */
			hsctl_print_json(r);
			json_decref(r);
			break;
		}
		if (after < 0)
			after = 0; /* an empty first answer: follow from the start */
		json_array_foreach(json_object_get(r, "alerts"), i, v) {
			after = json_integer_value(json_object_get(v, "id"));
			if (h->json) {
				char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
				puts(s);
				free(s);
				continue;
			}
			time_t t = (time_t)(json_integer_value(json_object_get(v, "at_ms")) / 1000);
			char stamp[32];
			strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", gmtime(&t));
			printf("%s %-10s %-16s %s\n", stamp, json_string_value(json_object_get(v, "host")),
			       json_string_value(json_object_get(v, "instance")),
			       json_string_value(json_object_get(v, "line")));
		}
		json_decref(r);
		fflush(stdout);
		if (o.follow)
			usleep(500 * 1000);
	} while (o.follow);
	return 0;
}
