/* spaces_flatten.c - a space's chain of layers folded into one. */
#include "spaces.h"
#include "spaces_int.h"
#include "daemon.h"
#include "disk.h"
#include "err.h"
#include "layer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Fold the space's chain into one layer over the base.  The space must be
 * stopped (overlayfs forbids changing a mounted layer) and no running
 * space may inherit from it.  The new layer is built beside the old one and
 * swapped in atomically, so a crash leaves either the old or the new. */
int spaces_flatten(struct hsd *d, const char *name, json_t **result, char *err,
		   size_t errlen)
{
	static char layers[SPACE_CHAIN_MAX + 1][4096];
	char flat[PATH_MAX], work[PATH_MAX], *children = NULL;
	struct space_row row;
	size_t n;
	int rc = space_get(d, name, &row, err, errlen);

	if (rc)
		return rc;
	if (spaces_running(d, name)) {
		rc = err_set(err, errlen, HS_EINPUT, "name: space \"%s\" is running; stop it first", name);
		goto out;
	}
	if ((rc = store_space_children(d->store, name, &children, err, errlen)))
		goto out;
	for (char *c = children, *save = NULL, *tok; c && (tok = strtok_r(c, ", ", &save)); c = NULL)
		if (spaces_running(d, tok)) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "name: space \"%s\" inherits from \"%s\" and is running; stop it first", tok, name);
			goto out;
		}
	/* A running ancestor writes the layers being folded: its files could
	 * change (or be swapped for links) under the merge. */
	char anc[SPACE_ROW_NAME];
	snprintf(anc, sizeof(anc), "%s", row.parent);
	while (anc[0]) {
		struct space_row a;
		if (spaces_running(d, anc)) {
			rc = err_set(err, errlen, HS_EINPUT,
				     "name: \"%s\" inherits from \"%s\", which is running; stop it first",
				     name, anc);
			goto out;
		}
		if ((rc = store_space_get(d->store, anc, &a, err, errlen)) <= 0) {
			rc = rc ? rc : err_set(err, errlen, HS_ESTATE, "space %s: ancestor %s is missing", name, anc);
			goto out;
		}
		rc = 0;
		snprintf(anc, sizeof(anc), "%s", a.parent);
		space_row_clear(&a);
	}
	if ((rc = disk_admit(d, err, errlen)) || /* the flat layer is new data */
	    (rc = spaces_layers(d, name, layers, SPACE_CHAIN_MAX + 1, &n, err, errlen)))
		goto out;
	space_path(d, name, "flat.new", flat, sizeof(flat));
	space_path(d, name, "work", work, sizeof(work));
	if ((rc = layer_remove(flat, err, errlen)))
		goto out;
	if (mkdir(flat, 0755)) {
		rc = err_sys(err, errlen, "mkdir %s", flat);
		goto out;
	}
	for (size_t i = n; i-- > 0 && !rc;)
		rc = layer_merge(layers[i], flat, err, errlen);
	if (!rc && renameat2(AT_FDCWD, flat, AT_FDCWD, layers[0], RENAME_EXCHANGE))
		rc = err_sys(err, errlen, "swap in the flattened layer of %s", name);
	if (rc) {
		layer_remove(flat, NULL, 0);
		goto out;
	}
	/* flat now holds the old upper; the workdir belongs to the old mount. */
	if ((rc = store_space_set_parent(d->store, name, "", err, errlen)) ||
	    (rc = layer_remove(flat, err, errlen)) || (rc = layer_remove(work, err, errlen)))
		goto out;
	if (mkdir(work, 0700)) {
		rc = err_sys(err, errlen, "mkdir %s", work);
		goto out;
	}
	store_event(d->store, "space.flatten", name, row.parent, NULL, 0);
	*result = json_pack("{s:s, s:i}", "flattened", name, "layers", (int)n);
out:
	free(children);
	space_row_clear(&row);
	return rc;
}
