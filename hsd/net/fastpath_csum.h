/* fastpath_csum.h - the fast path's header checksum update, shared with
 * its unit test (test_fastpath_csum.c) so that the arithmetic is checked
 * outside the kernel too.
 */
#ifndef HS_FASTPATH_CSUM_H
#define HS_FASTPATH_CSUM_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A 16-bit one's complement checksum with 4 bytes of what it covers
 * changed from `from` to `to` (RFC 1624, eqn. 3: never the -0 of eqn. 2).
 * Every value is as it lies in the packet; a wrong checksum stays wrong
 * by as much, as with the kernel's csum_replace4. */
static inline __attribute__((always_inline)) __u16 fastpath_csum_replace4(__u16 check, __u32 from,
									   __u32 to)
{
	__u32 s = (__u16)~check;

	s += (__u16)~from + (__u16)~(from >> 16) + (__u16)to + (__u16)(to >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

#endif
