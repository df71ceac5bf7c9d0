/* cmd_space.c - hsctl space: create, list, show, exec, stop, start,
 * destroy, flatten. */
#include "hsctl.h"
#include "timefmt.h"
#include "ctl.h"
#include "err.h"
#include "exec_relay.h"
#include "space.h"
#include "spexec.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char space_usage[] =
	"usage: hsctl space create NAME --kind server|audit [--inherit base|SPACE]\n"
	"                         [--publish HOSTPORT:PORT[/tcp|/udp]]... [--monitor SERVER]...\n"
	"                         [--memory SIZE|max] [--pids N|max] [--disk SIZE]\n"
	"                         [--tmpfs SIZE] [--log-size SIZE] [--] CMD [ARGS]\n"
	"       hsctl space list | show NAME   (STATE: running, stopped, exited (N),\n"
	"                                     exited (signal N), failed: REASON)\n"
	"       hsctl space exec [-t|--tty] [--env NAME=VALUE]... NAME [--] CMD [ARGS]\n"
	"       hsctl space stop NAME | start NAME | destroy NAME | flatten NAME\n"
	"       hsctl space monitor AUDIT SERVER\n"
	"       hsctl space logs NAME [--last N] [--follow]   (its console, escaped)\n"
	"\n"
	"A server space runs servers, reachable at this host's address through its\n"
	"published ports; an audit space runs an IDS and has no network to the base.\n"
	"--inherit: start from another space's files (default: the base system).\n"
	"--monitor (audit spaces): watch a server space: /.serverfs/SERVER is its\n"
	"live filesystem and /.dserverfs/SERVER what it changed, both read-only.\n"
	"flatten folds a stopped space's inherited layers into one over the base.\n"
	"Limits (SIZE: bytes, or with k, M, G): --memory (default 1G), --pids (512),\n"
	"--disk: its layer filesystem (1G), --tmpfs: each of /tmp, /run, /dev/shm\n"
	"(64M), --log-size: its console log kept on disk (8M).\n"
	"A space stays up when its command ends (a server may fork into the background);\n"
	"once the command has ended and nothing it started runs on, the space shows\n"
	"exited (N), or failed: REASON if the command could not be run at all.\n"
	"exec runs CMD as the space's root with a clean environment (only --env),\n"
	"in a new session; -t gives it a terminal made inside the space.\n";

struct create_opts {
	const char *kind, *inherit;
	json_t *publish, *monitor;
	json_t *limits; /* only the limits given */
};

static int parse_size(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int64_t mult = 1;

	if (errno || end == s || v <= 0 || *s < '0' || *s > '9') /* no sign, no blank */
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

/* A limit option: a size (or a count), or "max" where none is allowed. */
static int limit_opt(struct create_opts *o, const char *opt, const char *key,
		     const char *arg, bool count, bool max_ok)
{
	int64_t v;

	if (max_ok && strcmp(arg, "max") == 0)
		return json_object_set_new(o->limits, key, json_string("max")), 0;
	if (parse_size(arg, &v) || (count && strpbrk(arg, "kKMG"))) {
		fprintf(stderr, "hsctl space create: %s: \"%s\" is not %s%s\n", opt, arg,
			count ? "a positive number" : "a size (e.g. 512M)", max_ok ? " or \"max\"" : "");
		return 2;
	}
	json_object_set_new(o->limits, key, json_integer(v));
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
	case 'm': return limit_opt(o, "--memory", "memory", arg, false, true);
	case 'P': return limit_opt(o, "--pids", "pids", arg, true, true);
	case 'd': return limit_opt(o, "--disk", "disk", arg, false, false);
	case 'T': return limit_opt(o, "--tmpfs", "tmpfs", arg, false, false);
	case 'L': return limit_opt(o, "--log-size", "log_size", arg, false, false);
	}
	return 2;
}

