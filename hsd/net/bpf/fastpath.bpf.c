/* fastpath.bpf.c - published TCP ports without the host's IP stack.
 *
 * fp_in, on the uplink's tc ingress: a TCP segment for a published port
 * on one of the uplink's addresses gets the space's address and port,
 * is copied to every audit space's mirror and goes straight into the
 * space (bpf_redirect_peer); the connection is remembered in fp_flows.
 * ICMP errors about such a connection follow it in, translated.
 * fp_out, on a server veth's tc ingress after the mirror's classifiers
 * (which copied the packet already): a segment from the space's own
 * address and a published port, on a remembered connection, gets back the
 * address and port the client used and leaves by the uplink
 * (bpf_redirect_neigh).  Anything else goes on to the host's stack and
 * hsd's nftables table, which handle it as they would without this
 * program; a reply on no remembered connection that conntrack does not
 * know either is dropped: it would leave with a wrong source.
 * Layouts: fastpath_abi.h; docs/networking.md, "Fast path".
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define AF_INET 2
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define IP_MF_OFFSET 0x3fff
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2

#define IP_OFF ETH_HLEN
#define L4_OFF (ETH_HLEN + sizeof(struct iphdr))
#define IP_CHECK (IP_OFF + offsetof(struct iphdr, check))
#define TCP_CHECK (L4_OFF + offsetof(struct tcphdr, check))
#define ICMP_CHECK (L4_OFF + offsetof(struct icmphdr, checksum))
#define INNER_OFF (L4_OFF + sizeof(struct icmphdr))

extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *skb, struct bpf_sock_tuple *tuple,
					 __u32 tuple_len, struct bpf_ct_opts *opts,
					 __u32 opts_len) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTPATH_PORTS_MAX);
	__type(key, struct fp_port_key);
	__type(value, struct fp_port);
} fp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTPATH_SPACES_MAX);
	__type(key, __u32);
	__type(value, struct fp_space);
} fp_spaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTPATH_PORTS_MAX);
	__type(key, struct fp_target_key);
	__type(value, __u8);
} fp_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FASTPATH_FLOWS_MAX);
	__type(key, struct fp_flow_key);
	__type(value, struct fp_flow);
} fp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FASTPATH_MIRRORS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} fp_mirrors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_STAT_N);
	__type(key, __u32);
	__type(value, __u64);
} fp_stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&fp_stats, &what);
	if (n)
		*n += 1;
}

/* The IPv4 header of an unfragmented packet without options, or NULL;
 * such a packet is left to the host's stack. */
static __always_inline struct iphdr *ipv4_of(struct __sk_buff *skb, __u32 need)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    (ip->frag_off & bpf_htons(IP_MF_OFFSET)) || (void *)ip + need > end)
		return NULL;
	return ip;
}

/* Rewrite the address at off (4 bytes) and the port at port_off of a
 * TCP segment, keeping both checksums right (the port is not in the
 * pseudo-header, the address is). */
static __always_inline void tcp_rewrite(struct __sk_buff *skb, __u32 off, __u32 old_addr,
					__u32 new_addr, __u32 port_off, __u16 old_port,
					__u16 new_port)
{
	bpf_l4_csum_replace(skb, TCP_CHECK, old_addr, new_addr, BPF_F_PSEUDO_HDR | 4);
	bpf_l4_csum_replace(skb, TCP_CHECK, old_port, new_port, 2);
	bpf_l3_csum_replace(skb, IP_CHECK, old_addr, new_addr, 4);
	bpf_skb_store_bytes(skb, off, &new_addr, 4, 0);
	bpf_skb_store_bytes(skb, port_off, &new_port, 2, 0);
}

/* The copy an audit space gets of what enters a space, with the
 * space's addresses as the server sees it. */
static __always_inline void copy_to_mirrors(struct __sk_buff *skb)
{
	/* Slots may be free between used ones (fastpath_sync_mirrors). */
#pragma clang loop unroll(full)
	for (int i = 0; i < FASTPATH_MIRRORS_MAX; i++) {
		__u32 key = (__u32)i;
		__u32 *to = bpf_map_lookup_elem(&fp_mirrors, &key);
		if (to && *to && bpf_clone_redirect(skb, *to, 0))
			count(FP_STAT_COPY_FAIL);
	}
}

