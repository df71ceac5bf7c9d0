/* rollout.c - zero-gap upgrade of the distributed IDS, as one unit.
 *
 * The hsd that hsctl asks coordinates.  Per host:
 *   pending -> starting (push bundle, start NEW beside OLD) -> verifying
 *   -> verified (its probe was reported; the canary then soaks and is
 *   verified again) ... and only when every reachable host is verified, the
 *   commit: OLD is stopped host by host (retired).
 * A failed start or probe anywhere before the commit stops every NEW and
 * leaves every OLD running (rollback).  A host that cannot be reached is
 * deferred: it keeps OLD and is brought up to date when it answers again.
 * Every transition is written to the store before it is acted on, so a
 * coordinator that restarts resumes where it was.  Participants never stop
 * an instance on their own: only this file sends instance.stop.
 */
#include "rollout.h"
#include "bundles.h"
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "fleet.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 250
#define CALL_MS 15000       /* one step's answer; a probe may take its deadline */
#define DEFER_RETRY_MS 2000
#define DRAIN_PROBES 2      /* see ro_retire */

enum ro_state { RO_PENDING, RO_STARTING, RO_VERIFYING, RO_SOAKING, RO_VERIFIED, RO_RETIRING,
		RO_RETIRED, RO_DEFERRED, RO_FAILED, RO_ROLLING_BACK, RO_ROLLED_BACK };
static const char *const ro_names[] = { "pending", "starting", "verifying", "soaking",
	"verified", "retiring", "retired", "deferred", "failed", "rolling_back", "rolled_back" };

struct ro_host {
	struct rollout *ro;
	int host;
	enum ro_state state;
	char old_inst[72], new_inst[72];
	bool busy;
	int drained;              /* probes the old instance reported since the commit */
	uint64_t wait_until;      /* soak end, or next try of a deferred host */
};

struct rollout {
	int64_t id;
	char bundle[72], name[40], state[16], canary[40], error[256];
	int max_parallel, soak_s;
	struct bundle b;
	struct ro_host *h;
	size_t nh;
	bool committed;
	struct hsd *d;
};

struct rollouts {
	struct rollout *cur;
	uv_timer_t tick;
};

/* --- store ------------------------------------------------------------------ */

static void ro_step(struct rollout *ro, const char *host, const char *step, const char *detail)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(ro->d->store->db,
		"INSERT INTO rollout_steps(rollout, at, host, step, detail) VALUES (?, ?, ?, ?, ?)",
		-1, &q, NULL))
		return;
	sqlite3_bind_int64(q, 1, ro->id);
	sqlite3_bind_int64(q, 2, store_now_ms());
	sqlite3_bind_text(q, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, step, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, detail ? detail : "", -1, SQLITE_STATIC);
	sqlite3_step(q);
	sqlite3_finalize(q);
	log_info("rollout %lld: %s: %s %s", (long long)ro->id, host, step, detail ? detail : "");
}

static const char *hname(const struct ro_host *h)
{
	return h->ro->d->cluster.hosts[h->host].name;
}

static void ro_host_save(struct ro_host *h, const char *stamp_col)
{
	sqlite3_stmt *q;
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO rollout_hosts(rollout, host, state, old_instance, new_instance) "
		 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(rollout, host) DO UPDATE SET "
		 "state = ?3, old_instance = ?4, new_instance = ?5%s%s%s",
		 stamp_col ? ", " : "", stamp_col ? stamp_col : "", stamp_col ? " = ?6" : "");
	if (sqlite3_prepare_v2(h->ro->d->store->db, sql, -1, &q, NULL))
		return;
	sqlite3_bind_int64(q, 1, h->ro->id);
	sqlite3_bind_text(q, 2, hname(h), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, ro_names[h->state], -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, h->old_inst, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, h->new_inst, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, store_now_ms());
	sqlite3_step(q);
	sqlite3_finalize(q);
}

static void ro_set(struct ro_host *h, enum ro_state s, const char *step, const char *detail,
		   const char *stamp_col)
{
	h->state = s;
	ro_host_save(h, stamp_col);
	if (step)
		ro_step(h->ro, hname(h), step, detail);
}