static void create_opts_free(struct create_opts *o)
{
	json_decref(o->publish);
	json_decref(o->monitor);
	json_decref(o->limits);
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
		{ "disk", required_argument, NULL, 'd' },
		{ "tmpfs", required_argument, NULL, 'T' },
		{ "log-size", required_argument, NULL, 'L' },
		{ 0 },
	};
	struct create_opts o = { .publish = json_array(), .monitor = json_array(),
				 .limits = json_object() };
	json_t *r;
	int rc;

	/* NAME first, then options, then the command: stop at the first
	 * non-option after NAME so the command keeps its own options. */
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(space_usage, stdout);
			create_opts_free(&o);
			return 0;
		}
		fprintf(stderr, "hsctl space create: name: missing\n");
		create_opts_free(&o);
		return 2;
	}
	const char *name = argv[1];
	if ((rc = hsctl_getopt_cmd(h, argc - 1, argv + 1, space_usage, opts, create_opt, &o))) {
		create_opts_free(&o);
		return rc < 0 ? 0 : rc;
	}
	if (!o.kind) {
		fprintf(stderr, "hsctl space create: --kind: missing (server or audit)\n");
		create_opts_free(&o);
		return 2;
	}
	json_t *cmd = json_array();
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_t *args = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name", name,
				 "kind", o.kind, "inherit", o.inherit ? o.inherit : "base",
				 "publish", o.publish, "monitor", o.monitor, "argv", cmd);
	json_object_update(args, o.limits);
	json_decref(o.limits);
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
	/* STATE last: "failed: REASON" may be long. */
	const char *status = json_string_value(json_object_get(s, "status"));
	char created[TIMEFMT_ISO8601_LEN];
	if (timefmt_iso8601(json_integer_value(json_object_get(s, "created_ms")), created,
			    sizeof(created), NULL, 0))
		snprintf(created, sizeof(created), "?");
	printf("%-20s %-7s %-16s %-8lld %-20s %-20s %s\n", json_string_value(json_object_get(s, "name")),
	       json_string_value(json_object_get(s, "kind")),
	       json_string_value(json_object_get(s, "inherit")),
	       (long long)json_integer_value(json_object_get(s, "pid")), pubs[0] ? pubs : "-",
	       created, status ? status : json_string_value(json_object_get(s, "state")));
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
		printf("%-20s %-7s %-16s %-8s %-20s %-20s %s\n", "NAME", "KIND", "INHERIT", "PID", "PUBLISH",
		       "CREATED", "STATE");
		json_array_foreach(json_object_get(r, "spaces"), i, s)
			print_space_line(s);
	}
	json_decref(r);
	return 0;
}

struct exec_opts {
	bool tty;
	char **env; /* NAME=VALUE, after the defaults */
	size_t nenv;
};

static int exec_opt(int c, const char *arg, void *ctx)
{
	struct exec_opts *o = ctx;
	const char *eq;

	if (c == 't') {
		o->tty = true;
		return 0;
	}
	/* --env: NAME=VALUE, NAME a shell variable name. */
	eq = strchr(arg, '=');
	bool ok = eq && eq > arg && !(arg[0] >= '0' && arg[0] <= '9');
	for (const char *p = arg; ok && p < eq; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '_';
	if (!ok) {
		fprintf(stderr, "hsctl space exec: --env: \"%.40s\" is not NAME=VALUE\n", arg);
		return 2;
	}
	o->env[o->nenv++] = (char *)arg;
	return 0;
}

/* The command's whole environment: a fixed PATH and HOME, the operator's
 * TERM with a terminal, then each --env (a later one of the same name
 * wins). */
static char **exec_env(const struct exec_opts *o)
{
	static char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	static char home[] = "HOME=/root", container[] = "container=hsd";
	static char term[128];
	char **env = calloc(o->nenv + 5, sizeof(*env));
	size_t n = 0;

	if (!env)
		return NULL;
	env[n++] = path;
	env[n++] = home;
	env[n++] = container;
	const char *t = getenv("TERM");
	if (o->tty && t && strlen(t) < sizeof(term) - 6 && !strpbrk(t, "\n=")) {
		snprintf(term, sizeof(term), "TERM=%s", t);
		env[n++] = term;
	}
	for (size_t i = 0; i < o->nenv; i++) {
		size_t klen = (size_t)(strchr(o->env[i], '=') - o->env[i]) + 1;
		size_t j;
		for (j = 0; j < n && strncmp(env[j], o->env[i], klen); j++)
			;
		env[j] = o->env[i];
		if (j == n)
			n++;
	}
	return env;
}

static int space_exec_cmd(struct hsctl *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ 0 },
	};
	struct exec_opts o = { .env = calloc((size_t)argc + 1, sizeof(char *)) };
	struct spexec_proc p;
	char err[HS_ERRLEN], **env = NULL;
	json_t *r = NULL;
	int rc, status = 0;

	if (!o.env)
		return 1;
	/* -t is the one short option (as in docker exec -t): spelled long
	 * for getopt, before NAME only. */
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-t"))
			argv[i] = (char *)"--tty";
	if ((rc = hsctl_getopt_cmd(h, argc, argv, space_usage, opts, exec_opt, &o))) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	if (optind >= argc) {
		fprintf(stderr, "hsctl space exec: name: missing\n");
		rc = 2;
		goto out;
	}
	const char *name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		fprintf(stderr, "hsctl space exec: command: missing (hsctl space exec NAME -- CMD)\n");
		rc = 2;
		goto out;
	}
	if ((rc = hsctl_call(h, "space.show", json_pack("{s:s}", "name", name), &r)))
		goto out;
	struct spexec_req req = {
		.init = (pid_t)json_integer_value(json_object_get(r, "pid")),
		.start = (unsigned long long)json_integer_value(json_object_get(r, "pid_start")),
		.kind = strcmp(json_string_value(json_object_get(r, "kind")), "audit") ? SPACE_SERVER
										       : SPACE_AUDIT,
		.argv = argv + optind,
		.tty = o.tty,
	};
	if (!req.init) {
		fprintf(stderr, "hsctl space exec: name: space \"%s\" is not running\n", name);
		rc = 2;
		goto out;
	}
	if (!(env = exec_env(&o))) {
		rc = 1;
		goto out;
	}
	req.envp = env;
	if ((rc = spexec_start(&req, &p, err, sizeof(err)))) {
		fprintf(stderr, "hsctl space exec: %s\n", err);
		rc = err_exit_code(rc);
		goto out;
	}
	if (exec_relay(&p, &status))
		fprintf(stderr, "hsctl space exec: relaying the command's input and output failed\n");
	spexec_close(&p);
	rc = status;
