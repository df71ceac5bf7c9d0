/* mirror.c - packet mirror into an audit space (see mirror.h). */
#include "mirror.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "ifnames.h"
#include "link.h"
#include "mirror_int.h"
#include "netns.h"
#include "tc.h"

/* Each protocol has its own priority band (a u32 priority holds one
 * protocol).  The first MIRROR_NU32 are u32 rules on every source: ARP
 * (never routed, so ingress and egress of every source see each packet
 * once) and IPv6 (spaces have none, so the host's own only).  The last is
 * a server veth's IPv4, copied by a classifier of its own (mirror_bpf.c);
 * netfilter copies the rest of IPv4 (mirror_nft.c). */
static const struct {
	uint16_t proto;
	uint16_t band;
} mirror_protos[] = {{ETH_P_ARP, 0}, {ETH_P_IPV6, MIRROR_PRIO_SPAN},
		     {ETH_P_IP, 2 * MIRROR_PRIO_SPAN}};
#define MIRROR_NPROTOS (sizeof(mirror_protos) / sizeof(mirror_protos[0]))
#define MIRROR_NU32 2
#define MIRROR_IPV4 2 /* index of the classifiers' band */

/* Large enough for any IPv4 packet whole: netfilter copies datagrams
 * after reassembly, a veth passes segmentation-offloaded packets of up
 * to 64 KiB, and a copy bigger than the link would be lost. */
#define MIRROR_MTU 65535

uint16_t mirror_prio(const char *base_if)
{
	/* FNV-1a: stable across restarts and hosts, needs no stored state. */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)base_if; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (uint16_t)(MIRROR_PRIO_MIN + 2 * (h % (MIRROR_PRIO_SPAN / 2)));
}

/* Ingress at the even priority, egress one above (see tc_filter_list()
 * for why the two hooks must not share a u32 priority), in protocol p's
 * band. */
static uint16_t dir_prio(const char *base_if, size_t p, int dir)
{
	return (uint16_t)(mirror_prio(base_if) + mirror_protos[p].band + (dir == TC_DIR_EGRESS));
}

static void mirror_cookie(const char *base_if, char out[TC_COOKIE_LEN + 1])
{
	/* base_if is at most 15 bytes, so "M" + name always fits. */
	snprintf(out, TC_COOKIE_LEN + 1, "M%s", base_if);
}

static bool is_server_if(const char *name)
{
	return strncmp(name, IFNAME_SERVER, sizeof(IFNAME_SERVER) - 1) == 0;
}

static int check_if(const char *name, char *err, size_t errlen)
{
	const char *why;
	if (!link_name_valid(name, &why))
		return err_set(err, errlen, HS_EINPUT, "mirror: \"%.32s\": %s", name ? name : "",
			       why);
	return HS_OK;
}

/* ---- interface settings ---- */

/* Write 1 to IF's disable_ipv6 inside netns_fd (-1 = here): /proc/sys/net
 * shows the namespace of the thread that opens the file. */
static int ipv6_disable(int netns_fd, const char *ifname, char *err, size_t errlen)
{
	int saved = -1;
	if (netns_fd >= 0) {
		int rc = netns_enter(netns_fd, &saved, err, errlen);
		if (rc)
			return rc;
	}
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	int rc = HS_OK;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		/* No IPv6 in this kernel or namespace at all: nothing to disable. */
		if (errno != ENOENT || access("/proc/sys/net/ipv6", F_OK) == 0)
			rc = err_sys(err, errlen, "mirror: open %s", path);
	} else {
		if (write(fd, "1\n", 2) != 2)
			rc = err_sys(err, errlen, "mirror: write %s", path);
		close(fd);
	}
	if (saved >= 0) {
		int lrc = netns_leave(saved, rc ? NULL : err, errlen);
		if (rc == HS_OK)
			rc = lrc;
	}
	return rc;
}

