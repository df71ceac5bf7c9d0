/*
 * ro_engine.c - the whole rollout: its state, the commit, the rollback,
 * the operator's commands, the timer heap and the slot queue.  One host's
 * steps are in ro_host.c.
 *
 * rollout.c looks at every host on each 250 ms tick.  Here an event only
 * touches the host it concerns; counters kept on every state change
 * answer "may we commit / are we done" at once, and every host is walked
 * only when the whole rollout changes (start, commit, rollback, abort,
 * resume, the canary verified): a few times per rollout, so 10,000 hosts
 * cost O(log n) per event, not O(n).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ro_int.h"

static const char *const hstate_names[ROH__N] = { "pending", "starting", "verifying",
	"soaking", "verified", "retiring", "retired", "deferred", "failed", "rolling_back",
	"rolled_back", "current", "behind" };
static const char *const rstate_names[ROR__N] = { "new", "running", "paused", "committed",
	"closing", "rolling_back", "aborting", "done", "partial", "failed", "aborted" };
static const char *const req_names[RO_REQ__N] = { "status", "bundle.has", "bundle.put",
	"instance.start", "instance.verify", "instance.stop" };
static const char *const step_names[ROS__N] = { "begin", "resume", "pause", "unpause", "abort",
	"rollback", "commit", "end", "defer", "fail", "current", "found", "push", "start",
	"verified", "soak", "verified-after-soak", "drain", "drain-failed", "retire",
	"retire-retry", "stop-retry", "rollback", "behind" };

const char *ro_hstate_name(enum ro_hstate s)
{
	return (unsigned)s < ROH__N ? hstate_names[s] : "?";
}

const char *ro_rstate_name(enum ro_rstate s)
{
	return (unsigned)s < ROR__N ? rstate_names[s] : "?";
}

int ro_hstate_from_name(const char *name)
{
	for (int i = 0; i < ROH__N; i++)
		if (!strcmp(name, hstate_names[i]))
			return i;
	return -1;
}

int ro_rstate_from_name(const char *name)
{
	for (int i = 0; i < ROR__N; i++)
		if (!strcmp(name, rstate_names[i]))
			return i;
	return -1;
}

const char *ro_req_name(enum ro_req r)
{
	return (unsigned)r < RO_REQ__N ? req_names[r] : "?";
}

const char *ro_step_name(enum ro_step s)
{
	return (unsigned)s < ROS__N ? step_names[s] : "?";
}

/* --- actions ------------------------------------------------------------- */

void ro_actions_init(struct ro_actions *a)
{
	memset(a, 0, sizeof(*a));
	a->wakeup_ms = RO_NEVER;
}

void ro_actions_reset(struct ro_actions *a)
{
	a->n = 0;
	a->oom = false;
	a->wakeup_ms = RO_NEVER;
}

void ro_actions_free(struct ro_actions *a)
{
	free(a->v);
	ro_actions_init(a);
}

void roe_push(struct ro_engine *e, const struct ro_action *act)
{
	struct ro_actions *a = e->out;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct ro_action *nv = realloc(a->v, ncap * sizeof(*nv));

		if (!nv) {
			a->oom = true;
			return;
		}
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = *act;
}

void roe_step(struct ro_engine *e, uint32_t host, enum ro_step step, uint32_t detail)
{
	struct ro_action a = { .type = RO_ACT_STEP, .host = host, .step = step,
			       .detail = detail, .rstate = e->state };
	roe_push(e, &a);
}

void roe_persist_host(struct ro_engine *e, uint32_t i, enum ro_stamp stamp)
{
	const struct roe_host *h = &e->h[i];
	struct ro_action a = { .type = RO_ACT_PERSIST, .host = i, .hstate = h->state,
			       .has_old = h->has_old, .new_started = h->new_started,
			       .rstate = e->state, .stamp = stamp };
	roe_push(e, &a);
}

static void persist_rollout(struct ro_engine *e)
{
	struct ro_action a = { .type = RO_ACT_PERSIST, .host = RO_ALL_HOSTS, .rstate = e->state };
	roe_push(e, &a);
}

/* --- counters -------------------------------------------------------------- */

