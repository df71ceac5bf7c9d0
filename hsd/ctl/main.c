/* main.c - hsctl: operate hsd. */
#include "hsctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct hsctl_cmd commands[] = {
	{ "status", cmd_status, "show this host: name, cluster, uptime, spaces, instances" },
	{ "space", cmd_space, "create, list, show, exec, stop, start, destroy, flatten spaces" },
	{ "bundle", cmd_bundle, "add and list IDS bundles" },
	{ "deploy", cmd_deploy, "start a bundle on every host at once, each verified by its probe" },
	{ "rollout", cmd_rollout, "upgrade the distributed IDS as one unit, with no gap" },
	{ "instance", cmd_instance, "list this host's IDS instances" },
	{ "alerts", cmd_alerts, "the alerts of this host's (or every host's) IDS instances" },
	{ "inventory", cmd_inventory, "what every host runs and stores, from the fleet database" },
	{ "routes", cmd_routes, "the overlay routes of this host's mesh" },
	{ "peers", cmd_peers, "this host's mesh links: liveness, handshake, bytes" },
	{ "metrics", cmd_metrics, "this host's metrics in the Prometheus text format" },
	{ "reload", cmd_reload, "re-read cluster.json now: what changed, or why it was refused" },
	{ "keygen", cmd_keygen, "write a WireGuard key pair into the state directory" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hsctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		   "(--socket and --json also anywhere after COMMAND, before a command of\n"
		   "its own that space create and space exec run)\n\n"
		   "  --socket PATH  hsd's control socket (default $HSD_SOCKET or " HSCTL_DEFAULT_SOCKET ")\n"
		   "  --json         machine-readable output\n\ncommands:\n");
	for (const struct hsctl_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\n`hsctl COMMAND --help` describes each.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct hsctl h = { .socket = getenv("HSD_SOCKET") };
	int c;

	if (!h.socket || !*h.socket)
		h.socket = HSCTL_DEFAULT_SOCKET;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's': h.socket = optarg; break;
		case 'J': h.json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("hsctl %s\n", HSD_VERSION); return 0;
		default:
			fprintf(stderr, "hsctl: %s: unknown option or missing value (see hsctl --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (const struct hsctl_cmd *cmd = commands; cmd->name; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			return cmd->fn(&h, argc - optind, argv + optind);
	const char *names[sizeof(commands) / sizeof(*commands)];
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		names[i] = commands[i].name; /* the last is NULL */
	return hsctl_unknown("hsctl", "command", argv[optind], names);
}
