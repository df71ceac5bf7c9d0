/* cmd_alerts.c - hsctl alerts: what the IDS instances reported. */
#include "hsctl.h"
#include "ctl.h"
#include "err.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alerts_opts {
	bool follow, all, probes;
	const char *host;
	long last;
};

static int alerts_opt(int c, const char *arg, void *ctx)
{
	struct alerts_opts *o = ctx;
	switch (c) {
	case 'f': o->follow = true; break;
	case 'a': o->all = true; break;
	case 'p': o->probes = true; break;
	case 'l': return hsctl_number("alerts", "--last", arg, 1, CTL_ALERTS_MAX, &o->last);
	default: o->host = arg; break;
	}
	return 0;
}

static void alerts_header(const struct alerts_opts *o)
{
	printf("%-20s %-10s %-16s %s%s\n", "TIME", "HOST", "INSTANCE", o->probes ? "PROBE " : "", "LINE");
}

/* One alert: a line of text, or with --json a compact object (--follow)
 * or an element of the one document printed at the end (into all). */
static int alert_show(struct hsctl *h, const struct alerts_opts *o, json_t *v, json_t *all)
{
	char stamp[TIMEFMT_ISO8601_LEN], err[HS_ERRLEN];

	if (all)
		return json_array_append(all, v) ? (fprintf(stderr, "hsctl: out of memory\n"), 1) : 0;
	if (h->json) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (!s) {
			fprintf(stderr, "hsctl: out of memory\n");
			return 1;
		}
		puts(s);
		free(s);
		return 0;
	}
	if (timefmt_iso8601(json_integer_value(json_object_get(v, "at_ms")), stamp, sizeof(stamp),
			    err, sizeof(err)))
		snprintf(stamp, sizeof(stamp), "?"); /* shown all the same: never an alert dropped */
	printf("%-20s %-10s %-16s %s%s\n", stamp, json_string_value(json_object_get(v, "host")),
	       json_string_value(json_object_get(v, "instance")),
	       !o->probes ? "" : json_is_true(json_object_get(v, "probe")) ? "yes   " : "-     ",
	       json_string_value(json_object_get(v, "line")));
	return 0;
}

/* --all: one request; hsd gathered every host.  A host that did not
 * answer is named on stderr (and in --json's "hosts"), never dropped
 * without a word. */
static int alerts_all(struct hsctl *h, const struct alerts_opts *o)
{
	json_t *r, *v;
	size_t i;
	int rc = hsctl_call(h, "alerts", json_pack("{s:b, s:I, s:b}", "all", 1, "last",
						    (json_int_t)o->last, "probes", o->probes), &r);

	if (rc)
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		alerts_header(o);
		json_array_foreach(json_object_get(r, "alerts"), i, v)
			if ((rc = alert_show(h, o, v, NULL)))
				break;
	}
	fflush(stdout);
	json_array_foreach(json_object_get(r, "hosts"), i, v)
		if (!json_is_true(json_object_get(v, "reachable")))
			fprintf(stderr, "hsctl alerts: host %s unreachable, its alerts not shown: %s\n",
				json_string_value(json_object_get(v, "host")),
				json_string_value(json_object_get(v, "error")));
	if (json_is_true(json_object_get(r, "truncated")))
		fprintf(stderr, "hsctl alerts: older alerts left out (one reply holds no more); "
			"ask each host with --host\n");
	json_decref(r);
	return rc;
}

int cmd_alerts(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl alerts [--host HOST | --all] [--last N] [--probes] [--follow] [--json]\n"
		"The latest N (default 100) alerts of this host's (or HOST's, or with --all\n"
		"every reachable host's) IDS instances, oldest first: time (UTC), host,\n"
		"instance, line.  --follow keeps printing new ones as they are stored.\n"
		"hsd's own probe reports are left out unless --probes (docs/security.md).\n"
		"What an IDS printed is shown escaped: \\\\ for a backslash, \\xNN for a byte\n"
		"that is not UTF-8 or a control character, \\u{XXXX} for a C1 or bidi control.\n";
	static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
					       { "all", no_argument, NULL, 'a' },
					       { "probes", no_argument, NULL, 'p' },
					       { "host", required_argument, NULL, 'H' },
					       { "last", required_argument, NULL, 'l' }, { 0 } };
	struct alerts_opts o = { .last = 100 };
	json_int_t after = -1; /* none yet: the latest N first */
	json_t *all = NULL;    /* --json without --follow: one document */
	int rc = hsctl_getopt(h, argc, argv, usage, opts, alerts_opt, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl alerts: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (o.all && o.host) {
		fprintf(stderr, "hsctl alerts: --all: not with --host\n");
		return 2;
	}
	/* Ids are each host's own, so one "after" cannot follow a fleet. */
	if (o.all && o.follow) {
		fprintf(stderr, "hsctl alerts: --follow: not with --all (follow one host: --host)\n");
		return 2;
	}
	if (o.all)
		return alerts_all(h, &o);
	if (h->json && !o.follow && !(all = json_array())) {
		fprintf(stderr, "hsctl: out of memory\n");
		return 1;
	}
	if (!h->json)
		alerts_header(&o);
	/* hsd may answer in pages ("truncated": escaped lines can be long):
	 * each next one after the last id seen, for what is left of N.
	 * Following, hsd holds each request until there is news ("wait"). */
	for (json_int_t left = o.last;;) {
		json_t *r, *v;
		size_t i;
		json_int_t want = (after < 0 || !o.follow) ? left : CTL_ALERTS_MAX;
		json_t *args = json_pack("{s:I, s:b}", "last", want, "probes", o.probes);
		if (after >= 0)
			json_object_set_new(args, "after", json_integer(after));
		if (after >= 0 && o.follow)
			json_object_set_new(args, "wait", json_true());
		if (o.host)
			json_object_set_new(args, "host", json_string(o.host));
		if ((rc = hsctl_call(h, "alerts", args, &r)))
			break;
		json_t *list = json_object_get(r, "alerts");
		json_array_foreach(list, i, v) {
			after = json_integer_value(json_object_get(v, "id"));
			if ((rc = alert_show(h, &o, v, all)))
				break;
		}
		bool more = json_is_true(json_object_get(r, "truncated")) && json_array_size(list) > 0;
		left -= (json_int_t)json_array_size(list);
		json_decref(r);
		fflush(stdout);
		if (rc || (!o.follow && (!more || left <= 0)))
			break;
		if (after < 0)
			after = 0; /* an empty first answer: follow from the start */
	}
	if (all && !rc) {
		json_t *doc = json_pack("{s:O}", "alerts", all);
		if (doc)
			hsctl_print_json(doc);
		else
			rc = (fprintf(stderr, "hsctl: out of memory\n"), 1);
		json_decref(doc);
	}
	json_decref(all);
	return rc;
}