/* Set IFF_NOARP and IFF_UP on ifindex in the current namespace. */
static int link_noarp_up(struct mnl_socket *nl, int ifindex, const char *ifname, char *err,
			 size_t errlen)
{
	char buf[256];
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_NOARP | IFF_UP;
	ifi->ifi_change = IFF_NOARP | IFF_UP;
	int kerr = nl_talk(nl, nlh, NULL, NULL);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "mirror: set %s up with arp off", ifname);
	}
	return HS_OK;
}

/* The copies' route (docs/monitors-net-syslog.md): without one, dup found
 * none and the kernel built and freed an uncached route per copy. */
static int mirror_route_set(const char *base_if, char *err, size_t errlen)
{
	return link_route_onlink(-1, MIRROR_GW_ADDR, base_if, err, errlen);
}

/* The interface indexes of the current namespace, all of them or those
 * whose name starts with prefix. */
struct link_list {
	const char *prefix;
	int *idx;
	size_t n, cap;
	bool nomem;
};

static int ifname_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *l = data;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (l->prefix) {
		const char *name = NULL;
		mnl_attr_parse(nlh, sizeof(*ifi), ifname_cb, &name);
		if (!name || strncmp(name, l->prefix, strlen(l->prefix)) != 0)
			return MNL_CB_OK;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		int *p = realloc(l->idx, cap * sizeof(*p));
		if (!p) {
			l->nomem = true;
			return MNL_CB_OK;
		}
		l->idx = p;
		l->cap = cap;
	}
	l->idx[l->n++] = ifi->ifi_index;
	return MNL_CB_OK;
}

static int links_all(struct mnl_socket *nl, struct link_list *l, char *err, size_t errlen)
{
	char buf[256];
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	int kerr = nl_talk(nl, nlh, link_list_cb, l);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "mirror: list interfaces");
	}
	if (l->nomem)
		return err_set(err, errlen, HS_ESYS, "mirror: out of memory listing interfaces");
	return HS_OK;
}

/* ---- filters on one source ---- */

struct scan {
	const char *cookie;
	uint16_t proto;    /* the protocol our rule there should match */
	int target;        /* the interface it should copy to; 0: any */
	uint32_t mine[16]; /* handles of our rules (normally one) */
	size_t nmine;
	bool stale;        /* one of ours matches another protocol or aims elsewhere */
	bool foreign;      /* someone else's rule at our priority */
};

static void scan_cb(const struct tc_filter_info *f, void *arg)
{
	struct scan *s = arg;
	if (strcmp(f->cookie, s->cookie) != 0) {
		s->foreign = true;
		return;
	}
	/* An hsd before copies went once mirrored every protocol here; a
	 * mirror made again under the same name (its audit space died) has
	 * another index, and mirred's target reads 0 once it is gone. */
	if (f->protocol != s->proto || (s->target && (int)f->target_ifindex != s->target))
		s->stale = true;
	if (s->nmine < sizeof(s->mine) / sizeof(s->mine[0]))
		s->mine[s->nmine++] = f->handle;
}

static int filters_del(struct mnl_socket *nl, int ifindex, enum tc_dir d, uint16_t prio,
		       const struct scan *s, char *err, size_t errlen)
{
	int rc = HS_OK;
	for (size_t i = 0; rc == HS_OK && i < s->nmine; i++)
		rc = tc_filter_del(nl, ifindex, d, prio, s->mine[i], err, errlen);
	return rc;
}

static int scan_prio(struct mnl_socket *nl, int ifindex, enum tc_dir d, uint16_t prio,
		     struct scan *s, const char *ifname, const char *base_if, char *err,
		     size_t errlen)
{
	int rc = tc_filter_list(nl, ifindex, d, prio, scan_cb, s, err, errlen);
	if (rc == HS_OK && s->foreign)
		rc = err_set(err, errlen, HS_ESTATE,
			     "mirror: priority %u on %s is taken by another filter; rename %s", prio,
			     ifname, base_if);
	return rc;
}

