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

#include "space.h"
#include "store_spaces.h"

struct hsd;
struct done;
struct spaces;

int spaces_init(struct hsd *d, char *err, size_t errlen);
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
/* RUN/spaces/NAME[/leaf]: where hsd keeps what it binds into the space. */
void spaces_run_path(const struct hsd *d, const char *name, const char *leaf, char *out,
		     size_t len);
/* The overlay layers of a space, nearest first (its own upper first),
 * each one's filesystem mounted. */
int spaces_layers(struct hsd *d, const char *name, char layers[][4096],
		  size_t max, size_t *n, char *err, size_t errlen);

#endif