static void ro_save(struct rollout *ro, bool finished)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(ro->d->store->db,
		"UPDATE rollouts SET state = ?, error = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END "
		"WHERE id = ?", -1, &q, NULL))
		return;
	sqlite3_bind_text(q, 1, ro->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ro->error, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, finished);
	sqlite3_bind_int64(q, 4, store_now_ms());
	sqlite3_bind_int64(q, 5, ro->id);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

static void ro_free(struct rollout *ro)
{
	if (!ro)
		return;
	bundle_free(&ro->b);
	free(ro->h);
	free(ro);
}

/* --- one host's steps ---------------------------------------------------- */

/* hsd is stopping: calls end with errors that say nothing of the host. */
static bool ro_stopping(struct ro_host *h)
{
	if (!h->ro->d->stopping)
		return false;
	h->busy = false;
	return true;
}

static bool unreachable(int rc, const char *err)
{
	/* Our own host is always reachable; a peer that does not answer is
	 * deferred rather than failed: it keeps its old version meanwhile. */
	/* peer.c words its own (transport) failures "peer HOST: ..."; a
	 * remote handler's error names the host without that prefix. */
	return rc == HS_ESYS && err && strncmp(err, "peer ", 5) == 0 && !strstr(err, "malformed");
}

static void ro_call(struct ro_host *h, const char *cmd, json_t *args, fleet_cb cb)
{
	/* A verification takes up to the probe's deadline on the host. */
	uint32_t ms = strcmp(cmd, "instance.verify") ? CALL_MS
		      : (uint32_t)h->ro->b.deadline_s * 1000 + CALL_MS;
	h->busy = true;
	fleet_call(h->ro->d, h->host, cmd, args, ms, cb, h);
}

static void ro_defer(struct ro_host *h, const char *err)
{
	h->busy = false;
	h->wait_until = uv_now(h->ro->d->loop) + DEFER_RETRY_MS;
	if (h->state != RO_DEFERRED)
		ro_set(h, RO_DEFERRED, "defer", err, NULL);
}

static void ro_fail(struct ro_host *h, const char *err)
{
	struct rollout *ro = h->ro;
	h->busy = false;
	ro_set(h, RO_FAILED, "fail", err, NULL);
	if (!ro->error[0])
		snprintf(ro->error, sizeof(ro->error), "%s: %s", hname(h), err);
}

static void on_verified(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	struct rollout *ro = h->ro;
	char detail[128];

	h->busy = false;
	if (rc) {
		unreachable(rc, err) ? ro_defer(h, err) : ro_fail(h, err);
		return;
	}
	snprintf(detail, sizeof(detail), "%s reported probe %s in %lld ms", h->new_inst,
		 json_string_value(json_object_get(res, "token")),
		 (long long)json_integer_value(json_object_get(res, "ms")));
	bool canary = strcmp(hname(h), ro->canary) == 0;
	if (canary && h->state == RO_VERIFYING && ro->soak_s > 0) {
		h->wait_until = uv_now(ro->d->loop) + (uint64_t)ro->soak_s * 1000;
		ro_set(h, RO_SOAKING, "verified", detail, "verified_at");
		ro_step(ro, hname(h), "soak", NULL);
		return;
	}
	ro_set(h, RO_VERIFIED, h->state == RO_SOAKING ? "verified-after-soak" : "verified", detail,
	       h->state == RO_SOAKING ? NULL : "verified_at");
}

static void ro_verify(struct ro_host *h)
{
	ro_call(h, "instance.verify", json_pack("{s:s}", "instance", h->new_inst), on_verified);
}

static void on_started(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;

	h->busy = false;
	if (rc) {
		unreachable(rc, err) ? ro_defer(h, err) : ro_fail(h, err);
		return;
	}
	snprintf(h->new_inst, sizeof(h->new_inst), "%s", json_string_value(json_object_get(res, "instance")));
	ro_set(h, RO_VERIFYING, "start", h->new_inst, NULL);
	ro_verify(h);
}

static void ro_start(struct ro_host *h)
{
	struct rollout *ro = h->ro;
	bool inherit = ro->b.inherit && h->old_inst[0];
	ro_call(h, "instance.start", json_pack("{s:s, s:s}", "bundle", ro->bundle, "inherit",
					       inherit ? h->old_inst : ""), on_started);
}

static void on_put(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	(void)res;
	h->busy = false;
	if (rc) {
		unreachable(rc, err) ? ro_defer(h, err) : ro_fail(h, err);
		return;
	}
	ro_step(h->ro, hname(h), "push", h->ro->bundle);
	ro_start(h);
}

