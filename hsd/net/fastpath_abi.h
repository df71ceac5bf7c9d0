/* fastpath_abi.h - the maps shared by the published ports' fast path
 * (bpf/fastpath.bpf.c) and its loader (fastpath.c).  Addresses and ports
 * are in network byte order, as they sit in the packet.
 */
#ifndef HS_FASTPATH_ABI_H
#define HS_FASTPATH_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FASTPATH_PORTS_MAX 16384  /* published TCP ports served */
#define FASTPATH_SPACES_MAX 16384 /* server veths (linknet.h's most) */
#define FASTPATH_MIRRORS_MAX 8   /* audit spaces' mirrors (hsxN) copied to */

/* fp_ports: a published port on the served address of the uplink. */
struct fp_port_key {
	__u32 addr; /* the host's */
	__u16 port; /* the host's */
	__u16 pad;
};

struct fp_port {
	__u32 space_addr;
	__u16 space_port;
	__u16 pad;
	__u32 ifindex; /* the server veth's base end */
	__u8 space_mac[6];
	__u8 host_mac[6];
};

/* fp_spaces: a server veth's base end -> the one source the space has. */
struct fp_space {
	__u32 space_addr;
	__u32 uplink; /* where its replies leave */
};

/* fp_targets: a served port's space address and port -> the host's
 * (an fp_port_key): what a reply's source becomes. */
struct fp_target_key {
	__u32 space_addr;
	__u16 space_port;
	__u16 pad;
};

/* fp_mirrors: the mirrors' base ends (hsxN), 0 = none; each packet the
 * fast path takes into a space is copied to every one, since it does not
 * cross the veth's egress hook where the mirror's classifier would. */

/* fp_stats (per CPU). */
enum fp_stat {
	FP_STAT_IN,        /* packets taken into a space */
	FP_STAT_OUT,       /* replies taken out */
	FP_STAT_ICMP,      /* ICMP errors quoting a segment it let out */
	FP_STAT_UNROUTED,  /* replies the uplink does not route: dropped */
	FP_STAT_REFUSED,   /* segments for a served port it cannot take and
			    * conntrack does not know: dropped */
	FP_STAT_COPY_FAIL, /* copies to a mirror that failed */
	FP_STAT_UNWRITABLE, /* segments the kernel could not make writable: dropped */
	FP_STAT_N
};

#endif
