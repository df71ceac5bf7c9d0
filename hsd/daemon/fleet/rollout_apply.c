/* rollout_apply.c - carrying out the rollout engine's actions.
 *
 * Each event's actions are kept first (pend), with the texts of their
 * steps as of the event; then carried out in order: at once, or, with a
 * fleet database, once the state they lead to is replicated
 * (rollout_fleetdb.c, ro_save).  A state is written to the store before
 * the request it leads to is sent (rollout_host.c).
 */
#include "rollout_int.h"
#include "log.h"
#include "store_rollouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void persist_host(struct rollout *ro, const struct ro_action *a)
{
	struct ro_host *h = &ro->h[a->host];
	static const enum store_ro_stamp stamps[] = {
		[RO_STAMP_NONE] = STORE_STAMP_NONE, [RO_STAMP_VERIFIED] = STORE_STAMP_VERIFIED,
		[RO_STAMP_OLD_STOPPED] = STORE_STAMP_OLD_STOPPED };
	const char *state = ro_hstate_name(a->hstate);
	char err[HS_ERRLEN];

	/* A host found already on the target version has nothing to replace. */
	if (!a->has_old)
		h->old_inst[0] = 0;
	if (store_rollout_host_set(ro->d->store, ro->id, ro_hname(ro, a->host), state, h->old_inst,
				   a->new_started ? ro->new_inst : "", stamps[a->stamp], err,
				   sizeof(err)))
		log_warn("rollout %lld: %s: state %s not stored: %s", (long long)ro->id,
			 ro_hname(ro, a->host), state, err);
	ro_changed(ro->d);
}

/* A partial end names the hosts left behind on their old version. */
static void note_behind(struct rollout *ro)
{
	char list[128] = "", why[sizeof(list) + sizeof(ro->error) + 32];
	struct ro_host_info hi;
	size_t n = 0;

	for (uint32_t i = 0; i < ro->nh; i++) {
		if (ro_engine_host(ro->e, i, &hi) || hi.state != ROH_BEHIND)
			continue;
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", n++ ? " " : "", ro_hname(ro, i));
	}
	snprintf(why, sizeof(why), "behind (old version kept): %s%s%s", list,
		 ro->error[0] ? "; " : "", ro->error);
	why[sizeof(ro->error) - 1] = 0; /* the store keeps one short line */
	memcpy(ro->error, why, sizeof(ro->error));
}

static void persist_rollout(struct rollout *ro, const struct ro_pend *p)
{
	const char *state = ro_rstate_name(p->a.rstate);
	char err[HS_ERRLEN];

	if (store_rollout_set_state(ro->d->store, ro->id, state, p->text,
				    ro_rstate_final(p->a.rstate), err, sizeof(err)))
		log_warn("rollout %lld: state %s not stored: %s", (long long)ro->id, state, err);
	ro_changed(ro->d);
}

static const char *behind_text(uint32_t why)
{
	switch (why) {
	case RO_BEHIND_NEW_STOPPED: return "new instance stopped; the old one still runs";
	case RO_BEHIND_KEPT_OLD: return "keeps its old instance";
	case RO_BEHIND_UNREACHABLE: return "unreachable when the rollout was aborted";
	case RO_BEHIND_STUCK_RETIRING:
		return "unreachable or failing: its old instance was not stopped";
	default: return "unreachable or failing: its new instance was not stopped";
	}
}

/* The timeline's text for one host's step: what the host answered, when
 * this step follows its answer; else what the engine's code says. */
static const char *host_text(struct rollout *ro, const struct ro_action *a)
{
	struct ro_host *h = &ro->h[a->host];
	bool answered = ro->reply_host == (int)a->host;

	switch (a->step) {
	case ROS_DEFER:
		if (answered)
			return h->text;
		return a->detail == RO_RES_TIMEOUT ? "no answer in time"
			: "unreachable, or its stop kept failing, during the rollback";
	case ROS_FAIL: case ROS_RETIRE_RETRY: case ROS_STOP_RETRY:
		return answered ? h->text : "no answer in time";
	case ROS_VERIFIED: case ROS_VERIFIED_AFTER_SOAK: case ROS_DRAIN: case ROS_DRAIN_FAILED:
		return h->text;
	case ROS_CURRENT: return h->target_inst;
	case ROS_FOUND: case ROS_START: case ROS_ROLLBACK: return ro->new_inst;
	case ROS_PUSH: return ro->bundle;
	case ROS_RETIRE: return h->old_inst[0] ? h->old_inst : "(nothing to retire)";
	case ROS_BEHIND: return behind_text(a->detail);
	default: return NULL;
	}
}

/* A fleet-wide step's name and text, when the engine decides it. */
static const char *step_all_text(struct rollout *ro, const struct ro_action *a, const char **text)
{
	*text = NULL;
	switch (a->step) {
	case ROS_BEGIN:
		*text = ro->bundle;
		return "begin";
	case ROS_RESUME:
		*text = ro_rstate_name((enum ro_rstate)a->detail);
		return "resume";
	case ROS_ROLLBACK_ALL:
		*text = ro->error;
		return "rollback";
	case ROS_END: /* detail: the final state */
		*text = ro->error;
		return ro_rstate_name(a->detail);
	default:
		return ro_step_name(a->step);
	}
}

static void on_timer(uv_timer_t *t);

