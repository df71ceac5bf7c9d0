/* control.h - the control socket: hsctl requests in, replies out. */
#ifndef HS_CONTROL_H
#define HS_CONTROL_H

#include <jansson.h>
#include <stddef.h>

#include "ctl.h"
#include "rpc.h"

struct hsd;
struct control;
struct control_call;

#define CONTROL_SOCKET "hsd.sock"
#define CONTROL_MAX_CLIENTS 64

/* Answer a deferred call (result stolen; err used when rc != 0) and free
 * it.  Safe when the client has gone away meanwhile.  (Handlers reach it
 * through the done they are given: done_control.) */
void control_finish(struct control_call *call, int rc, json_t *result,
		    const char *err);

/*
 * Runs command cmd with no arguments in-process, as if hsctl had asked;
 * *result is its reply (a new reference).  Only for commands that answer
 * at once without arguments (status, space.list, routes, ...): the
 * handler's done goes nowhere.
 */
int control_local(struct hsd *d, const char *cmd, json_t **result, char *err, size_t errlen);

int control_open(struct hsd *d, const char *path, struct control **out,
		 char *err, size_t errlen);
void control_close(struct control *c);

/* The operator's commands (handlers of rpc.h's shape): commands.c,
 * cmd_space.c, monitors.c, bundles.c, cmd_fleet.c, cmd_rollout.c. */
extern const struct rpc_cmd control_cmds[];
extern const struct rpc_cmd control_space_cmds[];
extern const struct rpc_cmd control_monitor_cmds[];
extern const struct rpc_cmd control_bundle_cmds[];
extern const struct rpc_cmd control_instance_cmds[];
extern const struct rpc_cmd control_rollout_cmds[];

#endif
