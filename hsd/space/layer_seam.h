/* layer_seam.h - a test-only seam into layer.c's walks.
 *
 * A layer may change while it is walked (an ancestor space still runs on
 * it).  To test that deterministically, a test sets this hook and changes
 * the layer at an exact point of the walk.  hsd never sets it: it stays NULL.
 * Not part of the layer API; only layer.c and tests/unit/test_layer.c
 * include this header.
 */
#ifndef HS_LAYER_SEAM_H
#define HS_LAYER_SEAM_H

enum layer_seam_at {
	LAYER_SEAM_SRC_STATED, /* a source entry was examined, not yet opened */
	LAYER_SEAM_SRC_OPENED, /* a source directory was opened ("" = the root) */
	LAYER_SEAM_RM_OPENED,  /* layer_remove opened a directory to empty it */
};

/* rel: the entry's path below the walked root, for the test to match on. */
extern void (*layer_seam_hook)(enum layer_seam_at at, const char *rel);

#endif
