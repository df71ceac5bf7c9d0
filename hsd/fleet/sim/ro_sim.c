/*
 * ro_sim.c - hosts, the coordinator, faults and the invariant checks.
 *
 * Checking after every event: an event changes the instances of at most
 * one host (the one a request, probe or crash concerns), so checking that
 * host after it is the same as checking every host, at O(1) per event;
 * the engine's in-flight count is checked after every engine call, and
 * every host once more at the end.  The store check is the same: rows only
 * move forward (new_started never clears, a committed rollout stays so),
 * except in the no-write-ahead control, which checks every host then.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ro_sim_int.h"

static const char *const inv_names[RO_INV__N] = { "no-verified-instance",
	"old-stopped-before-new-verified", "no-end", "rollback-not-on-verified",
	"max-parallel", "final-view", "stall", "store-behind-hosts" };

const char *ro_inv_name(enum ro_inv v)
{
	return (unsigned)v < RO_INV__N ? inv_names[v] : "?";
}

struct rs_host {
	bool old_run, old_ver, new_run, new_ver, has_bundle;
	bool bad;		/* the new version's probe never succeeds here */
	bool was_current;	/* ran the target version before the rollout */
	uint32_t epoch;		/* hsd incarnation on the host: probes die with it */
	uint64_t down_until, parted_until;
};

struct rs {
	const struct ro_sim_config *cfg;
	const struct ro_sim_faults *f;
	struct ro_config ecfg;
	uint32_t n;
	uint64_t now, rng;
	struct rs_host *h;
	struct rs_queue q;
	struct ro_engine *e;
	bool coord_down;
	uint32_t incarnation;
	uint64_t *died_at;		/* per incarnation: when its engine went */
	uint32_t n_died;
	uint32_t driver;		/* its host; RO_ALL_HOSTS: none (deposed, or
					   a coordinator outside the fleet) */
	uint32_t deposed;		/* the last driver's host */
	bool electing;			/* a takeover is due */
	uint64_t commit_at;		/* the last write's commit */
	uint64_t timer_at;
	uint32_t timer_gen;
	struct ro_actions act;
	enum ro_rstate p_rstate;	/* the coordinator's store */
	struct ro_phost *p_hosts;
	bool *p_verified;		/* the store's verified_at stamp */
	/* The positive control: the rows before the last write. */
	enum ro_rstate s_rstate;
	struct ro_phost *s_hosts;
	bool *s_verified;
	bool ended;
	struct ro_sim_result *res;
};

static void trace(struct rs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct rs *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!s->cfg->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->cfg->trace(s->cfg->trace_arg, s->now, line);
}

static void violation(struct rs *s, enum ro_inv v, uint32_t host, const char *what)
{
	s->res->violations[v]++;
	if (!s->res->first[0]) /* the first of any kind, for the test's message */
		snprintf(s->res->first, sizeof(s->res->first), "t=%" PRIu64 " host %u: %s (%s)",
			 s->now, host, ro_inv_name(v), what);
	trace(s, "VIOLATION host %u %s: %s", host, ro_inv_name(v), what);
}

static void push(struct rs *s, struct rs_ev *ev)
{
	if (rs_queue_push(&s->q, ev))
		s->res->lost++; /* out of memory: counted as a lost message */
}

static uint64_t latency(struct rs *s)
{
	return range(&s->rng, s->f->lat_min_ms, s->f->lat_max_ms);
}

static bool reachable(const struct rs_host *h, uint64_t now)
{
	return now >= h->down_until && now >= h->parted_until;
}

/* (a): some running instance on the host was verified. */
static void check_host(struct rs *s, uint32_t i)
{
	const struct rs_host *h = &s->h[i];

	s->res->checks++;
	if (!(h->old_run && h->old_ver) && !(h->new_run && h->new_ver))
		violation(s, RO_INV_NO_VERIFIED, i, "no running verified instance");
}

static bool committed(enum ro_rstate r)
{
	return r == ROR_COMMITTED || r == ROR_CLOSING || r == ROR_DONE || r == ROR_PARTIAL;
}

/* The rows a new driver resumes from must not lag the host: it would take
 * our new instance for one that ran before (not ours to verify or stop),
 * or roll back a host whose old instance is already stopped. */
