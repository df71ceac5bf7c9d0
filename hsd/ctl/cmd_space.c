/* cmd_space.c - hsctl space: create, list, show, exec, stop, start,
 * destroy, flatten. */
#include "hsctl.h"
#include "err.h"
#include "space.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char space_usage[] =
	"usage: hsctl space create NAME --kind server|audit [--inherit base|SPACE]\n"
	"                         [--publish HOSTPORT:PORT[/tcp|/udp]]... [--memory BYTES[k|M|G]]\n"
	"                         [--pids N] [--monitor SERVER]... [--] CMD [ARGS]\n"
	"       hsctl space list | show NAME | exec NAME -- CMD [ARGS]\n"
	"       hsctl space stop NAME | start NAME | destroy NAME | flatten NAME\n"
	"       hsctl space monitor AUDIT SERVER\n"
	"\n"
	"A server space runs servers, reachable at this host's address through its\n"
	"published ports; an audit space runs an IDS and has no network to the base.\n"
	"--inherit: start from another space's files (default: the base system).\n"
	"--monitor (audit spaces): watch a server space: /.serverfs/SERVER is its\n"
	"live filesystem and /.dserverfs/SERVER what it changed, both read-only.\n"
	"flatten folds a stopped space's inherited layers into one over the base.\n";

struct create_opts {
	const char *kind, *inherit;
	json_t *publish, *monitor;
	int64_t memory, pids;
	int bad;
};

static int parse_size(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int64_t mult = 1;

	if (errno || end == s || v <= 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'G')
		mult = 1024 * 1024 * 1024, end++;
	if (*end || v > INT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int create_opt(int c, const char *arg, void *ctx)
{
	struct create_opts *o = ctx;
	switch (c) {
	case 'k': o->kind = arg; return 0;
	case 'i': o->inherit = arg; return 0;
	case 'p': json_array_append_new(o->publish, json_string(arg)); return 0;
	case 'M': json_array_append_new(o->monitor, json_string(arg)); return 0;
	case 'm':
		if (parse_size(arg, &o->memory)) {
			fprintf(stderr, "hsctl space create: --memory: \"%s\" is not a size (e.g. 512M)\n", arg);
			return 2;
		}
		return 0;
	case 'P':
		if (parse_size(arg, &o->pids) || strpbrk(arg, "kKMG")) {
			fprintf(stderr, "hsctl space create: --pids: \"%s\" is not a positive number\n", arg);
			return 2;
		}
		return 0;
	}
	return 2;
}

static int space_create(struct hsctl *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "inherit", required_argument, NULL, 'i' },
		{ "publish", required_argument, NULL, 'p' },
		{ "memory", required_argument, NULL, 'm' },
		{ "pids", required_argument, NULL, 'P' },
		{ "monitor", required_argument, NULL, 'M' },
		{ 0 },
	};
	struct create_opts o = { .publish = json_array(), .monitor = json_array() };
	json_t *r;
	int rc;

	/* NAME first, then options, then the command: stop at the first
	 * non-option after NAME so the command keeps its own options. */
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(space_usage, stdout);
			json_decref(o.publish);
		json_decref(o.monitor);
			return 0;
		}
		fprintf(stderr, "hsctl space create: name: missing\n");
		json_decref(o.publish);
		json_decref(o.monitor);
		return 2;
	}
	const char *name = argv[1];
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, space_usage, opts, create_opt, &o))) {
		json_decref(o.publish);
		json_decref(o.monitor);
		return rc < 0 ? 0 : rc;
	}
	if (!o.kind) {
		fprintf(stderr, "hsctl space create: --kind: missing (server or audit)\n");
		json_decref(o.publish);
		json_decref(o.monitor);
		return 2;
	}
	json_t *cmd = json_array();
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_t *args = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I}", "name", name,
				 "kind", o.kind, "inherit", o.inherit ? o.inherit : "base",
				 "publish", o.publish, "monitor", o.monitor, "argv", cmd,
				 "memory", (json_int_t)o.memory, "pids", (json_int_t)o.pids);
	if ((rc = hsctl_call(h, "space.create", args, &r)))
		return rc;
	if (h->json)
		hsctl_print_json(r);
	else
		printf("space %s created (%s, init %lld)\n", name, o.kind,
		       (long long)json_integer_value(json_object_get(r, "pid")));
	json_decref(r);
	return 0;
}

