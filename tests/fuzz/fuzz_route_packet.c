/* fuzz_route_packet.c - the hsroute wire decoder (rp_parse, rp_next).
 * Properties: rp_parse validates everything, so iterating a packet it
 * accepted never fails; every known TLV re-encodes and decodes to itself. */
#include "fuzz_util.h"
#include "hsr_packet.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write t with the writer and decode it back. */
static void reencode(const struct rp_tlv *t, uint16_t infinity)
{
	uint8_t buf[64];
	struct rp_writer w;
	int rc;

	hsr_pkt_writer_init(&w, buf, sizeof(buf), 1);
	switch (t->type) {
	case RP_T_HELLO: rc = hsr_pkt_put_hello(&w, &t->u.hello); break;
	case RP_T_IHU: rc = hsr_pkt_put_ihu(&w, &t->u.ihu); break;
	case RP_T_UPDATE: rc = hsr_pkt_put_update(&w, &t->u.update); break;
	case RP_T_SEQREQ: rc = hsr_pkt_put_seqreq(&w, &t->u.seqreq); break;
	case RP_T_ROUTEREQ: rc = hsr_pkt_put_routereq(&w, &t->u.routereq); break;
	default: return; /* padding and unknown types are skipped, not kept */
	}
	FUZZ_ASSERT(rc == 0);
	size_t len = hsr_pkt_writer_finish(&w);
	struct rp_header hdr;
	struct rp_iter it;
	struct rp_tlv back;
	enum rp_err err = RP_OK;
	FUZZ_ASSERT(hsr_pkt_parse(buf, len, infinity, &hdr, &it, &err) == 0);
	FUZZ_ASSERT(hsr_pkt_next(&it, &back, &err) == 1);
	FUZZ_ASSERT(back.type == t->type && back.len == t->len);
	FUZZ_ASSERT(memcmp(&back.u, &t->u, sizeof(back.u)) == 0);
	FUZZ_ASSERT(hsr_pkt_next(&it, &back, &err) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_header hdr;
	struct rp_iter it;
	struct rp_tlv t;
	enum rp_err err = RP_OK;
	/* Both the default infinity and a small RIP-like one. */
	static const uint16_t infinities[] = {0xFFFF, 16};

	for (size_t k = 0; k < 2; k++) {
		uint16_t inf = infinities[k];
		if (hsr_pkt_parse(data, size, inf, &hdr, &it, &err) < 0) {
			FUZZ_ASSERT(err > RP_OK && err < RP_E__MAX);
			FUZZ_ASSERT(hsr_pkt_err_str(err) != NULL);
			continue;
		}
		FUZZ_ASSERT(hdr.sender != 0 && (size_t)hdr.body_len + RP_HDR_LEN == size);
		int rc;
		while ((rc = hsr_pkt_next(&it, &t, &err)) == 1) {
			if (t.type == RP_T_UPDATE) {
				FUZZ_ASSERT(t.u.update.metric <= inf);
				FUZZ_ASSERT(hsr_pkt_prefix_valid(t.u.update.prefix, t.u.update.plen, &err));
			}
			reencode(&t, inf);
		}
		FUZZ_ASSERT(rc == 0); /* validated up front: no late failure */
	}
	return 0;
}
