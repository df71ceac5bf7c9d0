/* cmd_rollout.c - hsctl rollout: upgrade the distributed IDS as one unit. */
#include "hsctl.h"
#include "intent.h"
#include "timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: hsctl rollout BUNDLE [--canary [HOST]] [--max-parallel N] [--soak SECONDS] [--wait]\n"
	"                     [--key FILE] [--ttl SECONDS]\n"
	"       hsctl rollout plan BUNDLE [the options of a rollout]\n"
	"       hsctl rollout status [ID] [--timeline] [--watch] | history | pause | resume | abort\n"
	"       hsctl rollout status --fleet [IDS] [--timeline]\n"
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
	"--wait follows it to the end; status --watch prints it again at each change\n"
	"until it ends.  Exit status (of --wait, and of status for the rollout it\n"
	"shows): 0 done, 4 failed and rolled back (or rolling back), 5 aborted (or\n"
	"aborting), 6 partial (some hosts behind), 7 still under way (status without\n"
	"--watch), 2 bad input, 1 hsd not reached.\n"
	"status --fleet: a rollout under way on any host, from the fleet database\n"
	"(with voters): its driver, hosts and timeline; without a quorum the last one\n"
	"read here, marked STALE.\n"
	"\n"
	"plan asks every host what it runs and prints what the rollout would do there\n"
	"(start BUNDLE beside the version it replaces, or nothing), changing nothing\n"
	"and signing nothing.  Exit status: 0 it can run, 8 some host is unreachable\n"
	"(the rollout would defer it), 9 it would fail on some host (no server space\n"
	"to watch, or an error), 2 bad input or refused as the rollout would be.\n"
	"history: every rollout, deploy and undo, with its start, end (UTC) and length.\n"
	"\n"
	"A rollout, deploy or undo is an intent the operator's key signs (--key FILE,\n"
	"default $HSD_OPERATOR_KEY; made by hsctl keygen --operator): every host checks\n"
	"each step it is asked to take against it.  It expires after --ttl SECONDS\n"
	"(default 3600): a rollout must finish by then.\n";

#define EXIT_FAILED 4
#define EXIT_ABORTED 5
#define EXIT_PARTIAL 6
#define EXIT_UNDERWAY 7
#define EXIT_PLAN_UNREACHABLE 8
#define EXIT_PLAN_FAILS 9

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
	/* running, paused, committed, closing; and moved: this host's copy
	 * of a rollout another host continues (docs/fleetdb.md) */
	return EXIT_UNDERWAY;
}

static bool finished(const char *state)
{
	return !strcmp(state, "done") || !strcmp(state, "failed") || !strcmp(state, "aborted") ||
	       !strcmp(state, "partial") || !strcmp(state, "moved");
}

/* A step's time to the millisecond, ISO 8601 as everywhere else:
 * 2026-12-06T07:02:11.123Z (the order of a zero-gap handover is read in
 * milliseconds). */
static void print_step(FILE *f, json_t *s)
{
	json_int_t ms = json_integer_value(json_object_get(s, "at_ms"));
	char stamp[TIMEFMT_ISO8601_LEN + 4] = "-";

	if (ms >= 0 && timefmt_iso8601(ms, stamp, sizeof(stamp), NULL, 0) == 0)
		snprintf(stamp + TIMEFMT_ISO8601_LEN - 2, 6, ".%03dZ", (int)(ms % 1000));
	fprintf(f, "%-24s %-10s %-20s %s\n", stamp,
	       json_string_value(json_object_get(s, "host")),
	       json_string_value(json_object_get(s, "step")),
	       json_string_value(json_object_get(s, "detail")));
}