/* ---- a server veth's IPv4: classifiers (mirror_bpf.c) ---- */

/* The two programs of one call, loaded once for all its veths: ingress
 * copies every packet as the space sent it (before hsd's guards); egress
 * what goes into the space, but for what came in on a server veth
 * (copied there), so it knows every server veth here (servers). */
struct taps {
	int fd[2];  /* by enum tc_dir */
	int target; /* the mirror's interface, where the copies go */
	struct link_list servers;
};

static void taps_close(struct taps *t)
{
	for (int d = TC_DIR_INGRESS; d <= TC_DIR_EGRESS; d++) {
		if (t->fd[d] >= 0)
			close(t->fd[d]);
		t->fd[d] = -1;
	}
	free(t->servers.idx);
	t->servers.idx = NULL;
}

static int taps_load(struct mnl_socket *nl, int base_idx, struct taps *t, char *err,
		     size_t errlen)
{
	*t = (struct taps){
		.fd = {-1, -1}, .target = base_idx, .servers = {.prefix = IFNAME_SERVER}};
	int rc = links_all(nl, &t->servers, err, errlen);
	if (rc == HS_OK && t->servers.n > MIRROR_SKIP_MAX)
		t->servers.n = MIRROR_SKIP_MAX; /* beyond: copied twice, never lost */
	if (rc == HS_OK &&
	    (t->fd[TC_DIR_INGRESS] = mirror_prog_load(NULL, 0, err, errlen)) < 0)
		rc = t->fd[TC_DIR_INGRESS];
	if (rc == HS_OK && (t->fd[TC_DIR_EGRESS] = mirror_prog_load(
				    t->servers.idx, t->servers.n, err, errlen)) < 0)
		rc = t->fd[TC_DIR_EGRESS];
	if (rc)
		taps_close(t);
	return rc;
}

/* Put the classifier of hook d on ifindex.  One there already (an hsd
 * before, or a mirror since gone under the same name) is replaced: its
 * action names the mirror's interface by index. */
static int tap_put(struct mnl_socket *nl, const char *base_if, int ifindex, const char *ifname,
		   enum tc_dir d, const struct taps *t, char *err, size_t errlen)
{
	char cookie[TC_COOKIE_LEN + 1];
	mirror_cookie(base_if, cookie);
	uint16_t prio = dir_prio(base_if, MIRROR_IPV4, d);
	struct scan s = {.cookie = cookie, .proto = ETH_P_IP};
	int rc = scan_prio(nl, ifindex, d, prio, &s, ifname, base_if, err, errlen);
	if (rc == HS_OK)
		rc = tc_bpf_add(nl, ifindex, d, prio, ETH_P_IP, t->fd[d], cookie, t->target,
				s.nmine > 0, err, errlen);
	return rc;
}

/* A server veth new here is missing from the egress program of every
 * veth tapped before it: give them all this call's. */
static int taps_refresh(struct mnl_socket *nl, const char *base_if, const struct taps *t,
			char *err, size_t errlen)
{
	char cookie[TC_COOKIE_LEN + 1];
	mirror_cookie(base_if, cookie);
	uint16_t prio = dir_prio(base_if, MIRROR_IPV4, TC_DIR_EGRESS);
	int rc = HS_OK;
	for (size_t i = 0; rc == HS_OK && i < t->servers.n; i++) {
		int idx = t->servers.idx[i];
		struct scan s = {.cookie = cookie, .proto = ETH_P_IP};
		char e[HS_ERRLEN];
		/* Only where our classifier is; a veth gone meanwhile is no error. */
		if (tc_filter_list(nl, idx, TC_DIR_EGRESS, prio, scan_cb, &s, e, sizeof(e)) ||
		    s.foreign || s.nmine == 0)
			continue;
		rc = tc_bpf_add(nl, idx, TC_DIR_EGRESS, prio, ETH_P_IP, t->fd[TC_DIR_EGRESS], cookie,
				t->target, true, err, errlen);
	}
	return rc;
}

