/* alerts.c - hsctl alerts: what the IDS instances reported.
 *
 * Each host keeps its own alerts (instances.c stores them).  A reply is
 * {"alerts": [{"id", "at_ms", "host", "instance", "line", "probe"}...],
 * "truncated": bool}, every text escaped (textesc.h TERM): what an IDS
 * printed is made from hostile input.
 *
 * --follow does not ask in a loop: a request with "wait" that finds
 * nothing new is held until instances.c stores an alert (alerts_added) or
 * ALERTS_WAIT_MS pass, as space.logs does with the console.
 *
 * --all gathers every host's alerts over the mesh, as status gathers the
 * fleet; a host that does not answer is named in "hosts", never left out
 * without a word.
 */
#include "alerts.h"
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "frame.h"
#include "store_alerts.h"
#include "textesc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An alerts reply stays this far below the control frame limit (the
 * envelope, and a relay through another host, need a little room). */
#define ALERTS_REPLY_BUDGET (FRAME_MAX_CTL - 64 * 1024)
/* A peer asked for its alerts answers within this, a held one within
 * ALERTS_WAIT_MS more. */
#define ALERTS_PEER_MS 5000

struct alerts_query {
	json_int_t after, last;
	bool probes, wait;
};

struct alert_wait {
	uv_timer_t timer;
	struct hsd *d;
	json_t *args;
	struct done dn;
	struct alert_wait *next;
};

/* An optional integer argument in [lo, hi]; absent leaves *v alone.  Its
 * type, as every argument's, was checked against the command's table. */
static int arg_int(json_t *args, const char *key, json_int_t lo, json_int_t hi, json_int_t *v,
		   char *err, size_t errlen)
{
	json_t *j = json_object_get(args, key);
	if (!j)
		return 0;
	if (json_integer_value(j) < lo || json_integer_value(j) > hi)
		return err_set(err, errlen, HS_EINPUT, "alerts: %s: want an integer %lld..%lld", key,
			       (long long)lo, (long long)hi);
	*v = json_integer_value(j);
	return 0;
}

static int query_parse(json_t *args, struct alerts_query *q, char *err, size_t errlen)
{
	int rc;

	*q = (struct alerts_query){ .after = -1, .last = 1000 };
	if ((rc = arg_int(args, "after", 0, INT64_MAX, &q->after, err, errlen)) ||
	    (rc = arg_int(args, "last", 1, CTL_ALERTS_MAX, &q->last, err, errlen)))
		return rc;
	q->probes = json_is_true(json_object_get(args, "probes"));
	q->wait = json_is_true(json_object_get(args, "wait"));
	return 0;
}

/* Raw bytes as escaped text; NULL and err when out of memory. */
static char *esc(const void *p, size_t n, char *err, size_t errlen)
{
	char *out = NULL;
	return textesc_dup(p, n, TEXTESC_TERM, &out, err, errlen) ? NULL : out;
}

struct collect {
	json_t *arr;
	size_t used;
};

/* Escaping may make a line four times longer, so a reply stops short of
 * the frame limit (1: stop; the caller says "truncated"). */
static int collect_one(void *ctx, const struct store_alert *a, char *err, size_t errlen)
{
	struct collect *c = ctx;
	char *host = esc(a->host, a->host_len, err, errlen);
	char *inst = host ? esc(a->instance, a->instance_len, err, errlen) : NULL;
	char *line = inst ? esc(a->line, a->line_len, err, errlen) : NULL;
	int rc = 0;

	if (!line) {
		rc = HS_ESYS; /* never an alert left out silently: the reply fails */
		goto out;
	}
	/* Escaped text holds no control character, so JSON at most doubles
	 * it (backslashes, quotes); 112 covers the keys and numbers. */
	size_t size = 2 * (strlen(host) + strlen(inst) + strlen(line)) + 112;
	if (c->used && c->used + size > ALERTS_REPLY_BUDGET) {
		rc = 1;
		goto out;
	}
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)a->id,
			      "at_ms", (json_int_t)a->at_ms, "host", host, "instance", inst,
			      "line", line, "probe", a->probe);
	if (!j || json_array_append_new(c->arr, j))
		rc = err_set(err, errlen, HS_ESYS, "alerts: out of memory");
	c->used += size;
out:
	free(host);
	free(inst);
	free(line);
	return rc;
}

