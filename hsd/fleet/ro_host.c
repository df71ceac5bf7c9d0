/*
 * ro_host.c - one host's steps in a rollout (ro_engine.c drives them), as
 * rollout_host.c and the per-host half of rollout.c's tick:
 *
 *   status -> bundle.has -> (bundle.put) -> instance.start -> instance.verify
 *   and after the commit: instance.verify of the old instance (drain, twice)
 *   -> instance.stop of the old one; on a rollback instance.stop of the new.
 *
 * One request per host at a time.  A host that does not answer (or answers
 * "unreachable") is deferred: it keeps its old version; any other error
 * marks it failed and the rollout decides what that means.
 */
#include "ro_int.h"

static bool gone(enum ro_result r)
{
	return r == RO_RES_UNREACHABLE || r == RO_RES_TIMEOUT;
}

void roe_send(struct ro_engine *e, uint32_t i, enum ro_req req, enum ro_inst inst)
{
	struct roe_host *h = &e->h[i];
	/* A verification may take the probe's deadline on the host. */
	uint32_t ms = req == RO_REQ_STATUS ? e->cfg.status_ms
		      : req == RO_REQ_VERIFY ? e->cfg.probe_deadline_ms + e->cfg.call_ms
		      : e->cfg.call_ms;
	struct ro_action a = { .type = RO_ACT_SEND, .host = i, .req = req, .inst = inst,
			       .timeout_ms = ms, .rstate = e->state };

	h->req_id = a.req_id = ++e->next_req;
	h->req = (uint8_t)req;
	h->req_inst = (uint8_t)inst;
	h->deadline = e->now + ms;
	e->busy++;
	roe_push(e, &a);
	roe_resched(e, i);
}

/* A host's way from pending (or deferred) to verified holds one of the
 * max_parallel slots, released when no request of that way is out. */
void roe_begin(struct ro_engine *e, uint32_t i)
{
	e->h[i].slot = true;
	e->in_flight++;
	roe_send(e, i, RO_REQ_STATUS, RO_INST_NONE);
}

/* Only while the rollout goes forward does a host go on to its next step.
 * rollout.c lets a begun host carry on through start and verify even
 * after an abort or a failure elsewhere, and then stops what it started;
 * here it stops at the next step instead (safe: nothing more is started
 * that must then be undone; a probe already asked is still awaited).  The
 * host is left pending, which the rollback or the close then settles:
 * its new instance stopped if one was started, else left untouched. */
static bool may_go_on(struct ro_engine *e, uint32_t i)
{
	if (e->state == ROR_RUNNING || e->state == ROR_PAUSED || e->state == ROR_COMMITTED)
		return true;
	roe_set(e, i, ROH_PENDING, ROE_NO_STEP, 0);
	return false;
}

static void defer(struct ro_engine *e, uint32_t i, enum ro_result why)
{
	e->h[i].wait_until = e->now + e->cfg.retry_ms;
	if (e->h[i].state != ROH_DEFERRED)
		roe_set(e, i, ROH_DEFERRED, ROS_DEFER, why);
}

static void fail(struct ro_engine *e, uint32_t i, enum ro_result why)
{
	roe_set(e, i, ROH_FAILED, ROS_FAIL, why);
	if (e->failed_host < 0)
		e->failed_host = i;
}

/* A step's error: deferred if the host did not answer, else failed. */
static void chain_error(struct ro_engine *e, uint32_t i, enum ro_result why)
{
	gone(why) ? defer(e, i, why) : fail(e, i, why);
}

/* A stop or drain that did not go through is tried again after retry_ms.
 * stuck tells the rollback or the close to stop waiting for the host: it
 * was unreachable, or gave the same failure stop_tries times in a row. */
static void retry_later(struct ro_engine *e, uint32_t i, enum ro_result why, enum ro_step step)
{
	struct roe_host *h = &e->h[i];

	h->wait_until = e->now + e->cfg.retry_ms;
	h->stop_fails = gone(why) ? 0 : (uint16_t)(h->stop_fails + 1);
	h->stuck = gone(why) || h->stop_fails >= e->cfg.stop_tries;
	roe_step(e, i, step, why);
}

static void stop_done(struct roe_host *h)
{
	h->stuck = false;
	h->stop_fails = 0;
}

static void start_new(struct ro_engine *e, uint32_t i)
{
	roe_set_new_started(e, i);
	roe_send(e, i, RO_REQ_START, RO_INST_NEW);
}

static void verified(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];
	bool soaking = h->state == ROH_SOAKING;

	h->new_verified = true;
	if ((int64_t)i == e->cfg.canary && h->state == ROH_VERIFYING && e->cfg.soak_ms) {
		h->wait_until = e->now + e->cfg.soak_ms;
		roe_set(e, i, ROH_SOAKING, ROS_VERIFIED, 0);
		roe_step(e, i, ROS_SOAK, e->cfg.soak_ms);
		return;
	}
	roe_set(e, i, ROH_VERIFIED, soaking ? ROS_VERIFIED_AFTER_SOAK : ROS_VERIFIED, 0);
}