static int source_add(struct mnl_socket *nl, const char *base_if, int base_idx,
		      const char *source_if, const struct taps *t, char *err, size_t errlen)
{
	int src;
	int rc = link_index(-1, source_if, &src, err, errlen);
	if (rc)
		return rc;
	if (src == 0)
		return err_set(err, errlen, HS_ESTATE, "mirror: no source interface %s", source_if);
	if (src == base_idx)
		return err_set(err, errlen, HS_EINPUT, "mirror: %s cannot mirror itself", base_if);
	rc = tc_clsact_add(nl, src, err, errlen);
	if (rc)
		return rc;
	char cookie[TC_COOKIE_LEN + 1];
	mirror_cookie(base_if, cookie);
	for (size_t p = 0; p < MIRROR_NU32; p++) {
		for (int d = TC_DIR_INGRESS; d <= TC_DIR_EGRESS; d++) {
			uint16_t prio = dir_prio(base_if, p, d);
			struct scan s = {
				.cookie = cookie, .proto = mirror_protos[p].proto, .target = base_idx};
			rc = scan_prio(nl, src, (enum tc_dir)d, prio, &s, source_if, base_if, err,
				       errlen);
			if (rc)
				return rc;
			if (s.stale && (rc = filters_del(nl, src, (enum tc_dir)d, prio, &s, err,
							 errlen)))
				return rc;
			if (s.nmine > 0 && !s.stale)
				continue; /* already mirrored (e.g. re-adopted after a restart) */
			rc = tc_mirror_add(nl, src, (enum tc_dir)d, prio, mirror_protos[p].proto,
					   base_idx, cookie, err, errlen);
			if (rc)
				return rc;
		}
	}
	if (!is_server_if(source_if))
		return HS_OK;
	for (int d = TC_DIR_INGRESS; rc == HS_OK && d <= TC_DIR_EGRESS; d++)
		rc = tap_put(nl, base_if, src, source_if, (enum tc_dir)d, t, err, errlen);
	/* Only now that its classifiers copy does netfilter leave it out. */
	if (rc == HS_OK)
		rc = mirror_nft_tap(base_if, source_if, true, err, errlen);
	return rc;
}

/* Delete our rules on ifindex, both hooks.  With untap_if (its name), a
 * tapped veth's IPv4 goes back to netfilter first, so no packet goes
 * uncopied; detach, which deletes the table first, passes NULL. */
static int source_clear(struct mnl_socket *nl, const char *base_if, int ifindex,
			const char *untap_if, char *err, size_t errlen)
{
	char cookie[TC_COOKIE_LEN + 1];
	mirror_cookie(base_if, cookie);
	for (size_t p = 0; p < MIRROR_NPROTOS; p++) {
		for (int d = TC_DIR_INGRESS; d <= TC_DIR_EGRESS; d++) {
			uint16_t prio = dir_prio(base_if, p, d);
			struct scan s = {.cookie = cookie, .proto = mirror_protos[p].proto};
			int rc = tc_filter_list(nl, ifindex, (enum tc_dir)d, prio, scan_cb, &s, err,
						errlen);
			if (rc == HS_OK && p == MIRROR_IPV4 && s.nmine && untap_if) {
				rc = mirror_nft_tap(base_if, untap_if, false, err, errlen);
				untap_if = NULL;
			}
			if (rc == HS_OK)
				rc = filters_del(nl, ifindex, (enum tc_dir)d, prio, &s, err, errlen);
			if (rc)
				return rc;
		}
	}
	return HS_OK;
}

/* ---- public ---- */