static void on_has(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	struct rollout *ro = h->ro;
	char dir[4096], e[HS_ERRLEN];
	json_t *pack;

	h->busy = false;
	if (rc) {
		unreachable(rc, err) ? ro_defer(h, err) : ro_fail(h, err);
		return;
	}
	if (json_is_true(json_object_get(res, "has"))) {
		ro_start(h);
		return;
	}
	bundles_dir(ro->d, ro->bundle, dir, sizeof(dir));
	if (bundle_pack(dir, &ro->b, &pack, e, sizeof(e))) {
		ro_fail(h, e);
		return;
	}
	ro_call(h, "bundle.put", json_pack("{s:o}", "bundle", pack), on_put);
}

/* The host's current instance of this IDS (any other version) is the one
 * the new version replaces. */
static void on_status(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	struct rollout *ro = h->ro;
	json_t *v;
	size_t i;

	h->busy = false;
	if (rc) {
		unreachable(rc, err) ? ro_defer(h, err) : ro_fail(h, err);
		return;
	}
	bool have_new = false;
	json_array_foreach(json_object_get(res, "instances"), i, v) {
		const char *b = json_string_value(json_object_get(v, "bundle"));
		const char *ver = json_string_value(json_object_get(v, "version"));
		const char *inst = json_string_value(json_object_get(v, "instance"));
		if (!b || strcmp(b, ro->b.name))
			continue;
		if (strcmp(ver, ro->b.version) == 0) {
			have_new = true; /* a restarted coordinator finds its earlier start */
			snprintf(h->new_inst, sizeof(h->new_inst), "%s", inst);
		} else if (!h->old_inst[0]) {
			snprintf(h->old_inst, sizeof(h->old_inst), "%s", inst);
		}
	}
	ro_set(h, RO_STARTING, NULL, NULL, NULL);
	if (have_new) {
		ro_set(h, RO_VERIFYING, "found", h->new_inst, NULL);
		ro_verify(h);
		return;
	}
	ro_call(h, "bundle.has", json_pack("{s:s, s:s}", "id", ro->bundle, "hash", ro->b.hash), on_has);
}

static void ro_begin_host(struct ro_host *h)
{
	ro_call(h, "status", json_object(), on_status);
}

static void on_retired(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	(void)res;
	h->busy = false;
	if (rc && !(err && strstr(err, "unknown space"))) {
		/* The commit stands; keep trying to stop the old instance. */
		h->wait_until = uv_now(h->ro->d->loop) + DEFER_RETRY_MS;
		ro_step(h->ro, hname(h), "retire-retry", err);
		return;
	}
	ro_set(h, RO_RETIRED, "retire", h->old_inst[0] ? h->old_inst : "(nothing to retire)",
	       "old_stopped_at");
}

static void ro_retire(struct ro_host *h);

static void on_drained(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	char detail[128];

	h->busy = false;
	if (rc && unreachable(rc, err)) {
		h->wait_until = uv_now(h->ro->d->loop) + DEFER_RETRY_MS;
		ro_step(h->ro, hname(h), "retire-retry", err);
		return;
	}
	if (rc) {
		/* A broken old version must not hold its host forever. */
		h->drained = DRAIN_PROBES;
		ro_step(h->ro, hname(h), "drain-failed", err);
	} else {
		h->drained++;
		snprintf(detail, sizeof(detail), "%s reported probe %s", h->old_inst,
			 json_string_value(json_object_get(res, "token")));
		ro_step(h->ro, hname(h), "drain", detail);
	}
	ro_retire(h);
}

/* Before the old instance stops it must report DRAIN_PROBES probes, one
 * after the other, caused after the new one was verified: the check that
 * reports the second began after the first was reported, so every change
 * the new instance's baseline may have absorbed was checked by the old. */
static void ro_retire(struct ro_host *h)
{
	if (!h->old_inst[0]) {
		ro_set(h, RO_RETIRED, "retire", "(nothing to retire)", "old_stopped_at");
		return;
	}
	if (h->state != RO_RETIRING)
		ro_set(h, RO_RETIRING, NULL, NULL, NULL);
	if (h->drained < DRAIN_PROBES) {
		ro_call(h, "instance.verify", json_pack("{s:s}", "instance", h->old_inst), on_drained);
		return;
	}
	ro_call(h, "instance.stop", json_pack("{s:s}", "instance", h->old_inst), on_retired);
}

