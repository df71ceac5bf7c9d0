/* instances.h - IDS instances: a bundle running in an audit space. */
#ifndef HS_INSTANCES_H
#define HS_INSTANCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

struct hsd;
struct done;

struct bundle_seed {
	const struct bundle *b;
	const char *dir; /* the stored bundle */
};

/* Re-adopt the running instances; follow their spaces (spaces_observe)
 * and keep their consoles' unread part (spaces_console_reader). */
int instances_init(struct hsd *d, char *err, size_t errlen);
void instances_free(struct hsd *d);
/* The copies of alerts sent to the host's syslog: {sent, dropped}. */
json_t *instances_syslog_json(struct hsd *d);
/* Start bundle_id in a new audit space NAME@VERSION watching every server
 * space, inheriting from `inherit` (a space) or the base (NULL). */
int instances_start(struct hsd *d, const char *bundle_id, const char *inherit,
		    json_t **result, char *err, size_t errlen);
/* Cause the bundle's probe and answer through dn when the instance reported it
 * or its deadline passed (RPC_DEFERRED). */
int instances_verify(struct hsd *d, const char *space, const struct done *dn,
		     char *err, size_t errlen);
/* What an operator's intent is checked against for the instance in space
 * NAME@VERSION: its bundle id, whether it runs verified, and how many
 * other instances of the same IDS run verified here. */
struct instance_watch {
	char bundle[BUNDLE_ID_MAX + 2];
	bool verified;
	int others_verified;
};
int instances_watch(struct hsd *d, const char *space, struct instance_watch *out, char *err,
		    size_t errlen);

#endif
