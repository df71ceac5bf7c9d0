/* rollout_fleetdb.c - a rollout's state in the fleet database, and its
 * takeover when its host is lost (docs/fleetdb.md, "Replicated rollouts").
 *
 * With a fleet database a rollout's claim row also holds its state: the
 * rollout's and every host's, as the engine would resume from.  It is
 * written ahead: the actions of each engine event are carried out only
 * once that state has committed (SAVE, fenced by the claim's epoch), so
 * the replicated state is never behind what was done.  A SAVE that fails
 * stops the rollout here at once, undone actions dropped: the store keeps
 * it open and the tick picks it up again when the fleet database answers.
 *
 * The tick (every RO_BEAT_MS) is also the lease.  The holder SAVEs at
 * least that often.  The Raft leader's hsd watches the other hosts'
 * claims; one whose SAVEs stopped for RO_LEASE_MS, measured on its own
 * clock, it takes over: the epoch moves on (the old holder's next SAVE
 * fails, so it can never act again) and the leader resumes the rollout
 * from the replicated state as a restarted coordinator would.  A host
 * holding a claim with nothing loaded (hsd restarted, or lost its quorum
 * for a while) takes it from itself the same way and goes on; one whose
 * claim went to another host closes its copy as "moved".
 */
#include "rollout_int.h"
#include "fleetdb.h"
#include "intents.h"
#include "log.h"
#include "store_rollouts.h"
#include "textesc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RO_TICK_MS 1000
#define RO_BEAT_MS 2000
#define RO_LEASE_MS 10000
#define RO_WARN_EVERY_MS 60000
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

static const char *self_name(const struct hsd *d)
{
	return d->cluster.hosts[d->self].name;
}

/* A line that would come every tick (a claim that cannot be taken):
 * once a minute. */
static void __attribute__((format(printf, 2, 3))) warn_limited(struct hsd *d, const char *fmt, ...)
{
	struct rollouts *rs = d->rollouts;
	uint64_t now = uv_now(d->loop);
	char line[2 * HS_ERRLEN];
	va_list ap;

	if (rs->warned_ms && now - rs->warned_ms < RO_WARN_EVERY_MS)
		return;
	rs->warned_ms = now;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("%s", line);
}

/* --- the replicated state -------------------------------------------------- */

static json_t *snap_json(const struct rollout *ro)
{
	json_t *hosts = json_object();
	struct ro_host_info hi;

	for (uint32_t i = 0; i < ro->nh; i++) {
		if (ro_engine_host(ro->e, i, &hi))
			continue;
		json_object_set_new(hosts, ro->d->cluster.hosts[i].name,
				    json_pack("{s:s, s:s, s:b}", "state", ro_hstate_name(hi.state),
					      "old", hi.has_old ? ro->h[i].old_inst : "", "new",
					      hi.new_started));
	}
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:s, s:s, s:O?, s:o}", "v", 1, "bundle",
			 ro->bundle, "canary", ro->canary, "max_parallel", ro->max_parallel,
			 "soak_s", ro->soak_s, "state", ro_state(ro), "error", ro->error, "intent",
			 ro->intent, "hosts", hosts);
}

int ro_snap_fits(const struct rollout *ro, char *err, size_t errlen)
{
	char *intent = json_dumps(ro->intent, JSON_COMPACT);
	/* A host's entry at its longest: name, state, old instance, syntax. */
	size_t need = (intent ? strlen(intent) : 0) + 1024 +
		      ro->nh * (CLUSTER_NAME_MAX + sizeof(ro->h->old_inst) + 48);

	free(intent);
	if (need < FLEETDB_SNAP_MAX)
		return 0;
	return err_set(err, errlen, HS_EINPUT,
		       "rollout: its state (up to %zu bytes for %zu hosts) does not fit the fleet "
		       "database's %d", need, ro->nh, FLEETDB_SNAP_MAX);
}

/* --- SAVE: written ahead of the actions ------------------------------------ */

struct save {
	struct hsd *d;
	uint64_t gen;
};

static void close_moved(struct hsd *d, int64_t id, const char *why)
{
	char err[HS_ERRLEN];

	if (store_rollout_step_add(d->store, id, "*", "moved", why, err, sizeof(err)) ||
	    store_rollout_set_state(d->store, id, "moved", why, true, err, sizeof(err)))
		log_warn("rollout %lld: its move not stored: %s", (long long)id, err);
	log_warn("rollout %lld: no longer driven here: %s", (long long)id, why);
	if (d->rollouts->unloaded == id)
		d->rollouts->unloaded = -1;
	ro_changed(d);
}

