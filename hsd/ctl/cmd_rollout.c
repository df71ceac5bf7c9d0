/* cmd_rollout.c - hsctl rollout: upgrade the distributed IDS as one unit. */
#include "hsctl.h"
#include "intent.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: hsctl rollout BUNDLE [--canary [HOST]] [--max-parallel N] [--soak SECONDS] [--wait]\n"
	"                     [--key FILE] [--ttl SECONDS]\n"
	"       hsctl rollout status [ID] [--timeline] | history | pause | resume | abort\n"
	"       hsctl rollout undo [--wait] [--key FILE] [--ttl SECONDS]\n"
	"\n"
	"Upgrades every host to BUNDLE (NAME-VERSION, stored with hsctl bundle add):\n"
	"with --canary, the canary host (HOST, or this one) first and alone, soaking\n"
	"--soak SECONDS; then N hosts at a time (by name).  Each new instance starts\n"
	"beside the old one and must report its probe; only when every reachable host\n"
	"has a verified new instance are the old ones stopped.  Any failure before that\n"
	"stops the new instances everywhere (rollback).  A host that already runs\n"
	"BUNDLE is left as it is.  A host unreachable at the commit catches up later;\n"
	"if it cannot, it keeps its old version (behind).  abort: before the commit,\n"
	"roll back; after it, stop waiting for the hosts not yet switched.\n"
	"--wait follows it to the end.  Exit status (of --wait, and of status for the\n"
	"rollout it shows): 0 done, 4 failed and rolled back (or rolling back),\n"
	"5 aborted (or aborting), 6 partial (some hosts behind), 7 still under way\n"
	"(status only), 2 bad input, 1 hsd not reached.\n"
	"\n"
	"A rollout, deploy or undo is an intent the operator's key signs (--key FILE,\n"
	"default $HSD_OPERATOR_KEY; made by hsctl keygen --operator): every host checks\n"
	"each step it is asked to take against it.  It expires after --ttl SECONDS\n"
	"(default 3600): a rollout must finish by then.\n";

#define EXIT_FAILED 4
#define EXIT_ABORTED 5
#define EXIT_PARTIAL 6
#define EXIT_UNDERWAY 7

/* The exit status a rollout's state means (docs/rollout.md).  A rollout
 * rolling back or aborting has its outcome decided already. */
static int exit_for(const char *state)
{
	if (!state)
		return 1;
	if (!strcmp(state, "done"))
		return 0;
	if (!strcmp(state, "failed") || !strcmp(state, "rolling_back"))
		return EXIT_FAILED;
	if (!strcmp(state, "aborted") || !strcmp(state, "aborting"))
		return EXIT_ABORTED;
	if (!strcmp(state, "partial"))
		return EXIT_PARTIAL;
	return EXIT_UNDERWAY; /* running, paused, committed, closing */
}

static bool finished(const char *state)
{
	return !strcmp(state, "done") || !strcmp(state, "failed") || !strcmp(state, "aborted") ||
	       !strcmp(state, "partial");
}

static void print_step(json_t *s)
{
	time_t t = (time_t)(json_integer_value(json_object_get(s, "at")) / 1000);
	char stamp[16];
	strftime(stamp, sizeof(stamp), "%H:%M:%S", gmtime(&t));
	printf("%s.%03lld %-10s %-20s %s\n", stamp,
	       (long long)(json_integer_value(json_object_get(s, "at")) % 1000),
	       json_string_value(json_object_get(s, "host")),
	       json_string_value(json_object_get(s, "step")),
	       json_string_value(json_object_get(s, "detail")));
}

static void print_hosts(json_t *st)
{
	json_t *h;
	size_t i;
	json_t *ro = json_object_get(st, "rollout");
	printf("rollout %lld: %s  %s%s%s\n", (long long)json_integer_value(json_object_get(ro, "id")),
	       json_string_value(json_object_get(ro, "bundle")),
	       json_string_value(json_object_get(ro, "state")),
	       *json_string_value(json_object_get(ro, "error")) ? ": " : "",
	       json_string_value(json_object_get(ro, "error")));
	printf("  %-12s %-13s %-20s %s\n", "HOST", "STATE", "OLD", "NEW");
	json_array_foreach(json_object_get(st, "hosts"), i, h)
		printf("  %-12s %-13s %-20s %s\n", json_string_value(json_object_get(h, "host")),
		       json_string_value(json_object_get(h, "state")),
		       json_string_value(json_object_get(h, "old_instance")),
		       json_string_value(json_object_get(h, "new_instance")));
}

/* Follow a rollout to its end: a redrawn table on a terminal, one line per
 * step otherwise.  Returns the exit status of its outcome. */