/* Without "after": the latest "last" alerts (default 1000).  With it: the
 * oldest "last" after that id, so a follower never skips any.  Both in
 * id order, probe alerts only with "probes".  A reply cut short says
 * "truncated": the caller asks again after the last id it got. */
int alerts_local(struct hsd *d, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct alerts_query q;
	struct collect c = { json_array(), 0 };
	bool cut;
	int rc;

	if ((rc = query_parse(args, &q, err, errlen)) || !c.arr ||
	    (rc = store_alerts_each(d->store, q.after, q.last, q.probes, collect_one, &c, &cut,
				    err, errlen))) {
		json_decref(c.arr);
		return rc ? rc : err_set(err, errlen, HS_ESYS, "alerts: out of memory");
	}
	*result = json_pack("{s:o, s:b}", "alerts", c.arr, "truncated", cut);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "alerts: out of memory");
}

/* --- held requests ------------------------------------------------------- */

static void wait_closed(uv_handle_t *h)
{
	struct alert_wait *w = h->data;
	json_decref(w->args);
	free(w);
}

static void wait_unlink(struct alert_wait *w)
{
	for (struct alert_wait **pp = &w->d->alert_waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* Answers with result (stolen) or the error, and lets go of the request. */
static void wait_answer(struct alert_wait *w, int rc, json_t *result, const char *err)
{
	wait_unlink(w);
	done_fire(&w->dn, rc, result, err);
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, wait_closed);
}

/* Answers when there is news, or when told to (timed out): 1 answered. */
static int wait_try(struct alert_wait *w, bool anyway)
{
	char err[HS_ERRLEN] = "";
	json_t *r = NULL;
	int rc = alerts_local(w->d, w->args, &r, err, sizeof(err));

	if (!rc && !anyway && json_array_size(json_object_get(r, "alerts")) == 0) {
		json_decref(r); /* a probe alert a follower does not show: not news */
		return 0;
	}
	wait_answer(w, rc, rc ? NULL : r, err);
	return 1;
}

static void on_wait_timeout(uv_timer_t *t)
{
	wait_try(t->data, true);
}

int alerts_serve(struct hsd *d, json_t *args, const struct done *dn, json_t **result,
		 char *err, size_t errlen)
{
	struct alerts_query q;
	struct alert_wait *w;
	int rc;

	if ((rc = query_parse(args, &q, err, errlen)) ||
	    (rc = alerts_local(d, args, result, err, errlen)))
		return rc;
	if (!q.wait || q.after < 0 || json_array_size(json_object_get(*result, "alerts")) > 0)
		return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return 0; /* answer now, empty: the caller asks again */
	json_decref(*result);
	*result = NULL;
	w->d = d;
	w->args = json_incref(args);
	w->dn = *dn;
	uv_timer_init(d->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, on_wait_timeout, ALERTS_WAIT_MS, 0);
	w->next = d->alert_waits;
	d->alert_waits = w;
	return RPC_DEFERRED;
}

void alerts_added(struct hsd *d)
{
	/* Answering unlinks: walk a list taken whole, putting back the rest. */
	struct alert_wait *w = d->alert_waits, *next;

	d->alert_waits = NULL;
	for (; w; w = next) {
		next = w->next;
		w->next = d->alert_waits;
		d->alert_waits = w;
		wait_try(w, false);
	}
}

void alerts_stop(struct hsd *d)
{
	while (d->alert_waits)
		wait_answer(d->alert_waits, HS_ESYS, NULL, "hsd is stopping");
}

/* --- the fleet --------------------------------------------------------- */

struct fleet_alerts {
	struct hsd *d;
	struct done dn;
	json_int_t last;
	json_t *alerts, *hosts;
	size_t waiting;
};

struct fleet_part {
	struct fleet_alerts *fa;
	int host;
};

/* Oldest first; ids only order one host's alerts, so time, then host. */
static int by_time(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t ta = json_integer_value(json_object_get(a, "at_ms"));
	json_int_t tb = json_integer_value(json_object_get(b, "at_ms"));
	if (ta != tb)
		return ta < tb ? -1 : 1;
	int h = strcmp(json_string_value(json_object_get(a, "host")),
		       json_string_value(json_object_get(b, "host")));
	if (h)
		return h;
	ta = json_integer_value(json_object_get(a, "id"));
	tb = json_integer_value(json_object_get(b, "id"));
	return (ta > tb) - (ta < tb);
}

/* The latest `last` of all, oldest first, within one reply: older ones
 * that do not fit are left out, and the reply says so ("truncated"). */
static void fleet_finish(struct fleet_alerts *fa)
{
	size_t n = json_array_size(fa->alerts), used = 0, keep = 0;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();
	bool cut = false;

	if (!v || !out) {
		free(v);
		json_decref(out);
		done_fire(&fa->dn, HS_ESYS, NULL, "alerts: out of memory");
		goto free;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(fa->alerts, i);
	qsort(v, n, sizeof(*v), by_time);
	for (size_t i = n; i > 0 && keep < (size_t)fa->last; i--, keep++) {
		size_t size = json_dumpb(v[i - 1], NULL, 0, JSON_COMPACT) + 2;
		if (used + size > ALERTS_REPLY_BUDGET) {
			cut = true;
			break;
		}
		used += size;
	}
	cut = cut || keep < n;
	for (size_t i = n - keep; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	done_fire(&fa->dn, 0, json_pack("{s:o, s:O, s:b}", "alerts", out, "hosts", fa->hosts,
					"truncated", cut), NULL);
free:
	json_decref(fa->alerts);
	json_decref(fa->hosts);
	free(fa);
}

static void fleet_part_done(void *arg, int rc, json_t *res, const char *err)
{
	struct fleet_part *p = arg;
	struct fleet_alerts *fa = p->fa;
	const char *name = fa->d->cluster.hosts[p->host].name;
	json_t *list = json_object_get(res, "alerts"), *a;
	size_t i;

	free(p);
	if (!rc && !json_is_array(list)) {
		rc = HS_EUNREACH;
		err = "its reply holds no alerts";
	}
	json_t *h = json_pack("{s:s, s:b}", "host", name, "reachable", rc == 0);
	if (h && rc)
		json_object_set_new(h, "error", json_string(err ? err : "?"));
	else if (h)
		json_object_set(h, "truncated", json_object_get(res, "truncated"));
	json_array_append_new(fa->hosts, h);
	/* The host column is the host we asked, whatever its alerts claim:
	 * one host cannot put its alerts under another's name. */
	json_array_foreach(list, i, a) {
		if (rc || !json_is_object(a))
			continue;
		json_t *c = json_deep_copy(a);
		json_object_set_new(c, "host", json_string(name));
		json_array_append_new(fa->alerts, c);
	}
	if (--fa->waiting == 0)
		fleet_finish(fa);
}

int alerts_fleet(struct hsd *d, json_t *args, const struct done *dn, char *err, size_t errlen)
{
	struct alerts_query q;
	struct fleet_alerts *fa;
	int rc;

	if ((rc = query_parse(args, &q, err, errlen)))
		return rc;
	if (q.wait || q.after >= 0)
		return err_set(err, errlen, HS_EINPUT, "alerts: all: not with after or wait "
			       "(ids are each host's own)");
	if (!(fa = calloc(1, sizeof(*fa))) || !(fa->alerts = json_array()) ||
	    !(fa->hosts = json_array())) {
		if (fa) {
			json_decref(fa->alerts);
			free(fa);
		}
		return err_set(err, errlen, HS_ESYS, "alerts: out of memory");
	}
	fa->d = d;
	fa->dn = *dn;
	fa->last = q.last;
	/* One more than the hosts until every call is made: our own host
	 * answers within fleet_call, and must not finish the reply early. */
	fa->waiting = d->cluster.nhosts + 1;
	for (size_t i = 0; i < d->cluster.nhosts; i++) {
		struct fleet_part *p = malloc(sizeof(*p));
		json_t *a = json_pack("{s:I, s:b}", "last", q.last, "probes", q.probes);
		if (!p) {
			json_decref(a);
			json_array_append_new(fa->hosts, json_pack("{s:s, s:b, s:s}", "host",
				d->cluster.hosts[i].name, "reachable", 0, "error", "out of memory"));
			fa->waiting--;
			continue;
		}
		p->fa = fa;
		p->host = (int)i;
		if (!a) {
			fleet_part_done(p, HS_ESYS, NULL, "out of memory");
			continue;
		}
		fleet_call(d, (int)i, "alerts", a, ALERTS_PEER_MS, fleet_part_done, p);
	}
	if (--fa->waiting == 0)
		fleet_finish(fa);
	return RPC_DEFERRED;
}