static void check_store(struct rs *s, uint32_t i)
{
	const struct rs_host *h = &s->h[i];

	s->res->checks++;
	if (h->was_current)
		return;
	if (h->new_run && !s->p_hosts[i].new_started)
		violation(s, RO_INV_STORE_BEHIND, i, "new instance runs, its row says never started");
	if (!h->old_run && !committed(s->p_rstate))
		violation(s, RO_INV_STORE_BEHIND, i, "old instance stopped, the rollout's row not committed");
}

static bool unsafe(const struct rs *s)
{
	return s->cfg->flags & RO_SIM_F_UNSAFE_NO_WRITE_AHEAD;
}

static void schedule(struct rs *s, uint8_t type, uint32_t host, uint64_t t, uint64_t a);

/* --- the coordinator --------------------------------------------------------- */

/* One engine call's actions.  With a driver its rows are one write to the
 * replicated database and its sends go out only once that write commits,
 * after the writes before it (the log's order); if the driver is deposed
 * first they never go (on_request).  Without a driver the rows are stored
 * at once, before the sends too. */
static void apply(struct rs *s)
{
	uint64_t sent_at = s->now;
	bool snap = unsafe(s);

	if (s->f->lease_ms && s->act.n && !unsafe(s)) {
		sent_at = s->now + range(&s->rng, s->f->commit_min_ms, s->f->commit_max_ms);
		if (sent_at < s->commit_at)
			sent_at = s->commit_at;
		s->commit_at = sent_at;
	}
	for (size_t k = 0; k < s->act.n; k++) {
		const struct ro_action *a = &s->act.v[k];
		switch (a->type) {
		case RO_ACT_PERSIST:
			if (snap) { /* the positive control keeps the rows before */
				snap = false;
				s->s_rstate = s->p_rstate;
				memcpy(s->s_hosts, s->p_hosts, s->n * sizeof(*s->s_hosts));
				memcpy(s->s_verified, s->p_verified, s->n * sizeof(*s->s_verified));
			}
			if (a->host == RO_ALL_HOSTS)
				s->p_rstate = a->rstate;
			else
				s->p_hosts[a->host] = (struct ro_phost){ a->hstate, a->has_old,
									 a->new_started };
			if (a->host != RO_ALL_HOSTS && a->stamp == RO_STAMP_VERIFIED)
				s->p_verified[a->host] = true;
			/* The store's proof: verified_at before old_stopped_at. */
			if (a->host != RO_ALL_HOSTS && a->stamp == RO_STAMP_OLD_STOPPED &&
			    a->has_old && !s->p_verified[a->host])
				violation(s, RO_INV_EARLY_STOP, a->host,
					  "old_stopped stamped without verified_at");
			break;
		case RO_ACT_SEND: {
			s->res->sends++;
			s->res->sends_by_req[a->req]++;
			trace(s, "send %u %s %s #%" PRIu64, a->host, ro_req_name(a->req),
			      a->inst == RO_INST_OLD ? "old" : a->inst == RO_INST_NEW ? "new" : "",
			      a->req_id);
			if (chance(&s->rng, s->f->lost)) {
				s->res->lost++;
				break;
			}
			struct rs_ev ev = { .t = sent_at + latency(s), .type = RS_EV_REQ,
					    .req = (uint8_t)a->req, .inst = (uint8_t)a->inst,
					    .host = a->host, .gen = s->incarnation,
					    .req_id = a->req_id, .a = sent_at };
			push(s, &ev);
			break;
		}
		case RO_ACT_STEP:
			if (a->host == RO_ALL_HOSTS)
				trace(s, "step * %s %u", ro_step_name(a->step), a->detail);
			else
				trace(s, "step %u %s %u", a->host, ro_step_name(a->step), a->detail);
			break;
		}
	}
}

/* After every engine call: its actions, its wakeup, the parallel check. */
static void engine_done(struct rs *s)
{
	struct ro_info in;

	s->res->engine_calls++;
	apply(s);
	if (s->act.wakeup_ms != s->timer_at) {
		s->timer_gen++;
		s->timer_at = s->act.wakeup_ms;
		if (s->timer_at != RO_NEVER) {
			struct rs_ev ev = { .t = s->timer_at > s->now ? s->timer_at : s->now,
					    .type = RS_EV_TIMER, .gen = s->timer_gen };
			push(s, &ev);
		}
	}
	ro_actions_reset(&s->act);
	ro_engine_info(s->e, &in);
	s->res->checks++;
	if (in.in_flight > s->ecfg.max_parallel)
		violation(s, RO_INV_PARALLEL, RO_ALL_HOSTS, "more hosts in flight than max_parallel");
	if (ro_rstate_final(in.state) && !s->ended) {
		s->ended = true;
		s->res->final = in.state;
		s->res->end_ms = s->now;
		trace(s, "end %s (leader changes %u)", ro_rstate_name(in.state),
		      s->res->leader_changes);
	}
}

