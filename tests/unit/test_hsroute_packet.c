/*
 * test_hsroute_packet.c - the hsroute wire format: round trips, and every
 * kind of malformed input rejected with the right reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "hsr_packet.h"

static size_t
sample(uint8_t *buf, size_t cap)
{
	struct rp_writer w;
	struct rp_hello h = { .seqno = 7, .interval_ms = 1000 };
	struct rp_ihu i = { .router_id = 2, .rxcost = 256, .interval_ms = 1000 };
	struct rp_update u = {
		.prefix = 0x0A000100, .plen = 24, .metric = 512, .seqno = 65535,
		.interval_cs = 1600, .router_id = 3,
	};
	struct rp_seqreq q = {
		.prefix = 0x0A000100, .plen = 24, .hop_count = 64, .seqno = 1,
		.router_id = 3,
	};
	struct rp_routereq rq = { .flags = RP_ROUTEREQ_F_ALL };

	hsr_pkt_writer_init(&w, buf, cap, 1);
	cr_assert_eq(hsr_pkt_put_hello(&w, &h), 0);
	cr_assert_eq(hsr_pkt_put_ihu(&w, &i), 0);
	cr_assert_eq(hsr_pkt_put_update(&w, &u), 0);
	cr_assert_eq(hsr_pkt_put_seqreq(&w, &q), 0);
	cr_assert_eq(hsr_pkt_put_routereq(&w, &rq), 0);
	return hsr_pkt_writer_finish(&w);
}

static enum rp_err
parse(const uint8_t *buf, size_t len)
{
	struct rp_header h;
	struct rp_iter it;
	enum rp_err e = RP_OK;

	if (hsr_pkt_parse(buf, len, 0xFFFF, &h, &it, &e) == 0)
		return RP_OK;
	cr_assert_neq(e, RP_OK);
	return e;
}

Test(hsroute_packet, roundtrip)
{
	uint8_t buf[256];
	size_t n = sample(buf, sizeof(buf));
	struct rp_header h;
	struct rp_iter it;
	struct rp_tlv t;
	enum rp_err e;
	int k = 0;

	cr_assert_eq(n, RP_HDR_LEN + 5 * 2 + RP_HELLO_LEN + RP_IHU_LEN +
	    RP_UPDATE_LEN + RP_SEQREQ_LEN + RP_ROUTEREQ_LEN);
	cr_assert_eq(hsr_pkt_parse(buf, n, 0xFFFF, &h, &it, &e), 0);
	cr_assert_eq(h.sender, 1);
	cr_assert_eq(h.version, RP_VERSION);
	while (hsr_pkt_next(&it, &t, &e) == 1) {
		switch (k++) {
		case 0:
			cr_assert_eq(t.type, RP_T_HELLO);
			cr_assert_eq(t.u.hello.seqno, 7);
			cr_assert_eq(t.u.hello.interval_ms, 1000);
			break;
		case 1:
			cr_assert_eq(t.type, RP_T_IHU);
			cr_assert_eq(t.u.ihu.router_id, 2);
			cr_assert_eq(t.u.ihu.rxcost, 256);
			break;
		case 2:
			cr_assert_eq(t.type, RP_T_UPDATE);
			cr_assert_eq(t.u.update.prefix, 0x0A000100);
			cr_assert_eq(t.u.update.plen, 24);
			cr_assert_eq(t.u.update.metric, 512);
			cr_assert_eq(t.u.update.seqno, 65535);
			cr_assert_eq(t.u.update.interval_cs, 1600);
			cr_assert_eq(t.u.update.router_id, 3);
			break;
		case 3:
			cr_assert_eq(t.type, RP_T_SEQREQ);
			cr_assert_eq(t.u.seqreq.hop_count, 64);
			cr_assert_eq(t.u.seqreq.seqno, 1);
			break;
		case 4:
			cr_assert_eq(t.type, RP_T_ROUTEREQ);
			cr_assert_eq(t.u.routereq.flags, RP_ROUTEREQ_F_ALL);
			break;
		}
	}
	cr_assert_eq(k, 5);
}

Test(hsroute_packet, writer_full)
{
	uint8_t buf[RP_HDR_LEN + 20];
	struct rp_writer w;
	struct rp_update u = {
		.prefix = 0, .plen = 0, .metric = 1, .interval_cs = 1,
		.router_id = 1,
	};

	hsr_pkt_writer_init(&w, buf, sizeof(buf), 1);
	cr_assert_eq(hsr_pkt_put_update(&w, &u), 0);
	cr_assert_eq(hsr_pkt_put_update(&w, &u), -1, "second update must not fit");
	cr_assert_eq(hsr_pkt_writer_finish(&w), RP_HDR_LEN + 18);
	cr_assert_eq(parse(buf, RP_HDR_LEN + 18), RP_OK);
}

/* Every truncation of a valid packet is rejected, none read past the end
 * (the copy is exactly len bytes so ASan/valgrind catch overreads). */
Test(hsroute_packet, truncated_every_length)
{
	uint8_t buf[256];
	size_t n = sample(buf, sizeof(buf));

	for (size_t len = 0; len < n; len++) {
		uint8_t *cp = malloc(len ? len : 1);
		enum rp_err e;

		memcpy(cp, buf, len);
		e = parse(cp, len);
		cr_assert_neq(e, RP_OK, "length %zu accepted", len);
		/* With the header length patched, the TLVs must be caught. */
		if (len >= RP_HDR_LEN) {
			cp[8] = (uint8_t)((len - RP_HDR_LEN) >> 8);
			cp[9] = (uint8_t)(len - RP_HDR_LEN);
			e = parse(cp, len);
			cr_assert(e == RP_OK || e == RP_E_TLV_TRUNC ||
			    e == RP_E_TLV_LEN, "len %zu: %s", len, hsr_pkt_err_str(e));
			/* Cut at a TLV boundary is a valid shorter packet. */
		}
		free(cp);
	}
	cr_assert_eq(parse(buf, n), RP_OK);
}

