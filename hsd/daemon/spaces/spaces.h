/* spaces.h - hsd's spaces: the store's records brought to life.
 *
 * A space's record (store) is the truth; a running space is its init
 * process, watched through a pidfd.  Spaces outlive hsd: on start hsd
 * re-adopts every init the store says is running.
 */
#ifndef HS_SPACES_H
#define HS_SPACES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "space.h"
#include "store_spaces.h"

struct hsd;
struct done;
struct spaces;

/* Set up; then the other parts register (spaces_observe), then
 * spaces_adopt re-adopts the inits the store says run and announces each
 * (SPACE_STARTED): so no observer misses a space. */
int spaces_init(struct hsd *d, char *err, size_t errlen);
int spaces_adopt(struct hsd *d, char *err, size_t errlen);
/* Forget the running spaces without stopping them (hsd exits, they stay). */
void spaces_free(struct hsd *d);

/* What a space may use (docs/security.md, "Limits"): memory in bytes and
 * pids (0: no limit), its layer filesystem (disk), each of its tmpfs
 * mounts, and its console log kept on disk, in bytes. */
struct space_spec_limits {
	int64_t memory, pids, disk, tmpfs, log;
};
#define SPACE_LIMIT_NONE (-1) /* in a request: memory or pids unlimited */
#define SPACE_LIMITS_DEFAULT                                                   \
	{ .memory = 1ll << 30, .pids = 512, .disk = 1ll << 30, .tmpfs = 64ll << 20, \
	  .log = 8ll << 20 }

struct space_req {
	const char *name;
	enum space_kind kind;
	const char *inherit;     /* "base" or a space name */
	const char **publish;    /* HOSTPORT:PORT[/proto] specs */
	size_t npublish;
	const char **monitor;    /* server spaces an audit space watches */
	size_t nmonitor;
	char **argv;             /* NULL-terminated */
	/* Called with the new space's upper layer before it first starts
	 * (an instance seeds its bundle there); may be NULL. */
	int (*prepare)(const char *upper, void *arg, char *err, size_t errlen);
	void *prepare_arg;
	struct space_spec_limits lim; /* 0: the default; SPACE_LIMIT_NONE: no limit */
};

int spaces_create(struct hsd *d, const struct space_req *req, json_t **result,
		  char *err, size_t errlen);
int spaces_start(struct hsd *d, const char *name, json_t **result, char *err,
		 size_t errlen);
/* Both answer through dn, maybe later: they return RPC_DEFERRED. */
int spaces_stop(struct hsd *d, const char *name, const struct done *dn,
		char *err, size_t errlen);
int spaces_destroy(struct hsd *d, const char *name, const struct done *dn,
		   char *err, size_t errlen);
int spaces_flatten(struct hsd *d, const char *name, json_t **result, char *err,
		   size_t errlen);
int spaces_list(struct hsd *d, json_t **result, char *err, size_t errlen);
/* The console's lines (spaces_logs.c): from >= 0, those after offset
 * from, and with wait held until there are some (RPC_DEFERRED, then
 * dn); from < 0, the last `last`. */
struct done;
int spaces_logs(struct hsd *d, const char *name, int64_t from, long last, bool wait,
		const struct done *dn, json_t **result, char *err, size_t errlen);
int spaces_show(struct hsd *d, const char *name, json_t **result, char *err,
		size_t errlen);
/* The limits a stored space runs with. */
void space_limits_of(const struct space_row *row, struct space_spec_limits *out);
/* Tell the published ports' fast path that a packet mirror (an audit
 * space's hsxN) came or went: it copies what it takes into a space to
 * every mirror itself (fastpath.h). */
void spaces_fastpath_mirrors(struct hsd *d);
/* {"on": false} or {"on": true, "uplink": IF, "packets": {"in": N, ...}}
 * (hsctl status, metrics). */
json_t *spaces_fastpath_json(struct hsd *d);
/* RUN/spaces/NAME[/leaf]: where hsd keeps what it binds into the space. */
void spaces_run_path(const struct hsd *d, const char *name, const char *leaf, char *out,
		     size_t len);
/* The overlay layers of a space, nearest first (its own upper first),
 * each one's filesystem mounted. */
int spaces_layers(struct hsd *d, const char *name, char layers[][4096],
		  size_t max, size_t *n, char *err, size_t errlen);
/* STATE/layers/NAME[/leaf]: the space's own filesystem ("upper" is its
 * layer, "console.log" its console). */
void space_path(const struct hsd *d, const char *name, const char *leaf,
		char *out, size_t len);
/* Is server a server space that audit (NULL: a space being created) may
 * monitor?  HS_EINPUT naming --monitor otherwise.  The spaces keep the
 * record of who monitors whom; monitors.c brings it to life. */
int spaces_monitor_check(struct hsd *d, const char *audit, const char *server,
			 char *err, size_t errlen);
/* The link network of server space name (its veth's two addresses). */
struct linknet;
int spaces_linknet(struct hsd *d, const char *name, struct linknet *out, char *err,
		   size_t errlen);
/* hstrace, found beside hsinit: what audit spaces get to trace with. */
const char *spaces_hstrace(const struct hsd *d);

/* ---- What the other parts (monitors, fleet) see of the spaces ------- */

/* A running space.  name and init are hsd's own, borrowed: valid until
 * the space's SPACE_STOPPED has been announced. */
struct space_view {
	const char *name;
	enum space_kind kind;
	const struct space_proc *init; /* NULL in SPACE_GONE: nothing runs */
};

/* The running space called name: true with *out filled, else false. */
bool spaces_find(struct hsd *d, const char *name, struct space_view *out);
bool spaces_is_running(struct hsd *d, const char *name);
/* The running spaces in turn: it NULL for the first, then what the last
 * call returned; NULL after the last.  No space may start or stop
 * meanwhile. */
struct space_rt;
const struct space_rt *spaces_next(struct hsd *d, const struct space_rt *it,
				   struct space_view *out);

/* The life of a space, told to whoever registered (spaces_observe), in
 * the order they registered.  Where each is announced keeps the order of
 * effects the parts rely on:
 *   SPACE_STARTED  its init runs the command, its network is in place and
 *                  the record says running; at start-up, once for each
 *                  re-adopted space, servers before audit spaces (an
 *                  audit space then finds its servers' relays).
 *   SPACE_STOPPED  its init has exited (reaped, the record says stopped);
 *                  before hsd lets go of the init and rewrites the
 *                  network rules, so an observer still finds the space's
 *                  record and its init's pid in the view.
 *   SPACE_GONE     the record is being removed (destroy, or an undone
 *                  create): after its network is down, before its cgroup,
 *                  files and record go, so the views of its layer mounted
 *                  in audit spaces are detached while the layer is there.
 * An observer must not start, stop or destroy a space. */
enum space_event { SPACE_STARTED, SPACE_STOPPED, SPACE_GONE };
typedef void (*space_observer)(struct hsd *d, enum space_event ev,
			       const struct space_view *s, void *ctx);
#define SPACES_OBSERVERS_MAX 4
int spaces_observe(struct hsd *d, space_observer fn, void *ctx, char *err,
		   size_t errlen);

/* Who reads a space's console (spaces_console.c keeps it bounded): how
 * far the console of space was handled, or -1 when nobody reads it; what
 * lies below may be dropped from disk.  One reader (the IDS instances). */
typedef int64_t (*space_console_reader)(struct hsd *d, const char *space, void *ctx);
int spaces_console_reader(struct hsd *d, space_console_reader fn, void *ctx, char *err,
			  size_t errlen);

#endif
