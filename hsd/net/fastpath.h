/* fastpath.h - published TCP ports served past the host's IP stack.
 *
 * Two tc programs (bpf/fastpath.bpf.c) carry the connections of a
 * published TCP port between the uplink and the server space's veth
 * without routing, netfilter or conntrack on the host: what DNAT does,
 * done statelessly per packet by the maps this module keeps equal to the
 * published ports.  Everything they do not take (UDP, other addresses,
 * connections conntrack knows, such as the host's own) goes through hsd's
 * nftables table as before, which stays complete.  docs/networking.md,
 * "Fast path", says what it bypasses and why that is safe.
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

/* The interface published ports are taken from, and the one address
 * of it they are served on (host byte order): endpoint's IPv4 address
 * and the interface holding it, else the IPv4 default route's interface
 * and its first address; "" and 0 if none or if it is not Ethernet. */
void fastpath_uplink(const struct sockaddr_storage *endpoint, char name[IF_NAMESIZE],
		     uint32_t *addr);

/* Make the programs serve, on uplink's address addr (host order), the TCP
 * rules of r[0..n) whose space address and port no other rule reaches,
 * for the spaces of nets[0..nnets), copying to every mirror (hsxN) there
 * is; uplink "" or nothing served takes nothing in.  Entries are replaced
 * in place.  On failure the caller calls fastpath_stop_in(). */
int fastpath_sync(struct fastpath *fp, const char *uplink, uint32_t addr,
		  const struct portmap_rule *r, size_t n, const struct portmap_net *nets,
		  size_t nnets, char *err, size_t errlen);

/* Take nothing more into a space: the uplink's program is detached (from
 * uplink too, where an earlier hsd may have left one) and the ports
 * forgotten, so every packet to a published port goes by DNAT.  The
 * veths' programs stay: the replies of connections taken in before still
 * leave with the address their client knows. */
void fastpath_stop_in(struct fastpath *fp, const char *uplink);

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
