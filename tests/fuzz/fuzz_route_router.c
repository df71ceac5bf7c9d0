/* fuzz_route_router.c - hostile neighbours feeding an hsroute router.
 *
 * Input: records [link:1][dt:1][len:2 BE][len bytes of packet]; link's low
 * bit picks one of two links, 0xff deletes and re-adds that link; dt
 * advances the clock by dt*10 ms, timers firing as the router asks.
 * Property (issue 11, "routes cannot be hijacked"): no route is ever
 * installed for a prefix outside the overlay or whose originator the
 * origin table does not allow. */
#include "fuzz_util.h"
#include "hsroute.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OVERLAY 0x0a630000u /* 10.99.0.0/16 */
static const struct hsr_origin origins[] = {
	{1, {0x0a630100u, 24}}, /* ourselves */
	{2, {0x0a630200u, 24}},
	{3, {0x0a630300u, 24}},
	{4, {0x0a630400u, 24}},
};

static bool allowed(uint32_t source, struct hsr_prefix p)
{
	for (size_t i = 0; i < sizeof(origins) / sizeof(*origins); i++)
		if (origins[i].router_id == source && origins[i].prefix.addr == p.addr &&
		    origins[i].prefix.len == p.len)
			return true;
	return false;
}

static int check_route(const struct hsr_route_info *r, void *arg)
{
	(void)arg;
	if (r->own)
		return 0;
	FUZZ_ASSERT(r->prefix.len <= 32);
	if (r->installed) {
		FUZZ_ASSERT((r->prefix.addr & 0xffff0000u) == OVERLAY && r->prefix.len >= 16);
		FUZZ_ASSERT(allowed(r->source_id, r->prefix));
	}
	return 0;
}

static void check_actions(const struct hsr_actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct hsr_action *x = &a->v[i];
		if (x->type == HSR_ACT_SEND)
			FUZZ_ASSERT(x->off + x->len <= a->data_len);
		if (x->type == HSR_ACT_ROUTE_INSTALL || x->type == HSR_ACT_ROUTE_REPLACE)
			FUZZ_ASSERT((x->prefix.addr & 0xffff0000u) == OVERLAY && x->prefix.len >= 24);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hsr_prefix own = {0x0a630100u, 24};
	struct hsr_config cfg = {
		.router_id = 1, .prefixes = &own, .n_prefixes = 1, .seed = 7,
		.overlay = {OVERLAY, 16}, .origins = origins,
		.n_origins = sizeof(origins) / sizeof(*origins),
	};
	char err[256];
	uint64_t now = 1000;
	struct hsr_actions act;
	/* The positive control (tests/fuzz/run): without the origin table
	 * the same inputs must break the property. */
	static int control = -1;
	if (control < 0)
		control = getenv("HSD_FUZZ_CONTROL") != NULL;
	if (control) {
		cfg.overlay = (struct hsr_prefix){0, 0};
		cfg.n_origins = 0;
	}

	struct hsr_router *r = hsr_router_create(&cfg, now, err, sizeof(err));
	FUZZ_ASSERT(r != NULL);
	hsr_actions_init(&act);
	FUZZ_ASSERT(hsr_link_add(r, 10, 96, now, &act) == 0);
	FUZZ_ASSERT(hsr_link_add(r, 11, 256, now, &act) == 0);
	uint64_t wake = act.wakeup_ms;
	for (size_t off = 0; off + 4 <= size;) {
		uint8_t link = data[off];
		now += (uint64_t)data[off + 1] * 10;
		size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (len > size - off)
			len = size - off;
		uint32_t id = 10 + (link & 1);
		/* Timers due by now, a bounded number (each must advance). */
		for (int i = 0; i < 64 && wake && wake <= now; i++) {
			uint64_t at = wake;
			hsr_actions_reset(&act);
			hsr_timer(r, at, &act);
			check_actions(&act);
			wake = act.wakeup_ms;
			if (wake <= at)
				break; /* no progress; the next record retries */
		}
		hsr_actions_reset(&act);
		if (link == 0xff) {
			hsr_link_del(r, id, now, &act);
			hsr_link_add(r, id, 96, now, &act);
		} else {
			hsr_packet_in(r, id, data + off, len, now, &act);
		}
		check_actions(&act);
		wake = act.wakeup_ms;
		off += len;
	}
	hsr_route_foreach(r, now, check_route, NULL);
	hsr_actions_free(&act);
	hsr_router_destroy(r);
	return 0;
}
