/* rootfs.h - building a space's root inside its mount namespace. */
#ifndef HS_ROOTFS_H
#define HS_ROOTFS_H

#include "space.h"

/* The overlay's option string: lowerdir=nearest:...:/,upperdir=..,workdir=.. */
int rootfs_overlay_options(const struct space_launch *l, char *out, size_t len,
			   char *err, size_t errlen);
/* Mount everything and pivot into it (called in the space's new mount ns). */
int rootfs_setup(const struct space_launch *l, char *err, size_t errlen);

#endif
