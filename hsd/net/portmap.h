/* portmap.h - port-space translation and the network boundary of server
 * spaces, with nftables, in hsd's own tables only.
 *
 * The tables "ip <name>" and "ip6 <name>" (name given by the caller, e.g.
 * "hsd") are always replaced as a whole in one nft transaction, so a
 * reader never sees a half-applied set and hsd never edits anybody else's
 * tables.  The exact ruleset and why each chain exists are in
 * docs/networking.md; in short, for table ip:
 *   guard        (raw) a space's veth carries only that space's address as
 *                source and never 127/8; a space's addresses come from
 *                nowhere else; an hsv* veth not (yet) listed carries nothing
 *   prerouting   DNAT  fib daddr type local + proto/dport -> space addr:port
 *   output       the same for connections started on the host itself
 *   input        a space reaches the host itself only with replies
 *   forward      into a space only replies and published (DNATed) ports;
 *                out of a space anything else (masqueraded)
 *   postrouting  masquerade space traffic leaving by any other interface,
 *                hairpin traffic and host loopback traffic sent to a space
 * and table ip6 drops all IPv6 arriving on any hsv* veth (spaces have none).
 * Inbound connections are never source-NATed: the server sees the client.
 * Values are host byte order.  The functions here act on the calling
 * thread's current network namespace (the base) unless they take a netns.
 */
#ifndef HS_PORTMAP_H
#define HS_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORTMAP_SPACE_MAX 64
#define PORTMAP_TABLE_MAX 32

struct portmap_rule {
	char space[PORTMAP_SPACE_MAX]; /* owner, for messages and rule comments */
	uint8_t proto;                 /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint32_t space_addr;
	uint16_t space_port;
};

/* One server space's link: its subnet, the base end of its veth and the
 * one source address the space may use (a host of subnet: neither its
 * network nor its broadcast address). */
struct portmap_net {
	uint32_t subnet;
	uint8_t len;
	char host_if[16];
	uint32_t space_addr;
};

/* Parse "HOSTPORT:PORT[/tcp|/udp]" (default tcp) into out's proto and
 * ports; out is zeroed first, the caller fills space and space_addr.
 * HS_EINPUT with a one-line message naming --publish otherwise. */
int portmap_parse_publish(const char *spec, struct portmap_rule *out, char *err,
			  size_t errlen);

/* Check a whole rule set: protocols, ports, space names, interface names
 * and, above all, that no host port+proto is published twice. */
int portmap_validate(const struct portmap_rule *r, size_t n, const struct portmap_net *nets,
		     size_t nnets, char *err, size_t errlen);

/* Is r[i] a TCP rule whose space address and port no other rule of
 * r[0..n) reaches?  Then a reply's host address and port follow from the
 * space's alone (the fast path serves only those, fastpath.h). */
bool portmap_rule_alone(const struct portmap_rule *r, size_t n, size_t i);

/* The nft script portmap_apply() runs (validated first).  *out is
 * malloc'd; the caller frees it. */
int portmap_render(const char *table, const struct portmap_rule *r, size_t n,
		   const struct portmap_net *nets, size_t nnets, char **out, char *err,
		   size_t errlen);

/* Replace tables "ip <table>" and "ip6 <table>" with the rules for r and
 * nets, atomically (both or neither). */
int portmap_apply(const char *table, const struct portmap_rule *r, size_t n,
		  const struct portmap_net *nets, size_t nnets, char *err, size_t errlen);

/* Delete tables "ip <table>" and "ip6 <table>"; absent is success. */
int portmap_flush(const char *table, char *err, size_t errlen);

/* Is a TCP socket listening, or a UDP socket bound, on port (any address,
 * IPv4 or IPv6) in the current namespace?  Such a socket would be hidden
 * by a DNAT rule for that port. */
int portmap_port_in_use(uint8_t proto, uint16_t port, bool *in_use, char *err, size_t errlen);

/* net.ipv4.ip_forward = 1 in the current namespace (needed for DNAT to a
 * space and for the spaces' outgoing traffic). */
int portmap_enable_forwarding(char *err, size_t errlen);

/* net.ipv4.conf.<host_if>.route_localnet = 1: lets the host reach a
 * published port as 127.0.0.1:HOSTPORT (the output DNAT sends a packet
 * with a loopback source out of host_if; the kernel drops that unless this
 * is set).  The table's guard chain drops 127.0.0.0/8 arriving from the
 * space, which this setting would otherwise let in. */
int portmap_enable_localnet(const char *host_if, char *err, size_t errlen);

/* net.ipv6.conf.<ifname>.disable_ipv6 = 1 in netns_fd (-1 = current):
 * the interface gets no IPv6 address and the kernel drops IPv6 arriving
 * on it, so a space cannot reach the host's [::] listeners over a
 * link-local address.  Set on a veth before it is up.  A kernel without
 * IPv6 is success. */
int portmap_disable_ipv6(int netns_fd, const char *ifname, char *err, size_t errlen);

/* net.ipv4.ping_group_range = "0 2147483647" in netns_fd: every group may
 * open ICMP echo (SOCK_DGRAM) sockets there, so ping works in a space
 * without CAP_NET_RAW. */
int portmap_allow_ping(int netns_fd, char *err, size_t errlen);

#endif