static void exec_one(struct rollout *ro, const struct ro_pend *p)
{
	const struct ro_action *a = &p->a;

	switch (a->type) {
	case RO_ACT_SEND:
		ro_send(ro, a);
		break;
	case RO_ACT_PERSIST:
		if (a->host == RO_ALL_HOSTS)
			persist_rollout(ro, p);
		else
			persist_host(ro, a);
		break;
	case RO_ACT_STEP:
		ro_step_at(ro, p->at_ms, p->host, p->name, p->text);
		if (a->host == RO_ALL_HOSTS && a->step == ROS_END) {
			ro_event(ro->d, "rollout.end", ro->bundle, p->name);
			ro->ended = true;
			uv_timer_stop(&ro->d->rollouts->timer);
		}
		break;
	}
}

/* Carry out the first n decided actions, in order.  Answers that come
 * meanwhile wait (ro_run takes them after). */
void ro_exec(struct rollout *ro, size_t n)
{
	ro->applying = true;
	for (size_t i = 0; i < n && i < ro->npend; i++)
		exec_one(ro, &ro->pend[i]);
	if (n > ro->npend)
		n = ro->npend;
	memmove(ro->pend, ro->pend + n, (ro->npend - n) * sizeof(*ro->pend));
	ro->npend -= n;
	ro->applying = false;
}

/* Keep one decided action, with its text as of now: a host's step
 * follows that host's last answer, and the replicated timeline takes the
 * step before it is carried out. */
static struct ro_pend *pend(struct rollout *ro, const struct ro_action *a)
{
	if (ro->npend == ro->pend_cap) {
		size_t cap = ro->pend_cap ? 2 * ro->pend_cap : 16;
		struct ro_pend *v = realloc(ro->pend, cap * sizeof(*v));
		if (!v) {
			log_error("rollout %lld: out of memory: steps of the engine were lost",
				  (long long)ro->id);
			return NULL;
		}
		ro->pend = v;
		ro->pend_cap = cap;
	}
	struct ro_pend *p = &ro->pend[ro->npend++];
	const char *text = NULL;
	memset(p, 0, sizeof(*p));
	p->a = *a;
	if (a->type == RO_ACT_PERSIST && a->host == RO_ALL_HOSTS) {
		if (a->rstate == ROR_PARTIAL)
			note_behind(ro);
		text = ro->error;
	} else if (a->type == RO_ACT_STEP && a->host == RO_ALL_HOSTS) {
		p->host = "*";
		p->name = step_all_text(ro, a, &text);
	} else if (a->type == RO_ACT_STEP) {
		p->host = ro_hname(ro, a->host);
		p->name = ro_step_name(a->step);
		text = host_text(ro, a);
		/* Before the commit the first failure is the rollout's error. */
		if (a->step == ROS_FAIL && !ro->error[0])
			snprintf(ro->error, sizeof(ro->error), "%s: %.200s", p->host,
				 text ? text : "");
	}
	snprintf(p->text, sizeof(p->text), "%s", text ? text : "");
	if (a->type == RO_ACT_STEP) {
		p->at_ms = store_now_ms();
		p->seq = ++ro->step_seq;
	}
	return p;
}

/* Carried out now, or once replicated (ro_save). */
static void flush(struct rollout *ro)
{
	if (ro->epoch)
		ro_save(ro);
	else
		ro_exec(ro, ro->npend);
}

void ro_note(struct rollout *ro, const char *step, const char *detail)
{
	struct ro_action a = { .type = RO_ACT_STEP, .host = RO_ALL_HOSTS, .step = ROS__N };
	struct ro_pend *p = pend(ro, &a);

	if (p) {
		p->name = step;
		snprintf(p->text, sizeof(p->text), "%s", detail ? detail : "");
	}
	flush(ro);
}

/* One event's actions: kept, then carried out at once, or with a fleet
 * database once the state they lead to is replicated (ro_save). */
void ro_apply(struct rollout *ro, int rc, struct ro_actions *acts)
{
	struct rollouts *rs = ro->d->rollouts;

	if (rc == RO_ESTALE)
		return; /* an answer the engine gave up waiting for */
	if (rc == RO_ENOMEM || acts->oom)
		log_error("rollout %lld: out of memory: steps of the engine were lost",
			  (long long)ro->id);
	for (size_t i = 0; i < acts->n; i++)
		pend(ro, &acts->v[i]);
	uint64_t now = uv_now(ro->d->loop);
	if (acts->wakeup_ms == RO_NEVER)
		uv_timer_stop(&rs->timer);
	else
		uv_timer_start(&rs->timer, on_timer, acts->wakeup_ms > now ? acts->wakeup_ms - now : 0,
			       0);
	flush(ro);
}

/* After an event: the answers that waited, one event each, and the end. */
void ro_run(struct hsd *d)
{
	struct rollout *ro = d->rollouts->cur;

	while (ro && !ro->ended && !ro->drop && ro->queue) {
		struct ro_call *c = ro->queue;
		if (!(ro->queue = c->next))
			ro->queue_tail = &ro->queue;
		ro_answer(ro, c);
	}
	if (ro && ro->drop) {
		ro_drop(d);
		return;
	}
	if (ro && ro->ended) {
		rollout_claim_release(ro);
		ro_free(ro);
		d->rollouts->cur = NULL;
	}
}

/* One event from outside an answer (start, timer, operator, resume). */
int ro_feed(struct rollout *ro, ro_event_fn fn)
{
	struct ro_actions acts;

	ro_actions_init(&acts);
	int rc = fn(ro->e, uv_now(ro->d->loop), &acts);
	if (rc == RO_OK || rc == RO_ENOMEM)
		ro_apply(ro, rc, &acts);
	ro_actions_free(&acts);
	return rc;
}

static void on_timer(uv_timer_t *t)
{
	struct hsd *d = t->data;

	if (d->rollouts->cur && !d->stopping) {
		ro_feed(d->rollouts->cur, ro_engine_timer);
		ro_run(d);
	}
}