out:
	json_decref(r);
	free(env);
	free(o.env);
	return rc;
}

/* Commands that take just NAME and print what hsd answered. */
struct logs_opts {
	long last;
	bool follow;
};

static int logs_opt(int c, const char *arg, void *ctx)
{
	struct logs_opts *o = ctx;

	if (c == 'f') {
		o->follow = true;
		return 0;
	}
	return hsctl_number("space logs", "--last", arg, 1, CTL_LOGS_LAST_MAX, &o->last);
}

/*
 * space logs NAME [--last N] [--follow]: the console's last N lines (100),
 * then with --follow each new one as it is written: hsd holds each request
 * until the console grows (up to 10 s), so nothing is asked in a loop.
 */
static int space_logs(struct hsctl *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "last", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ 0 },
	};
	struct logs_opts o = { .last = CTL_LOGS_LAST_DEFAULT };
	json_t *r, *line;
	size_t i;
	int rc = hsctl_getopt(h, argc, argv, space_usage, opts, logs_opt, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (argc - optind != 1) {
		fprintf(stderr, "hsctl space logs: %s\n",
			argc - optind ? "want one NAME" : "name: missing");
		return 2;
	}
	const char *name = argv[optind];
	if ((rc = hsctl_call(h, "space.logs", json_pack("{s:s, s:i}", "name", name, "last",
							 (int)o.last), &r)))
		return rc;
	for (;;) {
		json_array_foreach(json_object_get(r, "lines"), i, line) {
			if (h->json) {
				char *t = json_dumps(line, JSON_ENCODE_ANY);
				printf("%s\n", t ? t : "\"\"");
				free(t);
			} else {
				printf("%s\n", json_string_value(line));
			}
		}
		fflush(stdout);
		json_int_t off = json_integer_value(json_object_get(r, "offset"));
		json_decref(r);
		if (!o.follow)
			return 0;
		if ((rc = hsctl_call(h, "space.logs", json_pack("{s:s, s:I, s:b}", "name", name,
								 "from", off, "wait", 1), &r)))
			return rc;
	}
}

/* space show for people: one "key: value" a line, in hsd's order; a time
 * (created_ms) as ISO 8601 under its name without "_ms", a list or an
 * object as compact JSON. */
static void print_space_show(json_t *r)
{
	const char *key;
	json_t *v;

	json_object_foreach(r, key, v) {
		size_t n = strlen(key);
		char stamp[TIMEFMT_ISO8601_LEN];
		if (n > 3 && !strcmp(key + n - 3, "_ms") && json_is_integer(v) &&
		    !timefmt_iso8601(json_integer_value(v), stamp, sizeof(stamp), NULL, 0)) {
			printf("%-.*s:%*s%s\n", (int)(n - 3), key, n < 14 ? (int)(14 - n) : 1, "", stamp);
			continue;
		}
		printf("%s:%*s", key, n < 11 ? (int)(11 - n) : 1, "");
		if (json_is_string(v)) {
			puts(json_string_value(v));
			continue;
		}
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		puts(s ? s : "?");
		free(s);
	}
}

static int space_named(struct hsctl *h, const char *sub, const char *name)
{
	char cmd[32];
	json_t *r;
	int rc;

	snprintf(cmd, sizeof(cmd), "space.%s", sub);
	if ((rc = hsctl_call(h, cmd, json_pack("{s:s}", "name", name), &r)))
		return rc;
	if (h->json)
		hsctl_print_json(r);
	else if (!strcmp(sub, "show"))
		print_space_show(r);
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
	if (!strcmp(sub, "exec"))
		return space_exec_cmd(h, argc - 1, argv + 1);
	if (!strcmp(sub, "logs"))
		return space_logs(h, argc - 1, argv + 1);
	/* The rest: SUB [NAME...], options anywhere. */
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
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++) {
		if (strcmp(sub, named[i]))
			continue;
		if (rest > 1) {
			fprintf(stderr, "hsctl space %s: unexpected argument \"%s\"\n", sub, args[1]);
			return 2;
		}
		return space_named(h, sub, args[0]);
	}
	static const char *const subs[] = { "create", "list", "show", "exec", "stop", "start",
					     "destroy", "flatten", "monitor", "logs", NULL };
	return hsctl_unknown("hsctl space", "subcommand", sub, subs);
}
