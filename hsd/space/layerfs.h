/* layerfs.h - the filesystems that hold the spaces' layers.
 *
 * overlayfs refuses a lower layer that lies below another lower layer
 * ("overlapping lowerdir path", ELOOP).  The base "/" is the bottom layer of
 * every space, so the spaces' layers must not lie on the root filesystem.
 * Each space has a filesystem of its own: an ext4 image
 * STATE/images/NAME.img (sparse: only what is written takes room) of the
 * size of its disk quota, loop-mounted (autoclear) on STATE/layers/NAME.
 * So a space cannot fill what another space (an IDS above all) writes to,
 * and a view of its layer exposes nothing of any other space.  Stores made
 * before this keep their spaces on one shared image, STATE/layers.img,
 * mounted on STATE/layers; those spaces have no quota until recreated.
 * Submounts of the base are not part of the "/" layer, so the layers are
 * invisible inside every space.
 */
#ifndef HS_LAYERFS_H
#define HS_LAYERFS_H

#include <stddef.h>
#include <stdint.h>

#define LAYERFS_DIR "layers"
#define LAYERFS_IMAGES "images"
#define LAYERFS_IMAGE "layers.img" /* the shared image of older stores */

/* STATE/layers exists; an older store's shared image is mounted on it. */
int layerfs_prepare(const char *state_dir, char *err, size_t errlen);
/* Mount space name's filesystem on STATE/layers/NAME (idempotent),
 * creating an image of size bytes when it has none.  size 0: never create
 * (a space of an older store, on the shared image, is left as it is). */
int layerfs_space_mount(const char *state_dir, const char *name, uint64_t size,
			char *err, size_t errlen);
/* Unmount space name's filesystem and delete its image (absent is fine). */
int layerfs_space_remove(const char *state_dir, const char *name, char *err,
			 size_t errlen);

#endif
