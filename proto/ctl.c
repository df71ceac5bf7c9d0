/* ctl.c - the hsctl <-> hsd control protocol. */
#include "ctl.h"
#include "err.h"

#include <string.h>

static const char *const request_keys[] = { "v", "id", "cmd", "args" };

int ctl_request_parse(json_t *msg, struct ctl_request *out, char *err,
		      size_t errlen)
{
	const char *key;
	json_t *val;

	memset(out, 0, sizeof(*out));
	json_object_foreach(msg, key, val) {
		bool known = false;
		for (size_t i = 0; i < sizeof(request_keys) / sizeof(*request_keys); i++)
			known |= strcmp(key, request_keys[i]) == 0;
		if (!known)
			return err_set(err, errlen, HS_EINPUT, "request: unknown key \"%.64s\"", key);
	}
	val = json_object_get(msg, "v");
	if (!json_is_integer(val))
		return err_set(err, errlen, HS_EINPUT, "request.v: missing or not an integer");
	if (json_integer_value(val) != CTL_VERSION)
		return err_set(err, errlen, HS_EINPUT,
			       "request.v: protocol version %lld not supported (this hsd speaks %d)",
			       (long long)json_integer_value(val), CTL_VERSION);
	val = json_object_get(msg, "id");
	if (!json_is_integer(val) || json_integer_value(val) < 0)
		return err_set(err, errlen, HS_EINPUT, "request.id: missing or not a non-negative integer");
	out->id = json_integer_value(val);
	val = json_object_get(msg, "cmd");
	if (!json_is_string(val) || json_string_length(val) == 0 ||
	    json_string_length(val) > CTL_CMD_MAX)
		return err_set(err, errlen, HS_EINPUT, "request.cmd: missing or not a command name");
	strcpy(out->cmd, json_string_value(val));
	val = json_object_get(msg, "args");
	if (val && !json_is_object(val))
		return err_set(err, errlen, HS_EINPUT, "request.args: not an object");
	if (!val) {
		val = json_object();
		json_object_set_new(msg, "args", val);
	}
	out->args = val;
	return 0;
}

json_t *ctl_request_new(int64_t id, const char *cmd, json_t *args)
{
	return json_pack("{s:i, s:I, s:s, s:o}", "v", CTL_VERSION, "id",
			 (json_int_t)id, "cmd", cmd, "args", args ? args : json_object());
}

json_t *ctl_reply_ok(int64_t id, json_t *result)
{
	return json_pack("{s:i, s:I, s:b, s:o}", "v", CTL_VERSION, "id", (json_int_t)id, "ok", 1,
			 "result", result ? result : json_object());
}

json_t *ctl_reply_error(int64_t id, int rc, const char *msg)
{
	return json_pack("{s:i, s:I, s:b, s:i, s:s}", "v", CTL_VERSION, "id",
			 (json_int_t)id, "ok", 0, "code", err_exit_code(rc),
			 "error", msg);
}

int ctl_reply_parse(json_t *msg, int64_t id, json_t **result, char *err, size_t errlen)
{
	json_t *v = json_object_get(msg, "v");
	json_t *rid = json_object_get(msg, "id");

	*result = NULL;
	if (!json_is_integer(v) || json_integer_value(v) != CTL_VERSION)
		return err_set(err, errlen, HS_ESYS, "reply.v: hsd speaks another protocol version");
	if (!json_is_integer(rid) || json_integer_value(rid) != id)
		return err_set(err, errlen, HS_ESYS, "reply.id: does not match the request");
	json_t *ok = json_object_get(msg, "ok");
	if (!json_is_boolean(ok))
		return err_set(err, errlen, HS_ESYS, "reply.ok: missing or not a boolean");
	if (json_is_true(ok)) {
		*result = json_object_get(msg, "result");
		if (!json_is_object(*result)) {
			*result = NULL;
			return err_set(err, errlen, HS_ESYS, "reply.result: missing or not an object");
		}
		return 0;
	}
	const char *text = json_string_value(json_object_get(msg, "error"));
	json_int_t code = json_integer_value(json_object_get(msg, "code"));
	err_set(err, errlen, HS_ESYS, "%s", text ? text : "hsd: request failed");
	return code == 2 ? HS_EINPUT : code == 3 ? HS_ESTATE : HS_ESYS;
}
