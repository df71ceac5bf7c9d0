/* layerfs.h - the filesystem that holds the spaces' layers.
 *
 * overlayfs refuses a lower layer that lies below another lower layer
 * ("overlapping lowerdir path", ELOOP).  The base "/" is the bottom layer of
 * every space, so the ancestors' upper layers must not lie on the root
 * filesystem: they live on a filesystem of their own at STATE/layers.  If
 * the operator mounted one there, it is used; otherwise hsd keeps a sparse
 * ext4 image STATE/layers.img and loop-mounts it (autoclear: the loop device
 * goes away with the last unmount).  Submounts of the base are not part of
 * the "/" layer, so the layers are invisible inside every space.
 */
#ifndef HS_LAYERFS_H
#define HS_LAYERFS_H

#include <stddef.h>
#include <stdint.h>

#define LAYERFS_DIR "layers"
#define LAYERFS_IMAGE "layers.img"
#define LAYERFS_IMAGE_SIZE (8ull << 30) /* sparse; only what is written is used */

/* Make STATE/layers a filesystem apart from "/" (idempotent). */
int layerfs_prepare(const char *state_dir, uint64_t image_size, char *err,
		    size_t errlen);

#endif