static int open_base(const char *base_if, int *base_idx, struct mnl_socket **nl, char *err,
		     size_t errlen)
{
	int rc = check_if(base_if, err, errlen);
	if (rc == HS_OK)
		rc = link_index(-1, base_if, base_idx, err, errlen);
	if (rc == HS_OK && *base_idx == 0)
		rc = err_set(err, errlen, HS_ESTATE, "mirror: no mirror interface %s", base_if);
	if (rc == HS_OK)
		rc = nl_open_in(-1, nl, err, errlen);
	return rc;
}

int mirror_add_source(const char *base_if, const char *source_if, char *err, size_t errlen)
{
	int rc = check_if(source_if, err, errlen);
	if (rc)
		return rc;
	int base_idx;
	struct mnl_socket *nl;
	rc = open_base(base_if, &base_idx, &nl, err, errlen);
	if (rc)
		return rc;
	struct taps t;
	rc = taps_load(nl, base_idx, &t, err, errlen);
	if (rc == HS_OK) {
		rc = source_add(nl, base_if, base_idx, source_if, &t, err, errlen);
		if (rc == HS_OK && is_server_if(source_if))
			rc = taps_refresh(nl, base_if, &t, err, errlen);
		taps_close(&t);
	}
	mnl_socket_close(nl);
	return rc;
}

int mirror_remove_source(const char *base_if, const char *source_if, char *err, size_t errlen)
{
	int rc = check_if(base_if, err, errlen);
	if (rc == HS_OK)
		rc = check_if(source_if, err, errlen);
	int src = 0;
	if (rc == HS_OK)
		rc = link_index(-1, source_if, &src, err, errlen);
	if (rc || src == 0)
		return rc; /* a vanished source took its filters with it */
	struct mnl_socket *nl;
	rc = nl_open_in(-1, &nl, err, errlen);
	if (rc)
		return rc;
	rc = source_clear(nl, base_if, src, source_if, err, errlen);
	mnl_socket_close(nl);
	return rc;
}

int mirror_detach(const char *base_if, char *err, size_t errlen)
{
	int rc = check_if(base_if, err, errlen);
	if (rc)
		return rc;
	/* Copies stop before the link goes: netfilter's rule names base_if
	 * by index, which a later mirror of the same name would not have. */
	rc = mirror_nft_clear(base_if, err, errlen);
	if (rc)
		return rc;
	struct mnl_socket *nl;
	rc = nl_open_in(-1, &nl, err, errlen);
	if (rc)
		return rc;
	struct link_list l = {0};
	rc = links_all(nl, &l, err, errlen);
	/* Keep going past a failing interface (it may vanish meanwhile) and
	 * report the first error at the end. */
	for (size_t i = 0; rc == HS_OK && i < l.n; i++) {
		char e[HS_ERRLEN];
		int r = source_clear(nl, base_if, l.idx[i], NULL, e, sizeof(e));
		if (r && rc == HS_OK)
			rc = err_set(err, errlen, r, "%s", e);
	}
	free(l.idx);
	mnl_socket_close(nl);
	int drc = link_delete(-1, base_if, rc ? NULL : err, errlen);
	return rc ? rc : drc;
}