static void on_saved(void *arg, const struct fleetdb_reply *rep)
{
	struct save *sv = arg;
	struct hsd *d = sv->d;
	struct rollout *ro = d->rollouts ? d->rollouts->cur : NULL;
	char text[FLEETDB_ERR_LEN];

	if (!ro || ro->gen != sv->gen || d->stopping) {
		free(sv);
		return; /* dropped meanwhile: its actions went with it */
	}
	free(sv);
	ro->save_busy = false;
	if (rep->rc == 0) {
		ro->saved_ms = uv_now(d->loop);
		ro_exec(ro, ro->save_n);
		if (ro->npend && !ro->ended)
			ro_save(ro);
	} else {
		/* Dropped by ro_run, after the event that may be under way
		 * (hsfleetdb away answers inside the call). */
		snprintf(ro->drop_why, sizeof(ro->drop_why), "%.*s", (int)sizeof(ro->drop_why) - 1,
			 fleetdb_escape(rep->text, text));
		ro->drop = rep->rc == HS_ESTATE ? RO_DROP_MOVED : RO_DROP_UNREACH;
	}
	if (!ro->applying && !ro->in_save)
		ro_run(d);
}

void ro_drop(struct hsd *d)
{
	struct rollout *ro = d->rollouts->cur;
	bool moved = ro->drop == RO_DROP_MOVED;
	char why[sizeof(ro->drop_why)];
	int64_t id = ro->id;

	memcpy(why, ro->drop_why, sizeof(why));
	ro_unload(d);
	if (moved)
		close_moved(d, id, "its claim is no longer this host's: the fleet database's "
				   "leader took it over");
	else
		log_warn("rollout %lld: its state did not reach the fleet database (%s); stopped "
			 "here until it does", (long long)id, why);
}

void ro_save(struct rollout *ro)
{
	struct hsd *d = ro->d;
	struct fleetdb_request *req;
	struct save *sv;
	char *text;
	json_t *snap;

	if (ro->save_busy || ro->drop)
		return; /* the next SAVE covers what is decided meanwhile */
	req = calloc(1, sizeof(*req));
	sv = calloc(1, sizeof(*sv));
	snap = snap_json(ro);
	text = snap ? json_dumps(snap, JSON_COMPACT) : NULL;
	json_decref(snap);
	if (!req || !sv || !text || strlen(text) >= sizeof(req->snap)) {
		snprintf(ro->drop_why, sizeof(ro->drop_why), "its state could not be written (out "
			 "of memory, or %zu bytes)", text ? strlen(text) : 0);
		ro->drop = RO_DROP_UNREACH;
		free(text);
		free(req);
		free(sv);
		return;
	}
	req->op = FLEETDB_OP_SAVE;
	req->epoch = ro->epoch;
	snprintf(req->ids, sizeof(req->ids), "%s", ro->b.name);
	snprintf(req->intent, sizeof(req->intent), "%s", ro_intent_id(ro));
	memcpy(req->snap, text, strlen(text) + 1);
	free(text);
	/* The steps decided so far go with it, up to the array's room: the
	 * SAVE covers the actions before the first step left out (the next
	 * covers the rest; the state is the latest either way). */
	size_t n = 0;
	for (; n < ro->npend; n++) {
		const struct ro_pend *p = &ro->pend[n];
		if (p->a.type != RO_ACT_STEP)
			continue;
		if (req->nsteps == FLEETDB_STEPS_MAX)
			break;
		struct fleetdb_step *s = &req->steps[req->nsteps++];
		s->at_ms = p->at_ms;
		s->seq = p->seq;
		snprintf(s->host, sizeof(s->host), "%s", p->host);
		snprintf(s->step, sizeof(s->step), "%s", p->name ? p->name : "?");
		snprintf(s->detail, sizeof(s->detail), "%s", p->text);
	}
	sv->d = d;
	sv->gen = ro->gen;
	ro->save_busy = true;
	ro->save_n = n;
	ro->in_save = true; /* a failure answered at once is dropped by ro_run later */
	fleetdb_call(d, req, on_saved, sv);
	ro->in_save = false;
	free(req);
}

