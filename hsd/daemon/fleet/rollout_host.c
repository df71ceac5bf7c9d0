/* rollout_host.c - one host's steps in a rollout (rollout.c drives them).
 *
 *   status -> (bundle.has -> bundle.put) -> instance.start -> instance.verify
 *   and after the commit: instance.verify of the old instance (drain) ->
 *   instance.stop of the old one; on a rollback instance.stop of the new.
 * Each step is one call; h->busy is set until its answer.  A transport
 * failure defers the host (it keeps its old version), any other failure
 * marks it failed and rollout.c decides what that means.
 */
#include "rollout_int.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* hsd is stopping: calls end with errors that say nothing of the host. */
static bool ro_stopping(struct ro_host *h)
{
	if (!h->ro->d->stopping)
		return false;
	h->busy = false;
	return true;
}

/* Our own host is always reachable; a peer that does not answer is
 * deferred rather than failed: it keeps its old version meanwhile. */
static bool unreachable(int rc)
{
	return rc == HS_EUNREACH;
}

static void ro_call(struct ro_host *h, const char *cmd, json_t *args, fleet_cb cb)
{
	/* A verification takes up to the probe's deadline on the host. */
	uint32_t ms = !strcmp(cmd, "status") ? RO_STATUS_MS
		      : strcmp(cmd, "instance.verify") ? RO_CALL_MS
		      : (uint32_t)h->ro->b.deadline_s * 1000 + RO_CALL_MS;
	h->busy = true;
	if (h->ro->intent && !strncmp(cmd, "instance.", 9))
		json_object_set(args, "intent", h->ro->intent);
	fleet_call(h->ro->d, h->host, cmd, args, ms, cb, h);
}

static void ro_defer(struct ro_host *h, const char *err)
{
	h->busy = false;
	h->wait_until = uv_now(h->ro->d->loop) + RO_RETRY_MS;
	if (h->state != RO_DEFERRED)
		ro_set(h, RO_DEFERRED, "defer", err, RO_STAMP_NONE);
}

/* A stop or verify that did not go through is tried again next tick.
 * stuck tells the tick to stop waiting for the host (when the operator
 * aborts, or during a rollback): it was unreachable, or it answered with
 * the same failure RO_STOP_TRIES times, which waiting will not mend. */
static void ro_retry_later(struct ro_host *h, bool gone, const char *step,
			   const char *err)
{
	h->busy = false;
	h->wait_until = uv_now(h->ro->d->loop) + RO_RETRY_MS;
	h->stop_fails = gone ? 0 : h->stop_fails + 1;
	h->stuck = gone || h->stop_fails >= RO_STOP_TRIES;
	if (step)
		ro_step(h->ro, ro_hname(h), step, err);
}

static void ro_stop_done(struct ro_host *h)
{
	h->stuck = false;
	h->stop_fails = 0;
}

static void ro_fail(struct ro_host *h, const char *err)
{
	struct rollout *ro = h->ro;
	h->busy = false;
	ro_set(h, RO_FAILED, "fail", err, RO_STAMP_NONE);
	if (!ro->error[0])
		snprintf(ro->error, sizeof(ro->error), "%s: %s", ro_hname(h), err);
}

/* A step's error: deferred if the host did not answer, else failed. */
static void ro_error(struct ro_host *h, int rc, const char *err)
{
	unreachable(rc) ? ro_defer(h, err) : ro_fail(h, err);
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
		ro_error(h, rc, err);
		return;
	}
	snprintf(detail, sizeof(detail), "%s reported probe %s in %lld ms", h->new_inst,
		 json_string_value(json_object_get(res, "token")),
		 (long long)json_integer_value(json_object_get(res, "ms")));
	bool canary = strcmp(ro_hname(h), ro->canary) == 0;
	if (canary && h->state == RO_VERIFYING && ro->soak_s > 0) {
		h->wait_until = uv_now(ro->d->loop) + (uint64_t)ro->soak_s * 1000;
		ro_set(h, RO_SOAKING, "verified", detail, RO_STAMP_VERIFIED);
		ro_step(ro, ro_hname(h), "soak", NULL);
		return;
	}
	ro_set(h, RO_VERIFIED, h->state == RO_SOAKING ? "verified-after-soak" : "verified", detail,
	       h->state == RO_SOAKING ? RO_STAMP_NONE : RO_STAMP_VERIFIED);
}