static int follow(struct hsctl *h, json_int_t id)
{
	bool tty = isatty(STDOUT_FILENO) && !h->json;
	size_t shown = 0;

	for (;;) {
		json_t *st;
		int rc = hsctl_call(h, "rollout.status", json_pack("{s:I}", "id", id), &st);
		if (rc)
			return rc;
		const char *state = json_string_value(json_object_get(json_object_get(st, "rollout"), "state"));
		json_t *tl = json_object_get(st, "timeline");
		if (tty) {
			printf("\033[H\033[J");
			print_hosts(st);
			printf("\n");
			size_t n = json_array_size(tl), from = n > 12 ? n - 12 : 0;
			for (size_t i = from; i < n; i++)
				print_step(json_array_get(tl, i));
		} else if (!h->json) {
			for (; shown < json_array_size(tl); shown++)
				print_step(json_array_get(tl, shown));
		}
		fflush(stdout);
		if (finished(state)) {
			if (h->json)
				hsctl_print_json(st);
			int code = exit_for(state);
			json_decref(st);
			return code;
		}
		json_decref(st);
		usleep(300 * 1000);
	}
}

static int rollout_status(struct hsctl *h, int argc, char **argv)
{
	bool timeline = false;
	json_t *args = json_object(), *st, *s;
	size_t i;
	int rc;

	for (int a = 1; a < argc; a++) {
		int used = hsctl_common_opt(h, argc, argv, a);
		long id;
		if (used) {
			if (used < 0) {
				json_decref(args);
				return 2;
			}
			a += used - 1;
		} else if (!strcmp(argv[a], "--timeline")) {
			timeline = true;
		} else if (argv[a][0] == '-' || json_object_get(args, "id")) {
			fprintf(stderr, "hsctl rollout status: %s \"%s\"\n",
				argv[a][0] == '-' ? "unknown option" : "unexpected argument", argv[a]);
			json_decref(args);
			return 2;
		} else if ((rc = hsctl_number("rollout status", "ID", argv[a], 1, 1000000000000L, &id))) {
			json_decref(args);
			return rc;
		} else {
			json_object_set_new(args, "id", json_integer(id));
		}
	}
	if ((rc = hsctl_call(h, "rollout.status", args, &st)))
		return rc;
	/* The exit status follows the rollout's state, as --wait's does. */
	int code = exit_for(json_string_value(json_object_get(json_object_get(st, "rollout"), "state")));
	if (h->json) {
		hsctl_print_json(st);
	} else {
		print_hosts(st);
		if (timeline) {
			printf("\n");
			json_array_foreach(json_object_get(st, "timeline"), i, s)
				print_step(s);
		}
	}
	json_decref(st);
	return code;
}

