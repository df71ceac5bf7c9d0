/* rollout.c - zero-gap upgrade of the distributed IDS, as one unit.
 *
 * The hsd that hsctl asks coordinates.  Per host (rollout_host.c):
 *   pending -> starting (push bundle, start NEW beside OLD) -> verifying
 *   -> verified (its probe was reported; the canary then soaks and is
 *   verified again) ... and only when every reachable host is verified, the
 *   commit: OLD is stopped host by host (retired).
 * A failed start or probe anywhere before the commit stops every NEW and
 * leaves every OLD running (rollback).  A host that cannot be reached is
 * deferred: it keeps OLD and is brought up to date when it answers again;
 * if that catch-up fails after the commit, only its NEW is stopped and the
 * host stays behind on OLD.  A host already running the target version is
 * left as it is.  Every transition is written to the store before it is
 * acted on, so a coordinator that restarts resumes where it was.
 * Participants never stop an instance on their own: only the coordinator
 * sends instance.stop, for an OLD one only after the commit.
 */
#include "rollout.h"
#include "rollout_int.h"
#include "control.h"
#include "disk.h"
#include "err.h"
#include "intents.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ro_names[RO_NSTATES] = { "pending", "starting", "verifying", "soaking",
	"verified", "retiring", "retired", "deferred", "failed", "rolling_back", "rolled_back",
	"current", "behind" };

/* Someone waiting for the next change of a rollout (rollout status
 * --watch): answered after the writes of one transition, or at max_ms. */
struct ro_waiter {
	uv_timer_t timer;
	struct hsd *d;
	rollout_wake_fn fn;
	void *arg;
	struct ro_waiter *next;
};

struct rollouts {
	struct rollout *cur;
	uv_timer_t tick;
	uint64_t seq;               /* moves on whenever a rollout is written */
	uv_timer_t wake;            /* wakes the waiters once per burst of writes */
	struct ro_waiter *waiters;
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
static void ro_changed(struct hsd *d)
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
	return d->rollouts->cur ? d->rollouts->cur->id : -1;
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
		ro_step(d->rollouts->cur, "*", step, detail);
}

/* --- store ------------------------------------------------------------------ */

/* A write the store refuses (a full disk) does not stop the rollout, which
 * goes on from memory: it is logged, and a restart resumes from what was
 * stored. */
void ro_step(struct rollout *ro, const char *host, const char *step, const char *detail)
{
	char err[HS_ERRLEN];

	if (store_rollout_step_add(ro->d->store, ro->id, host, step, detail, err, sizeof(err)))
		log_warn("rollout %lld: %s: step %s not stored: %s", (long long)ro->id, host, step,
			 err);
	ro_changed(ro->d);
	log_info("rollout %lld: %s: %s %s", (long long)ro->id, host, step, detail ? detail : "");
}

const char *ro_hname(const struct ro_host *h)
{
	return h->ro->d->cluster.hosts[h->host].name;
}

void ro_host_save(struct ro_host *h, enum store_ro_stamp stamp)
{
	char err[HS_ERRLEN];

	if (store_rollout_host_set(h->ro->d->store, h->ro->id, ro_hname(h), ro_names[h->state],
				   h->old_inst, h->new_inst, stamp, err, sizeof(err)))
		log_warn("rollout %lld: %s: state %s not stored: %s", (long long)h->ro->id,
			 ro_hname(h), ro_names[h->state], err);
	ro_changed(h->ro->d);
}

void ro_set(struct ro_host *h, enum ro_state s, const char *step, const char *detail,
	    enum store_ro_stamp stamp)
{
	h->state = s;
	ro_host_save(h, stamp);
	if (step)
		ro_step(h->ro, ro_hname(h), step, detail);
}

static void ro_save(struct rollout *ro, bool finished)
{
	char err[HS_ERRLEN];

	if (store_rollout_set_state(ro->d->store, ro->id, ro->state, ro->error, finished, err,
				    sizeof(err)))
		log_warn("rollout %lld: state %s not stored: %s", (long long)ro->id, ro->state, err);
	ro_changed(ro->d);
}

/* The event log is the operator's record: a lost line is said in the log. */
static void ro_event(struct hsd *d, const char *kind, const char *subject, const char *detail)
{
	char err[HS_ERRLEN];

	if (store_event(d->store, kind, subject, detail, err, sizeof(err)))
		log_warn("event %s %s not stored: %s", kind, subject, err);
}

static void ro_free(struct rollout *ro)
{
	if (!ro)
		return;
	bundle_free(&ro->b);
	json_decref(ro->intent);
	free(ro->h);
	free(ro);
}