static void on_rolled_back(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	(void)res;
	h->busy = false;
	if (rc && !(err && strstr(err, "unknown space"))) {
		h->wait_until = uv_now(h->ro->d->loop) + DEFER_RETRY_MS;
		return; /* tried again next tick */
	}
	ro_set(h, RO_ROLLED_BACK, "rollback", h->new_inst, NULL);
}

/* --- the whole rollout ----------------------------------------------------- */

static void ro_finish(struct hsd *d, const char *state)
{
	struct rollout *ro = d->rollouts->cur;
	snprintf(ro->state, sizeof(ro->state), "%s", state);
	ro_save(ro, true);
	ro_step(ro, "*", state, ro->error);
	store_event(d->store, "rollout.end", ro->bundle, state, NULL, 0);
	ro_free(ro);
	d->rollouts->cur = NULL;
}

static void ro_tick(uv_timer_t *t)
{
	struct hsd *d = t->data;
	struct rollout *ro = d->rollouts->cur;
	uint64_t now = uv_now(d->loop);
	size_t busy = 0, verified = 0, deferred = 0, failed = 0, retired = 0;

	if (!ro || !strcmp(ro->state, "paused"))
		return;
	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		busy += h->busy;
		verified += h->state == RO_VERIFIED;
		deferred += h->state == RO_DEFERRED;
		failed += h->state == RO_FAILED;
		retired += h->state == RO_RETIRED;
	}
	bool rollback = !strcmp(ro->state, "rolling_back") || !strcmp(ro->state, "aborting");
	if (!rollback && failed && !ro->committed) {
		/* Before the commit any failure undoes the whole rollout. */
		snprintf(ro->state, sizeof(ro->state), "rolling_back");
		ro_save(ro, false);
		ro_step(ro, "*", "rollback", ro->error);
		rollback = true;
	}
	if (rollback) {
		size_t left = 0;
		for (size_t i = 0; i < ro->nh; i++) {
			struct ro_host *h = &ro->h[i];
			if (h->busy) {
				left++;
				continue;
			}
			if (h->new_inst[0] && h->state != RO_ROLLED_BACK && h->state != RO_DEFERRED) {
				left++;
				if (now >= h->wait_until) {
					if (h->state != RO_ROLLING_BACK)
						ro_set(h, RO_ROLLING_BACK, NULL, NULL, NULL);
					ro_call(h, "instance.stop", json_pack("{s:s}", "instance", h->new_inst),
						on_rolled_back);
				}
			}
		}
		if (!left)
			ro_finish(d, strcmp(ro->state, "aborting") ? "failed" : "aborted");
		return;
	}
	/* The canary goes first, alone; the others after it is verified. */
	struct ro_host *canary = NULL;
	for (size_t i = 0; i < ro->nh; i++)
		if (!strcmp(hname(&ro->h[i]), ro->canary))
			canary = &ro->h[i];
	bool canary_done = !canary || canary->state == RO_VERIFIED || canary->state == RO_RETIRED ||
			   canary->state == RO_DEFERRED;
	size_t inflight = busy;
	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		if (h->busy)
			continue;
		if (h->state == RO_SOAKING && now >= h->wait_until) {
			ro_verify(h); /* still detecting after the soak? */
			continue;
		}
		bool may = h == canary || canary_done;
		if (h->state == RO_PENDING && may && inflight < (size_t)ro->max_parallel) {
			inflight++;
			ro_begin_host(h);
		} else if (h->state == RO_DEFERRED && now >= h->wait_until && may) {
			ro_begin_host(h); /* it may answer again */
		} else if (h->state == RO_VERIFIED && ro->committed) {
			ro_retire(h); /* a late (deferred) host, after the commit */
		} else if (h->state == RO_RETIRING && now >= h->wait_until) {
			ro_retire(h);
		}
	}
	/* The commit: every host verified, except those we cannot reach. */
	if (!ro->committed && verified && verified + deferred == ro->nh && !busy) {
		ro->committed = true;
		snprintf(ro->state, sizeof(ro->state), "committed");
		ro_save(ro, false);
		ro_step(ro, "*", "commit", NULL);
		for (size_t i = 0; i < ro->nh; i++)
			if (ro->h[i].state == RO_VERIFIED)
				ro_retire(&ro->h[i]);
		return;
	}
	if (ro->committed && retired == ro->nh)
		ro_finish(d, "done");
}

