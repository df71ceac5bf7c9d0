/* watch.h - the live monitors: packet mirror, syslog copy, syscall broker. */
#ifndef HS_WATCH_H
#define HS_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "space.h"

struct hsd;
struct space_view;

int watch_init(struct hsd *d, char *err, size_t errlen);
void watch_free(struct hsd *d);
/* A space started: servers get their syslog relay and join the mirrors;
 * audit spaces that monitor anything get mon0 and hstrace. */
void watch_space_started(struct hsd *d, const struct space_view *me, bool monitors_any);
/* Both of a monitoring pair run: syslog copies and a trace socket (also
 * at /run/hsd-trace.sock when server is the audit space's first). */
void watch_pair(struct hsd *d, const struct space_view *audit,
		const struct space_view *server, bool first);
/* Counters of the monitors (syslog relays, packet mirrors), for status. */
json_t *watch_stats_json(struct hsd *d);
void watch_space_stopped(struct hsd *d, const char *name, enum space_kind kind,
			 pid_t init);

#endif