static void print_space_line(json_t *s)
{
	json_t *pub = json_object_get(s, "publish"), *v;
	size_t i;
	char pubs[256] = "";

	json_array_foreach(pub, i, v) {
		size_t len = strlen(pubs);
		snprintf(pubs + len, sizeof(pubs) - len, "%s%s", len ? "," : "", json_string_value(v));
	}
	printf("%-20s %-7s %-9s %-16s %-8lld %s\n", json_string_value(json_object_get(s, "name")),
	       json_string_value(json_object_get(s, "kind")),
	       json_string_value(json_object_get(s, "state")),
	       json_string_value(json_object_get(s, "inherit")),
	       (long long)json_integer_value(json_object_get(s, "pid")), pubs[0] ? pubs : "-");
}

static int space_list(struct hsctl *h)
{
	json_t *r, *s;
	size_t i;
	int rc = hsctl_call(h, "space.list", NULL, &r);

	if (rc)
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		printf("%-20s %-7s %-9s %-16s %-8s %s\n", "NAME", "KIND", "STATE", "INHERIT", "PID", "PUBLISH");
		json_array_foreach(json_object_get(r, "spaces"), i, s)
			print_space_line(s);
	}
	json_decref(r);
	return 0;
}

static int space_exec_cmd(struct hsctl *h, const char *name, int argc, char **argv)
{
	char err[HS_ERRLEN];
	json_t *r;
	int rc, status;

	if (argc < 1) {
		fprintf(stderr, "hsctl space exec: command: missing (hsctl space exec NAME -- CMD)\n");
		return 2;
	}
	if ((rc = hsctl_call(h, "space.show", json_pack("{s:s}", "name", name), &r)))
		return rc;
	json_int_t pid = json_integer_value(json_object_get(r, "pid"));
	json_int_t start = json_integer_value(json_object_get(r, "pid_start"));
	enum space_kind kind = strcmp(json_string_value(json_object_get(r, "kind")), "audit")
				       ? SPACE_SERVER : SPACE_AUDIT;
	json_decref(r);
	if (!pid) {
		fprintf(stderr, "hsctl space exec: name: space \"%s\" is not running\n", name);
		return 2;
	}
	rc = space_exec((pid_t)pid, (unsigned long long)start, kind, argv, &status, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hsctl space exec: %s\n", err);
		return err_exit_code(rc);
	}
	return status;
}

/* Commands that take just NAME and print what hsd answered. */
static int space_named(struct hsctl *h, const char *sub, const char *name)
{
	char cmd[32];
	json_t *r;
	int rc;

	snprintf(cmd, sizeof(cmd), "space.%s", sub);
	if ((rc = hsctl_call(h, cmd, json_pack("{s:s}", "name", name), &r)))
		return rc;
	if (h->json || !strcmp(sub, "show"))
		hsctl_print_json(r);
	else
		printf("space %s: %s done\n", name, sub);
	json_decref(r);
	return 0;
}

int cmd_space(struct hsctl *h, int argc, char **argv)
{
	static const char *const named[] = { "show", "stop", "start", "destroy", "flatten" };
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(space_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "create"))
		return space_create(h, argc - 1, argv + 1);
	/* The rest: SUB [--json] [NAME] [-- CMD]. */
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, space_usage, NULL, NULL, NULL)))
		return rc < 0 ? 0 : rc;
	int rest = argc - 1 - optind;
	char **args = argv + 1 + optind;
	if (!strcmp(sub, "list")) {
		if (rest) {
			fprintf(stderr, "hsctl space list: unexpected argument \"%s\"\n", args[0]);
			return 2;
		}
		return space_list(h);
	}
	if (rest < 1) {
		fprintf(stderr, "hsctl space %s: name: missing\n", sub);
		return 2;
	}
	if (!strcmp(sub, "monitor")) {
		json_t *r;
		if (rest != 2) {
			fprintf(stderr, "hsctl space monitor: want AUDIT SERVER\n");
			return 2;
		}
		if ((rc = hsctl_call(h, "space.monitor",
				     json_pack("{s:s, s:s}", "name", args[0], "server", args[1]), &r)))
			return rc;
		if (h->json)
			hsctl_print_json(r);
		else
			printf("space %s monitors %s\n", args[0], args[1]);
		json_decref(r);
		return 0;
	}
	if (!strcmp(sub, "exec")) {
		int skip = rest >= 2 && !strcmp(args[1], "--") ? 2 : 1;
		return space_exec_cmd(h, args[0], rest - skip, args + skip);
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++) {
		if (strcmp(sub, named[i]))
			continue;
		if (rest > 1) {
			fprintf(stderr, "hsctl space %s: unexpected argument \"%s\"\n", sub, args[1]);
			return 2;
		}
		return space_named(h, sub, args[0]);
	}
	fprintf(stderr, "hsctl space: unknown subcommand \"%s\" (see hsctl space --help)\n", sub);
	return 2;
}