/* Before the old instance stops it must report drain_probes probes, one
 * after the other, all asked after the new one was verified: changes the
 * new instance's baseline may have absorbed were checked by the old. */
static void retire(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];

	if (!h->has_old) {
		roe_set(e, i, ROH_RETIRED, ROS_RETIRE, 0); /* nothing to retire */
		return;
	}
	if (h->state != ROH_RETIRING)
		roe_set(e, i, ROH_RETIRING, ROE_NO_STEP, 0);
	if (h->drained < e->cfg.drain_probes)
		roe_send(e, i, RO_REQ_VERIFY, RO_INST_OLD);
	else
		roe_send(e, i, RO_REQ_STOP, RO_INST_OLD);
}

static void stop_new(struct ro_engine *e, uint32_t i)
{
	if (e->h[i].state != ROH_ROLLING_BACK)
		roe_set(e, i, ROH_ROLLING_BACK, ROE_NO_STEP, 0);
	roe_send(e, i, RO_REQ_STOP, RO_INST_NEW);
}

/* --- answers ----------------------------------------------------------------- */

static void on_status(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	struct roe_host *h = &e->h[i];

	if (r->result != RO_RES_OK) {
		chain_error(e, i, r->result);
		return;
	}
	if (r->new_running && !h->new_started) {
		/* It ran before this rollout: not ours to verify, retire
		 * around, or stop on a rollback. */
		h->has_old = false;
		roe_set(e, i, ROH_CURRENT, ROS_CURRENT, 0);
		return;
	}
	if (r->old_running)
		h->has_old = true;
	if (!may_go_on(e, i))
		return;
	if (r->new_running) { /* ours: started before a restart or a defer */
		roe_set(e, i, ROH_VERIFYING, ROS_FOUND, 0);
		roe_send(e, i, RO_REQ_VERIFY, RO_INST_NEW);
		return;
	}
	roe_set(e, i, ROH_STARTING, ROE_NO_STEP, 0);
	roe_send(e, i, RO_REQ_BUNDLE_HAS, RO_INST_NONE);
}

static void on_has(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	if (r->result != RO_RES_OK)
		chain_error(e, i, r->result);
	else if (!may_go_on(e, i))
		return;
	else if (r->has_bundle)
		start_new(e, i);
	else
		roe_send(e, i, RO_REQ_BUNDLE_PUT, RO_INST_NONE);
}

static void on_put(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	if (r->result != RO_RES_OK) {
		chain_error(e, i, r->result);
		return;
	}
	roe_step(e, i, ROS_PUSH, 0);
	if (may_go_on(e, i))
		start_new(e, i);
}

static void on_started(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	if (r->result != RO_RES_OK) {
		chain_error(e, i, r->result);
		return;
	}
	if (!may_go_on(e, i))
		return;
	roe_set(e, i, ROH_VERIFYING, ROS_START, 0);
	if (e->cfg.flags & RO_F_UNSAFE_SKIP_VERIFY)
		verified(e, i); /* the positive control's bug */
	else
		roe_send(e, i, RO_REQ_VERIFY, RO_INST_NEW);
}

/* The new instance's probe: the end of a host's way (a step already asked
 * is finished even after an abort; the rollback or the close then decides). */
static void on_verified(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	if (r->result != RO_RES_OK)
		chain_error(e, i, r->result);
	else
		verified(e, i);
}

static void on_drained(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	struct roe_host *h = &e->h[i];

	if (gone(r->result)) {
		retry_later(e, i, r->result, ROS_RETIRE_RETRY);
		return;
	}
	stop_done(h);
	if (r->result != RO_RES_OK) {
		/* A broken old version must not hold its host forever. */
		h->drained = (uint16_t)e->cfg.drain_probes;
		roe_step(e, i, ROS_DRAIN_FAILED, r->result);
	} else {
		h->drained++;
		roe_step(e, i, ROS_DRAIN, h->drained);
	}
	retire(e, i);
}

static bool stop_answered(struct ro_engine *e, uint32_t i, const struct ro_reply *r,
			  enum ro_step retry_step)
{
	/* GONE: the instance is not there any more, which is what we wanted. */
	if (r->result != RO_RES_OK && r->result != RO_RES_GONE) {
		retry_later(e, i, r->result, retry_step);
		return false;
	}
	stop_done(&e->h[i]);
	return true;
}

static void on_retired(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	/* After the commit a failed stop is retried: the commit stands. */
	if (!stop_answered(e, i, r, ROS_RETIRE_RETRY))
		return;
	e->h[i].old_retired = true;
	roe_set(e, i, ROH_RETIRED, ROS_RETIRE, 0);
}

static void on_stopped_new(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	if (!stop_answered(e, i, r, ROS_STOP_RETRY))
		return;
	if (e->committed)
		roe_set(e, i, ROH_BEHIND, ROS_BEHIND, RO_BEHIND_NEW_STOPPED);
	else
		roe_set(e, i, ROH_ROLLED_BACK, ROS_ROLLBACK, 0);
}