static int coord_up(struct rs *s, char *err, size_t errlen)
{
	s->ecfg.first_req_id = (uint64_t)s->incarnation << 40;
	if (!(s->e = ro_engine_create(&s->ecfg, err, errlen)))
		return -1;
	s->coord_down = false;
	s->timer_at = RO_NEVER;
	if (s->p_rstate == ROR_NEW)
		ro_engine_start(s->e, s->now, &s->act);
	else
		ro_engine_resume_from(s->e, s->p_rstate, s->p_hosts, s->n, s->now, &s->act);
	engine_done(s);
	return 0;
}

/* The engine is thrown away; sends of its writes not yet committed never go. */
static void engine_gone(struct rs *s)
{
	ro_engine_destroy(s->e);
	s->e = NULL;
	s->coord_down = true;
	if (s->incarnation < s->n_died)
		s->died_at[s->incarnation] = s->now;
	s->incarnation++;
	s->timer_gen++;
	s->commit_at = 0;
}

/* The driver's host went down or was cut off: its next write fails on the
 * quorum (or, later, on the epoch), so it acts no more from now on.  The
 * database's leader sees no renewal for lease_ms after the last one and
 * takes over after an election. */
static void depose(struct rs *s, const char *why)
{
	if (s->electing || s->ended)
		return;
	engine_gone(s);
	s->electing = true;
	s->deposed = s->driver;
	s->driver = RO_ALL_HOSTS;
	s->res->leader_changes++;
	if (unsafe(s)) { /* no write-ahead: the last write's rows are lost */
		s->p_rstate = s->s_rstate;
		memcpy(s->p_hosts, s->s_hosts, s->n * sizeof(*s->s_hosts));
		memcpy(s->p_verified, s->s_verified, s->n * sizeof(*s->s_verified));
		for (uint32_t i = 0; i < s->n; i++)
			check_store(s, i);
	}
	uint64_t since = range(&s->rng, 0, s->f->renew_ms < s->f->lease_ms ? s->f->renew_ms : 0);
	uint64_t t = s->now + s->f->lease_ms - since +
		     range(&s->rng, s->f->election_min_ms, s->f->election_max_ms);
	trace(s, "leader change %u: driver %u %s; takeover at %" PRIu64, s->res->leader_changes,
	      s->deposed, why, t);
	schedule(s, RS_EV_LEADER_UP, 0, t, 0);
}

/* A host that is up and reaches the quorum takes over, another than the
 * deposed one if there is one; none: tried again a second later. */
static void leader_up(struct rs *s)
{
	uint32_t others = 0, pick, i;

	for (i = 0; i < s->n; i++)
		others += i != s->deposed && reachable(&s->h[i], s->now);
	if (!others && !reachable(&s->h[s->deposed], s->now)) {
		schedule(s, RS_EV_LEADER_UP, 0, s->now + 1000, 0);
		return;
	}
	pick = others ? (uint32_t)range(&s->rng, 0, others - 1) : 0;
	for (i = 0; i < s->n && others; i++)
		if (i != s->deposed && reachable(&s->h[i], s->now) && !pick--)
			break;
	s->driver = others ? i : s->deposed;
	s->electing = false;
	s->res->takeovers++;
	trace(s, "leader: host %u drives (incarnation %u)", s->driver, s->incarnation);
	char err[128];
	if (coord_up(s, err, sizeof(err)))
		violation(s, RO_INV_NO_END, RO_ALL_HOSTS, "the new driver could not start");
}

/* An operator command: tried again a second later while the coordinator
 * is down (hsctl would fail; the operator retries). */