/* --- taking a claim: from a silent holder, or from ourselves --------------- */

struct take {
	struct hsd *d;
	char ids[64], from[CLUSTER_NAME_MAX + 1], intent[72], target[96];
	/* taken: its epoch, its timeline's last step, the step copied last,
	 * and its rollout in this host's store */
	uint64_t epoch;
	uint32_t seq, after;
	int64_t id;
};

/* An old instance named in the replicated state: one of this IDS, in
 * the characters of an instance name ("" : none). */
static bool old_ok(const char *old, const char *ids)
{
	size_t n = strlen(ids);

	if (!*old)
		return true;
	if (strlen(old) >= sizeof(((struct ro_host *)0)->old_inst) || strncmp(old, ids, n) ||
	    old[n] != '@')
		return false;
	return strspn(old + n + 1, NAME_CHARS) == strlen(old + n + 1);
}

/* The replicated state into this host's store, as the open rollout (id:
 * this host's copy of it, or -1: a new one). */
static int snap_store(struct hsd *d, json_t *snap, int64_t *id, char *err, size_t errlen)
{
	const char *bundle = NULL, *canary = NULL, *state = NULL, *error = NULL, *key;
	int max_parallel = 0, soak_s = 0;
	json_t *intent = NULL, *hosts = NULL, *h;
	struct intent it;
	int rc;

	if (json_unpack_ex(snap, NULL, 0, "{s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:o}", "bundle",
			   &bundle, "canary", &canary, "max_parallel", &max_parallel, "soak_s",
			   &soak_s, "state", &state, "error", &error, "intent", &intent, "hosts",
			   &hosts) || !json_is_object(hosts))
		return err_set(err, errlen, HS_EINPUT, "its replicated state is malformed");
	int s = ro_rstate_from_name(state);
	if (s <= ROR_NEW || ro_rstate_final((enum ro_rstate)s))
		return err_set(err, errlen, HS_ENOENT, "it has ended (%s)", state);
	/* Written by another host: its intent must be an operator's, for
	 * this bundle, as at the rollout's start. */
	if ((rc = intents_verify(d, intent, &it, err, errlen)))
		return rc;
	rc = strcmp(it.bundle, bundle) ? err_set(err, errlen, HS_EINPUT,
						 "its intent is for %s, not %s", it.bundle, bundle)
				       : 0;
	intent_free(&it);
	if (rc || (rc = ro_check_options(d, canary, max_parallel, soak_s, err, errlen)))
		return rc;
	char *itext = json_dumps(intent, JSON_COMPACT);
	struct bundle b;
	if (!itext || (rc = bundles_load(d, bundle, &b, err, errlen))) {
		free(itext);
		return itext ? rc : err_set(err, errlen, HS_ESYS, "out of memory");
	}
	struct store_rollout row = { .bundle = bundle, .name = b.name, .state = state,
				     .canary = canary, .max_parallel = max_parallel,
				     .soak_s = soak_s, .intent = itext };
	char error_esc[4 * 256];
	textesc_encode(error_esc, sizeof(error_esc), error, strnlen(error, 256), TEXTESC_TERM);
	if (*id < 0)
		rc = store_rollout_insert(d->store, &row, id, err, errlen);
	if (!rc)
		rc = store_rollout_set_state(d->store, *id, state, error_esc, false, err, errlen);
	char new_inst[sizeof(b.name) + sizeof(b.version) + 2], b_name[sizeof(b.name)];
	snprintf(new_inst, sizeof(new_inst), "%s@%s", b.name, b.version);
	snprintf(b_name, sizeof(b_name), "%s", b.name);
	bundle_free(&b);
	free(itext);
	json_object_foreach(hosts, key, h) {
		const char *hs = json_string_value(json_object_get(h, "state"));
		const char *old = json_string_value(json_object_get(h, "old"));
		if (rc)
			break;
		if (cluster_host_index(&d->cluster, key) < 0 || !hs || ro_hstate_from_name(hs) < 0 ||
		    !old || !old_ok(old, b_name))
			continue; /* resumed as pending: asked again */
		rc = store_rollout_host_set(d->store, *id, key, hs, old,
					    json_is_true(json_object_get(h, "new")) ? new_inst : "",
					    STORE_STAMP_NONE, err, errlen);
	}
	return rc;
}