/* Would the host send a reply to this source back out of the interface
 * it came in by?  A strict reverse-path check: a source that is the
 * host's own, in a space's link network or reached by another way is
 * left to the host's stack, whose guard and martian checks judge it. */
static __always_inline bool from_outside(struct __sk_buff *skb, __u32 saddr, __u32 daddr)
{
	struct bpf_fib_lookup f = {.family = AF_INET, .ifindex = skb->ingress_ifindex,
				   .ipv4_src = daddr, .ipv4_dst = saddr};
	long rc = bpf_fib_lookup(skb, &f, sizeof(f), 0);

	return (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	       f.ifindex == skb->ingress_ifindex;
}

static __always_inline int into_space(struct __sk_buff *skb, const struct fp_port *p)
{
	__u8 macs[2 * ETH_ALEN];

	__builtin_memcpy(macs, p->space_mac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, p->host_mac, ETH_ALEN);
	bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0);
	copy_to_mirrors(skb);
	return bpf_redirect_peer(p->ifindex, 0);
}

static __always_inline int tcp_in(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb, sizeof(struct iphdr) + sizeof(struct tcphdr));
	if (!ip)
		return TC_ACT_UNSPEC;
	struct tcphdr *th = (void *)(ip + 1);
	struct fp_port_key k = {.addr = ip->daddr, .port = th->dest};
	struct fp_port *p = bpf_map_lookup_elem(&fp_ports, &k);
	if (!p)
		return TC_ACT_UNSPEC;
	struct fp_flow_key fk = {.client = ip->saddr, .space_addr = p->space_addr,
				 .client_port = th->source, .space_port = p->space_port};
	struct fp_flow f = {.host_addr = ip->daddr, .host_port = th->dest};
	struct fp_flow *known = bpf_map_lookup_elem(&fp_flows, &fk);
	/* A connection is judged once, by its first segment: one whose
	 * source failed never gets an entry, so each of its segments is. */
	if (!known || known->host_addr != f.host_addr || known->host_port != f.host_port) {
		if (!from_outside(skb, fk.client, f.host_addr))
			return TC_ACT_UNSPEC;
		bpf_map_update_elem(&fp_flows, &fk, &f, BPF_ANY);
	}
	tcp_rewrite(skb, IP_OFF + offsetof(struct iphdr, daddr), k.addr, p->space_addr,
		    L4_OFF + offsetof(struct tcphdr, dest), k.port, p->space_port);
	count(FP_STAT_IN);
	return into_space(skb, p);
}

/* An ICMP error whose quoted segment left by fp_out: back to the space
 * that sent it, the quote as the space sent it (path MTU discovery). */
