/* tc.c - clsact qdisc and u32 filter requests over rtnetlink (see tc.h). */
#include "tc.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"

#define TC_REQSZ 1024


static uint32_t dir_parent(enum tc_dir dir)
{
	return TC_H_MAKE(TC_H_CLSACT, dir == TC_DIR_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static const char *dir_name(enum tc_dir dir)
{
	return dir == TC_DIR_INGRESS ? "ingress" : "egress";
}

/* Zeroed, so attribute padding never carries stack bytes to the kernel. */
static struct nlmsghdr *tc_msg(char *buf, uint16_t type, uint16_t flags, int ifindex,
			       uint32_t parent, uint32_t handle, uint32_t info)
{
	memset(buf, 0, TC_REQSZ);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	t->tcm_info = info;
	return nlh;
}

int tc_clsact_add(struct mnl_socket *nl, int ifindex, char *err, size_t errlen)
{
	char buf[TC_REQSZ];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				      TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	int kerr = nl_talk(nl, nlh, NULL, NULL);
	if (kerr && kerr != -EEXIST) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: add clsact qdisc on ifindex %d", ifindex);
	}
	return HS_OK;
}

static void put_mirror_action(struct nlmsghdr *nlh, uint16_t type, int target,
			      const char *cookie);

static bool cookie_ok(const char *cookie)
{
	size_t n = cookie ? strlen(cookie) : 0;
	return n > 0 && n <= TC_COOKIE_LEN;
}

/* u32 match-all rule with one mirred action carrying cookie. */
int tc_mirror_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		  uint16_t proto, int target_ifindex, const char *cookie, char *err,
		  size_t errlen)
{
	if (!cookie_ok(cookie))
		return err_set(err, errlen, HS_EINPUT, "tc: action cookie must be 1..%d bytes",
			       TC_COOKIE_LEN);
	char buf[TC_REQSZ];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				      dir_parent(dir), 0,
				      TC_H_MAKE((uint32_t)prio << 16, htons(proto)));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);

	/* One key, mask 0 value 0 at offset 0: matches every packet.
	 * TERMINAL because the rule ends in actions, as tc(8) sets it. */
	char selbuf[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
	memset(selbuf, 0, sizeof(selbuf));
	struct tc_u32_sel *sel = (struct tc_u32_sel *)selbuf;
	sel->flags = TC_U32_TERMINAL;
	sel->nkeys = 1;
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(selbuf), selbuf);

	put_mirror_action(nlh, TCA_U32_ACT, target_ifindex, cookie);
	mnl_attr_nest_end(nlh, opts);

	int kerr = nl_talk(nl, nlh, NULL, NULL);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: add mirror filter prio %u on ifindex %d %s", prio,
			       ifindex, dir_name(dir));
	}
	return HS_OK;
}

/* The actions attribute type of a classifier: "mirred egress mirror to
 * target, continue" as action 1, carrying cookie. */
static void put_mirror_action(struct nlmsghdr *nlh, uint16_t type, int target,
			      const char *cookie)
{
	struct nlattr *acts = mnl_attr_nest_start(nlh, type);
	struct nlattr *act = mnl_attr_nest_start(nlh, 1); /* action order 1 */
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	struct nlattr *o = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	struct tc_mirred m;
	memset(&m, 0, sizeof(m));
	m.action = TC_ACT_UNSPEC; /* "continue": see tc.h */
	m.eaction = TCA_EGRESS_MIRROR;
	m.ifindex = (uint32_t)target;
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, o);
	mnl_attr_put(nlh, TCA_ACT_COOKIE, strlen(cookie), cookie);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
}

/* ---- dump parsing ---- */

struct list_ctx {
	tc_filter_cb *cb;
	void *arg;
};

/* Collect nested attributes by type into tb[0..max]; unknown ones are
 * skipped, so newer kernels adding attributes do not break us. */
struct attr_tab {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_collect(const struct nlattr *a, void *data)
{
	struct attr_tab *t = data;
	unsigned type = mnl_attr_get_type(a);
	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static void nested(const struct nlattr *a, const struct nlattr **tb, unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	struct attr_tab t = {tb, max};
	if (a)
		mnl_attr_parse_nested(a, attr_collect, &t);
}

int tc_prog_load(const struct bpf_insn *insns, size_t n, const char *name, char *err,
		 size_t errlen)
{
	static const char license[] = "GPL";
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)license;
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", name);
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return err_sys(err, errlen, "tc: load the BPF classifier %s", name);
	return fd;
}

int tc_bpf_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
	       uint16_t proto, int prog_fd, const char *name, int mirror_to, bool replace,
	       char *err, size_t errlen)
{
	if (mirror_to && !cookie_ok(name))
		return err_set(err, errlen, HS_EINPUT, "tc: action cookie must be 1..%d bytes",
			       TC_COOKIE_LEN);
	char buf[TC_REQSZ];
	/* Handle 1 at a priority of its own: a replace finds it there. */
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER,
				      NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL),
				      ifindex, dir_parent(dir), 1,
				      TC_H_MAKE((uint32_t)prio << 16, htons(proto)));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_FD, (uint32_t)prog_fd);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, name);
	if (mirror_to)
		put_mirror_action(nlh, TCA_BPF_ACT, mirror_to, name);
	else
		mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opts);
	int kerr = nl_talk(nl, nlh, NULL, NULL);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: %s BPF filter %s prio %u on ifindex %d %s",
			       replace ? "replace" : "add", name, prio, ifindex, dir_name(dir));
	}
	return HS_OK;
}

