/* store_instances.h - the rows of IDS instances (a bundle in an audit space). */
#ifndef HS_STORE_INSTANCES_H
#define HS_STORE_INSTANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One row.  The text fields hold what bundle.h allows with room to spare;
 * a stored value that does not fit is an error, never shown cut. */
struct store_instance {
	int64_t id;
	char bundle[40];           /* the bundle's name */
	char version[40];
	char space[72];            /* NAME@VERSION */
	char state[16];            /* "started" | "verified" | "stopped" */
	int64_t started_at;        /* unix ms; 0 when not recorded */
	int64_t verified_at;       /* ... 0 when never verified */
	int64_t stopped_at;        /* ... 0 while it runs */
	int64_t console_offset;    /* bytes of its console handled; -1 when unknown */
	char last_probe[40];       /* token of the last verified probe, "" if none */
};

/* Record an instance of bundle (its name) and version started in space
 * now; *id is its row.  HS_ESTATE when one is recorded running in that
 * space already. */
int store_instance_insert(struct store *st, const char *bundle, const char *version,
			  const char *space, int64_t *id, char *err, size_t errlen);

/* Instance id passed the probe of token now.  HS_ENOENT if no such row. */
int store_instance_set_verified(struct store *st, int64_t id, const char *token,
				char *err, size_t errlen);

/* The running instance in space stopped now.  HS_ENOENT if none runs there. */
int store_instance_set_stopped(struct store *st, const char *space, char *err,
			       size_t errlen);

/* Every instance, or (running) only those not stopped, in the order they
 * were started; *out is malloc'd (NULL when none), free() it. */
int store_instance_list(struct store *st, bool running, struct store_instance **out,
			size_t *n, char *err, size_t errlen);

/* The instances of bundle (a name) not stopped that passed a probe, in
 * the order they were started; *out as above. */
int store_instance_list_verified(struct store *st, const char *bundle,
				 struct store_instance **out, size_t *n, char *err,
				 size_t errlen);

#endif
