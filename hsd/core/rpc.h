/* rpc.h - one shape for every command hsd serves, whoever asks: the
 * operator through the control socket (control.c), another host through
 * the engine (peer.c), or this hsd itself (fleet_call to its own host).
 * Each table entry names its arguments and their types: a request is
 * checked against them before its handler runs, so a handler reads only
 * arguments of the type it expects. */
#ifndef HS_RPC_H
#define HS_RPC_H

#include <jansson.h>
#include <stddef.h>

struct hsd;
struct done; /* hsd/daemon/done.h: how a deferred answer is given */

#define RPC_OPERATOR (-1) /* req.from: hsctl, on this host */
#define RPC_SELF (-2)     /* req.from: this hsd, as a host of the fleet */

struct rpc_req {
	const char *cmd;
	json_t *args; /* borrowed; an object, checked against the table */
	int from;     /* RPC_OPERATOR, RPC_SELF, or the calling host's index */
};

/* A handler fills *result (a new reference) and returns 0, or returns an
 * hs_rc with a one-line message in err, or keeps a copy of *dn and returns
 * RPC_DEFERRED: it answers later through the copy (done_fire).  A caller
 * that cannot wait (control_local) gives a done that goes nowhere. */
#define RPC_DEFERRED 1
typedef int (*rpc_fn)(struct hsd *d, const struct rpc_req *req, const struct done *dn,
		      json_t **result, char *err, size_t errlen);

enum rpc_type {
	RPC_END = 0, /* ends an argument table */
	RPC_STR,
	RPC_INT,
	RPC_BOOL,
	RPC_ARRAY,
	RPC_OBJECT,
	RPC_ANY, /* checked by the handler itself (a signed intent, say) */
};

struct rpc_arg {
	const char *name;
	enum rpc_type type;
};

struct rpc_cmd {
	const char *name;
	rpc_fn fn;
	const struct rpc_arg *args; /* ends with RPC_END; NULL: none taken */
};

/* The entry named name in a NULL-terminated table, or NULL. */
const struct rpc_cmd *rpc_find(const struct rpc_cmd *table, const char *name);

/* Refuse an argument the command does not take, or one of another type
 * (null too, unless RPC_ANY): the message names it. */
int rpc_args_check(const struct rpc_cmd *c, json_t *args, char *err, size_t errlen);

#endif