static void operator(struct rs *s, const struct rs_ev *ev)
{
	if (s->coord_down) {
		struct rs_ev again = *ev;
		again.t = s->now + 1000;
		push(s, &again);
		return;
	}
	int rc;
	switch (ev->type) {
	case RS_EV_PAUSE:
		rc = ro_engine_pause(s->e, s->now, &s->act);
		if (rc == RO_OK) {
			struct rs_ev r = { .t = s->now + ev->a, .type = RS_EV_RESUME };
			push(s, &r);
		}
		break;
	case RS_EV_RESUME:
		ro_engine_resume(s->e, s->now, &s->act);
		break;
	case RS_EV_GIVE_UP: {
		bool gone = false;
		for (uint32_t i = 0; i < s->n; i++)
			gone |= s->h[i].down_until == RO_NEVER;
		/* Only a host that never returns may hold a rollout this long. */
		if (!gone && !s->res->gave_up)
			violation(s, RO_INV_STALL, RO_ALL_HOSTS, "no end although every host is back");
		s->res->gave_up = true;
	}
		__attribute__((fallthrough));
	default:
		ro_engine_abort(s->e, s->now, &s->act);
		break;
	}
	engine_done(s);
}

/* --- the hosts ------------------------------------------------------------------ */

static void reply(struct rs *s, const struct rs_ev *req, enum ro_result r, const struct rs_host *h)
{
	if (chance(&s->rng, s->f->lost)) {
		s->res->lost++;
		return;
	}
	struct rs_ev ev = { .t = s->now + latency(s), .type = RS_EV_REPLY, .req = req->req,
			    .inst = req->inst, .result = (uint8_t)r, .host = req->host,
			    .gen = req->gen, .req_id = req->req_id };
	if (h) {
		ev.old_running = h->old_run;
		ev.new_running = h->new_run;
		ev.has_bundle = h->has_bundle;
	}
	push(s, &ev);
}

static void on_request(struct rs *s, const struct rs_ev *ev)
{
	struct rs_host *h = &s->h[ev->host];
	bool *run, *ver;

	if (ev->gen != s->incarnation && ev->gen < s->n_died && ev->a > s->died_at[ev->gen]) {
		s->res->unsent++; /* its write never committed: never sent */
		return;
	}
	if (s->now < h->down_until) {
		reply(s, ev, RO_RES_UNREACHABLE, NULL); /* hsd down: connection refused */
		return;
	}
	if (!reachable(h, s->now)) {
		s->res->lost++; /* partitioned: the coordinator times out */
		return;
	}
	run = ev->inst == RO_INST_OLD ? &h->old_run : &h->new_run;
	ver = ev->inst == RO_INST_OLD ? &h->old_ver : &h->new_ver;
	switch (ev->req) {
	case RO_REQ_STATUS:
	case RO_REQ_BUNDLE_HAS:
		reply(s, ev, RO_RES_OK, h);
		break;
	case RO_REQ_BUNDLE_PUT:
		h->has_bundle = true;
		reply(s, ev, RO_RES_OK, h);
		break;
	case RO_REQ_START:
		if (chance(&s->rng, s->f->start_fail) || !h->has_bundle) {
			reply(s, ev, RO_RES_FAILED, h);
			break;
		}
		if (!h->new_run) { /* start is idempotent */
			h->new_run = true;
			h->new_ver = false;
		}
		reply(s, ev, RO_RES_OK, h);
		break;
	case RO_REQ_VERIFY: {
		if (!*run) {
			reply(s, ev, RO_RES_GONE, h);
			break;
		}
		uint64_t ms = range(&s->rng, s->f->probe_min_ms, s->f->probe_max_ms);
		if (chance(&s->rng, s->f->slow_probe)) /* past the engine's deadline */
			ms = (uint64_t)s->ecfg.probe_deadline_ms + s->ecfg.call_ms +
			     range(&s->rng, 1, 20000);
		struct rs_ev p = *ev;
		p.t = s->now + ms;
		p.type = RS_EV_PROBE;
		p.a = h->epoch;
		push(s, &p);
		break;
	}
	case RO_REQ_STOP:
		if (chance(&s->rng, s->f->stop_fail)) {
			reply(s, ev, RO_RES_FAILED, h);
			break;
		}
		if (!*run) {
			reply(s, ev, RO_RES_GONE, h);
			break;
		}
		/* (b): the old instance goes only after the new one was verified. */
		if (ev->inst == RO_INST_OLD && !(h->new_run && h->new_ver))
			violation(s, RO_INV_EARLY_STOP, ev->host,
				  "old instance stopped before the new one was verified");
		*run = false;
		*ver = false;
		reply(s, ev, RO_RES_OK, h);
		break;
	default:
		reply(s, ev, RO_RES_FAILED, h);
		break;
	}
	(void)ver;
}