/* A started new instance that a rollback still has to stop.  DEFERRED is
 * excluded as in rollout.c: an unreachable host cannot be told anything,
 * and waiting for it would hold the whole fleet. */
static bool live_new(const struct roe_host *h)
{
	switch (h->state) {
	case ROH_ROLLED_BACK: case ROH_DEFERRED: case ROH_CURRENT: case ROH_BEHIND:
	case ROH_RETIRED: case ROH_RETIRING:
		return false;
	default:
		return h->new_started;
	}
}

static void uncount(struct ro_engine *e, const struct roe_host *h)
{
	e->count[h->state]--;
	e->live_new -= live_new(h);
}

static void count(struct ro_engine *e, const struct roe_host *h)
{
	e->count[h->state]++;
	e->live_new += live_new(h);
}

/* Every state change goes through here: counted, persisted (before the
 * request it leads to is sent, as rollout.c writes the store first), then
 * the step for the timeline. */
void roe_set(struct ro_engine *e, uint32_t i, enum ro_hstate s, enum ro_step step,
	     uint32_t detail)
{
	struct roe_host *h = &e->h[i];

	/* The first verification (a canary's, before its soak) and the end
	 * of the old instance are stamped, as rollout.c does. */
	enum ro_stamp stamp = (s == ROH_SOAKING || (s == ROH_VERIFIED && step == ROS_VERIFIED))
			      ? RO_STAMP_VERIFIED
			      : s == ROH_RETIRED ? RO_STAMP_OLD_STOPPED : RO_STAMP_NONE;

	uncount(e, h);
	h->state = (uint8_t)s;
	count(e, h);
	roe_persist_host(e, i, stamp);
	if (step != ROE_NO_STEP)
		roe_step(e, i, step, detail);
}

/* Persisted before the start is sent: a target instance found later on
 * this host is then known to be ours (never "current"), and only ours
 * are ever stopped by a rollback. */
void roe_set_new_started(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];

	uncount(e, h);
	h->new_started = true;
	count(e, h);
	roe_persist_host(e, i, RO_STAMP_NONE);
}

/* --- timer heap: hosts by due time ------------------------------------------ */

static void heap_place(struct ro_engine *e, uint32_t pos, uint32_t i)
{
	e->heap[pos] = i;
	e->h[i].hpos = pos;
}

static void heap_up(struct ro_engine *e, uint32_t pos)
{
	uint32_t i = e->heap[pos];

	while (pos > 0) {
		uint32_t p = (pos - 1) / 2;
		if (e->h[e->heap[p]].due <= e->h[i].due)
			break;
		heap_place(e, pos, e->heap[p]);
		pos = p;
	}
	heap_place(e, pos, i);
}

static void heap_down(struct ro_engine *e, uint32_t pos)
{
	uint32_t i = e->heap[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;
		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && e->h[e->heap[c + 1]].due < e->h[e->heap[c]].due)
			c++;
		if (e->h[e->heap[c]].due >= e->h[i].due)
			break;
		heap_place(e, pos, e->heap[c]);
		pos = c;
	}
	heap_place(e, pos, i);
}

static void heap_set(struct ro_engine *e, uint32_t i, uint64_t due)
{
	struct roe_host *h = &e->h[i];
	uint64_t old = h->due;

	if (old == due)
		return;
	h->due = due;
	if (old == RO_NEVER) {
		heap_place(e, e->nheap++, i);
		heap_up(e, h->hpos);
	} else if (due == RO_NEVER) {
		uint32_t pos = h->hpos, last = e->heap[--e->nheap];
		if (pos < e->nheap) {
			heap_place(e, pos, last);
			heap_up(e, pos);
			heap_down(e, e->h[last].hpos);
		}
	} else if (due < old) {
		heap_up(e, h->hpos);
	} else {
		heap_down(e, h->hpos);
	}
}

/* A host is due at its request's deadline, or when its wait ends; a wait
 * that has ended with nothing done (no slot, paused, canary not verified)
 * is woken by the event that changes that, not polled. */
