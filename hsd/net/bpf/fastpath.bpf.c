/* fastpath.bpf.c - published TCP ports without the host's IP stack.
 *
 * The translation is stateless: hsd gives the fast path only published
 * ports whose space address and port no other host address or port
 * reaches, so a reply's source follows from the space's address and port
 * alone.  Conntrack stays the judge of every connection the host's stack
 * carries: a segment of a connection conntrack knows (the host's own, one
 * made by DNAT before the programs came, one that reached the stack for
 * any reason) is always left to the stack, in both directions.
 *
 * fp_in, on the uplink's tc ingress: a TCP segment for a served published
 * port, sent to this host, with a valid header and a source the host
 * would answer by the uplink, gets the space's address and port, is
 * copied to every audit space's mirror and goes straight into the space
 * (bpf_redirect_peer).  ICMP errors quoting such a segment follow it in,
 * translated.
 * fp_out, on a server veth's tc ingress after the mirror's classifiers
 * (which copied the packet already): a segment from the space's own
 * address and a served port gets back the host's address and port and
 * leaves by the uplink when the route to its destination is the uplink's
 * and it fits the uplink's MTU; one too big goes to the stack, which
 * answers "fragmentation needed" into the space.
 * Anything else goes on to the host's stack and hsd's nftables table.
 * Layouts: fastpath_abi.h; docs/networking.md, "Fast path".
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath_abi.h"
#include "fastpath_csum.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define AF_INET 2
#define PACKET_HOST 0
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

/* The served address (network order; 0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fp_served SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTPATH_PORTS_MAX);
	__type(key, struct fp_target_key);
	__type(value, struct fp_port_key);
} fp_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FASTPATH_SPACES_MAX);
	__type(key, __u32);
	__type(value, struct fp_space);
} fp_spaces SEC(".maps");

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

/* The IPv4 header of an unfragmented packet without options whose
 * lengths add up, with need bytes from it on, or NULL: anything else is
 * the host's stack's to judge. */
static __always_inline struct iphdr *ipv4_of(struct __sk_buff *skb, __u32 need)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    (ip->frag_off & bpf_htons(IP_MF_OFFSET)) || (void *)ip + need > end ||
	    bpf_ntohs(ip->tot_len) < need || bpf_ntohs(ip->tot_len) > skb->len - ETH_HLEN)
		return NULL;
	return ip;
}

/* The header checksum ip_rcv() would check (the stack drops a bad one
 * before anything, a copy included, sees it). */
static __always_inline bool ip_sum_ok(struct iphdr *ip)
{
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;

#pragma clang loop unroll(full)
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A source the host's stack takes from outside: unicast, not 0/8,
 * loopback, multicast or class E, and one the host would answer by the
 * interface it came in by (a strict reverse-path check), so never the
 * host's own address or a space's link network. */
static __always_inline bool from_outside(struct __sk_buff *skb, __u32 saddr, __u32 daddr)
{
	__u32 a = bpf_ntohl(saddr);
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 14)
		return false;
	struct bpf_fib_lookup f = {.family = AF_INET, .ifindex = skb->ingress_ifindex,
				   .ipv4_src = daddr, .ipv4_dst = saddr};
	long rc = bpf_fib_lookup(skb, &f, sizeof(f), 0);

	return (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	       f.ifindex == skb->ingress_ifindex;
}

/* Does conntrack know the connection of this TCP tuple (either way)? */
static __always_inline bool conntrack_knows(struct __sk_buff *skb, __u32 saddr, __u32 daddr,
					    __u16 sport, __u16 dport)
{
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts o = {.netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_TCP};

	t.ipv4.saddr = saddr;
	t.ipv4.daddr = daddr;
	t.ipv4.sport = sport;
	t.ipv4.dport = dport;
	/* 12: the options without the zone, which every kernel with these
	 * kfuncs takes (later ones also take 16). */
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &t, sizeof(t.ipv4), &o, 12);
	if (!ct)
		return false;
	bpf_ct_release(ct);
	return true;
}

/* What a plain TCP segment's rewrite touches: the Ethernet header, the
 * IPv4 header and the ports, stored back in one call (from dmac on; the
 * pad aligns the IP header). */
struct tcp_head {
	__u16 pad;
	__u8 dmac[ETH_ALEN];
	__u8 smac[ETH_ALEN];
	__be16 proto;
	struct iphdr ip;
	__be16 sport;
	__be16 dport;
};
#define TCP_HEAD_LEN (sizeof(struct tcp_head) - offsetof(struct tcp_head, dmac))