static void on_probe(struct rs *s, const struct rs_ev *ev)
{
	struct rs_host *h = &s->h[ev->host];
	bool *run = ev->inst == RO_INST_OLD ? &h->old_run : &h->new_run;
	bool *ver = ev->inst == RO_INST_OLD ? &h->old_ver : &h->new_ver;

	if (ev->a != h->epoch || s->now < h->down_until)
		return; /* hsd on the host restarted meanwhile: the answer is lost */
	if (!*run) {
		reply(s, ev, RO_RES_GONE, h);
		return;
	}
	if ((ev->inst == RO_INST_NEW && h->bad) || chance(&s->rng, s->f->probe_fail)) {
		reply(s, ev, RO_RES_FAILED, h);
		return;
	}
	*ver = true;
	if (!reachable(h, s->now)) {
		s->res->lost++;
		return;
	}
	reply(s, ev, RO_RES_OK, h);
}

static void on_reply(struct rs *s, const struct rs_ev *ev)
{
	struct ro_reply r = { .result = ev->result, .old_running = ev->old_running,
			      .new_running = ev->new_running, .has_bundle = ev->has_bundle };

	if (s->coord_down || ev->gen != s->incarnation) {
		s->res->stale++; /* to a coordinator that is no more */
		return;
	}
	/* A partition cuts both ways; "connection refused" comes from the
	 * coordinator's own transport. */
	if (ev->result != RO_RES_UNREACHABLE && !reachable(&s->h[ev->host], s->now)) {
		s->res->lost++;
		return;
	}
	if (ro_engine_reply(s->e, ev->host, ev->req_id, &r, s->now, &s->act) == RO_ESTALE)
		s->res->stale++;
	engine_done(s);
}

/* --- set-up, run, final checks ------------------------------------------------ */

static void schedule(struct rs *s, uint8_t type, uint32_t host, uint64_t t, uint64_t a)
{
	struct rs_ev ev = { .t = t, .type = type, .host = host, .a = a };
	push(s, &ev);
}

static void setup(struct rs *s)
{
	const struct ro_sim_faults *f = s->f;
	uint64_t *r = &s->rng;

	for (uint32_t i = 0; i < s->n; i++) {
		struct rs_host *h = &s->h[i];
		h->bad = f->bad >= 1000 || chance(r, f->bad);
		if (chance(r, f->current)) {
			h->was_current = h->new_run = h->new_ver = h->has_bundle = true;
		} else {
			h->old_run = h->old_ver = true;
		}
	}
	for (uint32_t k = 0; k < f->n_partitions; k++)
		schedule(s, RS_EV_PARTITION, (uint32_t)range(r, 0, s->n - 1),
			 range(r, 0, f->window_ms), range(r, 1, f->partition_max_ms));
	for (uint32_t k = 0; k < f->n_host_crashes; k++)
		schedule(s, RS_EV_HOST_CRASH, (uint32_t)range(r, 0, s->n - 1),
			 range(r, 0, f->window_ms), range(r, 1, f->host_down_max_ms));
	for (uint32_t k = 0; k < f->n_gone; k++)
		schedule(s, RS_EV_HOST_CRASH, (uint32_t)range(r, 0, s->n - 1),
			 range(r, 0, f->window_ms), RO_NEVER);
	for (uint32_t k = 0; k < f->n_coord_crashes; k++)
		schedule(s, RS_EV_COORD_CRASH, 0, range(r, 1, f->window_ms),
			 range(r, 1, f->coord_down_max_ms));
	for (uint32_t k = 0; k < f->n_pauses; k++)
		schedule(s, RS_EV_PAUSE, 0, range(r, 1, f->window_ms), range(r, 1, f->pause_max_ms));
	for (uint32_t k = 0; k < f->n_leader_changes; k++)
		schedule(s, RS_EV_LEADER_CHANGE, 0, range(r, 1, f->window_ms), 0);
	if (f->leader_at_ms)
		schedule(s, RS_EV_LEADER_CHANGE, 0, f->leader_at_ms, 0);
	if (f->abort_at_ms)
		schedule(s, RS_EV_ABORT, 0, f->abort_at_ms, 0);
	schedule(s, RS_EV_GIVE_UP, 0, f->give_up_ms, 0);
}

