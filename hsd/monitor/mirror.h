/* mirror.h - a receive-only copy of base interfaces' traffic inside an
 * audit space.
 *
 *   base netns                                  audit space netns
 *   SRC (NIC, hsv*) --tc mirred mirror--> BASE_IF ====veth==== mon0
 *                                         ingress: u32 drop-all
 *
 * Every source gets, on its clsact ingress and egress hooks, one u32
 * match-all filter whose mirred action copies the packet out of BASE_IF.
 * BASE_IF has no address, ARP off and IPv6 disabled, and drops everything
 * arriving on it (= everything the audit space sends on mon0) at tc
 * ingress, before any network stack sees it.  The kernel here has no gact,
 * so that drop is a cls_bpf "return TC_ACT_SHOT" filter (see tc.h).  mon0 has no address and
 * IPv6 disabled.
 *
 * Ownership of filters: a mirror's filters sit at fixed priorities,
 * mirror_prio(BASE_IF) (even) on ingress and one more on egress, and their
 * action carries the cookie "M"+BASE_IF.
 * A mirror only ever deletes rules at its priority whose cookie is its
 * own, so two audit spaces mirroring the same NIC never remove each
 * other's filters; attaching onto a priority taken by a foreign filter
 * fails instead of sharing it.  Mirror actions use "continue", so every
 * mirror and every later filter still sees every packet.
 *
 * All functions work in the caller's current network namespace (the base)
 * and leave the clsact qdiscs in place (others may use them).
 */
#ifndef HS_MIRROR_H
#define HS_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#define MIRROR_PEER "mon0"      /* name of the audit space's end */
#define MIRROR_PRIO_MIN 0x0200  /* mirror priorities: MIN .. MIN+SPAN-1 */
#define MIRROR_PRIO_SPAN 0x4000
#define MIRROR_DROP_PRIO 1      /* base_if's own ingress drop filter (cls_bpf) */

/* Create base_if <-> mon0 (inside audit_netns_fd), set both ends up as
 * described above, and mirror each of sources[0..n) into it.  base_if
 * existing already is HS_ESTATE.  On error nothing is left behind. */
int mirror_attach(int audit_netns_fd, const char *base_if, const char *const *sources,
		  size_t n, char *err, size_t errlen);

/* Start mirroring source_if into base_if (a server space that appeared).
 * Already mirrored is success. */
int mirror_add_source(const char *base_if, const char *source_if, char *err, size_t errlen);

/* Stop mirroring source_if into base_if.  A source or filter that is gone
 * already is success. */
int mirror_remove_source(const char *base_if, const char *source_if, char *err,
			 size_t errlen);

/* Remove this mirror's filters from every interface of the base and
 * delete the veth pair.  Works after an hsd restart (it needs no list of
 * sources) and when the veth is gone already. */
int mirror_detach(const char *base_if, char *err, size_t errlen);

/* The ingress priority of base_if's mirror filters, an even number from a
 * hash of the name; egress uses the next one. */
uint16_t mirror_prio(const char *base_if);

/* Packets the audit space sent on mon0 that base_if's ingress dropped
 * (the drop counter of base_if's clsact qdisc). */
int mirror_dropped(const char *base_if, uint64_t *packets, char *err, size_t errlen);

#endif
