/* tc.h - the few traffic-control requests the packet mirror needs, built
 * as rtnetlink messages with libmnl (no tc binary).
 *
 * Everything works on a NETLINK_ROUTE socket the caller opened (nl_open_in)
 * in the namespace that holds the interfaces.  Filters are always u32 with
 * one key "match u32 0 0" (every packet of their protocol), on the clsact
 * qdisc's ingress or egress hook, carrying exactly one action with a
 * cookie, so that the owner of a filter can be told from its dump.
 */
#ifndef HS_TC_H
#define HS_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_insn;
struct mnl_socket;
struct nlmsghdr;

enum tc_dir { TC_DIR_INGRESS, TC_DIR_EGRESS };

/* An action cookie is at most 16 bytes (TC_COOKIE_MAX_SIZE). */
#define TC_COOKIE_LEN 16

/* One filter as dumped.  For u32 only rule nodes are reported, not the
 * hash tables u32 lists alongside them; other classifiers are reported
 * with kind = the classifier's kind and only prio, protocol and handle
 * filled in, and for cls_bpf its name as the cookie. */
struct tc_filter_info {
	uint16_t prio;
	uint16_t protocol;             /* ETH_P_* the filter matches, host order */
	uint32_t handle;
	char kind[16];                 /* its first action's ("mirred"); else bpf's own */
	char cookie[TC_COOKIE_LEN + 1]; /* NUL-terminated; "" if none */
	uint32_t target_ifindex;       /* mirred only; 0 once the target is gone */
	uint64_t packets;              /* packets the action saw */
	uint64_t drops;                /* packets the action dropped */
};

typedef void tc_filter_cb(const struct tc_filter_info *f, void *arg);

/* Add a clsact qdisc to ifindex; one that is there already is fine. */
int tc_clsact_add(struct mnl_socket *nl, int ifindex, char *err, size_t errlen);

/* Add "u32 match-all -> mirred egress mirror to target_ifindex, continue"
 * at prio, for packets of link-layer protocol proto (ETH_P_*, host order).  "continue" (TC_ACT_UNSPEC), not pipe: classification then goes
 * on to the next filter, so mirrors of several audit spaces on one source
 * all see every packet and nothing after them changes behaviour. */
int tc_mirror_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		  uint16_t proto, int target_ifindex, const char *cookie, char *err,
		  size_t errlen);

/* Load insns[0..n) as a tc classifier named name (at most 15 bytes);
 * returns its fd or a negative HS_* code. */
int tc_prog_load(const struct bpf_insn *insns, size_t n, const char *name, char *err,
		 size_t errlen);

/* A cls_bpf filter (handle 1) running prog_fd for packets of proto at
 * prio, named name.  With mirror_to 0 in direct-action mode: the
 * program's return value is the verdict (TC_ACT_UNSPEC: go on to the next
 * filter).  Otherwise a classic classifier: where the program answers -1
 * (match), action 1 copies the packet as tc_mirror_add()'s does, with name
 * as its cookie (then at most TC_COOKIE_LEN bytes); 0 is no match.
 * Mirred's copy leaves the packet itself unshared, where the helper
 * bpf_clone_redirect() copies its headers at once.  replace swaps the
 * filter there, with no moment without one.  Listed with kind "bpf" (or
 * its action's) and name as its cookie. */
int tc_bpf_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
	       uint16_t proto, int prog_fd, const char *name, int mirror_to, bool replace,
	       char *err, size_t errlen);

/* Drop every packet at prio: a cls_bpf filter (handle 1) running a
 * "return TC_ACT_SHOT" program in direct-action mode, because this kernel
 * has no gact action.  Its drops show in the clsact qdisc's statistics. */
int tc_drop_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio, char *err,
		size_t errlen);

/* Packets dropped at ifindex's clsact hooks (the qdisc's drop counter). */
int tc_clsact_drops(struct mnl_socket *nl, int ifindex, uint64_t *drops, char *err,
		    size_t errlen);

/* Call cb for every filter on ifindex's hook at prio (0 = any prio).
 * Beware a u32 quirk: the ingress and egress hooks of one clsact share
 * u32's table of hash tables, and a dump walks that table by priority, so
 * a u32 filter at prio P on the other hook is listed here as well.  Use
 * different priorities on the two hooks. 
 * No clsact qdisc (or no such interface) lists nothing. */
int tc_filter_list(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		   tc_filter_cb *cb, void *arg, char *err, size_t errlen);

/* Delete the filter handle at prio (u32 or another classifier), or with
 * handle 0 every filter at prio; already gone is success. */
int tc_filter_del(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		  uint32_t handle, char *err, size_t errlen);

#endif