static __always_inline int icmp_in(struct __sk_buff *skb)
{
	__u32 need = sizeof(struct iphdr) + sizeof(struct icmphdr) + sizeof(struct iphdr) + 8;
	struct iphdr *ip = ipv4_of(skb, need);
	if (!ip)
		return TC_ACT_UNSPEC;
	struct icmphdr *ic = (void *)(ip + 1);
	struct iphdr *in = (void *)(ic + 1);
	if ((ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED) ||
	    in->ihl != 5 || in->protocol != IPPROTO_TCP || in->saddr != ip->daddr)
		return TC_ACT_UNSPEC;
	struct tcphdr *th = (void *)(in + 1); /* its first 8 bytes only */
	struct fp_port_key k = {.addr = in->saddr, .port = th->source};
	struct fp_port *p = bpf_map_lookup_elem(&fp_ports, &k);
	if (!p)
		return TC_ACT_UNSPEC;
	struct fp_flow_key fk = {.client = in->daddr, .space_addr = p->space_addr,
				 .client_port = th->dest, .space_port = p->space_port};
	if (!bpf_map_lookup_elem(&fp_flows, &fk) || !from_outside(skb, ip->saddr, ip->daddr))
		return TC_ACT_UNSPEC;
	__u32 host = k.addr, space = p->space_addr;
	__u16 sport = p->space_port, old_check = in->check, new_check;
	__u32 in_saddr = INNER_OFF + offsetof(struct iphdr, saddr);
	__u32 in_check = INNER_OFF + offsetof(struct iphdr, check);
	__u32 in_sport = INNER_OFF + sizeof(struct iphdr) + offsetof(struct tcphdr, source);

	/* The quote: its source address (and its header checksum with it)
	 * and port; ICMP's checksum covers all three, without a
	 * pseudo-header.  Then the outer destination. */
	bpf_l3_csum_replace(skb, in_check, host, space, 4);
	if (bpf_skb_load_bytes(skb, in_check, &new_check, 2))
		return TC_ACT_SHOT;
	bpf_l4_csum_replace(skb, ICMP_CHECK, old_check, new_check, 2);
	bpf_l4_csum_replace(skb, ICMP_CHECK, host, space, 4);
	bpf_l4_csum_replace(skb, ICMP_CHECK, k.port, sport, 2);
	bpf_skb_store_bytes(skb, in_saddr, &space, 4, 0);
	bpf_skb_store_bytes(skb, in_sport, &sport, 2, 0);
	bpf_l3_csum_replace(skb, IP_CHECK, host, space, 4);
	bpf_skb_store_bytes(skb, IP_OFF + offsetof(struct iphdr, daddr), &space, 4, 0);
	count(FP_STAT_ICMP);
	return into_space(skb, p);
}

SEC("tc")
int fp_in(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_of(skb, sizeof(struct iphdr));
	if (!ip)
		return TC_ACT_UNSPEC;
	if (ip->protocol == IPPROTO_TCP)
		return tcp_in(skb);
	if (ip->protocol == IPPROTO_ICMP)
		return icmp_in(skb);
	return TC_ACT_UNSPEC;
}

/* Does conntrack know the connection: one the host's stack carried
 * (a client on another interface or address, or the host itself)? */
static __always_inline bool conntrack_knows(struct __sk_buff *skb, struct iphdr *ip,
					    struct tcphdr *th)
{
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts o = {.netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP};

	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = th->source;
	t.ipv4.dport = th->dest;
	/* 12: the options without the zone, which every kernel with these
	 * kfuncs takes (later ones also take 16). */
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &t, sizeof(t.ipv4), &o, 12);
	if (!ct)
		return false;
	bpf_ct_release(ct);
	return true;
}

SEC("tc")
int fp_out(struct __sk_buff *skb)
{
	__u32 veth = skb->ingress_ifindex;
	struct fp_space *s = bpf_map_lookup_elem(&fp_spaces, &veth);
	if (!s || !s->uplink)
		return TC_ACT_UNSPEC;
	struct iphdr *ip = ipv4_of(skb, sizeof(struct iphdr) + sizeof(struct tcphdr));
	/* Another source is the guard's to drop, in the host's stack. */
	if (!ip || ip->protocol != IPPROTO_TCP || ip->saddr != s->space_addr)
		return TC_ACT_UNSPEC;
	struct tcphdr *th = (void *)(ip + 1);
	struct fp_flow_key fk = {.client = ip->daddr, .space_addr = ip->saddr,
				 .client_port = th->dest, .space_port = th->source};
	struct fp_flow *f = bpf_map_lookup_elem(&fp_flows, &fk);
	if (!f) {
		struct fp_target_key tk = {.space_addr = ip->saddr, .space_port = th->source};
		if (!bpf_map_lookup_elem(&fp_targets, &tk) || conntrack_knows(skb, ip, th))
			return TC_ACT_UNSPEC;
		count(FP_STAT_ORPHAN);
		return TC_ACT_SHOT;
	}
	__u32 host = f->host_addr, space = ip->saddr, uplink = s->uplink;
	__u16 hport = f->host_port, sport = th->source;
	tcp_rewrite(skb, IP_OFF + offsetof(struct iphdr, saddr), space, host,
		    L4_OFF + offsetof(struct tcphdr, source), sport, hport);
	count(FP_STAT_OUT);
	return bpf_redirect_neigh(uplink, NULL, 0, 0);
}