static struct rollout *ro_new(struct hsd *d, int64_t id, const char *bundle, const char *canary,
			      int max_parallel, int soak_s, char *err, size_t errlen)
{
	struct rollout *ro = calloc(1, sizeof(*ro));

	if (!ro || !(ro->h = calloc(d->cluster.nhosts, sizeof(*ro->h)))) {
		free(ro);
		err_set(err, errlen, HS_ESYS, "out of memory");
		return NULL;
	}
	if (bundles_load(d, bundle, &ro->b, err, errlen)) {
		free(ro->h);
		free(ro);
		return NULL;
	}
	ro->d = d;
	ro->id = id;
	snprintf(ro->bundle, sizeof(ro->bundle), "%s", bundle);
	snprintf(ro->name, sizeof(ro->name), "%s", ro->b.name);
	snprintf(ro->canary, sizeof(ro->canary), "%s", canary);
	snprintf(ro->state, sizeof(ro->state), "running");
	ro->max_parallel = max_parallel;
	ro->soak_s = soak_s;
	ro->nh = d->cluster.nhosts;
	for (size_t i = 0; i < ro->nh; i++) {
		ro->h[i].ro = ro;
		ro->h[i].host = (int)i;
	}
	return ro;
}

int rollout_start(struct hsd *d, const char *bundle, const char *canary, int max_parallel,
		  int soak_s, json_t **result, char *err, size_t errlen)
{
	struct rollout *ro;
	sqlite3_stmt *q;

	if (d->rollouts->cur)
		return err_set(err, errlen, HS_EINPUT,
			       "rollout: rollout %lld of %s is still %s; wait, or abort it",
			       (long long)d->rollouts->cur->id, d->rollouts->cur->bundle,
			       d->rollouts->cur->state);
	if (canary && cluster_host_index(&d->cluster, canary) < 0)
		return err_set(err, errlen, HS_EINPUT, "--canary: \"%s\" is not a host of the cluster", canary);
	if (max_parallel < 1 || max_parallel > 1024)
		return err_set(err, errlen, HS_EINPUT, "--max-parallel: must be 1..1024");
	if (soak_s < 0 || soak_s > 86400)
		return err_set(err, errlen, HS_EINPUT, "--soak: must be 0..86400 seconds");
	if (!canary)
		canary = d->cluster.hosts[d->self].name;
	if (!(ro = ro_new(d, 0, bundle, canary, max_parallel, soak_s, err, errlen)))
		return HS_EINPUT; /* err names the bundle */
	if (sqlite3_prepare_v2(d->store->db,
		"INSERT INTO rollouts(bundle, name, state, canary, max_parallel, soak_s, created_at) "
		"VALUES (?, ?, 'running', ?, ?, ?, ?)", -1, &q, NULL)) {
		ro_free(ro);
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	}
	sqlite3_bind_text(q, 1, ro->bundle, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ro->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, ro->canary, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, max_parallel);
	sqlite3_bind_int(q, 5, soak_s);
	sqlite3_bind_int64(q, 6, store_now_ms());
	int ok = sqlite3_step(q) == SQLITE_DONE;
	sqlite3_finalize(q);
	if (!ok) {
		ro_free(ro);
		return err_set(err, errlen, HS_ESYS, "store: %s", sqlite3_errmsg(d->store->db));
	}
	ro->id = sqlite3_last_insert_rowid(d->store->db);
	for (size_t i = 0; i < ro->nh; i++)
		ro_host_save(&ro->h[i], NULL);
	ro_step(ro, "*", "begin", ro->bundle);
	store_event(d->store, "rollout.begin", ro->bundle, canary, NULL, 0);
	d->rollouts->cur = ro;
	*result = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)ro->id, "bundle", ro->bundle,
			    "canary", ro->canary);
	return 0;
}

/* A coordinator that restarts picks its rollout up from the store: host
 * states are re-established by asking each host again. */