int tc_drop_add(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio, char *err,
		size_t errlen)
{
	/* "return TC_ACT_SHOT": this kernel has no gact action, but cls_bpf
	 * in direct-action mode can drop by itself. */
	const struct bpf_insn prog[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_SHOT},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int pfd = tc_prog_load(prog, 2, "hsd_drop", err, errlen);
	if (pfd < 0)
		return pfd;
	int rc = tc_bpf_add(nl, ifindex, dir, prio, ETH_P_ALL, pfd, "hsd_drop", 0, false, err,
			    errlen);
	close(pfd); /* the filter holds its own reference to the program */
	return rc;
}

struct qdisc_query {
	int ifindex;
	uint64_t *drops;
};

/* The dump may list every interface's qdiscs (the kernel need not filter
 * by tcm_ifindex): only the asked interface's clsact counts. */
static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qdisc_query *qq = data;
	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	if (t->tcm_ifindex != qq->ifindex)
		return MNL_CB_OK;
	const struct nlattr *tb[TCA_MAX + 1];
	memset(tb, 0, sizeof(tb));
	struct attr_tab tab = {tb, TCA_MAX};
	if (t->tcm_parent != TC_H_CLSACT || mnl_attr_parse(nlh, sizeof(*t), attr_collect, &tab) < 0)
		return MNL_CB_OK;
	const struct nlattr *st[TCA_STATS_MAX + 1];
	nested(tb[TCA_STATS2], st, TCA_STATS_MAX);
	if (st[TCA_STATS_QUEUE] &&
	    mnl_attr_get_payload_len(st[TCA_STATS_QUEUE]) >= sizeof(struct gnet_stats_queue)) {
		struct gnet_stats_queue q;
		memcpy(&q, mnl_attr_get_payload(st[TCA_STATS_QUEUE]), sizeof(q));
		*qq->drops = q.drops;
	}
	return MNL_CB_OK;
}

int tc_clsact_drops(struct mnl_socket *nl, int ifindex, uint64_t *drops, char *err,
		    size_t errlen)
{
	*drops = 0;
	char buf[TC_REQSZ];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_GETQDISC, NLM_F_DUMP, ifindex, 0, 0, 0);
	struct qdisc_query qq = {ifindex, drops};
	int kerr = nl_talk(nl, nlh, qdisc_cb, &qq);
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: read qdisc statistics of ifindex %d", ifindex);
	}
	return HS_OK;
}

static void parse_stats(const struct nlattr *a, struct tc_filter_info *f)
{
	const struct nlattr *tb[TCA_STATS_MAX + 1];
	nested(a, tb, TCA_STATS_MAX);
	if (tb[TCA_STATS_BASIC] && mnl_attr_get_payload_len(tb[TCA_STATS_BASIC]) >=
					   sizeof(struct gnet_stats_basic)) {
		struct gnet_stats_basic b;
		memcpy(&b, mnl_attr_get_payload(tb[TCA_STATS_BASIC]), sizeof(b));
		f->packets = b.packets;
	}
	if (tb[TCA_STATS_QUEUE] && mnl_attr_get_payload_len(tb[TCA_STATS_QUEUE]) >=
					   sizeof(struct gnet_stats_queue)) {
		struct gnet_stats_queue q;
		memcpy(&q, mnl_attr_get_payload(tb[TCA_STATS_QUEUE]), sizeof(q));
		f->drops = q.drops;
	}
}

static void parse_action(const struct nlattr *a, struct tc_filter_info *f)
{
	const struct nlattr *tb[TCA_ACT_MAX + 1];
	nested(a, tb, TCA_ACT_MAX);
	if (tb[TCA_ACT_KIND]) {
		size_t n = mnl_attr_get_payload_len(tb[TCA_ACT_KIND]);
		if (n >= sizeof(f->kind))
			n = sizeof(f->kind) - 1;
		memcpy(f->kind, mnl_attr_get_payload(tb[TCA_ACT_KIND]), n);
		f->kind[strnlen(f->kind, n)] = '\0';
	}
	if (tb[TCA_ACT_COOKIE]) {
		size_t n = mnl_attr_get_payload_len(tb[TCA_ACT_COOKIE]);
		if (n > TC_COOKIE_LEN)
			n = TC_COOKIE_LEN;
		memcpy(f->cookie, mnl_attr_get_payload(tb[TCA_ACT_COOKIE]), n);
		f->cookie[n] = '\0';
	}
	if (tb[TCA_ACT_STATS])
		parse_stats(tb[TCA_ACT_STATS], f);
	if (strcmp(f->kind, "mirred") == 0 && tb[TCA_ACT_OPTIONS]) {
		const struct nlattr *mt[TCA_MIRRED_MAX + 1];
		nested(tb[TCA_ACT_OPTIONS], mt, TCA_MIRRED_MAX);
		if (mt[TCA_MIRRED_PARMS] &&
		    mnl_attr_get_payload_len(mt[TCA_MIRRED_PARMS]) >= sizeof(struct tc_mirred)) {
			struct tc_mirred m;
			memcpy(&m, mnl_attr_get_payload(mt[TCA_MIRRED_PARMS]), sizeof(m));
			f->target_ifindex = m.ifindex;
		}
	}
}

