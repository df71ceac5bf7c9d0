/* daemon.h - the hsd process: configuration, state, and its event loop. */
#ifndef HS_DAEMON_H
#define HS_DAEMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cluster.h"
#include "keys.h"
#include "store.h"
#include "userns.h"

struct control;

struct hsd_options {
	const char *join;      /* cluster.json, or NULL for the embedded default */
	const char *host;      /* our name in it */
	const char *state_dir; /* persistent: store, keys, space layers */
	const char *run_dir;   /* volatile: control socket, pid file */
	const char *syslog_forward; /* where servers' syslog goes (default /dev/log) */
	struct userns_pool pool;    /* the spaces' id ranges (--subuid) */
	int disk_reserve_mib;       /* kept free for running spaces (disk.h) */
	const char *metrics;        /* --metrics ADDR:PORT, or NULL: no listener */
	bool foreground;
	bool no_fastpath;           /* --no-fastpath (fastpath.h) */
	int log_level;
};

struct hsd {
	uv_loop_t *loop;
	struct hsd_options opt;
	struct cluster cluster;
	int self;              /* our index in cluster.hosts */
	struct store *store;
	int state_lock, run_lock;
	uint8_t private_key[KEY_LEN];
	uint64_t started_ms;   /* uv_now() at start, for uptime */
	struct control *control;
	struct spaces *spaces;
	struct mesh *mesh;
	struct watch *watch;
	struct instances *instances;
	struct peers *peers;
	struct rollouts *rollouts;
	struct fleetdb_sup *fleetdb; /* fleet/fleetdb.c; NULL without voters */
	struct inventory *inventory; /* fleet/inventory.c */
	struct disk *disk;
	struct metrics_http *metrics; /* metrics_http.c */
	struct alert_wait *alert_waits; /* held alerts requests (alerts.c) */
	uv_signal_t sig_term, sig_int, sig_hup;
	bool stopping;
};

/* Everything up to a listening control socket; on error nothing is left
 * running and hsd_free() releases what was set up. */
int hsd_init(struct hsd *d, const struct hsd_options *opt, char *err,
	     size_t errlen);
int hsd_run(struct hsd *d);
void hsd_free(struct hsd *d);

/* Re-read cluster.json and apply only the difference (SIGHUP, hsctl
 * reload).  A refused file changes nothing; err names the field.  summary
 * (unless NULL) gets what changed, as hsctl reload prints it. */
int hsd_reload(struct hsd *d, json_t **summary, char *err, size_t errlen);

#endif