void roe_answer(struct ro_engine *e, uint32_t i, const struct ro_reply *r)
{
	struct roe_host *h = &e->h[i];
	enum ro_req req = h->req;
	enum ro_inst inst = h->req_inst;

	h->req_id = 0;
	e->busy--;
	switch (req) {
	case RO_REQ_STATUS: on_status(e, i, r); break;
	case RO_REQ_BUNDLE_HAS: on_has(e, i, r); break;
	case RO_REQ_BUNDLE_PUT: on_put(e, i, r); break;
	case RO_REQ_START: on_started(e, i, r); break;
	case RO_REQ_VERIFY:
		inst == RO_INST_OLD ? on_drained(e, i, r) : on_verified(e, i, r);
		break;
	case RO_REQ_STOP:
		inst == RO_INST_OLD ? on_retired(e, i, r) : on_stopped_new(e, i, r);
		break;
	default:
		break;
	}
	if (h->slot && !h->req_id) {
		h->slot = false;
		e->in_flight--;
	}
	roe_kick(e, i);
}

/* --- what a host does next, by the rollout's state ---------------------------- */

static void kick_running(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];

	if (h->state == ROH_SOAKING && e->now >= h->wait_until)
		roe_send(e, i, RO_REQ_VERIFY, RO_INST_NEW); /* still detecting after the soak? */
	else if ((h->state == ROH_PENDING ||
		  (h->state == ROH_DEFERRED && e->now >= h->wait_until)) && roe_may_begin(e, i))
		roe_want_slot(e, i);
}

/* Before the commit: stop every new instance this rollout started; no old
 * one ever was. */
static void kick_rollback(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];

	if (!h->new_started || h->state == ROH_ROLLED_BACK || h->state == ROH_DEFERRED ||
	    h->state == ROH_CURRENT)
		return;
	if (h->state == ROH_ROLLING_BACK && h->stuck) {
		/* Gone while we stop its new instance: it may keep it (its old
		 * one runs too); waiting for it would hold the fleet. */
		h->stuck = false;
		roe_set(e, i, ROH_DEFERRED, ROS_DEFER, RO_RES_UNREACHABLE);
		return;
	}
	/* A soaking canary's wait is its soak, not a retry: stopped at once. */
	if (h->state == ROH_SOAKING || e->now >= h->wait_until)
		stop_new(e, i);
}

/* After the commit the rollout only moves forward host by host; when the
 * operator aborts (closing) nothing unreachable is waited for. */
static void kick_committed(struct ro_engine *e, uint32_t i)
{
	struct roe_host *h = &e->h[i];
	bool closing = e->state == ROR_CLOSING;

	switch (h->state) {
	case ROH_VERIFIED:
		retire(e, i);
		break;
	case ROH_SOAKING:
		if (closing)
			stop_new(e, i); /* not switched yet: it stays behind, at once */
		else if (e->now >= h->wait_until)
			roe_send(e, i, RO_REQ_VERIFY, RO_INST_NEW);
		break;
	case ROH_RETIRING:
		if (closing && h->stuck)
			roe_set(e, i, ROH_BEHIND, ROS_BEHIND, RO_BEHIND_STUCK_RETIRING);
		else if (e->now >= h->wait_until)
			retire(e, i);
		break;
	case ROH_DEFERRED:
		if (closing)
			roe_set(e, i, ROH_BEHIND, ROS_BEHIND, RO_BEHIND_UNREACHABLE);
		else if (e->now >= h->wait_until)
			roe_want_slot(e, i); /* it may answer again */
		break;
	case ROH_PENDING: /* in flight when the coordinator restarted */
		if (!closing) {
			roe_want_slot(e, i);
			break;
		}
		__attribute__((fallthrough)); /* an aborted rollout starts nothing */
	case ROH_FAILED:
		if (h->new_started)
			stop_new(e, i);
		else
			roe_set(e, i, ROH_BEHIND, ROS_BEHIND, RO_BEHIND_KEPT_OLD);
		break;
	case ROH_ROLLING_BACK:
		if (closing && h->stuck)
			roe_set(e, i, ROH_BEHIND, ROS_BEHIND, RO_BEHIND_STUCK_STOPPING);
		else if (e->now >= h->wait_until)
			stop_new(e, i);
		break;
	default:
		break;
	}
}

void roe_kick(struct ro_engine *e, uint32_t i)
{
	if (!e->h[i].req_id) {
		switch (e->state) {
		case ROR_RUNNING:
			kick_running(e, i);
			break;
		case ROR_ROLLING_BACK:
		case ROR_ABORTING:
			kick_rollback(e, i);
			break;
		case ROR_COMMITTED:
		case ROR_CLOSING:
			kick_committed(e, i);
			break;
		default:
			break; /* new, paused, final: nothing moves */
		}
	}
	roe_resched(e, i);
}