/* The taken rollout, in the store (with the timeline before it when it
 * was another host's), goes on here. */
static void resume_taken(struct take *t)
{
	struct hsd *d = t->d;
	struct rollouts *rs = d->rollouts;
	bool self = strcmp(t->from, self_name(d)) == 0;
	char err[HS_ERRLEN], detail[HS_ERRLEN];

	rs->busy = false;
	ro_set_unloaded(rs, t->id, t->intent); /* until it is loaded: no other rollout begins */
	if (ro_resume(d, t->epoch, t->seq, err, sizeof(err)) || !rs->cur) {
		warn_limited(d, "rollout of %s (claim from %s) not continued here: %s", t->ids,
			     t->from, rs->cur ? err : "it did not resume");
		return;
	}
	snprintf(detail, sizeof(detail), "%s %s at epoch %llu",
		 self ? "resumed from the fleet database by" : "taken over from", t->from,
		 (unsigned long long)t->epoch);
	log_info("rollout of %s: %s", t->ids, detail);
	ro_note(rs->cur, self ? "resume" : "takeover", detail);
	ro_run(d);
}

static void copy_steps(struct take *t);

/* A page of the replicated timeline into the store, then the next. */
static void on_steps(void *arg, const struct fleetdb_reply *rep)
{
	struct take *t = arg;
	struct hsd *d = t->d;
	char err[HS_ERRLEN], host[4 * sizeof(rep->steps->host)];
	char step[4 * sizeof(rep->steps->step)], detail[4 * sizeof(rep->steps->detail)];

	if (d->stopping) {
		free(t);
		return;
	}
	for (uint32_t i = 0; !rep->rc && i < rep->nsteps; i++) {
		const struct fleetdb_step *s = &rep->steps[i];
		if (s->seq <= t->after || s->seq > t->seq)
			break; /* out of order: a broken answer ends the copy */
		t->after = s->seq;
		/* Written by another host: escaped before a terminal shows it. */
		textesc_encode(host, sizeof(host), s->host, strlen(s->host), TEXTESC_TERM);
		textesc_encode(step, sizeof(step), s->step, strlen(s->step), TEXTESC_TERM);
		textesc_encode(detail, sizeof(detail), s->detail, strlen(s->detail), TEXTESC_TERM);
		if (store_rollout_step_add_at(d->store, t->id, s->at_ms, host, step, detail, err,
					      sizeof(err)))
			log_warn("rollout %lld: a step of its timeline not copied: %s",
				 (long long)t->id, err);
	}
	if (!rep->rc && rep->nsteps == FLEETDB_STEPS_MAX && t->after < t->seq) {
		copy_steps(t);
		return;
	}
	if (t->after < t->seq)
		log_warn("rollout %lld: its timeline before the takeover copied up to step %u of "
			 "%u", (long long)t->id, t->after, t->seq);
	resume_taken(t);
	free(t);
}

static void copy_steps(struct take *t)
{
	struct fleetdb_request *req = calloc(1, sizeof(*req));

	if (!req) {
		resume_taken(t);
		free(t);
		return;
	}
	req->op = FLEETDB_OP_STEPS;
	req->after = t->after;
	snprintf(req->intent, sizeof(req->intent), "%s", t->intent);
	fleetdb_call(t->d, req, on_steps, t);
	free(req);
}