/* No host left that is not gone for good but this one. */
static bool last_standing(const struct rs *s, uint32_t i)
{
	for (uint32_t k = 0; k < s->n; k++)
		if (k != i && s->h[k].down_until != RO_NEVER)
			return false;
	return true;
}

/* hsd dies; its spaces, so the instances, run on (as in hsd).  A host
 * whose machine is gone for good is modelled the same: unreachable, its
 * instances as they were.  The last host standing is never taken for
 * good: a fleet with no host left has no rollout to end. */
static void host_down(struct rs *s, uint32_t i, uint64_t ms)
{
	struct rs_host *h = &s->h[i];

	if (ms == RO_NEVER && last_standing(s, i))
		ms = 120000;
	h->epoch++;
	h->down_until = ms == RO_NEVER ? RO_NEVER
			: s->now + ms > h->down_until ? s->now + ms : h->down_until;
	if (ms == RO_NEVER)
		trace(s, "host %u gone for good", i);
	else
		trace(s, "host %u down for %" PRIu64 " ms", i, ms);
	check_host(s, i);
	if (i == s->driver)
		depose(s, ms == RO_NEVER ? "gone for good" : "down");
}

/* Cut off both ways; the driver's host also from the quorum. */
static void host_parted(struct rs *s, uint32_t i, uint64_t ms)
{
	struct rs_host *h = &s->h[i];

	if (s->now + ms > h->parted_until)
		h->parted_until = s->now + ms;
	trace(s, "partition %u for %" PRIu64 " ms", i, ms);
	if (i == s->driver)
		depose(s, "cut off");
}

/* The current driver's host fails (tried again while there is none). */
static void leader_change(struct rs *s, const struct rs_ev *ev)
{
	const struct ro_sim_faults *f = s->f;

	if (s->coord_down) {
		struct rs_ev again = *ev;
		again.t = s->now + 1000;
		push(s, &again);
		return;
	}
	uint64_t ms = range(&s->rng, 1, f->leader_down_max_ms);
	if (chance(&s->rng, f->leader_parted))
		host_parted(s, s->driver, ms);
	else
		host_down(s, s->driver, chance(&s->rng, f->leader_gone) ? RO_NEVER : ms);
}

static void handle(struct rs *s, const struct rs_ev *ev)
{
	switch (ev->type) {
	case RS_EV_REQ:
		on_request(s, ev);
		check_host(s, ev->host);
		check_store(s, ev->host);
		break;
	case RS_EV_PROBE:
		on_probe(s, ev);
		check_host(s, ev->host);
		break;
	case RS_EV_PARTITION:
		host_parted(s, ev->host, ev->a);
		break;
	case RS_EV_HOST_CRASH:
		host_down(s, ev->host, ev->a);
		break;
	default:
		break;
	}
	if (s->ended)
		return; /* the coordinator's part is over */
	switch (ev->type) {
	case RS_EV_REPLY:
		on_reply(s, ev);
		break;
	case RS_EV_TIMER:
		if (s->coord_down || ev->gen != s->timer_gen)
			break;
		s->timer_at = RO_NEVER;
		ro_engine_timer(s->e, s->now, &s->act);
		engine_done(s);
		break;
	case RS_EV_COORD_CRASH:
		if (s->coord_down)
			break;
		trace(s, "coordinator down for %" PRIu64 " ms", ev->a);
		engine_gone(s);
		struct rs_ev up = { .t = s->now + ev->a, .type = RS_EV_COORD_UP,
				    .gen = s->incarnation };
		push(s, &up);
		break;
	case RS_EV_COORD_UP: {
		char err[128];
		if (ev->gen != s->incarnation || s->electing)
			break; /* deposed meanwhile: another host takes over */
		s->res->coord_restarts++;
		if (coord_up(s, err, sizeof(err)))
			violation(s, RO_INV_NO_END, RO_ALL_HOSTS, "coordinator could not restart");
		break;
	}
	case RS_EV_LEADER_CHANGE:
		leader_change(s, ev);
		break;
	case RS_EV_LEADER_UP:
		leader_up(s);
		break;
	case RS_EV_PAUSE:
	case RS_EV_RESUME:
	case RS_EV_ABORT:
	case RS_EV_GIVE_UP:
		operator(s, ev);
		break;
	default:
		break;
	}
}

