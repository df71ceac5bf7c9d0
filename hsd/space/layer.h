/* layer.h - overlay upper layers: merging them (flatten) and removing them. */
#ifndef HS_LAYER_H
#define HS_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Fold upper layer src onto dst, which holds the layers below it.  src may
 * be hostile and changing: HS_ESTATE names an entry that changed type
 * during the walk, a mount inside it or a device node other than a
 * whiteout.  On failure dst is half merged: merge into a new directory and
 * layer_remove() it on failure. */
int layer_merge(const char *src, const char *dst, char *err, size_t errlen);
/* rm -rf without following symlinks or crossing mounts (HS_ESTATE); absent
 * is fine; a path whose last component is "." or ".." is HS_EINPUT. */
int layer_remove(const char *path, char *err, size_t errlen);
bool layer_is_whiteout(const char *path, const struct stat *st);

#endif
