/* layer.h - overlay upper layers: merging them (flatten) and removing them. */
#ifndef HS_LAYER_H
#define HS_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Fold upper layer src onto dst, which holds the layers below it. */
int layer_merge(const char *src, const char *dst, char *err, size_t errlen);
/* rm -rf, without following symlinks; absent is fine. */
int layer_remove(const char *path, char *err, size_t errlen);
bool layer_is_whiteout(const char *path, const struct stat *st);

#endif
