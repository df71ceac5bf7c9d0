/* rollout.c - zero-gap upgrade of the distributed IDS, as one unit.
 *
 * The hsd that hsctl asks coordinates.  What happens when is decided by
 * the pure rollout engine (hsd/fleet/ro_engine.h, docs/fleet-engine.md):
 * per host pending -> starting (push bundle, start NEW beside OLD) ->
 * verifying -> verified (the canary then soaks and is verified again), and
 * only when every reachable host is verified, the commit: OLD is stopped
 * host by host (retired); a failure before the commit stops every NEW and
 * leaves every OLD running.  This file feeds the engine its events (the
 * start, answers, its timer, the operator, a restart) and carries out its
 * actions: each state is written to the store before the request it leads
 * to is sent (rollout_host.c), so a coordinator that restarts resumes where
 * it was.  Participants never stop an instance on their own.
 */
#include "rollout.h"
#include "rollout_int.h"
#include "fleetdb.h"
#include "control.h"
#include "disk.h"
#include "err.h"
#include "intents.h"
#include "log.h"
#include "store_rollouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Someone waiting for the next change of a rollout (rollout status
 * --watch): answered after the writes of one transition, or at max_ms. */
struct ro_waiter {
	uv_timer_t timer;
	struct hsd *d;
	rollout_wake_fn fn;
	void *arg;
	struct ro_waiter *next;
};


/* --- waiting for a change ------------------------------------------------ */

