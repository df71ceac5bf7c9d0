/* cmd_reload.c - hsctl reload: hsd re-reads cluster.json now and answers. */
#include "hsctl.h"

#include <getopt.h>
#include <stdio.h>

int cmd_reload(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl reload [--json]\n"
		"hsd re-reads its cluster.json (hsd --join FILE) and applies only the\n"
		"difference, as on SIGHUP, but answers: what changed, or why the file was\n"
		"refused (one line naming the field; exit 2, the running configuration\n"
		"kept).  The embedded single-host cluster (no --join) has nothing to read.\n";
	json_t *r;
	int rc = hsctl_getopt(h, argc, argv, usage, NULL, NULL, NULL);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl reload: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((rc = hsctl_call(h, "reload", NULL, &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else if (!json_is_true(json_object_get(r, "reloaded"))) {
		printf("nothing reloaded: %s\n", json_string_value(json_object_get(r, "why")));
	} else {
		printf("reloaded %s: %lld hosts added, %lld removed, %lld changed; "
		       "%lld links added, %lld removed%s\n",
		       json_string_value(json_object_get(r, "file")),
		       (long long)json_integer_value(json_object_get(r, "hosts_added")),
		       (long long)json_integer_value(json_object_get(r, "hosts_removed")),
		       (long long)json_integer_value(json_object_get(r, "hosts_changed")),
		       (long long)json_integer_value(json_object_get(r, "links_added")),
		       (long long)json_integer_value(json_object_get(r, "links_removed")),
		       json_is_true(json_object_get(r, "operators_changed")) ? "; operators changed" : "");
		const char *mesh = json_string_value(json_object_get(r, "mesh_error"));
		if (mesh)
			fprintf(stderr, "hsctl reload: applied, but the mesh: %s\n", mesh);
	}
	json_decref(r);
	return 0;
}
