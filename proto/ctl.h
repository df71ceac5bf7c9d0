/* ctl.h - the hsctl <-> hsd control protocol (version 1).
 *
 * Request:  {"v":1, "id":N, "cmd":"status", "args":{...}}
 * Reply:    {"v":1, "id":N, "ok":true,  "result":{...}}
 *           {"v":1, "id":N, "ok":false, "code":2, "error":"one line"}
 * One request, one reply: a stream (alerts --follow) is a series of
 * requests, each held until there is something to say.
 * "code" is the exit status hsctl should use (2: bad input, nothing done).
 */
#ifndef HS_CTL_H
#define HS_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define CTL_VERSION 1
#define CTL_CMD_MAX 64
#define CTL_ALERTS_MAX 10000 /* alerts in one reply ("last") */
#define CTL_LOGS_LAST_DEFAULT 100 /* space.logs: console lines without "last" */
#define CTL_LOGS_LAST_MAX 10000

struct ctl_request {
	int64_t id;
	char cmd[CTL_CMD_MAX + 1];
	json_t *args; /* borrowed from the message; an empty object if absent */
};

/* Validate a request; on error the message names the field. */
int ctl_request_parse(json_t *msg, struct ctl_request *out, char *err,
		      size_t errlen);
json_t *ctl_request_new(int64_t id, const char *cmd, json_t *args /* stolen, may be NULL */);

json_t *ctl_reply_ok(int64_t id, json_t *result /* stolen */);
json_t *ctl_reply_error(int64_t id, int rc, const char *msg);

/* Split a reply: 0 and *result borrowed when ok; otherwise the hs_rc
 * carried by the reply with its message in err. */
int ctl_reply_parse(json_t *msg, int64_t id, json_t **result, char *err, size_t errlen);

#endif
