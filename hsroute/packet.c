/*
 * packet.c - encode and validate hsroute packets (hsr_packet.h).
 *
 * Every read is preceded by a length check against the remaining bytes;
 * values that no correct sender produces are rejected here so the router
 * never has to second-guess them.
 */
#include "hsr_packet.h"

#include <string.h>

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

void
hsr_pkt_writer_init(struct rp_writer *w, uint8_t *buf, size_t cap, uint32_t sender)
{
	w->buf = buf;
	w->cap = cap > RP_MAX_LEN ? RP_MAX_LEN : cap;
	w->len = 0;
	if (w->cap < RP_HDR_LEN)
		return;
	buf[0] = RP_MAGIC0;
	buf[1] = RP_MAGIC1;
	buf[2] = RP_VERSION;
	buf[3] = 0;
	put32(buf + 4, sender);
	put16(buf + 8, 0);
	w->len = RP_HDR_LEN;
}

/* Reserves a TLV of value length vlen; NULL if it does not fit. */
static uint8_t *
tlv_reserve(struct rp_writer *w, uint8_t type, uint8_t vlen)
{
	uint8_t *p;

	if (w->len < RP_HDR_LEN || w->cap - w->len < (size_t)vlen + 2)
		return NULL;
	p = w->buf + w->len;
	p[0] = type;
	p[1] = vlen;
	w->len += (size_t)vlen + 2;
	return p + 2;
}

int
hsr_pkt_put_hello(struct rp_writer *w, const struct rp_hello *h)
{
	uint8_t *p = tlv_reserve(w, RP_T_HELLO, RP_HELLO_LEN);

	if (p == NULL)
		return -1;
	put16(p, h->seqno);
	put16(p + 2, h->interval_ms);
	return 0;
}

int
hsr_pkt_put_ihu(struct rp_writer *w, const struct rp_ihu *h)
{
	uint8_t *p = tlv_reserve(w, RP_T_IHU, RP_IHU_LEN);

	if (p == NULL)
		return -1;
	put32(p, h->router_id);
	put16(p + 4, h->rxcost);
	put16(p + 6, h->interval_ms);
	return 0;
}

int
hsr_pkt_put_update(struct rp_writer *w, const struct rp_update *u)
{
	uint8_t *p = tlv_reserve(w, RP_T_UPDATE, RP_UPDATE_LEN);

	if (p == NULL)
		return -1;
	p[0] = u->plen;
	p[1] = u->flags;
	put16(p + 2, u->metric);
	put16(p + 4, u->seqno);
	put16(p + 6, u->interval_cs);
	put32(p + 8, u->prefix);
	put32(p + 12, u->router_id);
	return 0;
}

int
hsr_pkt_put_seqreq(struct rp_writer *w, const struct rp_seqreq *s)
{
	uint8_t *p = tlv_reserve(w, RP_T_SEQREQ, RP_SEQREQ_LEN);

	if (p == NULL)
		return -1;
	p[0] = s->plen;
	p[1] = s->hop_count;
	put16(p + 2, s->seqno);
	put32(p + 4, s->prefix);
	put32(p + 8, s->router_id);
	return 0;
}

int
hsr_pkt_put_routereq(struct rp_writer *w, const struct rp_routereq *q)
{
	uint8_t *p = tlv_reserve(w, RP_T_ROUTEREQ, RP_ROUTEREQ_LEN);

	if (p == NULL)
		return -1;
	p[0] = q->plen;
	p[1] = q->flags;
	put32(p + 2, q->prefix);
	return 0;
}

size_t
hsr_pkt_writer_finish(struct rp_writer *w)
{
	if (w->len < RP_HDR_LEN)
		return 0;
	put16(w->buf + 8, (uint16_t)(w->len - RP_HDR_LEN));
	return w->len;
}

bool
hsr_pkt_writer_empty(const struct rp_writer *w)
{
	return w->len <= RP_HDR_LEN;
}

bool
hsr_pkt_prefix_valid(uint32_t prefix, uint8_t plen, enum rp_err *err)
{
	uint32_t mask;

	if (plen > 32) {
		*err = RP_E_PLEN;
		return false;
	}
	mask = plen == 0 ? 0 : 0xFFFFFFFFu << (32 - plen);
	if (prefix & ~mask) {
		*err = RP_E_HOSTBITS;
		return false;
	}
	return true;
}

int
hsr_pkt_parse(const uint8_t *buf, size_t len, uint16_t infinity,
    struct rp_header *hdr, struct rp_iter *it, enum rp_err *err)
{
	struct rp_tlv t;
	int rc;

	memset(hdr, 0, sizeof(*hdr));
	if (buf == NULL || len < RP_HDR_LEN) {
		*err = RP_E_SHORT;
		return -1;
	}
	if (buf[0] != RP_MAGIC0 || buf[1] != RP_MAGIC1) {
		*err = RP_E_MAGIC;
		return -1;
	}
	if (buf[2] != RP_VERSION) {
		*err = RP_E_VERSION;
		return -1;
	}
	hdr->version = buf[2];
	hdr->flags = buf[3];
	hdr->sender = get32(buf + 4);
	hdr->body_len = get16(buf + 8);
	if ((size_t)hdr->body_len != len - RP_HDR_LEN) {
		*err = RP_E_LENGTH;
		return -1;
	}
	if (hdr->sender == 0) {
		*err = RP_E_SENDER;
		return -1;
	}
	it->buf = buf;
	it->len = len;
	it->off = RP_HDR_LEN;
	it->infinity = infinity;

