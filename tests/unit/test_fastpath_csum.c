/* test_fastpath_csum.c - the fast path's IP header checksum update against
 * the checksum computed afresh, over random headers and the edge cases of
 * one's complement arithmetic (test_fastpath.sh runs it in the kernel). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "fastpath_csum.h"

/* The one's complement sum of a 20-byte header without its checksum
 * field, in the packet's byte order. */
static uint16_t sum_but_check(const uint16_t w[10])
{
	uint32_t s = 0;
	for (int i = 0; i < 10; i++)
		if (i != 5)
			s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The header checksum as a sender computes it. */
static uint16_t ip_csum(const uint16_t w[10])
{
	return (uint16_t)~sum_but_check(w);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Replace the 4 bytes at word `at` (6: source, 8: destination) by `to`
 * incrementally, and check against the fresh sum. */
static void check_one(uint16_t w[10], int at, uint32_t to)
{
	uint32_t from;
	memcpy(&from, &w[at], 4);
	w[5] = ip_csum(w);
	uint16_t inc = fastpath_csum_replace4(w[5], from, to);
	memcpy(&w[at], &to, 4);
	uint16_t fresh = ip_csum(w);
	cr_assert_eq(inc, fresh, "from %08x to %08x: %04x, afresh %04x", from, to, inc, fresh);
}

Test(fastpath_csum, random_headers)
{
	uint16_t w[10];
	for (int n = 0; n < 1000000; n++) {
		for (int i = 0; i < 10; i++)
			w[i] = (uint16_t)next32();
		w[0] = (uint16_t)((w[0] & 0xff00) | 0x45); /* version 4, ihl 5 (as it lies) */
		check_one(w, n % 2 ? 6 : 8, next32());
	}
}

/* Headers whose checksum is 0x0000 after the change (a sum of 0xffff),
 * and changes that add or take away exactly 0xffff: where eqn. 2 of RFC
 * 1624 gives -0. */
Test(fastpath_csum, edges)
{
	uint32_t to[] = { 0, 0xffffffffu, 0x0000ffffu, 0xffff0000u, 0x00010000u, 0x00000001u };
	int hits = 0;
	for (int n = 0; n < 2000000; n++) {
		uint16_t w[10];
		for (int i = 0; i < 10; i++)
			w[i] = (uint16_t)next32();
		w[0] = 0x0045;
		uint32_t t = to[n % 6];
		/* Make the sum after the change 0xffff: the last free word takes what is left. */
		uint16_t save[2];
		memcpy(save, &w[8], 4);
		memcpy(&w[8], &t, 4);
		w[9] = 0;
		w[9] = (uint16_t)(0xffff - sum_but_check(w));
		memcpy(&w[8], save, 4);
		w[5] = ip_csum(w);
		uint32_t from;
		memcpy(&from, &w[8], 4);
		uint16_t inc = fastpath_csum_replace4(w[5], from, t);
		memcpy(&w[8], &t, 4);
		cr_assert_eq(inc, ip_csum(w), "from %08x to %08x", from, t);
		hits += inc == 0;
	}
	cr_assert_gt(hits, 0, "no case reached a checksum of zero");
}

/* A wrong checksum stays wrong by as much: the fast path never mends a
 * header the receiving stack would have dropped. */
Test(fastpath_csum, wrong_stays_wrong)
{
	for (int n = 0; n < 100000; n++) {
		uint16_t w[10];
		for (int i = 0; i < 10; i++)
			w[i] = (uint16_t)next32();
		w[0] = 0x0045;
		uint16_t good = ip_csum(w), bad = (uint16_t)(good ^ (1u << (n % 16)));
		uint32_t from, to = next32();
		memcpy(&from, &w[6], 4);
		uint16_t inc = fastpath_csum_replace4(bad, from, to);
		memcpy(&w[6], &to, 4);
		cr_assert_neq(inc, ip_csum(w), "a wrong checksum came out right");
	}
}
