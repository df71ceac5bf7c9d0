/* linknet.h - the address plan for server-space veth links.
 *
 * Server space number N (0..LINKNET_MAX_SPACES-1) gets the N-th /30 of a
 * configurable range (default 10.254.0.0/16): network .0, base side .1,
 * space side .2, broadcast .3.  A /16 holds exactly 16384 such links; a
 * smaller range holds fewer, a larger one is only used up to 16384.
 * Pure functions; IPv4 values are host byte order.
 */
#ifndef HS_LINKNET_H
#define HS_LINKNET_H

#include <stddef.h>
#include <stdint.h>

#define LINKNET_DEFAULT_RANGE "10.254.0.0/16"
#define LINKNET_MAX_SPACES 16384u
#define LINKNET_PLEN 30

struct linknet_plan {
	uint32_t range; /* network address of the range */
	uint8_t len;    /* its prefix length, 8..30 */
};

struct linknet {
	uint32_t subnet;     /* the /30 */
	uint32_t base_addr;  /* .1: host end of the veth, the space's gateway */
	uint32_t space_addr; /* .2: the space's eth0 */
	uint8_t plen;        /* LINKNET_PLEN */
};

/* Parse "a.b.c.d/len" (NULL = the default) into a plan.  HS_EINPUT for a
 * bad spelling, host bits set, or a length outside 8..30. */
int linknet_plan_init(struct linknet_plan *plan, const char *range, char *err, size_t errlen);

/* How many spaces the plan can number (at most LINKNET_MAX_SPACES). */
uint32_t linknet_capacity(const struct linknet_plan *plan);

/* The link of space n; HS_EINPUT when n is beyond the capacity. */
int linknet_for(const struct linknet_plan *plan, uint32_t n, struct linknet *out, char *err,
		size_t errlen);

/* Base-side interface name of space n: "hsv<n>" (at most 9 bytes + NUL). */
void linknet_host_ifname(uint32_t n, char *buf, size_t buflen);

#endif
