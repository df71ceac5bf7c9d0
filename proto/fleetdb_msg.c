/* fleetdb_msg.c - checking and packing hsd <-> hsfleetdb messages. */
#include "fleetdb_msg.h"
#include "err.h"

#include <string.h>

static size_t body_size(uint16_t type)
{
	switch (type) {
	case FLEETDB_MSG_CONFIG: return sizeof(struct fleetdb_config);
	case FLEETDB_MSG_REQUEST: return sizeof(struct fleetdb_request);
	case FLEETDB_MSG_REPLY: return sizeof(struct fleetdb_reply);
	case FLEETDB_MSG_LOG: return sizeof(struct fleetdb_log);
	default: return 0;
	}
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

static int steps_ok(const struct fleetdb_step *v, uint32_t n)
{
	if (n > FLEETDB_STEPS_MAX)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (!terminated(v[i].host, sizeof(v[i].host)) ||
		    !terminated(v[i].step, sizeof(v[i].step)) ||
		    !terminated(v[i].detail, sizeof(v[i].detail)))
			return 0;
	return 1;
}

static int claims_ok(const struct fleetdb_reply *r)
{
	for (size_t i = 0; i < r->nclaims && i < FLEETDB_CLAIMS_MAX; i++) {
		const struct fleetdb_claim_row *c = &r->claims[i];
		if (!terminated(c->ids, sizeof(c->ids)) || !terminated(c->host, sizeof(c->host)) ||
		    !terminated(c->intent, sizeof(c->intent)) || !terminated(c->target, sizeof(c->target)))
			return 0;
	}
	return 1;
}

/* Every text field of a body must end within its field. */
static int texts_ok(uint16_t type, const void *body)
{
	switch (type) {
	case FLEETDB_MSG_CONFIG: {
		const struct fleetdb_config *c = body;
		if (!terminated(c->self.name, sizeof(c->self.name)) ||
		    c->nvoters > CLUSTER_VOTERS_MAX)
			return 0;
		for (size_t i = 0; i < c->nvoters; i++)
			if (!terminated(c->voters[i].name, sizeof(c->voters[i].name)))
				return 0;
		return 1;
	}
	case FLEETDB_MSG_REQUEST: {
		const struct fleetdb_request *r = body;
		return terminated(r->ids, sizeof(r->ids)) && terminated(r->target, sizeof(r->target)) &&
		       terminated(r->intent, sizeof(r->intent)) &&
		       terminated(r->from, sizeof(r->from)) && terminated(r->snap, sizeof(r->snap)) &&
		       steps_ok(r->steps, r->nsteps);
	}
	case FLEETDB_MSG_REPLY: {
		const struct fleetdb_reply *r = body;
		return terminated(r->text, sizeof(r->text)) &&
		       terminated(r->holder, sizeof(r->holder)) &&
		       terminated(r->holder_intent, sizeof(r->holder_intent)) &&
		       terminated(r->holder_target, sizeof(r->holder_target)) &&
		       r->nmembers <= FLEETDB_MEMBERS_MAX && r->nclaims <= FLEETDB_CLAIMS_MAX &&
		       terminated(r->snap, sizeof(r->snap)) && claims_ok(r) &&
		       steps_ok(r->steps, r->nsteps);
	}
	case FLEETDB_MSG_LOG: {
		const struct fleetdb_log *l = body;
		return terminated(l->text, sizeof(l->text));
	}
	}
	return 0;
}

int fleetdb_msg_check(const void *buf, size_t len, uint16_t *type, const void **body,
		      char *err, size_t errlen)
{
	struct fleetdb_hdr h;

	if (len < sizeof(h))
		return err_set(err, errlen, HS_EINPUT, "fleetdb message: %zu bytes, shorter than a header",
			       len);
	memcpy(&h, buf, sizeof(h));
	size_t want = body_size(h.type);
	if (!want)
		return err_set(err, errlen, HS_EINPUT, "fleetdb message: unknown type %u", h.type);
	if (h.pad || h.len != len || len != sizeof(h) + want)
		return err_set(err, errlen, HS_EINPUT, "fleetdb message type %u: %zu bytes, want %zu",
			       h.type, len, sizeof(h) + want);
	/* buf is the caller's malloc'd buffer: the 8-byte header keeps the
	 * body aligned for its structs. */
	if (!texts_ok(h.type, (const char *)buf + sizeof(h)))
		return err_set(err, errlen, HS_EINPUT, "fleetdb message type %u: a text or count out of bounds",
			       h.type);
	*type = h.type;
	*body = (const char *)buf + sizeof(h);
	return 0;
}

size_t fleetdb_msg_pack(void *out, uint16_t type, const void *body, size_t body_len)
{
	struct fleetdb_hdr h = { .type = type, .len = (uint32_t)(sizeof(h) + body_len) };
	memcpy(out, &h, sizeof(h));
	memcpy((char *)out + sizeof(h), body, body_len);
	return sizeof(h) + body_len;
}