static void waiter_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Unlinks w, answers it and lets its timer go. */
static void waiter_fire(struct ro_waiter *w, bool stopping)
{
	struct rollouts *rs = w->d->rollouts;

	for (struct ro_waiter **pp = &rs->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	uv_timer_stop(&w->timer);
	w->fn(w->d, w->arg, stopping);
	uv_close((uv_handle_t *)&w->timer, waiter_closed);
}

static void on_waiter_timeout(uv_timer_t *t)
{
	waiter_fire(t->data, false);
}

static void on_wake(uv_timer_t *t)
{
	struct hsd *d = t->data;
	while (d->rollouts->waiters)
		waiter_fire(d->rollouts->waiters, false);
}

/* Every write of a rollout goes through here.  The waiters are woken on
 * the next turn of the loop, not now: one transition writes the host, the
 * step and the rollout one after the other, and a reply in between would
 * show half of it. */
void ro_changed(struct hsd *d)
{
	struct rollouts *rs = d->rollouts;
	rs->seq++;
	if (rs->waiters && !uv_is_active((uv_handle_t *)&rs->wake))
		uv_timer_start(&rs->wake, on_wake, 0, 0);
}

uint64_t rollout_seq(struct hsd *d)
{
	return d->rollouts->seq;
}

int64_t rollout_open_id(struct hsd *d)
{
	return d->rollouts->cur ? d->rollouts->cur->id : d->rollouts->unloaded;
}

int rollout_wait(struct hsd *d, uint32_t max_ms, rollout_wake_fn fn, void *arg, char *err,
		 size_t errlen)
{
	struct ro_waiter *w;

	/* rollouts_free has answered the waiters, or is about to. */
	if (d->stopping)
		return err_set(err, errlen, HS_ESYS, "hsd is stopping");
	if (!(w = calloc(1, sizeof(*w))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	w->d = d;
	w->fn = fn;
	w->arg = arg;
	uv_timer_init(d->loop, &w->timer);
	w->timer.data = w;
	uv_timer_start(&w->timer, on_waiter_timeout, max_ms, 0);
	w->next = d->rollouts->waiters;
	d->rollouts->waiters = w;
	return 0;
}

void rollout_note(struct hsd *d, const char *step, const char *detail)
{
	if (d->rollouts->cur)
		ro_note(d->rollouts->cur, step, detail);
}

/* --- store ------------------------------------------------------------------ */

struct rollout *ro_current(struct hsd *d)
{
	return d->rollouts ? d->rollouts->cur : NULL;
}

/* A write the store refuses (a full disk) does not stop the rollout, which
 * goes on from memory: it is logged, and a restart resumes from what was
 * stored. */
void ro_step_at(struct rollout *ro, int64_t at_ms, const char *host, const char *step,
		const char *detail)
{
	char err[HS_ERRLEN];

	if (store_rollout_step_add_at(ro->d->store, ro->id, at_ms, host, step, detail, err,
				      sizeof(err)))
		log_warn("rollout %lld: %s: step %s not stored: %s", (long long)ro->id, host, step,
			 err);
	ro_changed(ro->d);
	log_info("rollout %lld: %s: %s %s", (long long)ro->id, host, step, detail ? detail : "");
}

const char *ro_hname(const struct rollout *ro, uint32_t host)
{
	return ro->d->cluster.hosts[host].name;
}

/* The rollout's state is the engine's; only the store keeps a copy. */
const char *ro_state(const struct rollout *ro)
{
	return ro_rstate_name(ro_engine_state(ro->e));
}

/* The event log is the operator's record: a lost line is said in the log. */
void ro_event(struct hsd *d, const char *kind, const char *subject, const char *detail)
{
	char err[HS_ERRLEN];

	if (store_event(d->store, kind, subject, detail, err, sizeof(err)))
		log_warn("event %s %s not stored: %s", kind, subject, err);
}

void ro_free(struct rollout *ro)
{
	if (!ro)
		return;
	free(ro->pend);
	while (ro->queue) {
		struct ro_call *c = ro->queue;
		ro->queue = c->next;
		ro_call_free(c);
	}
	ro_engine_destroy(ro->e);
	bundle_free(&ro->b);
	json_decref(ro->intent);
	free(ro->h);
	free(ro);
}

/* --- the whole rollout ----------------------------------------------------- */

static struct rollout *ro_new(struct hsd *d, int64_t id, const char *bundle, const char *canary,
			      int max_parallel, int soak_s, char *err, size_t errlen)
{
	struct rollout *ro = calloc(1, sizeof(*ro));

	if (!ro || !(ro->h = calloc(d->cluster.nhosts, sizeof(*ro->h)))) {
		free(ro);
		err_set(err, errlen, HS_ESYS, "out of memory");
		return NULL;
	}
	ro->d = d;
	ro->id = id;
	ro->nh = d->cluster.nhosts;
	ro->queue_tail = &ro->queue;
	ro->reply_host = -1;
	ro->gen = ++d->rollouts->gen;
	ro->max_parallel = max_parallel;
	ro->soak_s = soak_s;
	if (bundles_load(d, bundle, &ro->b, err, errlen)) {
		ro_free(ro);
		return NULL;
	}
	snprintf(ro->bundle, sizeof(ro->bundle), "%s", bundle);
	snprintf(ro->new_inst, sizeof(ro->new_inst), "%s@%s", ro->b.name, ro->b.version);
	snprintf(ro->canary, sizeof(ro->canary), "%s", canary);
	int ci = canary[0] ? cluster_host_index(&d->cluster, canary) : -1;
	struct ro_config cfg = {
		.n_hosts = (uint32_t)ro->nh,
		.canary = ci < 0 ? RO_NO_CANARY : ci,
		.max_parallel = (uint32_t)max_parallel,
		.soak_ms = (uint32_t)soak_s * 1000,
		.probe_deadline_ms = (uint32_t)ro->b.deadline_s * 1000,
		.status_ms = RO_STATUS_MS + RO_SLACK_MS,
		.call_ms = RO_CALL_MS + RO_SLACK_MS,
		.retry_ms = RO_RETRY_MS,
		.stop_tries = RO_STOP_TRIES,
		.drain_probes = RO_DRAIN_PROBES,
		/* Above every request of an engine of this rollout dropped
		 * before (ro_unload): their late answers carry its id. */
		.first_req_id = ro->gen << 40,
	};
	char why[128];
	if (!(ro->e = ro_engine_create(&cfg, why, sizeof(why)))) {
		err_set(err, errlen, HS_EINPUT, "rollout: %s", why);
		ro_free(ro);
		return NULL;
	}
	return ro;
}

/* The intent must be signed for exactly what is started. */
static int ro_check_intent(struct hsd *d, const json_t *env, enum intent_kind kind,
			   const char *bundle, const char *canary, char *err, size_t errlen)
{
	static const char *const kinds[] = { "", "deploy", "rollout" };
	struct intent it;
	int rc = intents_verify(d, env, &it, err, errlen);

	if (!rc && it.kind != kind)
		rc = err_set(err, errlen, HS_EINPUT, "intent %s: signed for a %s, not a %s", it.id,
			     kinds[it.kind], kinds[kind]);
	else if (!rc && strcmp(it.bundle, bundle))
		rc = err_set(err, errlen, HS_EINPUT, "intent %s: signed for %s, not %s", it.id,
			     it.bundle, bundle);
	else if (!rc && strcmp(it.canary, canary))
		rc = err_set(err, errlen, HS_EINPUT,
			     "intent %s: signed with canary \"%s\", not \"%s\"", it.id, it.canary,
			     canary);
	intent_free(&it);
	return rc;
}

int rollout_check(struct hsd *d, const char *canary, int max_parallel, int soak_s, char *err,
		  size_t errlen)
{
	if (d->rollouts->cur)
		return err_set(err, errlen, HS_EINPUT,
			       "rollout: rollout %lld of %s is still %s; wait, or abort it",
			       (long long)d->rollouts->cur->id, d->rollouts->cur->bundle,
			       ro_state(d->rollouts->cur));
	if (d->rollouts->claiming)
		return err_set(err, errlen, HS_EINPUT,
			       "rollout: another rollout is taking its claim in the fleet database; wait");
	if (d->rollouts->unloaded >= 0)
		return err_set(err, errlen, HS_EINPUT,
			       "rollout: rollout %lld is still open and waits for the fleet database; "
			       "wait, or abort it once it has a quorum", (long long)d->rollouts->unloaded);
	return ro_check_options(d, canary, max_parallel, soak_s, err, errlen);
}

int ro_check_options(struct hsd *d, const char *canary, int max_parallel, int soak_s, char *err,
		     size_t errlen)
{
	if (canary && *canary && cluster_host_index(&d->cluster, canary) < 0)
		return err_set(err, errlen, HS_EINPUT, "--canary: \"%s\" is not a host of the cluster", canary);
	if (max_parallel < 1 || max_parallel > 1024)
		return err_set(err, errlen, HS_EINPUT, "--max-parallel: must be 1..1024");
	if (soak_s < 0 || soak_s > 86400)
		return err_set(err, errlen, HS_EINPUT, "--soak: must be 0..86400 seconds");
	if (soak_s > 0 && (!canary || !*canary))
		return err_set(err, errlen, HS_EINPUT, "--soak: only the canary soaks; name one with --canary [HOST]");
	return 0;
}

/* Everything that may refuse a rollout before anything is written: the
 * options, the intent, the bundle and the disk.  *out is not yet stored. */
static int ro_prepare(struct hsd *d, const struct rollout_req *rq, struct rollout **out,
		      char *err, size_t errlen)
{
	const char *canary = rq->canary ? rq->canary : "";
	struct rollout *ro;
	int rc;

	*out = NULL;
	if ((rc = rollout_check(d, rq->canary, rq->max_parallel, rq->soak_s, err, errlen)) ||
	    (rc = ro_check_intent(d, rq->intent, rq->kind, rq->bundle, canary, err, errlen)))
		return rc;
	/* none: the first hosts by name go max_parallel at a time */
	if (!(ro = ro_new(d, 0, rq->bundle, canary, rq->max_parallel, rq->soak_s, err, errlen)))
		return HS_EINPUT; /* err names the bundle */
	/* Refused here rather than by every host: nothing starts at all. */
	if ((rc = bundles_verify(d, &ro->b, NULL, err, errlen)) ||
	    (rc = disk_admit(d, err, errlen))) { /* a rollout starts spaces */
		ro_free(ro);
		return rc;
	}
	ro->undo = rq->undo;
	if (!(ro->intent = json_deep_copy(rq->intent))) {
		ro_free(ro);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	if (fleetdb_enabled(d) && (rc = ro_snap_fits(ro, err, errlen))) {
		ro_free(ro);
		return rc;
	}
	*out = ro;
	return 0;
}

int ro_commit(struct rollout *ro, json_t **result, char *err, size_t errlen)
{
	struct hsd *d = ro->d;
	d->rollouts->claiming = false;
	char *text = json_dumps(ro->intent, JSON_COMPACT);
	struct store_rollout row = { .bundle = ro->bundle, .name = ro->b.name,
				     .state = ro_rstate_name(ROR_RUNNING),
				     .canary = ro->canary, .max_parallel = ro->max_parallel,
				     .soak_s = ro->soak_s, .intent = text };
	int rc;

	if (!text)
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	else
		rc = store_rollout_insert(d->store, &row, &ro->id, err, errlen);
	free(text);
	if (rc) {
		ro_free(ro);
		return rc;
	}
	ro_event(d, "rollout.begin", ro->bundle, ro->canary);
	d->rollouts->cur = ro;
	*result = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)ro->id, "bundle", ro->bundle,
			    "canary", ro->canary);
	/* The intent of an undo is a rollout's; this step is what tells
	 * history it was an undo. */
	if (ro->undo)
		rollout_note(d, "undo", ro->bundle);
	ro_feed(ro, ro_engine_start);
	ro_run(d);
	return 0;
}

void ro_discard(struct rollout *ro)
{
	ro->d->rollouts->claiming = false;
	ro_free(ro);
}

int rollout_start(struct hsd *d, const struct rollout_req *rq, const struct done *dn,
		  json_t **result, char *err, size_t errlen)
{
	struct rollout *ro;
	int rc = ro_prepare(d, rq, &ro, err, errlen);

	if (rc)
		return rc;
	/* With a fleet database, one rollout of an IDS at a time in the
	 * whole fleet: the claim first (rollout_claim.c). */
	if (fleetdb_enabled(d)) {
		d->rollouts->claiming = true;
		return rollout_claim(ro, dn, err, errlen);
	}
	return ro_commit(ro, result, err, errlen);
}

/* --- a coordinator that restarts picks its rollout up from the store ------- */

struct resume {
	struct hsd *d;
	struct rollout *ro;
	enum ro_rstate state;
	struct ro_phost *hosts;
};

static int resume_rollout(void *ctx, const struct store_rollout *r, char *err, size_t errlen)
{
	struct resume *res = ctx;
	char why[HS_ERRLEN];
	int s = ro_rstate_from_name(r->state);

	(void)err;
	(void)errlen;
	if (s < 0 || s == ROR_NEW || ro_rstate_final((enum ro_rstate)s)) {
		log_warn("rollout %lld of %s not resumed: state \"%s\" is not an open one",
			 (long long)r->id, r->bundle, r->state);
		return 0;
	}
	/* Its bundle is gone: it stays open in the store, unresumed. */
	if (!(res->ro = ro_new(res->d, r->id, r->bundle, r->canary, r->max_parallel, r->soak_s,
			       why, sizeof(why)))) {
		log_warn("rollout %lld of %s not resumed: %s", (long long)r->id, r->bundle, why);
		return 0;
	}
	res->state = (enum ro_rstate)s;
	snprintf(res->ro->error, sizeof(res->ro->error), "%s", r->error);
	/* NULL for a rollout begun before intents: its steps are refused by
	 * every host, so it fails; nothing is stopped that was not asked for. */
	res->ro->intent = r->intent ? json_loads(r->intent, 0, NULL) : NULL;
	return 0;
}

static int resume_host(void *ctx, const struct store_rollout_host *sh, char *err, size_t errlen)
{
	struct resume *res = ctx;
	int i = cluster_host_index(&res->d->cluster, sh->host);
	int s = ro_hstate_from_name(sh->state);

	(void)err;
	(void)errlen;
	if (i < 0)
		return 0; /* no longer in the cluster */
	if (s < 0)
		s = ROH_PENDING; /* unknown: asked again, as in-flight hosts are */
	snprintf(res->ro->h[i].old_inst, sizeof(res->ro->h[i].old_inst), "%s", sh->old_instance);
	res->hosts[i] = (struct ro_phost){ .state = (enum ro_hstate)s,
					   .has_old = sh->old_instance[0] != 0,
					   .new_started = sh->new_instance[0] != 0 };
	return 0;
}

int ro_resume(struct hsd *d, uint64_t epoch, uint32_t seq, char *err, size_t errlen)
{
	struct resume res = { .d = d };
	int rc = store_rollout_get_open(d->store, resume_rollout, &res, err, errlen);

	if (rc < 0)
		return rc;
	if (!res.ro)
		return 0;
	if (!(res.hosts = calloc(res.ro->nh, sizeof(*res.hosts)))) {
		ro_free(res.ro);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	if ((rc = store_rollout_hosts_each(d->store, res.ro->id, resume_host, &res, err, errlen))) {
		free(res.hosts);
		ro_free(res.ro);
		return rc;
	}
	struct ro_actions acts;
	ro_actions_init(&acts);
	d->rollouts->cur = res.ro;
	d->rollouts->unloaded = -1;
	res.ro->epoch = epoch;
	res.ro->step_seq = seq;
	res.ro->saved_ms = uv_now(d->loop);
	rc = ro_engine_resume_from(res.ro->e, res.state, res.hosts, (uint32_t)res.ro->nh,
				   uv_now(d->loop), &acts);
	if (rc == RO_OK)
		ro_apply(res.ro, rc, &acts);
	ro_actions_free(&acts);
	free(res.hosts);
	if (rc != RO_OK) {
		log_warn("rollout %lld of %s not resumed: its stored hosts do not fit",
			 (long long)res.ro->id, res.ro->bundle);
		ro_free(res.ro);
		d->rollouts->cur = NULL;
		return 0;
	}
	log_info("rollout %lld of %s resumed (%s)", (long long)res.ro->id, res.ro->bundle,
		 ro_state(res.ro));
	ro_run(d);
	return 0;
}

int rollouts_init(struct hsd *d, char *err, size_t errlen)
{
	if (!(d->rollouts = calloc(1, sizeof(*d->rollouts))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	uv_timer_init(d->loop, &d->rollouts->timer);
	d->rollouts->timer.data = d;
	uv_timer_init(d->loop, &d->rollouts->wake);
	d->rollouts->wake.data = d;
	/* From the clock, so a watcher's number from before a restart of hsd
	 * is not taken for "nothing changed" by the next one. */
	d->rollouts->seq = (uint64_t)store_now_ms();
	d->rollouts->unloaded = -1;
	/* With a fleet database the open rollout is resumed once its claim is
	 * known to be still this host's (rollout_fleetdb.c): another host may
	 * have taken it over meanwhile.  A store that cannot be read here
	 * would let a second rollout begin beside the open one: hsd does not
	 * start (rollouts_free cleans up). */
	int rc = rollout_fleetdb_init(d, err, errlen);
	if (!rc && !fleetdb_enabled(d))
		rc = ro_resume(d, 0, 0, err, errlen);
	return rc;
}

void ro_set_unloaded(struct rollouts *rs, int64_t id, const char *intent)
{
	rs->unloaded = id;
	snprintf(rs->unloaded_intent, sizeof(rs->unloaded_intent), "%s", intent ? intent : "");
}

void ro_unload(struct hsd *d)
{
	struct rollout *ro = d->rollouts->cur;

	if (!ro)
		return;
	ro_set_unloaded(d->rollouts, ro->id, ro_intent_id(ro));
	d->rollouts->cur = NULL;
	uv_timer_stop(&d->rollouts->timer);
	ro_free(ro);
	ro_changed(d);
}

void rollouts_free(struct hsd *d)
{
	if (!d->rollouts)
		return;
	/* Watchers are told hsd stops (their hsctl says so) before the
	 * rollout goes. */
	while (d->rollouts->waiters)
		waiter_fire(d->rollouts->waiters, true);
	rollout_fleetdb_free(d);
	json_decref(d->rollouts->fleet_last);
	uv_close((uv_handle_t *)&d->rollouts->timer, NULL);
	uv_close((uv_handle_t *)&d->rollouts->wake, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	/* Calls still in flight name the rollout by id: hsd frees the
	 * instance, space and peer layers first, which answers them. */
	ro_free(d->rollouts->cur);
	free(d->rollouts);
	d->rollouts = NULL;
}

int rollout_control(struct hsd *d, const char *what, char *err, size_t errlen)
{
	struct rollout *ro = d->rollouts->cur;
	/* what is one of these three (cmd_rollout.c's table) */
	ro_event_fn fn = !strcmp(what, "pause") ? ro_engine_pause
			 : !strcmp(what, "resume") ? ro_engine_resume : ro_engine_abort;
	const char *want = fn == ro_engine_pause ? "running" : "paused";
	char saved[sizeof(ro->error)];

	if (!ro && d->rollouts->unloaded >= 0)
		return err_set(err, errlen, HS_EUNREACH,
			       "rollout: %lld waits for the fleet database (no quorum, or its claim "
			       "is being checked); try again", (long long)d->rollouts->unloaded);
	if (!ro)
		return err_set(err, errlen, HS_EINPUT, "rollout: none is running on this host%s",
			       fleetdb_enabled(d) ? " (the fleet's go to its driver: hsctl rollout "
						    "status --fleet names it)" : "");
	memcpy(saved, ro->error, sizeof(saved));
	/* The reason goes into the state the abort writes. */
	if (fn == ro_engine_abort && !ro->error[0]) {
		struct ro_info info;
		ro_engine_info(ro->e, &info);
		snprintf(ro->error, sizeof(ro->error), "aborted by the operator%s",
			 info.committed ? " after the commit" : "");
	}
	int rc = ro_feed(ro, fn);
	if (rc == RO_ESTATE) {
		memcpy(ro->error, saved, sizeof(saved));
		if (fn == ro_engine_abort)
			return err_set(err, errlen, HS_EINPUT, "rollout: %lld is already %s",
				       (long long)ro->id, ro_state(ro));
		return err_set(err, errlen, HS_EINPUT, "rollout: %lld is %s, not %s",
			       (long long)ro->id, ro_state(ro), want);
	}
	ro_run(d);
	return 0;
}
