/* cluster_diff.c - what changed between two cluster descriptions, so that a
 * reload (SIGHUP) touches only the peers and links that differ. */
#include "cluster.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

/* calloc that never returns NULL for a zero count, so "no entries" and
 * "out of memory" stay distinguishable. */
static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* map[i] = index in `to` of from->hosts[i] by name, or -1. */
static int *map_hosts(const struct cluster *from, const struct cluster *to)
{
	int *map = alloc_n(from->nhosts, sizeof(*map));
	if (!map)
		return NULL;
	for (size_t i = 0; i < from->nhosts; i++)
		map[i] = cluster_host_index(to, from->hosts[i].name);
	return map;
}

static unsigned host_fields(const struct cluster_host *a, const struct cluster_host *b)
{
	unsigned f = 0;

	/* The normalised endpoint string identifies the sockaddr exactly. */
	if (strcmp(a->endpoint, b->endpoint) != 0)
		f |= CLUSTER_CH_ENDPOINT;
	if (memcmp(a->public_key, b->public_key, CLUSTER_KEY_LEN) != 0)
		f |= CLUSTER_CH_PUBLIC_KEY;
	if (a->prefix != b->prefix || a->prefix_len != b->prefix_len)
		f |= CLUSTER_CH_PREFIX;
	return f;
}

static void diff_hosts(const struct cluster *old, const struct cluster *new_,
		       const int *o2n, const int *n2o, struct cluster_diff *d)
{
	for (size_t i = 0; i < old->nhosts; i++) {
		if (o2n[i] < 0) {
			d->removed[d->nremoved++] = (uint16_t)i;
			continue;
		}
		unsigned f = host_fields(&old->hosts[i], &new_->hosts[o2n[i]]);
		if (f)
			d->changed[d->nchanged++] = (struct cluster_host_change){
				(uint16_t)i, (uint16_t)o2n[i], f};
	}
	for (size_t j = 0; j < new_->nhosts; j++)
		if (n2o[j] < 0)
			d->added[d->nadded++] = (uint16_t)j;
}

/* Append to out every link of `from` whose hosts are not linked in `to`
 * (including links to hosts that `to` lacks). */
static size_t diff_links(const struct cluster *from, const struct cluster *to,
			 const int *map, struct cluster_link *out)
{
	size_t n = 0;

	for (size_t i = 0; i < from->nlinks; i++) {
		const struct cluster_link *l = &from->links[i];
		int a = map[l->a], b = map[l->b];
		if (a < 0 || b < 0 || !cluster_linked(to, (size_t)a, (size_t)b))
			out[n++] = *l;
	}
	return n;
}

int cluster_diff(const struct cluster *old, const struct cluster *new_,
		 struct cluster_diff *out, char *err, size_t errlen)
{
	struct cluster_diff d = {0};
	int *o2n, *n2o;

	memset(out, 0, sizeof(*out));
	if (!old || !new_)
		return err_set(err, errlen, HS_EINPUT, "cluster_diff: missing cluster");
	o2n = map_hosts(old, new_);
	n2o = map_hosts(new_, old);
	d.removed = alloc_n(old->nhosts, sizeof(*d.removed));
	d.changed = alloc_n(old->nhosts, sizeof(*d.changed));
	d.added = alloc_n(new_->nhosts, sizeof(*d.added));
	d.links_removed = alloc_n(old->nlinks, sizeof(*d.links_removed));
	d.links_added = alloc_n(new_->nlinks, sizeof(*d.links_added));
	if (!o2n || !n2o || !d.removed || !d.changed || !d.added || !d.links_removed ||
	    !d.links_added) {
		free(o2n);
		free(n2o);
		cluster_diff_free(&d);
		return err_sys(err, errlen, "cluster_diff: cannot allocate");
	}
	d.name_changed = strcmp(old->name, new_->name) != 0;
	d.overlay_changed = old->overlay != new_->overlay || old->overlay_len != new_->overlay_len;
	/* As sets: reordering the keys changes nothing. */
	d.voters_changed = old->nvoters != new_->nvoters;
	for (size_t i = 0; i < new_->nvoters && !d.voters_changed; i++)
		d.voters_changed = strcmp(old->hosts[old->voters[i]].name,
					  new_->hosts[new_->voters[i]].name) != 0;
	d.operators_changed = old->noperators != new_->noperators;
	for (size_t i = 0; i < new_->noperators && !d.operators_changed; i++)
		d.operators_changed = !cluster_is_operator(old, new_->operators[i]);
	d.mesh_changed = old->hello_ms != new_->hello_ms || old->dead_ms != new_->dead_ms;
	diff_hosts(old, new_, o2n, n2o, &d);
	d.nlinks_removed = diff_links(old, new_, o2n, d.links_removed);
	d.nlinks_added = diff_links(new_, old, n2o, d.links_added);
	free(o2n);
	free(n2o);
	*out = d;
	return 0;
}

bool cluster_diff_empty(const struct cluster_diff *d)
{
	return !d->name_changed && !d->overlay_changed && !d->operators_changed && !d->voters_changed &&
	       !d->mesh_changed && d->nadded == 0 &&
	       d->nremoved == 0 && d->nchanged == 0 && d->nlinks_added == 0 &&
	       d->nlinks_removed == 0;
}

void cluster_diff_free(struct cluster_diff *d)
{
	if (!d)
		return;
	free(d->added);
	free(d->removed);
	free(d->changed);
	free(d->links_added);
	free(d->links_removed);
	memset(d, 0, sizeof(*d));
}