void ro_verify(struct ro_host *h)
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
		ro_error(h, rc, err);
		return;
	}
	snprintf(h->new_inst, sizeof(h->new_inst), "%s", json_string_value(json_object_get(res, "instance")));
	ro_set(h, RO_VERIFYING, "start", h->new_inst, RO_STAMP_NONE);
	ro_verify(h);
}

static void ro_start(struct ro_host *h)
{
	struct rollout *ro = h->ro;
	bool inherit = ro->b.inherit && h->old_inst[0];
	/* Written before the start is sent: an instance of the target version
	 * found later on this host (a restarted coordinator, a host that
	 * answers again) is then known to be ours, and only ours are ever
	 * stopped by a rollback. */
	snprintf(h->new_inst, sizeof(h->new_inst), "%s@%s", ro->b.name, ro->b.version);
	ro_host_save(h, RO_STAMP_NONE);
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
		ro_error(h, rc, err);
		return;
	}
	ro_step(h->ro, ro_hname(h), "push", h->ro->bundle);
	ro_start(h);
}

static void on_has(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	struct rollout *ro = h->ro;
	char dir[4096], e[HS_ERRLEN], *sig_text = NULL;
	struct bundle_sig sig;
	json_t *pack;

	h->busy = false;
	if (rc) {
		ro_error(h, rc, err);
		return;
	}
	if (json_is_true(json_object_get(res, "has"))) {
		ro_start(h);
		return;
	}
	bundles_dir(ro->d, ro->bundle, dir, sizeof(dir));
	/* The signature travels with the bundle: the host checks it against
	 * its own operators.  Checked here too, with ours of this moment. */
	if (bundles_verify(ro->d, &ro->b, &sig, e, sizeof(e)) == 0 &&
	    !(sig_text = bundle_sig_format(&sig)))
		snprintf(e, sizeof(e), "out of memory");
	if (!sig_text || bundle_pack(dir, &ro->b, &pack, e, sizeof(e))) {
		free(sig_text);
		ro_fail(h, e);
		return;
	}
	ro_call(h, "bundle.put", json_pack("{s:o, s:s}", "bundle", pack, "sig", sig_text), on_put);
	free(sig_text);
}

/* The host's current instance of this IDS (any other version) is the one
 * the new version replaces. */
static void on_status(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	struct rollout *ro = h->ro;
	const char *target = NULL, *other = NULL;
	json_t *v;
	size_t i;

	h->busy = false;
	if (rc) {
		ro_error(h, rc, err);
		return;
	}
	json_array_foreach(json_object_get(res, "instances"), i, v) {
		const char *b = json_string_value(json_object_get(v, "bundle"));
		const char *ver = json_string_value(json_object_get(v, "version"));
		const char *inst = json_string_value(json_object_get(v, "instance"));
		if (!b || !ver || !inst || strcmp(b, ro->b.name))
			continue;
		if (strcmp(ver, ro->b.version) == 0)
			target = inst;
		else if (!other)
			other = inst;
	}
	if (target && !h->new_inst[0]) {
		/* It ran before this rollout: the host is already there.  It is
		 * not ours to verify, retire around, or stop on a rollback. */
		h->old_inst[0] = 0;
		ro_set(h, RO_CURRENT, "current", target, RO_STAMP_NONE);
		return;
	}
	if (other && !h->old_inst[0])
		snprintf(h->old_inst, sizeof(h->old_inst), "%s", other);
	ro_set(h, RO_STARTING, NULL, NULL, RO_STAMP_NONE);
	if (target) { /* ours: started before a coordinator restart or a defer */
		ro_set(h, RO_VERIFYING, "found", h->new_inst, RO_STAMP_NONE);
		ro_verify(h);
		return;
	}
	ro_call(h, "bundle.has", json_pack("{s:s, s:s}", "id", ro->bundle, "hash", ro->b.hash), on_has);
}