/* --- the whole rollout ----------------------------------------------------- */

static void ro_finish(struct hsd *d, const char *state)
{
	struct rollout *ro = d->rollouts->cur;
	snprintf(ro->state, sizeof(ro->state), "%s", state);
	ro_save(ro, true);
	ro_step(ro, "*", state, ro->error);
	ro_event(d, "rollout.end", ro->bundle, state);
	ro_free(ro);
	d->rollouts->cur = NULL;
}

/* Before the commit: stop every NEW this rollout started; OLD never was. */
static void ro_tick_rollback(struct rollout *ro, uint64_t now)
{
	size_t left = 0;

	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		if (h->busy) {
			left++;
			continue;
		}
		if (!h->new_inst[0] || h->state == RO_ROLLED_BACK || h->state == RO_DEFERRED ||
		    h->state == RO_CURRENT)
			continue;
		if (h->state == RO_ROLLING_BACK && h->stuck) {
			/* Gone while we stop its NEW: it may keep it (docs/rollout.md,
			 * known limits); waiting for it would hold the fleet. */
			h->stuck = false;
			ro_set(h, RO_DEFERRED, "defer",
			       "unreachable, or its stop kept failing, during the rollback",
			       RO_STAMP_NONE);
			continue;
		}
		left++;
		/* A soaking canary's wait_until is the end of its soak, not a
		 * retry time: it is stopped at once (a soak may last a day). */
		if (h->state == RO_SOAKING || now >= h->wait_until)
			ro_stop_new(h);
	}
	if (!left)
		ro_finish(ro->d, strcmp(ro->state, "aborting") ? "failed" : "aborted");
}

/* After the commit the rollout only moves forward host by host: a host that
 * cannot complete the switch stops its NEW and stays behind on OLD.  When
 * the operator aborts ("closing"), nothing unreachable is waited for. */
static void ro_tick_committed(struct rollout *ro, uint64_t now)
{
	bool closing = !strcmp(ro->state, "closing");
	size_t final = 0, behind = 0;
	char list[128] = "";

	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		if (h->busy)
			continue;
		switch (h->state) {
		case RO_VERIFIED:
			ro_retire(h); /* a late (deferred) host */
			break;
		case RO_SOAKING:
			if (closing)
				ro_stop_new(h); /* not switched yet: it stays behind, at once */
			else if (now >= h->wait_until)
				ro_verify(h);
			break;
		case RO_RETIRING:
			if (closing && h->stuck)
				ro_set(h, RO_BEHIND, "behind",
				       "unreachable or failing: its old instance was not stopped",
				       RO_STAMP_NONE);
			else if (now >= h->wait_until)
				ro_retire(h);
			break;
		case RO_DEFERRED:
			if (closing)
				ro_set(h, RO_BEHIND, "behind", "unreachable when the rollout was aborted",
				       RO_STAMP_NONE);
			else if (now >= h->wait_until)
				ro_begin_host(h); /* it may answer again */
			break;
		case RO_PENDING: /* in flight when the coordinator restarted */
			if (!closing) {
				ro_begin_host(h);
				break;
			}
			__attribute__((fallthrough)); /* an aborted rollout starts nothing */
		case RO_FAILED:
			if (h->new_inst[0])
				ro_stop_new(h);
			else
				ro_set(h, RO_BEHIND, "behind", "keeps its old instance", RO_STAMP_NONE);
			break;
		case RO_ROLLING_BACK:
			if (closing && h->stuck)
				ro_set(h, RO_BEHIND, "behind",
				       "unreachable or failing: its new instance was not stopped",
				       RO_STAMP_NONE);
			else if (now >= h->wait_until)
				ro_stop_new(h);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		if (h->busy)
			return;
		final += h->state == RO_RETIRED || h->state == RO_CURRENT || h->state == RO_BEHIND;
		if (h->state == RO_BEHIND) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof(list) - len, "%s%s", behind++ ? " " : "", ro_hname(h));
		}
	}
	if (final < ro->nh)
		return;
	if (behind) {
		char why[sizeof(list) + sizeof(ro->error) + 32];
		snprintf(why, sizeof(why), "behind (old version kept): %s%s%s", list,
			 ro->error[0] ? "; " : "", ro->error);
		why[sizeof(ro->error) - 1] = 0; /* the store keeps one short line */
		memcpy(ro->error, why, sizeof(ro->error));
	}
	ro_finish(ro->d, behind ? "partial" : "done");
}

