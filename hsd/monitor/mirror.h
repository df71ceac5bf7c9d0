/* mirror.h - a receive-only copy of the base's traffic inside an audit
 * space, each packet once.
 *
 *   base netns                                           audit space netns
 *   IPv4 of a server veth: cls_bpf clone, both ways --> BASE_IF ==veth== mon0
 *   other IPv4: netfilter dup (prerouting, output) ----/  ingress: drop-all
 *   ARP, IPv6: tc on each SRC (NIC, hsv*) ------------/
 *
 * A server's IPv4 (mirror_bpf.c) is copied where it crosses its veth:
 * ingress as the space sent it (before hsd's guards), egress after
 * destination NAT, so both directions of a published port's connection
 * show the server's address.  The copy is a clone made in the classifier,
 * the cheapest copy the kernel has (docs/benchmarks.md).  Egress leaves
 * out what came in on a server veth (one space talking to another),
 * copied as it came in.
 *
 * The rest of IPv4 (mirror_nft.c): netfilter copies what crosses no
 * tapped server veth in prerouting (after destination NAT) and output,
 * which a packet passes once however many interfaces it crosses; what is
 * routed into a tapped veth but refused by hsd's forward chain is copied
 * in forward.  lo is not copied.
 *
 * ARP and IPv6 (this file): on every source, on its clsact ingress and
 * egress hooks, one u32 match-all filter per protocol whose mirred action
 * copies the packet out of BASE_IF.  Neither is ever forwarded here (ARP
 * is not routed; spaces have no IPv6), so each packet is copied once too.
 * Other link-layer protocols are not copied.
 *
 * BASE_IF has no address, ARP off, IPv6 disabled and an MTU of 65535 (a
 * reassembled datagram fits), and drops everything arriving on it (=
 * everything the audit space sends on mon0) at tc ingress, before any
 * network stack sees it.  The kernel here has no gact, so that drop is a
 * cls_bpf "return TC_ACT_SHOT" filter (see tc.h).  mon0 has no address and
 * IPv6 disabled.
 *
 * Ownership of filters: a mirror's ARP filters sit at fixed priorities,
 * mirror_prio(BASE_IF) (even) on ingress and one more on egress, its IPv6
 * filters MIRROR_PRIO_SPAN above those and its IPv4 classifiers twice
 * that, and their action (or classifier) carries the name "M"+BASE_IF.  A
 * mirror only ever deletes filters at its priorities that carry its own
 * name, so two audit spaces mirroring the same NIC never remove each
 * other's filters; attaching onto a priority taken by a foreign filter
 * fails instead of sharing it.  Mirror filters go on to the next filter
 * ("continue"), so every mirror and every later filter still sees every
 * packet.  Its netfilter rules are the table ip hsd_mirror_BASE_IF, whose
 * set "tapped" names the server veths its classifiers copy.
 *
 * All functions work in the caller's current network namespace (the base)
 * and leave the clsact qdiscs in place (others may use them).
 */
#ifndef HS_MIRROR_H
#define HS_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#define MIRROR_PEER "mon0"      /* name of the audit space's end */
#define MIRROR_PRIO_MIN 0x0200  /* ARP: MIN .. MIN+SPAN-1, IPv6: SPAN above */
#define MIRROR_PRIO_SPAN 0x4000
#define MIRROR_DROP_PRIO 1      /* base_if's own ingress drop filter (cls_bpf) */

/* Create base_if <-> mon0 (inside audit_netns_fd), set both ends up as
 * described above, and mirror each of sources[0..n) into it.  base_if
 * existing already is HS_ESTATE.  On error nothing is left behind. */
int mirror_attach(int audit_netns_fd, const char *base_if, const char *const *sources,
		  size_t n, char *err, size_t errlen);

/* After an hsd restart found base_if in place: copy IPv4 again the way
 * this hsd does, and make sure each source has this hsd's filters (an
 * older one's are replaced).  Keeps going past a failing source and
 * returns the first error. */
int mirror_readopt(const char *base_if, const char *const *sources, size_t n, char *err,
		   size_t errlen);

/* Start mirroring source_if into base_if (a server space that appeared;
 * a name starting with IFNAME_SERVER is a server veth).  Already mirrored
 * is success. */
int mirror_add_source(const char *base_if, const char *source_if, char *err, size_t errlen);

/* Stop mirroring source_if into base_if.  A source or filter that is gone
 * already is success. */
int mirror_remove_source(const char *base_if, const char *source_if, char *err,
			 size_t errlen);

/* Remove this mirror's netfilter table and its filters from every
 * interface of the base, and delete the veth pair.  Works after an hsd restart (it needs no list of
 * sources) and when the veth is gone already. */
int mirror_detach(const char *base_if, char *err, size_t errlen);

/* The ingress priority of base_if's mirror filters, an even number from a
 * hash of the name; egress uses the next one. */
uint16_t mirror_prio(const char *base_if);

/* Packets the audit space sent on mon0 that base_if's ingress dropped
 * (the drop counter of base_if's clsact qdisc). */
int mirror_dropped(const char *base_if, uint64_t *packets, char *err, size_t errlen);

#endif
