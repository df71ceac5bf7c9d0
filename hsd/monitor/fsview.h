/* fsview.h - the audit space's views of a server space's files.
 *
 *   /.serverfs/NAME   the server's whole live filesystem, read-only
 *   /.dserverfs/NAME  only what the server changed: its overlay upper layer
 *                     (deletions show as whiteouts), read-only
 *
 * Both are detached mount trees (open_tree with OPEN_TREE_CLONE), made
 * read-only recursively with mount_setattr and moved into the audit space's
 * mount namespace, so the base's own mount table never holds them.
 */
#ifndef HS_FSVIEW_H
#define HS_FSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FSVIEW_LIVE "/.serverfs"
#define FSVIEW_DIFF "/.dserverfs"

/* Attach (or re-attach, replacing older views) NAME's views inside the
 * audit space whose init is audit_init.  server_upper is the server's
 * upper layer as hsd sees it. */
int fsview_attach(pid_t server_init, const char *server_upper,
		  pid_t audit_init, const char *name, char *err, size_t errlen);
/* Remove NAME's views from the audit space (absent is fine). */
int fsview_detach(pid_t audit_init, const char *name, char *err, size_t errlen);

/* Bind the file src (as hsd sees it: a socket, a program) at dst inside
 * the space whose init is target_init, read-only if asked. */
int fsview_bind(pid_t target_init, const char *src, const char *dst, bool readonly,
		char *err, size_t errlen);

#endif
