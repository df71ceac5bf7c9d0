/* fleetdb.h - hsd's side of hsfleetdb, the replicated fleet database
 * (docs/fleetdb.md).
 *
 * When cluster.json names voters, hsd starts hsfleetdb in the mesh
 * namespace as a uid of its own (one below the route engine's), tells it
 * the voters, and asks it, in typed requests, for the fleet database's
 * status and for rollout claims.  A dead hsfleetdb is started again with
 * backoff; its requests in flight fail as unreachable.
 */
#ifndef HS_FLEETDB_H
#define HS_FLEETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "fleetdb_msg.h"

struct hsd;

#define FLEETDB_CALL_MS 15000 /* hsfleetdb's own calls take at most ~10 s */

/* Start it when the cluster has voters (after the mesh). */
int fleetdb_start(struct hsd *d, char *err, size_t errlen);
void fleetdb_stop(struct hsd *d);
/* cluster.json was reloaded: new voters, or a new role for this host. */
void fleetdb_reload(struct hsd *d);
/* Is there a fleet database (does cluster.json name voters)? */
bool fleetdb_enabled(const struct hsd *d);

/* rep is valid during the call only; on failure before any answer (no
 * hsfleetdb, it died, no answer in FLEETDB_CALL_MS) rep->rc says so. */
typedef void (*fleetdb_cb)(void *arg, const struct fleetdb_reply *rep);
void fleetdb_call(struct hsd *d, const struct fleetdb_request *req, fleetdb_cb cb, void *arg);

/* Give back the claim of ids taken for intent: retried every few seconds
 * while hsd runs, until the fleet database has taken it back. */
void fleetdb_release(struct hsd *d, const char *ids, const char *intent);

/* A text from the fleet database (another host wrote it) as a JSON
 * string, escaped, at most its first 256 bytes; NULL as "". */
json_t *fleetdb_text(const char *s);

/* The same into out, for a log line or an error (a reply's error line:
 * another host may have written it); returns out. */
#define FLEETDB_ERR_LEN (4 * FLEETDB_TEXT_MAX)
const char *fleetdb_escape(const char *s, char out[FLEETDB_ERR_LEN]);

/* A STATUS reply as status's "fleetdb" object: voters by name, the
 * leader's name (null: none), quorum, and the error line when it has none. */
json_t *fleetdb_status_json(const struct hsd *d, const struct fleetdb_reply *rep);

#endif
