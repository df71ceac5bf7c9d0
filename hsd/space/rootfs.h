/* rootfs.h - building a space's root (see rootfs.c for the two steps). */
#ifndef HS_ROOTFS_H
#define HS_ROOTFS_H

#include "space.h"

/* The overlay's option string over the staged, idmapped layers. */
int rootfs_overlay_options(const struct space_launch *l, char *out, size_t len,
			   char *err, size_t errlen);
/* As the host's root, in a private mount namespace: idmap the layers and
 * mount the overlay on DIR/root. */
int rootfs_stage(const struct space_launch *l, char *err, size_t errlen);
/* In the space's own namespaces: its /proc, /sys, /dev, /tmp, /run, then
 * pivot_root into the overlay. */
int rootfs_enter(const struct space_launch *l, char *err, size_t errlen);

#endif
