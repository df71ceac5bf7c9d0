/* fastpath.c - loads the published ports' fast path and keeps its maps
 * equal to what hsd publishes (see fastpath.h, bpf/fastpath.bpf.c). */
#include "fastpath.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fastpath_abi.h"
#include "fastpath_bpf.skel.h"
#include "ifnames.h"
#include "link.h"
#include "netns.h"
#include "tc.h"

struct fastpath {
	struct fastpath_bpf *skel;
	struct mnl_socket *nl;
	char uplink[IF_NAMESIZE]; /* where fp_in is attached; "" nowhere */
};

void fastpath_close(struct fastpath *fp)
{
	if (!fp)
		return;
	if (fp->nl)
		mnl_socket_close(fp->nl);
	fastpath_bpf__destroy(fp->skel);
	free(fp);
}

int fastpath_open(struct fastpath **out, char *err, size_t errlen)
{
	struct fastpath *fp = calloc(1, sizeof(*fp));
	int rc;

	*out = NULL;
	if (!fp)
		return err_sys(err, errlen, "fast path: calloc");
	if (!(fp->skel = fastpath_bpf__open_and_load())) {
		rc = err_sys(err, errlen, "fast path: load the programs");
		fastpath_close(fp);
		return rc;
	}
	if ((rc = nl_open_in(-1, &fp->nl, err, errlen))) {
		fastpath_close(fp);
		return rc;
	}
	*out = fp;
	return HS_OK;
}

/* --- maps -------------------------------------------------------------- */

/* Put keys[i] -> vals[i] for every i, then delete every other key: an
 * entry that stays is never absent, not even for a moment. */
static int map_set(int map, const void *keys, const void *vals, size_t n, size_t ksize,
		   size_t vsize, const char *what, char *err, size_t errlen)
{
	unsigned char key[64], next[64];
	bool first = true;

	if (ksize > sizeof(key))
		return err_set(err, errlen, HS_ESYS, "fast path: %s: key of %zu bytes", what, ksize);
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(map, (const char *)keys + i * ksize,
					(const char *)vals + i * vsize, BPF_ANY))
			return err_sys(err, errlen, "fast path: %s: update", what);
	while (bpf_map_get_next_key(map, first ? NULL : key, next) == 0) {
		bool wanted = false;
		first = false;
		memcpy(key, next, ksize);
		for (size_t i = 0; i < n && !wanted; i++)
			wanted = !memcmp((const char *)keys + i * ksize, key, ksize);
		/* Deleting the current key restarts the walk at the first:
		 * keys kept before it are seen again, which is harmless. */
		if (!wanted && bpf_map_delete_elem(map, key) == 0)
			first = true;
	}
	return HS_OK;
}

/* --- attachment -------------------------------------------------------- */

static int attach(struct fastpath *fp, const char *ifname, int ifindex, int prog,
		  const char *name, char *err, size_t errlen)
{
	char why[HS_ERRLEN];
	int rc = tc_clsact_add(fp->nl, ifindex, why, sizeof(why));
	if (!rc)
		rc = tc_bpf_add(fp->nl, ifindex, TC_DIR_INGRESS, FASTPATH_PRIO, ETH_P_IP, prog, name,
				0, true, why, sizeof(why));
	return rc ? err_set(err, errlen, rc, "fast path: %s: %s", ifname, why) : HS_OK;
}

void fastpath_stop_in(struct fastpath *fp, const char *uplink)
{
	/* Where ours is, and where an earlier hsd's may be. */
	fastpath_detach(fp->uplink, NULL, 0);
	if (strcmp(uplink, fp->uplink))
		fastpath_detach(uplink, NULL, 0);
	fp->uplink[0] = '\0';
	int map = bpf_map__fd(fp->skel->maps.fp_ports);
	struct fp_port_key k;
	while (bpf_map_get_next_key(map, NULL, &k) == 0 && bpf_map_delete_elem(map, &k) == 0)
		;
}

int fastpath_sync_mirrors(struct fastpath *fp, char *err, size_t errlen)
{
	int map = bpf_map__fd(fp->skel->maps.fp_mirrors);
	uint32_t slot[FASTPATH_MIRRORS_MAX] = {0}, now[FASTPATH_MIRRORS_MAX];
	size_t nnow = 0;
	struct if_nameindex *ifs = if_nameindex();

	if (!ifs)
		return err_sys(err, errlen, "fast path: list interfaces");
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		if (!strncmp(i->if_name, IFNAME_MIRROR, sizeof(IFNAME_MIRROR) - 1)) {
			if (nnow == FASTPATH_MIRRORS_MAX) {
				if_freenameindex(ifs);
				return err_set(err, errlen, HS_ESTATE,
					       "fast path: more than %d packet mirrors",
					       FASTPATH_MIRRORS_MAX);
			}
			now[nnow++] = i->if_index;
		}
	if_freenameindex(ifs);
	/* A mirror keeps its slot and a new one takes a free slot, so no
	 * packet is copied twice or missed while the array changes. */
	for (uint32_t i = 0; i < FASTPATH_MIRRORS_MAX; i++)
		bpf_map_lookup_elem(map, &i, &slot[i]);
	for (uint32_t i = 0; i < FASTPATH_MIRRORS_MAX; i++) {
		bool stays = false;
		for (size_t j = 0; j < nnow && !stays; j++)
			stays = slot[i] == now[j];
		if (!stays)
			slot[i] = 0;
	}
	for (size_t j = 0; j < nnow; j++) {
		uint32_t i, free_at = FASTPATH_MIRRORS_MAX;
		for (i = 0; i < FASTPATH_MIRRORS_MAX && slot[i] != now[j]; i++)
			if (!slot[i] && free_at == FASTPATH_MIRRORS_MAX)
				free_at = i;
		if (i == FASTPATH_MIRRORS_MAX && free_at < FASTPATH_MIRRORS_MAX)
			slot[free_at] = now[j];
	}
	for (uint32_t i = 0; i < FASTPATH_MIRRORS_MAX; i++)
		if (bpf_map_update_elem(map, &i, &slot[i], BPF_ANY))
			return err_sys(err, errlen, "fast path: mirrors: update");
	return HS_OK;
}