	/* Validate everything first, then rewind for the caller. */
	while ((rc = hsr_pkt_next(it, &t, err)) == 1)
		;
	if (rc < 0)
		return -1;
	it->off = RP_HDR_LEN;
	*err = RP_OK;
	return 0;
}

static int
want_len(const struct rp_tlv *t, uint8_t n, enum rp_err *err)
{
	if (t->len != n) {
		*err = RP_E_TLV_LEN;
		return -1;
	}
	return 0;
}

int
hsr_pkt_next(struct rp_iter *it, struct rp_tlv *t, enum rp_err *err)
{
	const uint8_t *p;
	size_t left;

	if (it->off >= it->len)
		return 0;
	left = it->len - it->off;
	if (left < 2) {
		*err = RP_E_TLV_TRUNC;
		return -1;
	}
	p = it->buf + it->off;
	memset(t, 0, sizeof(*t));
	t->type = p[0];
	t->len = p[1];
	if ((size_t)t->len > left - 2) {
		*err = RP_E_TLV_TRUNC;
		return -1;
	}
	it->off += (size_t)t->len + 2;
	p += 2;

	switch (t->type) {
	case RP_T_HELLO:
		if (want_len(t, RP_HELLO_LEN, err) < 0)
			return -1;
		t->u.hello.seqno = get16(p);
		t->u.hello.interval_ms = get16(p + 2);
		if (t->u.hello.interval_ms == 0) {
			*err = RP_E_INTERVAL;
			return -1;
		}
		break;
	case RP_T_IHU:
		if (want_len(t, RP_IHU_LEN, err) < 0)
			return -1;
		t->u.ihu.router_id = get32(p);
		t->u.ihu.rxcost = get16(p + 4);
		t->u.ihu.interval_ms = get16(p + 6);
		if (t->u.ihu.router_id == 0) {
			*err = RP_E_ROUTER_ID;
			return -1;
		}
		if (t->u.ihu.interval_ms == 0) {
			*err = RP_E_INTERVAL;
			return -1;
		}
		break;
	case RP_T_UPDATE: {
		struct rp_update *u = &t->u.update;

		if (want_len(t, RP_UPDATE_LEN, err) < 0)
			return -1;
		u->plen = p[0];
		u->flags = p[1];
		u->metric = get16(p + 2);
		u->seqno = get16(p + 4);
		u->interval_cs = get16(p + 6);
		u->prefix = get32(p + 8);
		u->router_id = get32(p + 12);
		if (u->flags != 0) {
			*err = RP_E_FLAGS;
			return -1;
		}
		if (u->metric > it->infinity) {
			*err = RP_E_METRIC;
			return -1;
		}
		if (!hsr_pkt_prefix_valid(u->prefix, u->plen, err))
			return -1;
		if (u->router_id == 0) {
			*err = RP_E_ROUTER_ID;
			return -1;
		}
		if (u->interval_cs == 0) {
			*err = RP_E_INTERVAL;
			return -1;
		}
		break;
	}
	case RP_T_SEQREQ: {
		struct rp_seqreq *s = &t->u.seqreq;

		if (want_len(t, RP_SEQREQ_LEN, err) < 0)
			return -1;
		s->plen = p[0];
		s->hop_count = p[1];
		s->seqno = get16(p + 2);
		s->prefix = get32(p + 4);
		s->router_id = get32(p + 8);
		if (!hsr_pkt_prefix_valid(s->prefix, s->plen, err))
			return -1;
		if (s->router_id == 0) {
			*err = RP_E_ROUTER_ID;
			return -1;
		}
		if (s->hop_count == 0) {
			*err = RP_E_HOPCOUNT;
			return -1;
		}
		break;
	}
	case RP_T_ROUTEREQ: {
		struct rp_routereq *q = &t->u.routereq;

		if (want_len(t, RP_ROUTEREQ_LEN, err) < 0)
			return -1;
		q->plen = p[0];
		q->flags = p[1];
		q->prefix = get32(p + 2);
		if (q->flags & ~RP_ROUTEREQ_F_ALL) {
			*err = RP_E_FLAGS;
			return -1;
		}
		if ((q->flags & RP_ROUTEREQ_F_ALL) &&
		    (q->prefix != 0 || q->plen != 0)) {
			*err = RP_E_FLAGS;
			return -1;
		}
		if (!hsr_pkt_prefix_valid(q->prefix, q->plen, err))
			return -1;
		break;
	}
	default:
		/* PAD and unknown types are skipped: room to extend. */
		break;
	}
	return 1;
}

const char *
hsr_pkt_err_str(enum rp_err e)
{
	static const char *const names[RP_E__MAX] = {
		[RP_OK] = "ok",
		[RP_E_SHORT] = "short",
		[RP_E_MAGIC] = "bad-magic",
		[RP_E_VERSION] = "bad-version",
		[RP_E_LENGTH] = "bad-length",
		[RP_E_SENDER] = "bad-sender",
		[RP_E_TLV_TRUNC] = "tlv-truncated",
		[RP_E_TLV_LEN] = "tlv-bad-length",
		[RP_E_METRIC] = "bad-metric",
		[RP_E_PLEN] = "bad-prefix-len",
		[RP_E_HOSTBITS] = "host-bits-set",
		[RP_E_ROUTER_ID] = "bad-router-id",
		[RP_E_INTERVAL] = "bad-interval",
		[RP_E_HOPCOUNT] = "bad-hop-count",
		[RP_E_FLAGS] = "bad-flags",
	};

	if ((unsigned)e >= RP_E__MAX)
		return "unknown";
	return names[e];
}