static void ro_resume(struct hsd *d)
{
	char err[HS_ERRLEN];
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(d->store->db,
		"SELECT id, bundle, state, canary, max_parallel, soak_s, error FROM rollouts "
		"WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1", -1, &q, NULL))
		return;
	if (sqlite3_step(q) == SQLITE_ROW) {
		struct rollout *ro = ro_new(d, sqlite3_column_int64(q, 0),
					    (const char *)sqlite3_column_text(q, 1),
					    (const char *)sqlite3_column_text(q, 3),
					    sqlite3_column_int(q, 4), sqlite3_column_int(q, 5), err, sizeof(err));
		if (ro) {
			snprintf(ro->state, sizeof(ro->state), "%s", (const char *)sqlite3_column_text(q, 2));
			snprintf(ro->error, sizeof(ro->error), "%s", (const char *)sqlite3_column_text(q, 6));
			ro->committed = !strcmp(ro->state, "committed");
			d->rollouts->cur = ro;
		}
	}
	sqlite3_finalize(q);
	struct rollout *ro = d->rollouts->cur;
	if (!ro)
		return;
	if (!sqlite3_prepare_v2(d->store->db,
		"SELECT host, state, old_instance, new_instance FROM rollout_hosts WHERE rollout = ?",
		-1, &q, NULL)) {
		sqlite3_bind_int64(q, 1, ro->id);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int i = cluster_host_index(&d->cluster, (const char *)sqlite3_column_text(q, 0));
			if (i < 0)
				continue;
			struct ro_host *h = &ro->h[i];
			const char *st = (const char *)sqlite3_column_text(q, 1);
			snprintf(h->old_inst, sizeof(h->old_inst), "%s", (const char *)sqlite3_column_text(q, 2));
			snprintf(h->new_inst, sizeof(h->new_inst), "%s", (const char *)sqlite3_column_text(q, 3));
			for (size_t s = 0; s < sizeof(ro_names) / sizeof(*ro_names); s++)
				if (!strcmp(st, ro_names[s]))
					h->state = (enum ro_state)s;
			/* Whatever was in flight is asked again. */
			if (h->state == RO_STARTING || h->state == RO_VERIFYING || h->state == RO_SOAKING)
				h->state = RO_PENDING;
		}
		sqlite3_finalize(q);
	}
	ro_step(ro, "*", "resume", ro->state);
	log_info("rollout %lld of %s resumed (%s)", (long long)ro->id, ro->bundle, ro->state);
}

int rollouts_init(struct hsd *d, char *err, size_t errlen)
{
	if (!(d->rollouts = calloc(1, sizeof(*d->rollouts))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	uv_timer_init(d->loop, &d->rollouts->tick);
	d->rollouts->tick.data = d;
	uv_timer_start(&d->rollouts->tick, ro_tick, TICK_MS, TICK_MS);
	ro_resume(d);
	return 0;
}

void rollouts_free(struct hsd *d)
{
	if (!d->rollouts)
		return;
	uv_close((uv_handle_t *)&d->rollouts->tick, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	/* Calls still in flight hold pointers into the rollout: they are
	 * answered with an error by the peer layer before this point. */
	ro_free(d->rollouts->cur);
	free(d->rollouts);
	d->rollouts = NULL;
}

int rollout_control(struct hsd *d, const char *what, char *err, size_t errlen)
{
	struct rollout *ro = d->rollouts->cur;

	if (!ro)
		return err_set(err, errlen, HS_EINPUT, "rollout: none is running");
	if (!strcmp(what, "pause")) {
		if (strcmp(ro->state, "running"))
			return err_set(err, errlen, HS_EINPUT, "rollout: %lld is %s, not running", (long long)ro->id, ro->state);
		snprintf(ro->state, sizeof(ro->state), "paused");
	} else if (!strcmp(what, "resume")) {
		if (strcmp(ro->state, "paused"))
			return err_set(err, errlen, HS_EINPUT, "rollout: %lld is %s, not paused", (long long)ro->id, ro->state);
		snprintf(ro->state, sizeof(ro->state), "running");
	} else if (!strcmp(what, "abort")) {
		if (ro->committed)
			return err_set(err, errlen, HS_EINPUT,
				       "rollout: %lld is past its commit; it finishes (undo it afterwards)", (long long)ro->id);
		snprintf(ro->state, sizeof(ro->state), "aborting");
		snprintf(ro->error, sizeof(ro->error), "aborted by the operator");
	}
	ro_save(ro, false);
	ro_step(ro, "*", what, NULL);
	return 0;
}