/* Copy the head of a plain TCP segment (its lengths checked already). */
static __always_inline bool tcp_head_of(struct __sk_buff *skb, struct tcp_head *h)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + TCP_HEAD_LEN > end)
		return false;
	__builtin_memcpy(h->dmac, data, TCP_HEAD_LEN);
	return true;
}

/* Rewrite the destination (in) or the source (out) address and port of a
 * plain TCP segment, and its Ethernet addresses when dmac is given: the
 * headers in one store, the IP checksum here (the header's own, never
 * offloaded), the TCP checksum by the kernel, which alone knows how the
 * skb carries it (a partial one holds only the pseudo-header, which the
 * port is not in).  h is the packet's head, read before the store.
 * Nonzero if the kernel could not make the packet writable (a clone
 * under memory pressure): the caller drops it rather than let it go
 * half rewritten. */
static __always_inline long tcp_rewrite(struct __sk_buff *skb, struct tcp_head *h, bool in,
					__u32 new_addr, __u16 new_port, const __u8 *dmac,
					const __u8 *smac)
{
	__u32 *addr = in ? &h->ip.daddr : &h->ip.saddr;
	__be16 *port = in ? &h->dport : &h->sport;
	__u32 old_addr = *addr;
	__u16 old_port = *port;

	if (dmac) {
		__builtin_memcpy(h->dmac, dmac, ETH_ALEN);
		__builtin_memcpy(h->smac, smac, ETH_ALEN);
	}
	h->ip.check = fastpath_csum_replace4(h->ip.check, old_addr, new_addr);
	*addr = new_addr;
	*port = new_port;
	return bpf_skb_store_bytes(skb, 0, h->dmac, TCP_HEAD_LEN, 0) ||
	       bpf_l4_csum_replace(skb, TCP_CHECK, old_addr, new_addr, BPF_F_PSEUDO_HDR | 4) ||
	       bpf_l4_csum_replace(skb, TCP_CHECK, old_port, new_port, 2);
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

static __always_inline int into_space(struct __sk_buff *skb, const struct fp_port *p)
{
	copy_to_mirrors(skb);
	return bpf_redirect_peer(p->ifindex, 0);
}

/* Is addr one of the host's own (a route of type local)? */
static __always_inline bool is_local(struct __sk_buff *skb, __u32 addr)
{
	struct bpf_fib_lookup f = {.family = AF_INET, .ifindex = skb->ingress_ifindex,
				   .ipv4_dst = addr};
	return bpf_fib_lookup(skb, &f, sizeof(f), 0) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

/* A TCP segment for a served port: into the space, or left to the stack
 * when conntrack knows its connection.  One the fast path cannot take
 * (IP options, a first fragment, the port on another of the host's
 * addresses) and conntrack does not know is dropped: the stack would
 * make a conntrack entry for it, DNATed to the same space address and
 * port as a connection the fast path carries and conntrack does not see,
 * and that entry would then take the connection's packets over. */
static __always_inline int tcp_in(struct __sk_buff *skb, struct iphdr *ip, __u32 hlen)
{
	void *end = (void *)(long)skb->data_end;
	struct tcphdr *th = (void *)ip + hlen;
	__u32 zero = 0, *served = bpf_map_lookup_elem(&fp_served, &zero);
	if ((void *)(th + 1) > end || !served || !*served)
		return TC_ACT_UNSPEC;
	struct fp_port_key k = {.addr = *served, .port = th->dest};
	struct fp_port *p = bpf_map_lookup_elem(&fp_ports, &k);
	__u32 client = ip->saddr, to = ip->daddr;
	__u16 cport = th->source;
	if (!p)
		return TC_ACT_UNSPEC;
	bool plain = hlen == sizeof(struct iphdr) && !(ip->frag_off & bpf_htons(IP_MF_OFFSET)) &&
		     to == k.addr;
	if (!plain) {
		if ((to != k.addr && !is_local(skb, to)) ||
		    conntrack_knows(skb, client, to, cport, k.port))
			return TC_ACT_UNSPEC;
		count(FP_STAT_REFUSED);
		return TC_ACT_SHOT;
	}
	__u16 len = bpf_ntohs(ip->tot_len);
	if (skb->pkt_type != PACKET_HOST || len < sizeof(struct iphdr) + sizeof(struct tcphdr) ||
	    len > skb->len - ETH_HLEN || !ip_sum_ok(ip) || !from_outside(skb, client, k.addr) ||
	    conntrack_knows(skb, client, k.addr, cport, k.port))
		return TC_ACT_UNSPEC;
	struct tcp_head h;
	if (!tcp_head_of(skb, &h))
		return TC_ACT_UNSPEC;
	if (tcp_rewrite(skb, &h, true, p->space_addr, p->space_port, p->space_mac, p->host_mac)) {
		count(FP_STAT_UNWRITABLE);
		return TC_ACT_SHOT;
	}
	count(FP_STAT_IN);
	return into_space(skb, p);
}

/* An ICMP error quoting a segment the fast path let out: back to the
 * space that sent it, the quote as the space sent it (path MTU
 * discovery). */
static __always_inline int icmp_in(struct __sk_buff *skb, struct iphdr *ip)
{
	void *end = (void *)(long)skb->data_end;
	struct icmphdr *ic = (void *)(ip + 1);
	struct iphdr *in = (void *)(ic + 1);
	struct tcphdr *th = (void *)(in + 1); /* its first 8 bytes only */
	if ((void *)th + 8 > end || (ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED) ||
	    in->ihl != 5 || in->protocol != IPPROTO_TCP || in->saddr != ip->daddr)
		return TC_ACT_UNSPEC;
	struct fp_port_key k = {.addr = in->saddr, .port = th->source};
	struct fp_port *p = bpf_map_lookup_elem(&fp_ports, &k);
	__u32 client = in->daddr;
	__u16 cport = th->dest;
	if (!p || !from_outside(skb, ip->saddr, ip->daddr) ||
	    conntrack_knows(skb, client, k.addr, cport, k.port))
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
	__u8 macs[2 * ETH_ALEN];
	__builtin_memcpy(macs, p->space_mac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, p->host_mac, ETH_ALEN);
	bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0);
	count(FP_STAT_ICMP);
	return into_space(skb, p);
}

SEC("tc")
int fp_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4)
		return TC_ACT_UNSPEC;
	if (ip->protocol == IPPROTO_TCP) {
		/* A later fragment has no port: without its first it never
		 * reassembles, so it is left to the stack. */
		__u32 hlen = ip->ihl * 4;
		if (hlen < sizeof(struct iphdr) || hlen > 60 || (ip->frag_off & bpf_htons(0x1fff)))
			return TC_ACT_UNSPEC;
		return tcp_in(skb, ip, hlen);
	}
	ip = ipv4_of(skb, sizeof(struct iphdr));
	if (ip && ip->protocol == IPPROTO_ICMP && skb->pkt_type == PACKET_HOST && ip_sum_ok(ip))
		return icmp_in(skb, ip);
	return TC_ACT_UNSPEC;
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
	if (!ip || ip->protocol != IPPROTO_TCP || ip->saddr != s->space_addr || ip->ttl <= 1)
		return TC_ACT_UNSPEC;
	struct tcphdr *th = (void *)(ip + 1);
	struct fp_target_key tk = {.space_addr = ip->saddr, .space_port = th->source};
	struct fp_port_key *host = bpf_map_lookup_elem(&fp_targets, &tk);
	__u32 space = ip->saddr, client = ip->daddr, uplink = s->uplink;
	__u16 sport = th->source, cport = th->dest;
	if (!host || conntrack_knows(skb, space, client, sport, cport))
		return TC_ACT_UNSPEC;
	/* Too big for the uplink (a segment sized for a larger path): the
	 * stack's forwarding refuses it with "fragmentation needed" into
	 * the space, whose path MTU then shrinks. */
	__u32 mtu = 0;
	if (bpf_check_mtu(skb, uplink, &mtu, 0, BPF_MTU_CHK_SEGS))
		return TC_ACT_UNSPEC;
	struct bpf_fib_lookup f = {.family = AF_INET, .ifindex = veth, .ipv4_src = host->addr,
				   .ipv4_dst = client};
	long rc = bpf_fib_lookup(skb, &f, sizeof(f), 0);
	/* A reply the uplink does not carry, though its client came in by
	 * the uplink (the route changed, say): dropped, not left to the
	 * stack, which would start a conntrack entry for a connection it
	 * never saw and send it from another address. */
	if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) ||
	    f.ifindex != uplink) {
		count(FP_STAT_UNROUTED);
		return TC_ACT_SHOT;
	}
	struct tcp_head h;
	if (!tcp_head_of(skb, &h))
		return TC_ACT_UNSPEC;
	bool neigh = rc == BPF_FIB_LKUP_RET_NO_NEIGH;
	if (tcp_rewrite(skb, &h, false, host->addr, host->port, neigh ? NULL : f.dmac, f.smac)) {
		count(FP_STAT_UNWRITABLE);
		return TC_ACT_SHOT;
	}
	count(FP_STAT_OUT);
	if (neigh)
		return bpf_redirect_neigh(uplink, NULL, 0, 0);
	return bpf_redirect(uplink, 0);
}
