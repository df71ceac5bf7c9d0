/* fleet.h - requests between hsds (and to ourselves), one shape for both. */
#ifndef HS_FLEET_H
#define HS_FLEET_H

#include <jansson.h>
#include <stdint.h>

#include "bundle.h"
#include "done.h"
#include "rpc.h"

struct hsd;

/* What one host asks of another (and of itself): served to other hosts by
 * peer.c, to this one by fleet_call. */
extern const struct rpc_cmd fleet_cmds[];

/* bundle.put with the message decoded: sig_text (NULL: none sent) must be
 * an operator's signature of id and hash, and the files must hash to it. */
int fleet_bundle_put(struct hsd *d, const char *id, const char *hash, const char *sig_text,
		     size_t sig_len, struct bundle_files *f, json_t **result, char *err,
		     size_t errlen);

/* result is borrowed for the call. */
typedef void (*fleet_cb)(void *arg, int rc, json_t *result, const char *err);

/* Ask host (an index in the cluster; ours is served locally) to run cmd
 * with args (stolen); cb runs exactly once, never before this returns...
 * except when our own host answers at once. */
void fleet_call(struct hsd *d, int host, const char *cmd, json_t *args, uint32_t timeout_ms,
		fleet_cb cb, void *arg);

#endif