void roe_resched(struct ro_engine *e, uint32_t i)
{
	const struct roe_host *h = &e->h[i];

	heap_set(e, i, h->req_id ? h->deadline
			: h->wait_until > e->now ? h->wait_until : RO_NEVER);
}

/* --- slots ---------------------------------------------------------------- */

static bool canary_done(const struct ro_engine *e)
{
	if (e->cfg.canary == RO_NO_CANARY)
		return true;
	uint8_t s = e->h[e->cfg.canary].state;
	return s == ROH_VERIFIED || s == ROH_CURRENT;
}

/* The canary goes first and alone; the others once it is verified (or was
 * already there).  After the commit there is nothing left to gate. */
bool roe_may_begin(const struct ro_engine *e, uint32_t i)
{
	return e->committed || (int64_t)i == e->cfg.canary || canary_done(e);
}

void roe_want_slot(struct ro_engine *e, uint32_t i)
{
	if (e->h[i].queued)
		return;
	e->h[i].queued = true;
	e->q[(e->qhead + e->qlen++) % e->n] = i;
}

/* Hosts begin in the order they asked: pending ones in index (name) order
 * as the walk at start queues them, deferred ones when their retry is due.
 * An entry no longer fit to begin is dropped; whatever makes it fit again
 * queues it again. */
static void fill_slots(struct ro_engine *e)
{
	while (e->in_flight < e->cfg.max_parallel && e->qlen) {
		uint32_t i = e->q[e->qhead];
		struct roe_host *h = &e->h[i];

		e->qhead = (e->qhead + 1) % e->n;
		e->qlen--;
		h->queued = false;
		if (h->req_id || !roe_may_begin(e, i))
			continue;
		if (h->state == ROH_PENDING ||
		    (h->state == ROH_DEFERRED && e->now >= h->wait_until))
			roe_begin(e, i);
	}
}

/* --- the whole rollout ------------------------------------------------------ */

static void sweep(struct ro_engine *e)
{
	for (uint32_t i = 0; i < e->n; i++)
		roe_kick(e, i);
}

static void set_rstate(struct ro_engine *e, enum ro_rstate s, enum ro_step step,
		       uint32_t detail)
{
	e->state = s;
	persist_rollout(e);
	roe_step(e, RO_ALL_HOSTS, step, detail);
}

static void finish(struct ro_engine *e, enum ro_rstate s)
{
	set_rstate(e, s, ROS_END, s);
	/* Nothing is outstanding (busy == 0): no timer is needed any more. */
	while (e->nheap)
		heap_set(e, e->heap[0], RO_NEVER);
	e->qlen = 0;
	for (uint32_t i = 0; i < e->n; i++)
		e->h[i].queued = false;
}

/* One decision about the whole rollout; true if it changed something that
 * may allow another. */
static bool settle_once(struct ro_engine *e)
{
	uint32_t landed, ready, final;

	switch (e->state) {
	case ROR_RUNNING:
		if (e->count[ROH_FAILED]) {
			/* Before the commit any failure undoes the whole rollout. */
			set_rstate(e, ROR_ROLLING_BACK, ROS_ROLLBACK_ALL,
				   e->failed_host < 0 ? 0 : (uint32_t)e->failed_host);
			sweep(e);
			return true;
		}
		if (!e->canary_was_done && canary_done(e)) {
			e->canary_was_done = true;
			sweep(e);	/* the others may begin now */
		}
		fill_slots(e);
		landed = e->count[ROH_VERIFIED] + e->count[ROH_CURRENT];
		ready = landed + e->count[ROH_DEFERRED];
		/* The commit: every host verified (or already there), except
		 * those we cannot reach; at least one really landed. */
		if (landed && ready == e->n && !e->busy) {
			e->committed = true;
			set_rstate(e, ROR_COMMITTED, ROS_COMMIT, 0);
			sweep(e);
			return true;
		}
		return false;
	case ROR_COMMITTED:
	case ROR_CLOSING:
		if (e->state == ROR_COMMITTED)
			fill_slots(e);
		final = e->count[ROH_RETIRED] + e->count[ROH_CURRENT] + e->count[ROH_BEHIND];
		if (!e->busy && final == e->n) {
			finish(e, e->count[ROH_BEHIND] ? ROR_PARTIAL : ROR_DONE);
			return true;
		}
		return false;
	case ROR_ROLLING_BACK:
	case ROR_ABORTING:
		if (!e->busy && !e->live_new) {
			finish(e, e->state == ROR_ABORTING ? ROR_ABORTED : ROR_FAILED);
			return true;
		}
		return false;
	default:
		return false;
	}
}

