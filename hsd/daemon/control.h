/* control.h - the control socket: hsctl requests in, replies out. */
#ifndef HS_CONTROL_H
#define HS_CONTROL_H

#include <jansson.h>
#include <stddef.h>

#include "ctl.h"

struct hsd;
struct control;

#define CONTROL_SOCKET "hsd.sock"
#define CONTROL_MAX_CLIENTS 64

struct control_call;

/* A command handler: fills *result (a new reference) and returns 0, or
 * returns an hs_rc with a one-line message, or takes over the call and
 * returns CONTROL_DEFERRED: it then answers later with control_finish()
 * (commands that wait for processes, such as space stop). */
typedef int (*control_fn)(struct hsd *d, const struct ctl_request *req,
			  struct control_call *call, json_t **result,
			  char *err, size_t errlen);
#define CONTROL_DEFERRED 1

/* Answer a deferred call (result stolen; err used when rc != 0) and free
 * it.  Safe when the client has gone away meanwhile. */
void control_finish(struct control_call *call, int rc, json_t *result,
		    const char *err);

struct control_cmd {
	const char *name;
	control_fn fn;
};

/*
 * Runs command cmd with no arguments in-process, as if hsctl had asked;
 * *result is its reply (a new reference).  Only for commands that answer
 * at once without arguments (status, space.list, routes, ...): the
 * handler gets no call to defer on.
 */
int control_local(struct hsd *d, const char *cmd, json_t **result, char *err, size_t errlen);

int control_open(struct hsd *d, const char *path, struct control **out,
		 char *err, size_t errlen);
void control_close(struct control *c);

/* The command tables: commands.c, cmd_space.c, bundles.c, instances.c. */
extern const struct control_cmd control_cmds[];
extern const struct control_cmd control_space_cmds[];
extern const struct control_cmd control_bundle_cmds[];
extern const struct control_cmd control_instance_cmds[];
extern const struct control_cmd control_rollout_cmds[];

#endif