static void final_checks(struct rs *s)
{
	struct ro_sim_result *res = s->res;
	bool rolled_back = res->final == ROR_FAILED || res->final == ROR_ABORTED;

	if (!s->ended) {
		violation(s, RO_INV_NO_END, RO_ALL_HOSTS, "the rollout did not end by limit_ms");
		return;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		const struct rs_host *h = &s->h[i];
		struct ro_host_info hi;

		check_host(s, i);
		check_store(s, i);
		res->hosts_on_new += h->new_run && h->new_ver;
		res->hosts_on_old += h->old_run && h->old_ver && !(h->new_run && h->new_ver);
		if (ro_engine_host(s->e, i, &hi))
			continue;
		/* (d): back on a version it had verified, its old one. */
		if (rolled_back && !h->was_current && !(h->old_run && h->old_ver))
			violation(s, RO_INV_ROLLBACK, i, "rolled back but its old instance is not running verified");
		if (rolled_back && !h->was_current && h->new_run)
			res->stray_new++;
		if ((hi.state == ROH_RETIRED || hi.state == ROH_CURRENT) &&
		    !(h->new_run && h->new_ver))
			violation(s, RO_INV_FINAL_VIEW, i, "retired/current without a verified new instance");
		if (hi.state == ROH_RETIRED && h->old_run)
			violation(s, RO_INV_FINAL_VIEW, i, "retired but its old instance runs");
		if (res->final == ROR_DONE && hi.state != ROH_RETIRED && hi.state != ROH_CURRENT)
			violation(s, RO_INV_FINAL_VIEW, i, "done but the host is neither retired nor current");
	}
}

int ro_sim_run(const struct ro_sim_config *cfg, struct ro_sim_result *res, char *err,
	       size_t errlen)
{
	struct rs s = { .cfg = cfg, .f = &cfg->f, .ecfg = cfg->engine, .n = cfg->engine.n_hosts,
			.rng = cfg->seed, .res = res, .timer_at = RO_NEVER,
			.driver = cfg->f.lease_ms ? cfg->f.driver : RO_ALL_HOSTS };
	const struct ro_sim_faults *f = &cfg->f;
	struct rs_ev ev;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->end_ms = RO_NEVER;
	res->final = ROR_NEW;
	if (!s.n || f->lat_min_ms > f->lat_max_ms || f->limit_ms < f->give_up_ms ||
	    (f->lease_ms && f->driver >= s.n) ||
	    ((f->n_leader_changes || f->leader_at_ms) && !f->lease_ms)) {
		snprintf(err, errlen, "bad simulator config");
		return -1;
	}
	ro_actions_init(&s.act);
	if (!(s.h = calloc(s.n, sizeof(*s.h))) || !(s.p_hosts = calloc(s.n, sizeof(*s.p_hosts))) ||
	    !(s.p_verified = calloc(s.n, sizeof(*s.p_verified))) ||
	    !(s.s_hosts = calloc(s.n, sizeof(*s.s_hosts))) ||
	    !(s.s_verified = calloc(s.n, sizeof(*s.s_verified)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Each fault event ends at most one incarnation. */
	s.n_died = 2 + f->n_coord_crashes + f->n_leader_changes + (f->leader_at_ms != 0) +
		   f->n_host_crashes + f->n_gone + f->n_partitions;
	if (!(s.died_at = calloc(s.n_died, sizeof(*s.died_at)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	setup(&s);
	if (coord_up(&s, err, errlen))
		goto out;
	while (!rs_queue_pop(&s.q, &ev)) {
		if (ev.t > cfg->f.limit_ms)
			break;
		if (ev.t > s.now)
			s.now = ev.t;
		res->events++;
		handle(&s, &ev);
		if (s.ended && !s.q.n)
			break;
	}
	final_checks(&s);
	rc = 0;
out:
	ro_engine_destroy(s.e);
	ro_actions_free(&s.act);
	rs_queue_free(&s.q);
	free(s.h);
	free(s.p_hosts);
	free(s.p_verified);
	free(s.s_hosts);
	free(s.s_verified);
	free(s.died_at);
	return rc;
}