/* The classifier's action 1, if it has actions. */
static void first_action(const struct nlattr *acts, struct tc_filter_info *f)
{
	const struct nlattr *at[TCA_ACT_MAX_PRIO + 1];
	nested(acts, at, TCA_ACT_MAX_PRIO);
	if (at[1])
		parse_action(at[1], f);
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *ctx = data;
	if (nlh->nlmsg_type != RTM_NEWTFILTER)
		return MNL_CB_OK;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1];
	memset(tb, 0, sizeof(tb));
	struct attr_tab tab = {tb, TCA_MAX};
	if (mnl_attr_parse(nlh, sizeof(*t), attr_collect, &tab) < 0)
		return MNL_CB_OK;
	if (!tb[TCA_KIND])
		return MNL_CB_OK;
	struct tc_filter_info f;
	memset(&f, 0, sizeof(f));
	f.prio = (uint16_t)(TC_H_MAJ(t->tcm_info) >> 16);
	f.protocol = ntohs((uint16_t)TC_H_MIN(t->tcm_info));
	f.handle = t->tcm_handle;
	if (strcmp(mnl_attr_get_str(tb[TCA_KIND]), "u32") != 0) {
		/* Another classifier: reported by its own kind; cls_bpf's
		 * program name stands for the cookie it cannot carry. */
		snprintf(f.kind, sizeof(f.kind), "%s", mnl_attr_get_str(tb[TCA_KIND]));
		const struct nlattr *bt[TCA_BPF_MAX + 1];
		if (strcmp(f.kind, "bpf") == 0) {
			nested(tb[TCA_OPTIONS], bt, TCA_BPF_MAX);
			if (bt[TCA_BPF_NAME])
				snprintf(f.cookie, sizeof(f.cookie), "%.*s",
					 (int)strnlen(mnl_attr_get_payload(bt[TCA_BPF_NAME]),
						      mnl_attr_get_payload_len(bt[TCA_BPF_NAME])),
					 (const char *)mnl_attr_get_payload(bt[TCA_BPF_NAME]));
			first_action(bt[TCA_BPF_ACT], &f);
		}
		if (f.handle)
			ctx->cb(&f, ctx->arg);
		return MNL_CB_OK;
	}
	const struct nlattr *ut[TCA_U32_MAX + 1];
	nested(tb[TCA_OPTIONS], ut, TCA_U32_MAX);
	if (!ut[TCA_U32_SEL]) /* a hash table entry, not a rule */
		return MNL_CB_OK;
	first_action(ut[TCA_U32_ACT], &f);
	ctx->cb(&f, ctx->arg);
	return MNL_CB_OK;
}

int tc_filter_list(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		   tc_filter_cb *cb, void *arg, char *err, size_t errlen)
{
	char buf[TC_REQSZ];
	/* The kernel skips filters of other prios when tcm_info names one. */
	struct nlmsghdr *nlh = tc_msg(buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex, dir_parent(dir), 0,
				      prio ? TC_H_MAKE((uint32_t)prio << 16, 0) : 0);
	struct list_ctx ctx = {cb, arg};
	int kerr = nl_talk(nl, nlh, list_cb, &ctx);
	/* No clsact qdisc: nothing to list. */
	if (kerr == -EINVAL || kerr == -ENOENT || kerr == -ENODEV)
		return HS_OK;
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: list filters on ifindex %d %s", ifindex,
			       dir_name(dir));
	}
	return HS_OK;
}

int tc_filter_del(struct mnl_socket *nl, int ifindex, enum tc_dir dir, uint16_t prio,
		  uint32_t handle, char *err, size_t errlen)
{
	char buf[TC_REQSZ];
	/* No kind: the kernel finds the classifier at prio, whichever it
	 * is; handle 0 removes the whole priority. */
	struct nlmsghdr *nlh = tc_msg(buf, RTM_DELTFILTER, 0, ifindex, dir_parent(dir), handle,
				      TC_H_MAKE((uint32_t)prio << 16, 0));
	int kerr = nl_talk(nl, nlh, NULL, NULL);
	if (kerr == -ENOENT || kerr == -ENODEV)
		return HS_OK; /* filter or interface already gone */
	if (kerr) {
		errno = -kerr;
		return err_sys(err, errlen, "tc: delete filter %x prio %u on ifindex %d %s", handle,
			       prio, ifindex, dir_name(dir));
	}
	return HS_OK;
}