int fastpath_sync(struct fastpath *fp, const char *uplink, uint32_t addr,
		  const struct portmap_rule *r, size_t n, const struct portmap_net *nets,
		  size_t nnets, char *err, size_t errlen)
{
	__typeof__(fp->skel->maps) *m = &fp->skel->maps;
	size_t np = 0;
	unsigned up = uplink[0] && addr ? if_nametoindex(uplink) : 0;
	int rc = HS_OK;

	struct fp_space *sp = calloc(nnets + 1, sizeof(*sp));
	uint32_t *sk = calloc(nnets + 1, sizeof(*sk));
	struct fp_port *pv = calloc(n + 1, sizeof(*pv));
	struct fp_port_key *pk = calloc(n + 1, sizeof(*pk));
	struct fp_target_key *tk = calloc(n + 1, sizeof(*tk));
	if (!sp || !sk || !pv || !pk || !tk) {
		rc = err_sys(err, errlen, "fast path: calloc");
		goto out;
	}
	for (size_t i = 0; i < nnets; i++) {
		struct fp_port proto = {.space_addr = htonl(nets[i].space_addr)};
		int idx;
		if ((rc = link_veth_macs(nets[i].host_if, &idx, proto.host_mac, proto.space_mac, err,
					 errlen)))
			goto out;
		proto.ifindex = (uint32_t)idx;
		sk[i] = proto.ifindex;
		sp[i] = (struct fp_space){.space_addr = proto.space_addr, .uplink = up};
		for (size_t j = 0; j < n && up; j++) {
			if (r[j].space_addr != nets[i].space_addr || !portmap_rule_alone(r, n, j))
				continue;
			proto.space_port = htons(r[j].space_port);
			pk[np] = (struct fp_port_key){htonl(addr), htons(r[j].host_port), 0};
			tk[np] = (struct fp_target_key){proto.space_addr, proto.space_port, 0};
			pv[np++] = proto;
		}
	}
	/* The veths' programs first: a reply must find its way out before a
	 * request can reach a new port. */
	if ((rc = map_set(bpf_map__fd(m->fp_spaces), sk, sp, nnets, sizeof(*sk), sizeof(*sp),
			  "spaces", err, errlen)))
		goto out;
	for (size_t i = 0; i < nnets && !rc; i++)
		rc = attach(fp, nets[i].host_if, (int)sk[i], bpf_program__fd(fp->skel->progs.fp_out),
			    "hsd_fp_out", err, errlen);
	if (rc)
		goto out;
	/* Nothing to take in, or another uplink: off the uplink first,
	 * before its ports go (an earlier hsd's program too).  Otherwise the
	 * attach below replaces what is there with no moment without. */
	if (!np || (fp->uplink[0] && strcmp(fp->uplink, uplink)))
		fastpath_stop_in(fp, uplink);
	uint32_t zero = 0, served = np ? htonl(addr) : 0;
	if ((rc = map_set(bpf_map__fd(m->fp_targets), tk, pk, np, sizeof(*tk), sizeof(*pk),
			  "targets", err, errlen)) ||
	    (rc = map_set(bpf_map__fd(m->fp_ports), pk, pv, np, sizeof(*pk), sizeof(*pv), "ports",
			  err, errlen)) ||
	    (rc = fastpath_sync_mirrors(fp, err, errlen)))
		goto out;
	if (bpf_map_update_elem(bpf_map__fd(m->fp_served), &zero, &served, BPF_ANY)) {
		rc = err_sys(err, errlen, "fast path: served address: update");
		goto out;
	}
	if (np) {
		rc = attach(fp, uplink, (int)up, bpf_program__fd(fp->skel->progs.fp_in), "hsd_fp_in",
			    err, errlen);
		if (!rc)
			snprintf(fp->uplink, sizeof(fp->uplink), "%s", uplink);
	}
out:
	free(sp);
	free(sk);
	free(pv);
	free(pk);
	free(tk);
	return rc;
}

int fastpath_status(struct fastpath *fp, char uplink[IF_NAMESIZE], uint64_t *out, size_t n)
{
	snprintf(uplink, IF_NAMESIZE, "%s", fp->uplink);
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return HS_ESYS;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return HS_ESYS;
	for (uint32_t k = 0; k < n && k < FP_STAT_N; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(fp->skel->maps.fp_stats), &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				out[k] += v[c];
	}
	free(v);
	return HS_OK;
}
