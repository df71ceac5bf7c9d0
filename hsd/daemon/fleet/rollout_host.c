/* rollout_host.c - the engine's requests to hosts, and their answers.
 *
 * The engine (hsd/fleet/ro_engine.c) decides each host's next request:
 *   status -> bundle.has -> (bundle.put) -> instance.start -> instance.verify
 *   and after the commit: instance.verify of the old instance (drain) ->
 *   instance.stop of the old one; on a rollback instance.stop of the new.
 * Here a request becomes a fleet call (to a peer, or to ourselves), and
 * its answer becomes the engine's reply: a code, never the error's text,
 * which only goes to the timeline.
 */
#include "rollout_int.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ro_call_free(struct ro_call *c)
{
	json_decref(c->res);
	free(c);
}

/* The transport's answer, queued: our own host answers while the batch
 * that sent the request is still being carried out, and the engine must
 * see that batch whole before the next event.  ro_run takes the queue. */
static void on_answer(void *arg, int rc, json_t *res, const char *err)
{
	struct ro_call *c = arg;
	struct hsd *d = c->d;
	struct rollout *ro = ro_current(d);

	/* hsd stops (calls end with errors that say nothing of the host), or
	 * the rollout this was sent for has ended. */
	if (d->stopping || !ro || ro->id != c->rollout || ro->ended) {
		ro_call_free(c);
		return;
	}
	c->rc = rc;
	c->res = json_incref(res);
	snprintf(c->err, sizeof(c->err), "%s", rc && err ? err : "");
	*ro->queue_tail = c;
	ro->queue_tail = &c->next;
	if (!ro->applying)
		ro_run(d);
}

/* bundle.put's arguments: the bundle's files, with the operator's
 * signature, which the host checks against its own operators (and which
 * is checked here too, with ours of this moment). */
static json_t *put_args(struct rollout *ro, char *err, size_t errlen)
{
	char dir[4096], *sig_text = NULL;
	struct bundle_sig sig;
	json_t *pack = NULL;

	bundles_dir(ro->d, ro->bundle, dir, sizeof(dir));
	if (bundles_verify(ro->d, &ro->b, &sig, err, errlen) == 0 &&
	    !(sig_text = bundle_sig_format(&sig)))
		snprintf(err, errlen, "out of memory");
	if (!sig_text || bundle_pack(dir, &ro->b, &pack, err, errlen)) {
		free(sig_text);
		return NULL;
	}
	json_t *args = json_pack("{s:o, s:s}", "bundle", pack, "sig", sig_text);
	free(sig_text);
	if (!args)
		snprintf(err, errlen, "out of memory");
	return args;
}

void ro_send(struct rollout *ro, const struct ro_action *a)
{
	struct ro_host *h = &ro->h[a->host];
	const char *inst = a->inst == RO_INST_OLD ? h->old_inst : ro->new_inst;
	struct ro_call *c = calloc(1, sizeof(*c));
	char err[HS_ERRLEN] = "out of memory";
	json_t *args = NULL;

	if (!c) {
		/* Nothing to answer with: the engine's deadline defers the host. */
		log_error("rollout %lld: %s: %s not sent: out of memory", (long long)ro->id,
			  ro->d->cluster.hosts[a->host].name, ro_req_name(a->req));
		return;
	}
	*c = (struct ro_call){ .d = ro->d, .rollout = ro->id, .host = a->host,
			       .req_id = a->req_id, .req = a->req, .inst = a->inst };
	switch (a->req) {
	case RO_REQ_STATUS:
		args = json_object();
		break;
	case RO_REQ_BUNDLE_HAS:
		args = json_pack("{s:s, s:s}", "id", ro->bundle, "hash", ro->b.hash);
		break;
	case RO_REQ_BUNDLE_PUT:
		args = put_args(ro, err, sizeof(err));
		break;
	case RO_REQ_START:
		/* inherit: the old instance's state (e.g. a baseline) carries over */
		args = json_pack("{s:s, s:s}", "bundle", ro->bundle, "inherit",
				 ro->b.inherit && h->old_inst[0] ? h->old_inst : "");
		break;
	case RO_REQ_VERIFY:
	case RO_REQ_STOP:
		args = json_pack("{s:s}", "instance", inst);
		break;
	default:
		snprintf(err, sizeof(err), "unknown request %d", (int)a->req);
		break;
	}
	if (!args) {
		on_answer(c, HS_ESYS, NULL, err); /* a failure here, not the host's */
		return;
	}
	if (ro->intent && a->req >= RO_REQ_START)
		json_object_set(args, "intent", ro->intent);
	uint32_t ms = a->timeout_ms > RO_SLACK_MS ? a->timeout_ms - RO_SLACK_MS : a->timeout_ms;
	fleet_call(ro->d, (int)a->host, ro_req_name(a->req), args, ms, on_answer, c);
}

/* What status says: the target version's instance, and the first of any
 * other version (the one the new version replaces). */
static void read_status(struct rollout *ro, struct ro_host *h, json_t *res, struct ro_reply *r)
{
	const char *target = NULL, *other = NULL;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(res, "instances"), i, v) {
		const char *b = json_string_value(json_object_get(v, "bundle"));
		const char *ver = json_string_value(json_object_get(v, "version"));
		const char *inst = json_string_value(json_object_get(v, "instance"));
		if (!b || !ver || !inst || strcmp(b, ro->b.name))
			continue;
		if (!strcmp(ver, ro->b.version))
			target = inst;
		else if (!other)
			other = inst;
	}
	r->new_running = target != NULL;
	r->old_running = other != NULL;
	snprintf(h->target_inst, sizeof(h->target_inst), "%s", target ? target : "");
	if (other && !h->old_inst[0])
		snprintf(h->old_inst, sizeof(h->old_inst), "%s", other);
}

/* An answer's outcome as a code: a host that did not answer is deferred,
 * an instance that is not there is "gone" (a stop is then done). */
static enum ro_result result_of(int rc)
{
	return !rc ? RO_RES_OK
	       : rc == HS_EUNREACH ? RO_RES_UNREACHABLE
	       : rc == HS_ENOENT ? RO_RES_GONE : RO_RES_FAILED;
}

void ro_answer(struct rollout *ro, struct ro_call *c)
{
	struct ro_host *h = &ro->h[c->host];
	struct ro_reply r = { .result = result_of(c->rc) };
	struct ro_actions acts;

	if (c->rc) {
		snprintf(h->text, sizeof(h->text), "%.255s", c->err); /* one line, cut */
	} else if (c->req == RO_REQ_STATUS) {
		read_status(ro, h, c->res, &r);
	} else if (c->req == RO_REQ_BUNDLE_HAS) {
		r.has_bundle = json_is_true(json_object_get(c->res, "has"));
	} else if (c->req == RO_REQ_VERIFY) {
		const char *tok = json_string_value(json_object_get(c->res, "token"));
		if (c->inst == RO_INST_OLD)
			snprintf(h->text, sizeof(h->text), "%s reported probe %s", h->old_inst,
				 tok ? tok : "?");
		else
			snprintf(h->text, sizeof(h->text), "%s reported probe %s in %lld ms",
				 ro->new_inst, tok ? tok : "?",
				 (long long)json_integer_value(json_object_get(c->res, "ms")));
	}
	ro_actions_init(&acts);
	ro->reply_host = (int)c->host;
	int rc = ro_engine_reply(ro->e, c->host, c->req_id, &r, uv_now(ro->d->loop), &acts);
	ro_apply(ro, rc, &acts);
	ro->reply_host = -1;
	ro_actions_free(&acts);
	ro_call_free(c);
}