void ro_begin_host(struct ro_host *h)
{
	ro_call(h, "status", json_object(), on_status);
}

/* An instance.stop answered: true when the instance is gone (stopped now,
 * or unknown there already); otherwise it is tried again next tick. */
static bool ro_stop_answered(struct ro_host *h, int rc, const char *err,
			     const char *retry_step)
{
	if (ro_stopping(h))
		return false;
	h->busy = false;
	if (rc && rc != HS_ENOENT) {
		ro_retry_later(h, unreachable(rc), retry_step, err);
		return false;
	}
	ro_stop_done(h);
	return true;
}

static void on_retired(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	(void)res;
	/* After the commit a failed stop is retried: the commit stands. */
	if (!ro_stop_answered(h, rc, err, "retire-retry"))
		return;
	ro_set(h, RO_RETIRED, "retire", h->old_inst[0] ? h->old_inst : "(nothing to retire)",
	       RO_STAMP_OLD_STOPPED);
}

static void on_drained(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	if (ro_stopping(h))
		return;
	char detail[128];

	h->busy = false;
	if (rc && unreachable(rc)) {
		ro_retry_later(h, true, "retire-retry", err);
		return;
	}
	ro_stop_done(h);
	if (rc) {
		/* A broken old version must not hold its host forever. */
		h->drained = RO_DRAIN_PROBES;
		ro_step(h->ro, ro_hname(h), "drain-failed", err);
	} else {
		h->drained++;
		snprintf(detail, sizeof(detail), "%s reported probe %s", h->old_inst,
			 json_string_value(json_object_get(res, "token")));
		ro_step(h->ro, ro_hname(h), "drain", detail);
	}
	ro_retire(h);
}

/* Before the old instance stops it must report RO_DRAIN_PROBES probes, one
 * after the other, caused after the new one was verified: the check that
 * reports the second began after the first was reported, so every change
 * the new instance's baseline may have absorbed was checked by the old. */
void ro_retire(struct ro_host *h)
{
	if (!h->old_inst[0]) {
		ro_set(h, RO_RETIRED, "retire", "(nothing to retire)", RO_STAMP_OLD_STOPPED);
		return;
	}
	if (h->state != RO_RETIRING)
		ro_set(h, RO_RETIRING, NULL, NULL, RO_STAMP_NONE);
	if (h->drained < RO_DRAIN_PROBES) {
		ro_call(h, "instance.verify", json_pack("{s:s}", "instance", h->old_inst), on_drained);
		return;
	}
	ro_call(h, "instance.stop", json_pack("{s:s}", "instance", h->old_inst), on_retired);
}

static void on_stopped_new(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_host *h = arg;
	(void)res;
	if (!ro_stop_answered(h, rc, err, "stop-retry"))
		return;
	if (h->ro->committed)
		ro_set(h, RO_BEHIND, "behind", "new instance stopped; the old one still runs",
		       RO_STAMP_NONE);
	else
		ro_set(h, RO_ROLLED_BACK, "rollback", h->new_inst, RO_STAMP_NONE);
}

void ro_stop_new(struct ro_host *h)
{
	if (h->state != RO_ROLLING_BACK)
		ro_set(h, RO_ROLLING_BACK, NULL, NULL, RO_STAMP_NONE);
	ro_call(h, "instance.stop", json_pack("{s:s}", "instance", h->new_inst), on_stopped_new);
}