static void on_taken(void *arg, const struct fleetdb_reply *rep)
{
	struct take *t = arg;
	struct hsd *d = t->d;
	struct rollouts *rs = d->rollouts;
	bool mine = strcmp(t->from, self_name(d)) == 0 && rs->unloaded >= 0 &&
		    strcmp(rs->unloaded_intent, t->intent) == 0;
	char err[HS_ERRLEN];
	json_t *snap = NULL;
	int rc = rep->rc;

	t->id = mine ? rs->unloaded : -1;
	if (d->stopping || rs->cur || rs->claiming) {
		rs->busy = false;
		free(t); /* a rollout began here meanwhile: the claim waits for the next tick */
		return;
	}
	if (rc == HS_ESTATE && mine)
		close_moved(d, t->id, "its claim is no longer this host's: the fleet database's "
				      "leader took it over");
	if (rc) {
		rs->busy = false;
		free(t);
		return;
	}
	t->epoch = rep->epoch;
	t->seq = rep->seq;
	if (!(snap = json_loads(rep->snap, 0, NULL)))
		rc = err_set(err, sizeof(err), HS_EINPUT, "its replicated state is not JSON");
	else
		rc = snap_store(d, snap, &t->id, err, sizeof(err));
	json_decref(snap);
	if (rc == HS_ENOENT) {
		/* Ended, only its claim was left (a release lost with hsd). */
		fleetdb_release(d, t->ids, t->intent);
		if (mine)
			close_moved(d, t->id, err);
	} else if (rc == HS_EINPUT) {
		/* Not a state any hsd wrote (or its intent has expired): no
		 * host can act on it, and its claim would block the IDS. */
		log_error("rollout of %s (claim from %s) dropped: %s; its claim is given back",
			  t->ids, t->from, err);
		fleetdb_release(d, t->ids, t->intent);
	} else if (rc) {
		warn_limited(d, "rollout of %s (claim from %s) not continued here: %s", t->ids,
			     t->from, err);
	} else if (!mine) {
		ro_set_unloaded(rs, t->id, t->intent); /* stored, not loaded: no other rollout begins */
		copy_steps(t);
		return;
	} else {
		resume_taken(t);
	}
	rs->busy = false;
	free(t);
}

static void take(struct hsd *d, const struct fleetdb_claim_row *c)
{
	struct fleetdb_request *req = calloc(1, sizeof(*req));
	struct take *t = calloc(1, sizeof(*t));
	struct rollouts *rs = d->rollouts;
	char err[HS_ERRLEN], target[4 * sizeof(c->target)];
	struct bundle b;

	if (!req || !t) {
		free(req);
		free(t);
		return;
	}
	/* Without the signed bundle no host could be given it: said, and
	 * not taken (the claim row came from another host: its text escaped). */
	if (bundles_load_signed(d, c->target, &b, err, sizeof(err))) {
		textesc_encode(target, sizeof(target), c->target, strlen(c->target), TEXTESC_TERM);
		warn_limited(d, "rollout to %s (claim of host %s) cannot continue here: %s "
			     "(hsctl bundle add it here)", target, c->host, err);
		free(req);
		free(t);
		return;
	}
	bundle_free(&b);
	t->d = d;
	snprintf(t->ids, sizeof(t->ids), "%s", c->ids);
	snprintf(t->from, sizeof(t->from), "%s", c->host);
	snprintf(t->intent, sizeof(t->intent), "%s", c->intent);
	req->op = FLEETDB_OP_TAKE;
	req->epoch = c->epoch;
	snprintf(req->ids, sizeof(req->ids), "%s", c->ids);
	snprintf(req->from, sizeof(req->from), "%s", c->host);
	snprintf(req->intent, sizeof(req->intent), "%s", c->intent);
	rs->busy = true;
	fleetdb_call(d, req, on_taken, t);
	free(req);
}

/* A claim row as hsd writes them: an IDS name, a host of the cluster, an
 * intent id.  Another is left alone (and never logged raw). */
static bool claim_ok(const struct hsd *d, const struct fleetdb_claim_row *c)
{
	return c->ids[0] && strspn(c->ids, NAME_CHARS) == strlen(c->ids) &&
	       strspn(c->intent, NAME_CHARS) == strlen(c->intent) &&
	       cluster_host_index(&d->cluster, c->host) >= 0;
}

/* The leader's watch: a claim whose beat has not moved for RO_LEASE_MS of
 * this host's clock (never the holder's: clocks differ). */
