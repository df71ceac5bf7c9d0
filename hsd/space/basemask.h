/* basemask.h - the part of the host a space sees.
 *
 * A space's root is an overlay whose lowest layer is the host's root
 * filesystem.  Just above it lies a mask layer, rebuilt at every start,
 * that turns that base into an allow-list.  Its rule: whatever is not a
 * system tree shows as it was at the start or not at all, so nothing the
 * host creates later (a key, a secret, a service's data) reaches a space
 * that is running:
 *   - at the top, only usr, bin, sbin and lib* show through, live (files
 *     installed later too: they should hold no secrets);
 *   - etc is a snapshot: opaque directories holding copies of the files
 *     others may read (up to 16 MiB each) and its symlinks; shadow files,
 *     keys and whatever else others cannot read are not there;
 *   - var is a skeleton: opaque directories and symlinks, no file (the
 *     host's logs, spools and data are the host's), except var/lib/dpkg
 *     and var/lib/apt, the package database, shown live (a redirect past
 *     their opaque parent) with what others cannot read hidden;
 *   - a directory others cannot list, anywhere, is an empty directory with
 *     its owner and mode (a service finds its directory, not the host's
 *     data in it, nor the names of what is in it);
 *   - root, home, mnt, media, tmp, run, dev, proc, sys, opt, srv and
 *     var/tmp are empty directories (the first ones get mounts of the
 *     space's own); every other top-level entry is whited out;
 *   - below MASK_DEPTH_MAX (32) levels, or past PATH_MAX, an entry is
 *     whited out whole, so no tree a host user makes stops a space;
 *   - the extra paths given (hsd's state and run directories, etc/hsd)
 *     are whited out wherever they lie.
 * Mask directories take the owner, mode and times of the base's, since
 * overlayfs shows the top layer's directory attributes.  Only a new entry
 * at the top of "/" shows in a running space (overlayfs does not honour an
 * opaque layer root); docs/security.md lists it.
 */
#ifndef HS_BASEMASK_H
#define HS_BASEMASK_H

#include <stddef.h>

/* Build the mask layer in dir (removed first if present) over the base
 * root base ("/" for spaces; tests pass a tree of their own).  hidden:
 * absolute paths to white out, NULL-terminated (may be NULL). */
int basemask_build(const char *base, const char *dir, const char *const *hidden,
		   char *err, size_t errlen);

#endif
