/* cmd_metrics.c - hsctl metrics: this host in the Prometheus text format. */
#include "hsctl.h"

#include <getopt.h>
#include <stdio.h>

int cmd_metrics(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl metrics\n"
		"Prints this host's metrics in the Prometheus text format (the same\n"
		"text hsd serves on GET /metrics when started with --metrics ADDR:PORT).\n"
		"Names and labels: docs/metrics.md.\n";
	json_t *r;
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl metrics: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((rc = hsctl_call(h, "metrics", NULL, &r)))
		return rc;
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(r, "lines"), i, line)
		printf("%s\n", json_string_value(line));
	json_decref(r);
	return 0;
}