static const struct fleetdb_claim_row *lease_expired(struct hsd *d, const struct fleetdb_reply *rep)
{
	struct rollouts *rs = d->rollouts;
	struct ro_watch next[FLEETDB_CLAIMS_MAX];
	const struct fleetdb_claim_row *expired = NULL;
	uint64_t now = uv_now(d->loop);

	for (size_t i = 0; i < rep->nclaims; i++) {
		const struct fleetdb_claim_row *c = &rep->claims[i];
		struct ro_watch *w = &next[i];
		*w = (struct ro_watch){ .epoch = c->epoch, .beat = c->beat, .since_ms = now };
		snprintf(w->ids, sizeof(w->ids), "%s", c->ids);
		snprintf(w->host, sizeof(w->host), "%s", c->host);
		snprintf(w->intent, sizeof(w->intent), "%s", c->intent);
		for (size_t j = 0; j < rs->nwatch; j++) {
			struct ro_watch *o = &rs->watch[j];
			if (!strcmp(o->ids, w->ids) && !strcmp(o->host, w->host) &&
			    !strcmp(o->intent, w->intent) && o->epoch == w->epoch && o->beat == w->beat)
				w->since_ms = o->since_ms;
		}
		if (!expired && claim_ok(d, c) && strcmp(c->host, self_name(d)) &&
		    now - w->since_ms >= RO_LEASE_MS)
			expired = c;
	}
	memcpy(rs->watch, next, rep->nclaims * sizeof(next[0]));
	rs->nwatch = rep->nclaims;
	return expired;
}


static void on_claims(void *arg, const struct fleetdb_reply *rep)
{
	struct hsd *d = arg;
	struct rollouts *rs = d->rollouts;
	const struct fleetdb_claim_row *mine = NULL, *c;

	rs->busy = false;
	if (rep->rc || d->stopping) {
		rs->nwatch = 0; /* a lease runs out only while it is watched */
		return;
	}
	if (rs->cur || rs->claiming)
		return;
	for (size_t i = 0; i < rep->nclaims; i++) {
		c = &rep->claims[i];
		if (!claim_ok(d, c) || strcmp(c->host, self_name(d)))
			continue;
		if (!mine || !strcmp(c->intent, rs->unloaded_intent))
			mine = c;
	}
	if (mine) {
		take(d, mine);
		return;
	}
	if (rs->unloaded >= 0) {
		close_moved(d, rs->unloaded, "its claim is no longer this host's: another host "
					     "took it over, or it was given back");
		return;
	}
	if (!rep->self_leader) {
		rs->nwatch = 0;
		return;
	}
	if ((c = lease_expired(d, rep)))
		take(d, c);
}

static void on_tick(uv_timer_t *h)
{
	struct hsd *d = h->data;
	struct rollouts *rs = d->rollouts;
	struct rollout *ro = rs->cur;

	if (d->stopping || rs->busy || rs->claiming)
		return;
	if (!fleetdb_enabled(d)) { /* voters taken out of cluster.json */
		char err[HS_ERRLEN];
		if (!ro && rs->unloaded >= 0 && ro_resume(d, 0, 0, err, sizeof(err)))
			log_warn("rollout %lld not resumed: %s", (long long)rs->unloaded, err);
		return;
	}
	if (ro) {
		if (ro->epoch && !ro->save_busy && uv_now(d->loop) - ro->saved_ms >= RO_BEAT_MS)
			ro_save(ro);
		return;
	}
	struct fleetdb_request req;
	memset(&req, 0, sizeof(req));
	req.op = FLEETDB_OP_CLAIMS;
	rs->busy = true;
	fleetdb_call(d, &req, on_claims, d);
}

/* The store's open rollout, not resumed: the tick resumes it once its
 * claim is known to be still this host's. */
static int peek_open(void *ctx, const struct store_rollout *r, char *err, size_t errlen)
{
	struct rollouts *rs = ctx;
	json_t *env = r->intent ? json_loads(r->intent, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(json_object_get(env, "intent"), "id"));

	(void)err;
	(void)errlen;
	ro_set_unloaded(rs, r->id, id);
	json_decref(env);
	return 0;
}

/* Always ticking: cluster.json may name voters after a reload. */
int rollout_fleetdb_init(struct hsd *d, char *err, size_t errlen)
{
	struct rollouts *rs = d->rollouts;
	int rc = 0;

	uv_timer_init(d->loop, &rs->tick);
	rs->tick.data = d;
	uv_timer_start(&rs->tick, on_tick, RO_TICK_MS, RO_TICK_MS);
	if (!fleetdb_enabled(d))
		return 0;
	if ((rc = store_rollout_get_open(d->store, peek_open, rs, err, errlen)) < 0)
		return rc;
	if (rs->unloaded >= 0)
		log_info("rollout %lld: resumed once the fleet database says its claim is still "
			 "this host's", (long long)rs->unloaded);
	return 0;
}

void rollout_fleetdb_free(struct hsd *d)
{
	uv_close((uv_handle_t *)&d->rollouts->tick, NULL);
}