static void print_hosts(FILE *f, json_t *st)
{
	json_t *h;
	size_t i;
	json_t *ro = json_object_get(st, "rollout");
	fprintf(f, "rollout %lld: %s  %s%s%s\n", (long long)json_integer_value(json_object_get(ro, "id")),
	       json_string_value(json_object_get(ro, "bundle")),
	       json_string_value(json_object_get(ro, "state")),
	       *json_string_value(json_object_get(ro, "error")) ? ": " : "",
	       json_string_value(json_object_get(ro, "error")));
	fprintf(f, "  %-12s %-13s %-20s %s\n", "HOST", "STATE", "OLD", "NEW");
	json_array_foreach(json_object_get(st, "hosts"), i, h)
		fprintf(f, "  %-12s %-13s %-20s %s\n", json_string_value(json_object_get(h, "host")),
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
			print_hosts(stdout, st);
			printf("\n");
			size_t n = json_array_size(tl), from = n > 12 ? n - 12 : 0;
			for (size_t i = from; i < n; i++)
				print_step(stdout, json_array_get(tl, i));
		} else if (!h->json) {
			for (; shown < json_array_size(tl); shown++)
				print_step(stdout, json_array_get(tl, shown));
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

/* The status as --watch prints it, to tell a change from none: the hosts
 * (and with --timeline the steps) for people, one line of JSON for
 * scripts, without "seq", which moves with every rollout's write. */
static char *render(struct hsctl *h, json_t *st, bool timeline)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *s;

	if (h->json) {
		json_t *c = json_copy(st);
		json_object_del(c, "seq");
		char *text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(c);
		return text;
	}
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	print_hosts(f, st);
	if (timeline) {
		fputc('\n', f);
		json_array_foreach(json_object_get(st, "timeline"), i, s)
			print_step(f, s);
	}
	fclose(f);
	return buf;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rollout status --watch: hsd holds each request until the rollout
 * changes ("since", the "seq" of the last reply), so a change is printed
 * when it happens and nothing is asked in a loop.  Printed again at each
 * change (redrawn on a terminal, one block or JSON line after the other
 * otherwise) until the rollout ends; exits as rollout status does then. */
static int watch(struct hsctl *h, json_t *args, bool timeline)
{
	bool tty = isatty(STDOUT_FILENO) && !h->json;
	json_t *since = NULL;
	char *last = NULL;
	int code;

	for (;;) {
		json_t *st, *a = json_copy(args);
		int64_t asked = now_ms();
		if (since)
			json_object_set(a, "since", since);
		if ((code = hsctl_call(h, "rollout.status", a, &st)))
			break;
		json_t *ro = json_object_get(st, "rollout"), *seq = json_object_get(st, "seq");
		const char *state = json_string_value(json_object_get(ro, "state"));
		/* Follow the rollout of the first answer, even when another
		 * begins meanwhile. */
		if (!json_object_get(args, "id"))
			json_object_set(args, "id", json_object_get(ro, "id"));
		char *text = render(h, st, timeline);
		if (text && (!last || strcmp(text, last))) {
			if (tty)
				printf("\033[H\033[J%s", text);
			else
				printf("%s%s%s", last && !h->json ? "\n" : "", text, h->json ? "\n" : "");
			fflush(stdout);
		}
		free(last);
		last = text;
		bool same = since && json_equal(since, seq);
		json_decref(since);
		since = json_incref(seq);
		if (!state || finished(state)) {
			code = exit_for(state);
			json_decref(st);
			break;
		}
		json_decref(st);
		/* An answer that was not held (an hsd without "seq", or a
		 * rollout left unfinished that no hsd drives) is asked again
		 * no sooner than 1 s later, not in a tight loop. */
		int64_t took = now_ms() - asked;
		if ((!since || same) && took < 1000)
			usleep((useconds_t)(1000 - took) * 1000);
	}
	free(last);
	json_decref(since);
	json_decref(args);
	return code;
}

/* --fleet: where it was read from, and when. */
static void print_fleet(json_t *st)
{
	json_t *fl = json_object_get(st, "fleet");
	char as_of[TIMEFMT_ISO8601_LEN] = "?";

	timefmt_iso8601(json_integer_value(json_object_get(fl, "as_of")), as_of, sizeof(as_of),
			NULL, 0);
	if (json_is_true(json_object_get(fl, "stale")))
		printf("STALE: %s; as read at %s\n", json_string_value(json_object_get(fl, "error")),
		       as_of);
	printf("rollout of %s, driven by %s at epoch %lld (fleet database, %s)\n",
	       json_string_value(json_object_get(fl, "ids")),
	       json_string_value(json_object_get(fl, "driver")),
	       (long long)json_integer_value(json_object_get(fl, "epoch")), as_of);
}

static int rollout_status(struct hsctl *h, int argc, char **argv)
{
	bool timeline = false, watching = false, fleet = false;
	json_t *args = json_object(), *st, *s;
	const char *word = NULL;
	size_t i;
	int rc;

	for (int a = 1; a < argc; a++) {
		int used = hsctl_common_opt(h, argc, argv, a);
		if (used) {
			if (used < 0) {
				json_decref(args);
				return 2;
			}
			a += used - 1;
		} else if (!strcmp(argv[a], "--timeline")) {
			timeline = true;
		} else if (!strcmp(argv[a], "--watch")) {
			watching = true;
		} else if (!strcmp(argv[a], "--fleet")) {
			fleet = true;
		} else if (argv[a][0] == '-' || word) {
			fprintf(stderr, "hsctl rollout status: %s \"%s\"\n",
				argv[a][0] == '-' ? "unknown option" : "unexpected argument", argv[a]);
			json_decref(args);
			return 2;
		} else {
			word = argv[a];
		}
	}
	long id;
	if (fleet && watching) {
		fprintf(stderr, "hsctl rollout status: --watch: not with --fleet (follow it on its driver)\n");
		json_decref(args);
		return 2;
	}
	if (fleet && word) {
		json_object_set_new(args, "ids", json_string(word));
	} else if (word) {
		if ((rc = hsctl_number("rollout status", "ID", word, 1, 1000000000000L, &id))) {
			json_decref(args);
			return rc;
		}
		json_object_set_new(args, "id", json_integer(id));
	}
	if (watching)
		return watch(h, args, timeline);
	if ((rc = hsctl_call(h, fleet ? "rollout.fleet" : "rollout.status", args, &st)))
		return rc;
	/* The exit status follows the rollout's state, as --wait's does. */
	int code = exit_for(json_string_value(json_object_get(json_object_get(st, "rollout"), "state")));
	if (h->json) {
		hsctl_print_json(st);
	} else {
		if (fleet)
			print_fleet(st);
		print_hosts(stdout, st);
		if (timeline) {
			printf("\n");
			json_array_foreach(json_object_get(st, "timeline"), i, s)
				print_step(stdout, s);
		}
	}
	json_decref(st);
	return code;
}

/* history for people: times in ISO 8601 UTC, the length of each finished
 * row ("-" for one still open, whose end is not known). */
static void print_history(json_t *r)
{
	json_t *v;
	size_t i;

	printf("%-4s %-7s %-20s %-12s %-20s %-20s %-8s %s\n", "ID", "KIND", "BUNDLE", "STATE",
	       "START", "END", "DURATION", "ERROR");
	json_array_foreach(json_object_get(r, "rollouts"), i, v) {
		char start[TIMEFMT_ISO8601_LEN] = "-", end[TIMEFMT_ISO8601_LEN] = "-", len[16] = "-";
		json_t *fin = json_object_get(v, "finished_ms"), *dur = json_object_get(v, "duration_ms");
		const char *kind = json_string_value(json_object_get(v, "kind"));
		timefmt_iso8601(json_integer_value(json_object_get(v, "created_ms")), start, sizeof(start), NULL, 0);
		if (json_is_integer(fin))
			timefmt_iso8601(json_integer_value(fin), end, sizeof(end), NULL, 0);
		if (json_is_integer(dur))
			timefmt_duration(json_integer_value(dur), len, sizeof(len));
		printf("%-4lld %-7s %-20s %-12s %-20s %-20s %-8s %s\n",
		       (long long)json_integer_value(json_object_get(v, "id")), kind ? kind : "?",
		       json_string_value(json_object_get(v, "bundle")),
		       json_string_value(json_object_get(v, "state")), start, end, len,
		       json_string_value(json_object_get(v, "error")));
	}
}

static int rollout_simple(struct hsctl *h, const char *sub)
{
	char cmd[32];
	json_t *r;
	int rc;

	snprintf(cmd, sizeof(cmd), "rollout.%s", sub);
	if ((rc = hsctl_call(h, cmd, NULL, &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else if (!strcmp(sub, "history")) {
		print_history(r);
	} else {
		printf("rollout: %s done\n", sub);
	}
	json_decref(r);
	return 0;
}

/* One host of a plan, for people: what the rollout would do there. */
static void print_plan_host(json_t *p, json_t *h)
{
	const char *action = json_string_value(json_object_get(h, "action"));
	const char *old = json_string_value(json_object_get(h, "old_instance"));
	const char *err = json_string_value(json_object_get(h, "error"));
	json_t *servers = json_object_get(h, "servers"), *v;
	char what[160], watch[160] = "";
	size_t i;

	if (!strcmp(action, "start"))
		snprintf(what, sizeof(what), "start %s, replacing %s",
			 json_string_value(json_object_get(p, "new_instance")), old && *old ? old : "nothing");
	else if (!strcmp(action, "none"))
		snprintf(what, sizeof(what), "nothing: runs %s already",
			 json_string_value(json_object_get(h, "current")));
	else if (!strcmp(action, "deferred"))
		snprintf(what, sizeof(what), "unreachable: deferred, keeps its version until it answers");
	else
		snprintf(what, sizeof(what), "fails");
	json_array_foreach(servers, i, v) {
		size_t len = strlen(watch);
		snprintf(watch + len, sizeof(watch) - len, "%s%s", i ? "," : "", json_string_value(v));
	}
	printf("  %-12s %-6s %-44s %s\n", json_string_value(json_object_get(h, "host")),
	       json_is_true(json_object_get(h, "canary")) ? "canary" : "", what,
	       !json_is_array(servers) ? "?" : *watch ? watch : "-");
	if (err && strcmp(action, "deferred"))
		printf("  %-12s %-6s ! %s\n", "", "", err);
}

/* hsctl rollout plan: what the rollout with these options would do, from
 * hsd's rollout.plan; nothing is signed, stored or started. */
static int rollout_plan(struct hsctl *h, const char *bundle, bool want_canary,
			const char *canary, bool deploy, long max_parallel, long soak)
{
	json_t *args = json_pack("{s:s, s:I, s:I}", "bundle", bundle, "max_parallel",
				 (json_int_t)max_parallel, "soak", (json_int_t)soak), *r, *v;
	size_t i;
	int rc;

	if (deploy) {
		json_decref(args);
		fprintf(stderr, "hsctl rollout plan: --deploy: a plan is of a rollout\n");
		return 2;
	}
	if (want_canary)
		json_object_set_new(args, "canary", canary ? json_string(canary) : json_true());
	if ((rc = hsctl_call(h, "rollout.plan", args, &r)))
		return rc;
	int code = json_array_size(json_object_get(r, "failing")) ? EXIT_PLAN_FAILS
		   : json_array_size(json_object_get(r, "unreachable")) ? EXIT_PLAN_UNREACHABLE : 0;
	if (h->json) {
		hsctl_print_json(r);
		json_decref(r);
		return code;
	}
	const char *c = json_string_value(json_object_get(r, "canary"));
	printf("plan: rollout of %s to %zu hosts: %s%s, then %lld at a time\n",
	       json_string_value(json_object_get(r, "bundle")), json_array_size(json_object_get(r, "hosts")),
	       c && *c ? "canary " : "no canary", c ? c : "",
	       (long long)json_integer_value(json_object_get(r, "max_parallel")));
	printf("  %-12s %-6s %-44s %s\n", "HOST", "", "WOULD", "WATCHES");
	json_array_foreach(json_object_get(r, "hosts"), i, v)
		print_plan_host(r, v);
	printf("%lld to start, %zu unreachable, %zu would fail; nothing was changed\n",
	       (long long)json_integer_value(json_object_get(r, "starts")),
	       json_array_size(json_object_get(r, "unreachable")),
	       json_array_size(json_object_get(r, "failing")));
	json_decref(r);
	return code;
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
	bool want_canary = false, wait = false, deploy = false, undo = false, plan_only = false;
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
	plan_only = !strcmp(argv[1], "plan");
	/* BUNDLE and options in any order; --canary takes an optional HOST.
	 * plan takes a rollout's words as they are, so that a planned line
	 * runs once "plan" is taken out of it. */
	for (int a = 1 + (undo || plan_only); a < argc; a++) {
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
		fprintf(stderr, "hsctl rollout%s: bundle: missing (NAME-VERSION)\n",
			plan_only ? " plan" : "");
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
	if (plan_only)
		return rollout_plan(h, bundle, want_canary, canary, deploy, max_parallel, soak);
	json_t *plan = undo ? json_pack("{s:s, s:b}", "kind", "rollout", "undo", 1)
			    : json_pack("{s:s, s:s}", "kind", deploy ? "deploy" : "rollout",
					"bundle", bundle);
	/* A deploy is every host at once: it takes no pacing. */
	json_t *args = undo ? json_object()
		       : deploy ? json_pack("{s:s}", "bundle", bundle)
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