static void ro_tick(uv_timer_t *t)
{
	struct hsd *d = t->data;
	struct rollout *ro = d->rollouts->cur;
	uint64_t now = uv_now(d->loop);
	size_t busy = 0, ready = 0, landed = 0, failed = 0;

	if (!ro || !strcmp(ro->state, "paused"))
		return;
	if (ro->committed) {
		ro_tick_committed(ro, now);
		return;
	}
	for (size_t i = 0; i < ro->nh; i++) {
		struct ro_host *h = &ro->h[i];
		busy += h->busy;
		landed += h->state == RO_VERIFIED || h->state == RO_CURRENT;
		ready += h->state == RO_VERIFIED || h->state == RO_CURRENT || h->state == RO_DEFERRED;
		failed += h->state == RO_FAILED;
	}
	bool rollback = !strcmp(ro->state, "rolling_back") || !strcmp(ro->state, "aborting");
	if (!rollback && failed) {
		/* Before the commit any failure undoes the whole rollout. */
		snprintf(ro->state, sizeof(ro->state), "rolling_back");
		ro_save(ro, false);
		ro_step(ro, "*", "rollback", ro->error);
		rollback = true;
	}
	if (rollback) {
		ro_tick_rollback(ro, now);
		return;
	}
	/* The canary goes first, alone; the others after it is verified. */
	struct ro_host *canary = NULL;
	for (size_t i = 0; i < ro->nh; i++)
		if (!strcmp(ro_hname(&ro->h[i]), ro->canary))
			canary = &ro->h[i];
	/* An unreachable canary holds the others back: nothing goes on
	 * unverified (the operator may abort). */
	bool canary_done = !canary || canary->state == RO_VERIFIED || canary->state == RO_CURRENT;
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
		}
	}
	/* The commit: every host verified (or already there), except those we
	 * cannot reach. */
	if (landed && ready == ro->nh && !busy) {
		ro->committed = true;
		snprintf(ro->state, sizeof(ro->state), "committed");
		ro_save(ro, false);
		ro_step(ro, "*", "commit", NULL);
		for (size_t i = 0; i < ro->nh; i++)
			if (ro->h[i].state == RO_VERIFIED)
				ro_retire(&ro->h[i]);
	}
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
			       d->rollouts->cur->state);
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

int rollout_start(struct hsd *d, const char *bundle, const char *canary, int max_parallel,
		  int soak_s, const json_t *intent, enum intent_kind kind, json_t **result,
		  char *err, size_t errlen)
{
	struct rollout *ro;
	int rc;

	if ((rc = rollout_check(d, canary, max_parallel, soak_s, err, errlen)))
		return rc;
	if (!canary)
		canary = ""; /* none: the first hosts by name go max_parallel at a time */
	if ((rc = ro_check_intent(d, intent, kind, bundle, canary, err, errlen)))
		return rc;
	if (!(ro = ro_new(d, 0, bundle, canary, max_parallel, soak_s, err, errlen)))
		return HS_EINPUT; /* err names the bundle */
	/* Refused here rather than by every host: nothing starts at all. */
	if ((rc = bundles_verify(d, &ro->b, NULL, err, errlen)) ||
	    (rc = disk_admit(d, err, errlen))) { /* a rollout starts spaces */
		ro_free(ro);
		return rc;
	}
	ro->intent = json_deep_copy(intent);
	char *text = json_dumps(intent, JSON_COMPACT);
	struct store_rollout row = { .bundle = ro->bundle, .name = ro->name, .state = ro->state,
				     .canary = ro->canary, .max_parallel = max_parallel,
				     .soak_s = soak_s, .intent = text };
	if (!ro->intent || !text)
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	else
		rc = store_rollout_insert(d->store, &row, &ro->id, err, errlen);
	free(text);
	if (rc) {
		ro_free(ro);
		return rc;
	}
	for (size_t i = 0; i < ro->nh; i++)
		ro_host_save(&ro->h[i], RO_STAMP_NONE);
	ro_step(ro, "*", "begin", ro->bundle);
	ro_event(d, "rollout.begin", ro->bundle, canary);
	d->rollouts->cur = ro;
	*result = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)ro->id, "bundle", ro->bundle,
			    "canary", ro->canary);
	return 0;
}

/* A coordinator that restarts picks its rollout up from the store: host
 * states are re-established by asking each host again. */