static int done(struct ro_engine *e, int rc)
{
	if (rc == RO_OK)
		while (settle_once(e))
			;
	e->out->wakeup_ms = e->nheap ? e->h[e->heap[0]].due : RO_NEVER;
	if (e->out->oom && rc == RO_OK)
		rc = RO_ENOMEM;
	e->out = NULL;
	return rc;
}

static int enter(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	e->out = out;
	if (now > e->now)
		e->now = now;
	return RO_OK;
}

/* --- create, events, queries ------------------------------------------------ */

struct ro_engine *ro_engine_create(const struct ro_config *cfg, char *err, size_t errlen)
{
	struct ro_engine *e;

	if (cfg->n_hosts == 0 || cfg->n_hosts > 1000000) {
		snprintf(err, errlen, "n_hosts must be 1..1000000");
		return NULL;
	}
	if (cfg->canary != RO_NO_CANARY && (cfg->canary < 0 || (uint32_t)cfg->canary >= cfg->n_hosts)) {
		snprintf(err, errlen, "canary must be a host index or RO_NO_CANARY");
		return NULL;
	}
	if (cfg->soak_ms && cfg->canary == RO_NO_CANARY) {
		snprintf(err, errlen, "soak: only the canary soaks; name one");
		return NULL;
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->h = calloc(cfg->n_hosts, sizeof(*e->h))) ||
	    !(e->heap = calloc(cfg->n_hosts, sizeof(*e->heap))) ||
	    !(e->q = calloc(cfg->n_hosts, sizeof(*e->q)))) {
		ro_engine_destroy(e);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->n = cfg->n_hosts;
#define DEF(f, v) if (!e->cfg.f) e->cfg.f = (v)
	DEF(max_parallel, 1);
	DEF(status_ms, 5000);
	DEF(call_ms, 15000);
	DEF(retry_ms, 2000);
	DEF(stop_tries, 5);
	DEF(drain_probes, 2);
#undef DEF
	e->failed_host = -1;
	e->next_req = cfg->first_req_id;
	e->count[ROH_PENDING] = e->n;
	for (uint32_t i = 0; i < e->n; i++)
		e->h[i].due = RO_NEVER;
	return e;
}

void ro_engine_destroy(struct ro_engine *e)
{
	if (!e)
		return;
	free(e->h);
	free(e->heap);
	free(e->q);
	free(e);
}

int ro_engine_start(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (e->state != ROR_NEW)
		return done(e, RO_ESTATE);
	set_rstate(e, ROR_RUNNING, ROS_BEGIN, 0);
	for (uint32_t i = 0; i < e->n; i++)
		roe_persist_host(e, i, RO_STAMP_NONE);
	sweep(e);
	return done(e, RO_OK);
}

int ro_engine_resume_from(struct ro_engine *e, enum ro_rstate rs, const struct ro_phost *ph,
			  uint32_t n, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (e->state != ROR_NEW)
		return done(e, RO_ESTATE);
	if (n != e->n || rs == ROR_NEW || (unsigned)rs >= ROR__N)
		return done(e, RO_EINVAL);
	for (uint32_t i = 0; i < n; i++)
		if ((unsigned)ph[i].state >= ROH__N)
			return done(e, RO_EINVAL);
	memset(e->count, 0, sizeof(e->count));
	e->live_new = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct roe_host *h = &e->h[i];
		h->state = (uint8_t)ph[i].state;
		/* Whatever was in flight is asked again: status finds an
		 * already started new instance, and start is idempotent. */
		if (h->state == ROH_STARTING || h->state == ROH_VERIFYING || h->state == ROH_SOAKING)
			h->state = ROH_PENDING;
		h->has_old = ph[i].has_old;
		h->new_started = ph[i].new_started;
		h->new_verified = h->state == ROH_VERIFIED || h->state == ROH_RETIRING ||
				  h->state == ROH_RETIRED;
		h->old_retired = h->state == ROH_RETIRED && h->has_old;
		count(e, h);
	}
	e->state = rs;
	/* A rollout already committed only moves forward. */
	e->committed = rs == ROR_COMMITTED || rs == ROR_CLOSING || rs == ROR_DONE ||
		       rs == ROR_PARTIAL;
	if (ro_rstate_final(rs))
		return done(e, RO_OK);
	e->canary_was_done = canary_done(e);
	roe_step(e, RO_ALL_HOSTS, ROS_RESUME, rs);
	sweep(e);
	return done(e, RO_OK);
}