Test(hsroute_packet, random_bytes)
{
	uint64_t s = 12345;
	int accepted = 0;

	for (int round = 0; round < 20000; round++) {
		size_t len;
		uint8_t *b;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		len = (size_t)(s >> 33) % 200;
		b = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			b[i] = (uint8_t)(s >> 56);
		}
		/* Half the time give it a valid header to reach the TLVs. */
		if (round % 2 && len >= RP_HDR_LEN) {
			b[0] = RP_MAGIC0;
			b[1] = RP_MAGIC1;
			b[2] = RP_VERSION;
			b[4] = 1;
			b[8] = (uint8_t)((len - RP_HDR_LEN) >> 8);
			b[9] = (uint8_t)(len - RP_HDR_LEN);
		}
		if (parse(b, len) == RP_OK)
			accepted++;
		free(b);
	}
	cr_assert_lt(accepted, 20000);
}

/* Builds a packet with one update TLV, body patched by the caller. */
static size_t
one_update(uint8_t *buf, const struct rp_update *u)
{
	struct rp_writer w;

	hsr_pkt_writer_init(&w, buf, 64, 1);
	hsr_pkt_put_update(&w, u);
	return hsr_pkt_writer_finish(&w);
}

Test(hsroute_packet, impossible_values)
{
	uint8_t buf[64];
	struct rp_update ok = {
		.prefix = 0x0A000000, .plen = 8, .metric = 16, .interval_cs = 100,
		.router_id = 9,
	}, u;
	struct rp_header h;
	struct rp_iter it;
	enum rp_err e;
	size_t n;

	n = one_update(buf, &ok);
	cr_assert_eq(parse(buf, n), RP_OK);
	/* metric above a configured infinity of 16 */
	u = ok;
	u.metric = 17;
	n = one_update(buf, &u);
	cr_assert_eq(hsr_pkt_parse(buf, n, 16, &h, &it, &e), -1);
	cr_assert_eq(e, RP_E_METRIC);
	u = ok;
	u.plen = 33;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_PLEN);
	u = ok;
	u.prefix = 0x0A000001;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_HOSTBITS);
	u = ok;
	u.plen = 0;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_HOSTBITS);
	u = ok;
	u.router_id = 0;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_ROUTER_ID);
	u = ok;
	u.interval_cs = 0;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_INTERVAL);
	u = ok;
	u.flags = 0x80;
	cr_assert_eq(parse(buf, one_update(buf, &u)), RP_E_FLAGS);

	n = one_update(buf, &ok);
	buf[2] = 2;
	cr_assert_eq(parse(buf, n), RP_E_VERSION);
	buf[2] = RP_VERSION;
	buf[0] = 'X';
	cr_assert_eq(parse(buf, n), RP_E_MAGIC);
	buf[0] = RP_MAGIC0;
	buf[4] = buf[5] = buf[6] = buf[7] = 0;
	cr_assert_eq(parse(buf, n), RP_E_SENDER);
	buf[7] = 1;
	cr_assert_eq(parse(buf, n), RP_OK);
	cr_assert_eq(parse(buf, n - 1), RP_E_LENGTH);
	buf[RP_HDR_LEN + 1] = RP_UPDATE_LEN - 1;	/* wrong TLV length */
	buf[9] = (uint8_t)(n - 1 - RP_HDR_LEN);
	cr_assert_eq(parse(buf, n - 1), RP_E_TLV_LEN);
}

Test(hsroute_packet, unknown_tlv_skipped_pad_ok)
{
	uint8_t buf[64] = {
		RP_MAGIC0, RP_MAGIC1, RP_VERSION, 0, 0, 0, 0, 5, 0, 9,
		0x77, 3, 1, 2, 3,		/* unknown type, skipped */
		RP_T_PAD, 2, 0, 0,		/* padding */
	};
	uint8_t bad[] = {
		RP_MAGIC0, RP_MAGIC1, RP_VERSION, 0, 0, 0, 0, 5, 0, 6,
		RP_T_SEQREQ, 4, 24, 0, 0, 0,	/* hop count 0, short */
	};

	cr_assert_eq(parse(buf, RP_HDR_LEN + 9), RP_OK);
	cr_assert_eq(parse(bad, sizeof(bad)), RP_E_TLV_LEN);
	cr_assert_str_eq(hsr_pkt_err_str(RP_E_HOSTBITS), "host-bits-set");
	cr_assert_str_eq(hsr_pkt_err_str((enum rp_err)99), "unknown");
}

Test(hsroute_packet, seqreq_hopcount_zero)
{
	uint8_t buf[64];
	struct rp_writer w;
	struct rp_seqreq q = {
		.prefix = 0x0A000000, .plen = 8, .hop_count = 0, .router_id = 1,
	};

	hsr_pkt_writer_init(&w, buf, sizeof(buf), 1);
	hsr_pkt_put_seqreq(&w, &q);
	cr_assert_eq(parse(buf, hsr_pkt_writer_finish(&w)), RP_E_HOPCOUNT);
}
