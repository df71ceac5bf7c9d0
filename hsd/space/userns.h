/* userns.h - a space's user namespace: its id range and the namespace.
 *
 * Root in a space must not be root on the host.  hsd hands each space an
 * id range of its own from a pool (--subuid START:COUNT, by default
 * 1073741824:1073741824, ids no passwd file uses): the space in slot N (its
 * network index, unique on the host) owns host uids and gids
 * [START + 65536 N, START + 65536 (N + 1)) and numbers them 0..65535.
 *
 * An audit space additionally numbers every other id of the pool as
 * 65536 + (id - START): the files of a monitored server, seen through its
 * live view, keep distinct and stable owners (owner as the server numbers
 * it + 65536 (1 + N)).  overlayfs mounts cannot be idmapped, so a live view
 * of a server cannot show the server's own numbers; docs/security.md says
 * why this is the choice that keeps every range apart.  An audit space's
 * set*id calls are held below 65536 by a seccomp filter
 * (sandbox_seccomp_ids), so it can never take those ids.
 *
 * Files on disk are stored as the space numbers them (root's files are
 * uid 0): every layer is mounted idmapped through the space's namespace.
 */
#ifndef HS_USERNS_H
#define HS_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define USERNS_SPAN 65536u
#define USERNS_POOL_DEFAULT "1073741824:1073741824"

struct userns_pool {
	uint32_t start, count; /* count: a multiple of USERNS_SPAN */
};

/* Parse "START:COUNT" (--subuid); HS_EINPUT naming the flaw. */
int userns_pool_parse(const char *spec, struct userns_pool *out, char *err,
		      size_t errlen);
/* How many spaces the pool can number. */
uint32_t userns_pool_slots(const struct userns_pool *p);
/* The first host id of slot's range; HS_EINPUT when the pool has none. */
int userns_base(const struct userns_pool *p, int64_t slot, uint32_t *base,
		char *err, size_t errlen);
/* The text written to uid_map and gid_map for a space in slot. */
int userns_map_text(const struct userns_pool *p, int64_t slot, bool audit,
		    char *out, size_t len, char *err, size_t errlen);

/* A new user namespace with map as its uid and gid map, held only by the
 * returned fd (its creating helper process is gone on return). */
int userns_create(const char *map, int *fd, char *err, size_t errlen);

/* The host id that uid 0 of pid's user namespace is (from its uid_map);
 * HS_ESTATE when pid runs in the initial namespace. */
int userns_root_of(pid_t pid, uint32_t *base, char *err, size_t errlen);

#endif
