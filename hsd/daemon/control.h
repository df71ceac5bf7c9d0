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

/* A command handler: fills *result (a new reference) or returns an hs_rc
 * with a one-line message. */
typedef int (*control_fn)(struct hsd *d, const struct ctl_request *req,
			  json_t **result, char *err, size_t errlen);

struct control_cmd {
	const char *name;
	control_fn fn;
};

int control_open(struct hsd *d, const char *path, struct control **out,
		 char *err, size_t errlen);
void control_close(struct control *c);

/* The command table (commands.c). */
extern const struct control_cmd control_cmds[];

#endif
