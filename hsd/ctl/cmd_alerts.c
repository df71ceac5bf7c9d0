/* cmd_alerts.c - hsctl alerts: what the IDS instances reported. */
#include "hsctl.h"
#include "ctl.h"
#include "err.h"
#include "timefmt.h"

#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* --all --follow: ids are each host's own, so each host is followed on
 * its own, one request held per host side by side; a host that does not
 * answer is named on stderr and asked again, every 2 s up to every 30 s. */
struct follow_host {
	const char *name;
	json_int_t after;  /* the last id shown; -1: none yet */
	int fd;            /* the request held, or -1 */
	int64_t retry_at;  /* ms (monotonic) before asking again */
	int64_t backoff;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *follow_args(const struct alerts_opts *o, const struct follow_host *f,
			   json_int_t last)
{
	json_t *a = json_pack("{s:s, s:I, s:b}", "host", f->name, "last", last, "probes", o->probes);
	if (a && f->after >= 0) {
		json_object_set_new(a, "after", json_integer(f->after));
		json_object_set_new(a, "wait", json_true());
	}
	return a;
}

/* The newest id of a host's alerts now (0: none), or -1 if it did not say. */
static json_int_t newest_id(struct hsctl *h, const struct alerts_opts *o, const char *host)
{
	struct follow_host f = { .name = host, .after = -1 };
	json_t *r, *list;
	json_int_t id = -1;

	if (hsctl_call(h, "alerts", follow_args(o, &f, 1), &r))
		return -1;
	list = json_object_get(r, "alerts");
	id = json_array_size(list) ? json_integer_value(json_object_get(json_array_get(list, 0), "id")) : 0;
	json_decref(r);
	return id;
}

static int alerts_follow_all(struct hsctl *h, const struct alerts_opts *o)
{
	json_t *r, *hosts, *v;
	size_t i, n;
	int rc;

	/* The hosts, then where each stands, then the fleet's latest: an
	 * alert stored meanwhile is either listed or after its host's mark. */
	if ((rc = hsctl_call(h, "alerts", json_pack("{s:b, s:I, s:b}", "all", 1, "last",
						    (json_int_t)1, "probes", o->probes), &r)))
		return rc;
	hosts = json_incref(json_object_get(r, "hosts"));
	json_decref(r);
	n = json_array_size(hosts);
	struct follow_host *f = calloc(n ? n : 1, sizeof(*f));
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	if (!f || !pfd) {
		free(f);
		free(pfd);
		json_decref(hosts);
		fprintf(stderr, "hsctl: out of memory\n");
		return 1;
	}
	json_array_foreach(hosts, i, v) {
		f[i] = (struct follow_host){ json_string_value(json_object_get(v, "host")), -1, -1, 0,
					     2000 };
		f[i].after = newest_id(h, o, f[i].name);
	}
	if (!(rc = hsctl_call(h, "alerts", json_pack("{s:b, s:I, s:b}", "all", 1, "last",
						     (json_int_t)o->last, "probes", o->probes), &r))) {
		if (!h->json)
			alerts_header(o);
		json_array_foreach(json_object_get(r, "alerts"), i, v) {
			const char *host = json_string_value(json_object_get(v, "host"));
			for (size_t k = 0; k < n; k++)
				if (host && !strcmp(host, f[k].name) &&
				    json_integer_value(json_object_get(v, "id")) > f[k].after)
					f[k].after = json_integer_value(json_object_get(v, "id"));
			if ((rc = alert_show(h, o, v, NULL)))
				break;
		}
		json_decref(r);
		fflush(stdout);
	}
	while (!rc) {
		int64_t now = mono_ms(), wake = -1;
		for (i = 0; i < n && !rc; i++) {
			if (f[i].fd < 0 && now >= f[i].retry_at)
				rc = hsctl_send(h, "alerts", follow_args(o, &f[i], CTL_ALERTS_MAX), &f[i].fd);
			pfd[i] = (struct pollfd){ f[i].fd, POLLIN, 0 };
			if (f[i].fd < 0 && (wake < 0 || f[i].retry_at - now < wake))
				wake = f[i].retry_at - now;
		}
		if (rc || poll(pfd, n, wake < 0 ? -1 : (int)wake) < 0)
			break;
		for (i = 0; i < n && !rc; i++) {
			if (f[i].fd < 0 || !pfd[i].revents)
				continue;
			int got = hsctl_recv(h, f[i].fd, &r);
			f[i].fd = -1;
			if (got) { /* named on stderr by hsctl_recv; asked again later */
				f[i].retry_at = mono_ms() + f[i].backoff;
				f[i].backoff = f[i].backoff < 15000 ? 2 * f[i].backoff : 30000;
				continue;
			}
			f[i].backoff = 2000;
			size_t k;
			json_array_foreach(json_object_get(r, "alerts"), k, v) {
				f[i].after = json_integer_value(json_object_get(v, "id"));
				if ((rc = alert_show(h, o, v, NULL)))
					break;
			}
			if (f[i].after < 0)
				f[i].after = 0; /* an empty first answer: follow from the start */
			json_decref(r);
			fflush(stdout);
		}
	}
	for (i = 0; i < n; i++)
		if (f[i].fd >= 0)
			close(f[i].fd);
	free(f);
	free(pfd);
	json_decref(hosts);
	return rc ? rc : 1;
}

int cmd_alerts(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl alerts [--host HOST | --all] [--last N] [--probes] [--follow] [--json]\n"
		"The latest N (default 100) alerts of this host's (or HOST's, or with --all\n"
		"every reachable host's) IDS instances, oldest first: time (UTC), host,\n"
		"instance, line.  --follow keeps printing new ones as they are stored (with\n"
		"--all, each host's as they come; a host that does not answer is named on\n"
		"stderr and asked again).\n"
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
	if (o.all && o.follow)
		return alerts_follow_all(h, &o);
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