static int resume_rollout(void *ctx, const struct store_rollout *r, char *err, size_t errlen)
{
	struct hsd *d = ctx;
	char why[HS_ERRLEN];
	struct rollout *ro = ro_new(d, r->id, r->bundle, r->canary, r->max_parallel, r->soak_s,
				    why, sizeof(why));

	(void)err;
	(void)errlen;
	if (!ro) {
		/* Its bundle is gone: it stays open in the store, unresumed. */
		log_warn("rollout %lld of %s not resumed: %s", (long long)r->id, r->bundle, why);
		return 0;
	}
	snprintf(ro->state, sizeof(ro->state), "%s", r->state);
	snprintf(ro->error, sizeof(ro->error), "%s", r->error);
	ro->committed = !strcmp(ro->state, "committed") || !strcmp(ro->state, "closing");
	/* NULL for a rollout begun before intents: its steps are refused by
	 * every host, so it fails; nothing is stopped that was not asked for. */
	ro->intent = r->intent ? json_loads(r->intent, 0, NULL) : NULL;
	d->rollouts->cur = ro;
	return 0;
}

static int resume_host(void *ctx, const struct store_rollout_host *sh, char *err, size_t errlen)
{
	struct rollout *ro = ctx;
	int i = cluster_host_index(&ro->d->cluster, sh->host);

	(void)err;
	(void)errlen;
	if (i < 0)
		return 0; /* no longer in the cluster */
	struct ro_host *h = &ro->h[i];
	snprintf(h->old_inst, sizeof(h->old_inst), "%s", sh->old_instance);
	snprintf(h->new_inst, sizeof(h->new_inst), "%s", sh->new_instance);
	for (size_t s = 0; s < sizeof(ro_names) / sizeof(*ro_names); s++)
		if (!strcmp(sh->state, ro_names[s]))
			h->state = (enum ro_state)s;
	/* Whatever was in flight is asked again. */
	if (h->state == RO_STARTING || h->state == RO_VERIFYING || h->state == RO_SOAKING)
		h->state = RO_PENDING;
	return 0;
}

static int ro_resume(struct hsd *d, char *err, size_t errlen)
{
	struct rollout *ro;
	int rc = store_rollout_get_open(d->store, resume_rollout, d, err, errlen);

	if (rc < 0)
		return rc;
	if (!(ro = d->rollouts->cur))
		return 0;
	if ((rc = store_rollout_hosts_each(d->store, ro->id, resume_host, ro, err, errlen)))
		return rc;
	ro_step(ro, "*", "resume", ro->state);
	log_info("rollout %lld of %s resumed (%s)", (long long)ro->id, ro->bundle, ro->state);
	return 0;
}

int rollouts_init(struct hsd *d, char *err, size_t errlen)
{
	if (!(d->rollouts = calloc(1, sizeof(*d->rollouts))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	uv_timer_init(d->loop, &d->rollouts->tick);
	d->rollouts->tick.data = d;
	uv_timer_start(&d->rollouts->tick, ro_tick, RO_TICK_MS, RO_TICK_MS);
	uv_timer_init(d->loop, &d->rollouts->wake);
	d->rollouts->wake.data = d;
	/* From the clock, so a watcher's number from before a restart of hsd
	 * is not taken for "nothing changed" by the next one. */
	d->rollouts->seq = (uint64_t)store_now_ms();
	/* A store that cannot be read here would let a second rollout begin
	 * beside the open one: hsd does not start (rollouts_free cleans up). */
	return ro_resume(d, err, errlen);
}

void rollouts_free(struct hsd *d)
{
	if (!d->rollouts)
		return;
	/* Watchers are told hsd stops (their hsctl says so) before the
	 * rollout goes. */
	while (d->rollouts->waiters)
		waiter_fire(d->rollouts->waiters, true);
	uv_close((uv_handle_t *)&d->rollouts->tick, NULL);
	uv_close((uv_handle_t *)&d->rollouts->wake, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	/* Calls still in flight hold pointers into the rollout: hsd frees
	 * the instance, space and peer layers first, which answers them. */
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
		if (!strcmp(ro->state, "aborting") || !strcmp(ro->state, "closing") ||
		    !strcmp(ro->state, "rolling_back"))
			return err_set(err, errlen, HS_EINPUT, "rollout: %lld is already %s", (long long)ro->id, ro->state);
		/* After the commit the hosts already switched stay switched; the
		 * abort ends the wait for the others, which keep their old version. */
		snprintf(ro->state, sizeof(ro->state), ro->committed ? "closing" : "aborting");
		if (!ro->error[0])
			snprintf(ro->error, sizeof(ro->error), "aborted by the operator%s",
				 ro->committed ? " after the commit" : "");
	}
	ro_save(ro, false);
	ro_step(ro, "*", what, NULL);
	return 0;
}