static int rollout_simple(struct hsctl *h, const char *sub)
{
	char cmd[32];
	json_t *r, *v;
	size_t i;
	int rc;

	snprintf(cmd, sizeof(cmd), "rollout.%s", sub);
	if ((rc = hsctl_call(h, cmd, NULL, &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else if (!strcmp(sub, "history")) {
		printf("%-4s %-24s %-10s %s\n", "ID", "BUNDLE", "STATE", "ERROR");
		json_array_foreach(json_object_get(r, "rollouts"), i, v)
			printf("%-4lld %-24s %-10s %s\n", (long long)json_integer_value(json_object_get(v, "id")),
			       json_string_value(json_object_get(v, "bundle")),
			       json_string_value(json_object_get(v, "state")),
			       json_string_value(json_object_get(v, "error")));
	} else {
		printf("rollout: %s done\n", sub);
	}
	json_decref(r);
	return 0;
}

/* Does a word that is neither an option nor an option's value come at or
 * after argv[from]? */
static bool words_after(int argc, char **argv, int from)
{
	for (int a = from; a < argc; a++) {
		if (!strcmp(argv[a], "--max-parallel") || !strcmp(argv[a], "--soak") ||
		    !strcmp(argv[a], "--key") || !strcmp(argv[a], "--ttl") ||
		    !strcmp(argv[a], "--socket"))
			a++;
		else if (argv[a][0] != '-')
			return true;
	}
	return false;
}

int cmd_rollout(struct hsctl *h, int argc, char **argv)
{
	static const char *const simple[] = { "history", "pause", "resume", "abort" };
	const char *bundle = NULL, *canary = NULL, *key = NULL;
	bool want_canary = false, wait = false, deploy = false, undo = false;
	long max_parallel = 1, soak = 0, ttl = -1; /* -1: hsd's default */
	json_t *r, *intent;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (int a = 2; a < argc; a++)
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			fputs(usage, stdout); /* one page covers every subcommand */
			return 0;
		}
	if (!strcmp(argv[1], "status"))
		return rollout_status(h, argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(simple) / sizeof(*simple); i++)
		if (!strcmp(argv[1], simple[i])) {
			for (int a = 2; a < argc; a++) {
				int used = hsctl_common_opt(h, argc - 1, argv + 1, a - 1);
				if (used < 0)
					return 2;
				if (!used) {
					fprintf(stderr, "hsctl rollout %s: unexpected argument \"%s\"\n", argv[1], argv[a]);
					return 2;
				}
				a += used - 1;
			}
			return rollout_simple(h, argv[1]);
		}
	undo = !strcmp(argv[1], "undo");
	/* BUNDLE and options in any order; --canary takes an optional HOST. */
	for (int a = 1 + undo; a < argc; a++) {
		const char *o = argv[a];
		int used = hsctl_common_opt(h, argc, argv, a);
		if (used < 0)
			return 2;
		if (used) {
			a += used - 1;
		} else if (!strcmp(o, "--canary")) {
			want_canary = true;
			/* The word after it is HOST unless it is the only word
			 * left for BUNDLE. */
			if (a + 1 < argc && argv[a + 1][0] != '-' && (bundle || words_after(argc, argv, a + 2)))
				canary = argv[++a];
		} else if (!strncmp(o, "--canary=", 9)) {
			want_canary = true;
			canary = o + 9;
		} else if (!strcmp(o, "--deploy")) {
			deploy = true; /* hsctl deploy: every host at once */
		} else if (!strcmp(o, "--wait")) {
			wait = true;
		} else if (!strcmp(o, "--key") && a + 1 < argc) {
			key = argv[++a];
		} else if ((!strcmp(o, "--max-parallel") || !strcmp(o, "--soak") ||
			    !strcmp(o, "--ttl")) && a + 1 < argc) {
			bool is_soak = !strcmp(o, "--soak"), is_ttl = !strcmp(o, "--ttl");
			long v;
			/* The ranges hsd enforces (rollout.c, intent.h). */
			if ((rc = hsctl_number(argv[0], o, argv[a + 1], is_soak ? 0 : 1,
					       is_soak ? 86400 : is_ttl ? INTENT_TTL_MAX : 1024, &v)))
				return rc;
			*(is_soak ? &soak : is_ttl ? &ttl : &max_parallel) = v;
			a++;
		} else if (o[0] == '-') {
			fprintf(stderr, "hsctl rollout: %s: unknown option or missing value (see --help)\n", o);
			return 2;
		} else if (!bundle && !undo) {
			bundle = o;
		} else {
			fprintf(stderr, "hsctl rollout: unexpected argument \"%s\"\n", o);
			return 2;
		}
	}
	if (!bundle && !undo) {
		fprintf(stderr, "hsctl rollout: bundle: missing (NAME-VERSION)\n");
		return 2;
	}
	if (canary && !*canary) {
		fprintf(stderr, "hsctl rollout: --canary: empty host name\n");
		return 2;
	}
	if (undo && (want_canary || deploy || soak || max_parallel != 1)) {
		fprintf(stderr, "hsctl rollout undo: goes back as the last rollout went; "
				"takes only --key, --ttl, --wait, --json\n");
		return 2;
	}
	if (deploy && (want_canary || soak || max_parallel != 1)) {
		fprintf(stderr, "hsctl deploy: every host at once; takes only --key, --ttl, --json\n");
		return 2;
	}
	json_t *plan = undo ? json_pack("{s:s, s:b}", "kind", "rollout", "undo", 1)
			    : json_pack("{s:s, s:s}", "kind", deploy ? "deploy" : "rollout",
					"bundle", bundle);
	json_t *args = undo ? json_object()
			    : json_pack("{s:s, s:I, s:I}", "bundle", bundle, "max_parallel",
					(json_int_t)max_parallel, "soak", (json_int_t)soak);
	if (ttl >= 0)
		json_object_set_new(plan, "ttl", json_integer(ttl));
	/* --canary alone: hsd picks its own host, the one it can always reach. */
	if (want_canary) {
		json_object_set_new(args, "canary", canary ? json_string(canary) : json_true());
		json_object_set(plan, "canary", json_object_get(args, "canary"));
	}
	if ((rc = hsctl_intent(h, key, plan, bundle, &intent))) {
		json_decref(args);
		return rc;
	}
	json_object_set_new(args, "intent", intent);
	if ((rc = hsctl_call(h, undo ? "rollout.undo" : deploy ? "deploy" : "rollout", args, &r)))
		return rc;
	if (undo) {
		bundle = json_string_value(json_object_get(r, "bundle"));
		if (!wait && !h->json) {
			printf("rollout %lld started back to %s\n",
			       (long long)json_integer_value(json_object_get(r, "id")), bundle);
			json_decref(r);
			return 0;
		}
	}
	json_int_t id = json_integer_value(json_object_get(r, "id"));
	if (!wait) {
		const char *c = json_string_value(json_object_get(r, "canary"));
		if (h->json)
			hsctl_print_json(r);
		else
			printf("rollout %lld of %s started, canary %s\n", (long long)id, bundle,
			       c && *c ? c : "none");
		json_decref(r);
		return 0;
	}
	json_decref(r);
	return follow(h, id);
}
