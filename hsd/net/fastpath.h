/* fastpath.h - published TCP ports served past the host's IP stack.
 *
 * Two tc programs (bpf/fastpath.bpf.c) carry an established published
 * connection between the uplink and the server space's veth without
 * routing, netfilter or conntrack on the host: what DNAT does, done per
 * packet in the programs by the maps this module keeps equal to the
 * published ports.  Everything they do not take (other protocols, other
 * interfaces, the host's own connections) goes through hsd's nftables
 * table as before, which stays complete.  docs/networking.md, "Fast
 * path", says what it bypasses and why that is safe.
 */
#ifndef HS_FASTPATH_H
#define HS_FASTPATH_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "portmap.h"

/* tc priority of both programs: after every mirror classifier
 * (MIRROR_PRIO_MIN .. 0xc200), which copy the packet first and go on. */
#define FASTPATH_PRIO 0xf000

struct fastpath;

/* Load the programs.  HS_ESYS when this build has no eBPF or the
 * kernel refuses them (err says why): published ports then take the
 * host's stack alone. */
int fastpath_open(struct fastpath **out, char *err, size_t errlen);

/* Forget the programs.  The filters stay attached with their maps as they
 * are, so the spaces' connections go on while hsd is down; the next
 * fastpath_sync() replaces them. */
void fastpath_close(struct fastpath *fp);

/* The interface published ports are taken from: the one holding
 * endpoint's IPv4 address, else the IPv4 default route's; "" if none. */
void fastpath_uplink(const struct sockaddr_storage *endpoint, char name[IF_NAMESIZE]);

/* Make the programs serve the TCP rules of r[0..n) on every IPv4 address
 * of uplink, for the spaces of nets[0..nnets), and copy to every mirror
 * (hsxN) there is; uplink "" or no TCP rule takes nothing in.  Entries are
 * replaced in place, so a connection is never without its entry.  On
 * failure the caller calls fastpath_stop_in(). */
int fastpath_sync(struct fastpath *fp, const char *uplink, const struct portmap_rule *r,
		  size_t n, const struct portmap_net *nets, size_t nnets, char *err,
		  size_t errlen);

/* Take nothing more into a space: the uplink's program is detached and
 * its ports forgotten, and every packet to a published port goes by DNAT.
 * The veths' programs stay, so that the replies of connections taken in
 * before still leave with the address their client knows. */
void fastpath_stop_in(struct fastpath *fp);

/* For an hsd without a fast path: take off what an earlier one attached
 * to uplink and the veths of nets (fastpath_host.c).  Connections it
 * carried go on by DNAT from their client's next segment on; a reply
 * sent before that leaves masqueraded, and may reset its connection. */
void fastpath_detach(const char *uplink, const struct portmap_net *nets, size_t nnets);

/* Re-read the mirrors (after an audit space's mirror came or went).
 * HS_ESTATE with more than FASTPATH_MIRRORS_MAX: the caller must then
 * call fastpath_stop_in(), or the extra mirrors would miss what it takes
 * into spaces. */
int fastpath_sync_mirrors(struct fastpath *fp, char *err, size_t errlen);

/* Where fp_in is attached ("" nowhere) and the packet counts by enum
 * fp_stat (fastpath_abi.h), summed over CPUs. */
int fastpath_status(struct fastpath *fp, char uplink[IF_NAMESIZE], uint64_t *out, size_t n);

#endif