int ro_engine_reply(struct ro_engine *e, uint32_t host, uint64_t req_id,
		    const struct ro_reply *r, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (host >= e->n || !r)
		return done(e, RO_EINVAL);
	if (!req_id || e->h[host].req_id != req_id)
		return done(e, RO_ESTALE); /* late (timed out), or of an earlier coordinator */
	struct ro_reply rr = *r;
	if (rr.result == RO_RES_TIMEOUT)
		rr.result = RO_RES_UNREACHABLE; /* the transport's own timeout */
	else if ((unsigned)rr.result > RO_RES_TIMEOUT)
		rr.result = RO_RES_FAILED;
	roe_answer(e, host, &rr);
	return done(e, RO_OK);
}

int ro_engine_timer(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	static const struct ro_reply timeout = { .result = RO_RES_TIMEOUT };

	enter(e, now, out);
	while (e->nheap && e->h[e->heap[0]].due <= e->now) {
		uint32_t i = e->heap[0];
		heap_set(e, i, RO_NEVER);
		if (e->h[i].req_id && e->h[i].deadline <= e->now)
			roe_answer(e, i, &timeout); /* no answer in time: unreachable */
		else
			roe_kick(e, i);
	}
	return done(e, RO_OK);
}

int ro_engine_abort(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (e->state != ROR_RUNNING && e->state != ROR_PAUSED && e->state != ROR_COMMITTED)
		return done(e, RO_ESTATE);
	/* After the commit the hosts already switched stay switched; the abort
	 * ends the wait for the others, which keep their old version. */
	set_rstate(e, e->committed ? ROR_CLOSING : ROR_ABORTING, ROS_ABORT, 0);
	sweep(e);
	return done(e, RO_OK);
}

int ro_engine_pause(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (e->state != ROR_RUNNING)
		return done(e, RO_ESTATE);
	set_rstate(e, ROR_PAUSED, ROS_PAUSE, 0);
	return done(e, RO_OK);
}

int ro_engine_resume(struct ro_engine *e, uint64_t now, struct ro_actions *out)
{
	enter(e, now, out);
	if (e->state != ROR_PAUSED)
		return done(e, RO_ESTATE);
	set_rstate(e, ROR_RUNNING, ROS_UNPAUSE, 0);
	sweep(e);
	return done(e, RO_OK);
}

int ro_engine_host(const struct ro_engine *e, uint32_t i, struct ro_host_info *hi)
{
	if (i >= e->n)
		return RO_EINVAL;
	const struct roe_host *h = &e->h[i];
	*hi = (struct ro_host_info){ .state = h->state, .has_old = h->has_old,
		.new_started = h->new_started, .new_verified = h->new_verified,
		.old_retired = h->old_retired, .busy = h->req_id != 0, .req = h->req,
		.req_inst = h->req_inst };
	return RO_OK;
}

void ro_engine_info(const struct ro_engine *e, struct ro_info *in)
{
	memset(in, 0, sizeof(*in));
	in->state = e->state;
	in->committed = e->committed;
	in->n_hosts = e->n;
	in->in_flight = e->in_flight;
	in->busy = e->busy;
	memcpy(in->count, e->count, sizeof(in->count));
	in->failed_host = e->failed_host;
}

enum ro_rstate ro_engine_state(const struct ro_engine *e)
{
	return e->state;
}