int mirror_attach(int audit_netns_fd, const char *base_if, const char *const *sources,
		  size_t n, char *err, size_t errlen)
{
	int rc = check_if(base_if, err, errlen);
	for (size_t i = 0; rc == HS_OK && i < n; i++)
		rc = check_if(sources[i], err, errlen);
	if (rc == HS_OK && audit_netns_fd < 0)
		rc = err_set(err, errlen, HS_EINPUT, "mirror: no audit namespace given");
	if (rc)
		return rc;
	rc = link_veth_create(base_if, audit_netns_fd, MIRROR_PEER, err, errlen);
	if (rc)
		return rc; /* nothing created: an existing base_if is not ours to remove */

	int base_idx = 0;
	struct mnl_socket *nl = NULL;
	struct taps t = {.fd = {-1, -1}};
	/* IPv6 off before anything is up, so neither end ever sends ND/MLD. */
	rc = ipv6_disable(-1, base_if, err, errlen);
	if (rc == HS_OK)
		rc = ipv6_disable(audit_netns_fd, MIRROR_PEER, err, errlen);
	if (rc == HS_OK)
		rc = open_base(base_if, &base_idx, &nl, err, errlen);
	if (rc == HS_OK)
		rc = link_set_mtu(-1, base_if, MIRROR_MTU, err, errlen);
	if (rc == HS_OK)
		rc = link_set_mtu(audit_netns_fd, MIRROR_PEER, MIRROR_MTU, err, errlen);
	/* The drop filter goes in before the link is up: nothing the audit
	 * space sends may ever slip through. */
	if (rc == HS_OK)
		rc = tc_clsact_add(nl, base_idx, err, errlen);
	if (rc == HS_OK)
		rc = tc_drop_add(nl, base_idx, TC_DIR_INGRESS, MIRROR_DROP_PRIO, err, errlen);
	if (rc == HS_OK)
		rc = link_noarp_up(nl, base_idx, base_if, err, errlen);
	if (rc == HS_OK)
		rc = link_set_up(audit_netns_fd, MIRROR_PEER, err, errlen);
	if (rc == HS_OK)
		rc = mirror_route_set(base_if, err, errlen);
	if (rc == HS_OK)
		rc = mirror_nft_set(base_if, err, errlen);
	if (rc == HS_OK)
		rc = taps_load(nl, base_idx, &t, err, errlen);
	for (size_t i = 0; rc == HS_OK && i < n; i++)
		rc = source_add(nl, base_if, base_idx, sources[i], &t, err, errlen);
	taps_close(&t);
	/* mirred drops what it sends to a veth whose carrier the kernel has
	 * not declared up yet: return once the mirror really carries. */
	if (rc == HS_OK)
		rc = link_wait_running(-1, base_if, 3000, err, errlen);
	if (rc == HS_OK)
		rc = link_wait_running(audit_netns_fd, MIRROR_PEER, 3000, err, errlen);
	if (nl)
		mnl_socket_close(nl);
	if (rc)
		mirror_detach(base_if, NULL, 0); /* undo; the first error stays in err */
	return rc;
}

int mirror_readopt(const char *base_if, const char *const *sources, size_t n, char *err,
		   size_t errlen)
{
	int base_idx;
	struct mnl_socket *nl;
	int rc = open_base(base_if, &base_idx, &nl, err, errlen);
	if (rc)
		return rc;
	rc = mirror_route_set(base_if, err, errlen);
	if (rc == HS_OK)
		rc = mirror_nft_set(base_if, err, errlen);
	/* Every veth this mirror taps is among the sources, so each gets
	 * this call's egress program, which knows every server veth: no
	 * refresh. */
	struct taps t = {.fd = {-1, -1}};
	bool loaded = rc == HS_OK && (rc = taps_load(nl, base_idx, &t, err, errlen)) == HS_OK;
	/* Keep going past a source that fails (it may vanish meanwhile). */
	for (size_t i = 0; loaded && i < n; i++) {
		char e[HS_ERRLEN];
		int r = check_if(sources[i], e, sizeof(e));
		if (r == HS_OK)
			r = source_add(nl, base_if, base_idx, sources[i], &t, e, sizeof(e));
		if (r && rc == HS_OK)
			rc = err_set(err, errlen, r, "%s", e);
	}
	taps_close(&t);
	mnl_socket_close(nl);
	return rc;
}

int mirror_dropped(const char *base_if, uint64_t *packets, char *err, size_t errlen)
{
	*packets = 0;
	int base_idx;
	struct mnl_socket *nl;
	int rc = open_base(base_if, &base_idx, &nl, err, errlen);
	if (rc)
		return rc;
	/* base_if's egress drops nothing, so the qdisc's count is ingress. */
	rc = tc_clsact_drops(nl, base_idx, packets, err, errlen);
	mnl_socket_close(nl);
	return rc;
}
