/* cmd_space.c - the space.* control commands: argument checks, then
 * spaces.c does the work. */
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "spaces.h"

#include <stdlib.h>
#include <string.h>

/* args.name as a string, or HS_EINPUT naming the field. */
static int arg_name(const struct rpc_req *req, const char **out, char *err,
		    size_t errlen)
{
	*out = json_string_value(json_object_get(req->args, "name"));
	if (!*out)
		return err_set(err, errlen, HS_EINPUT, "name: missing");
	return 0;
}

static int string_array(json_t *arr, const char *field, const char ***out,
			size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return err_set(err, errlen, HS_EINPUT, "%s: not a list", field);
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	if (!*out)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s) {
			free(*out);
			*out = NULL;
			return err_set(err, errlen, HS_EINPUT, "%s[%zu]: not a string", field, i);
		}
		(*out)[i] = s;
	}
	*n = json_array_size(arr);
	return 0;
}

/* A limit: absent is the default, "max" is none (where allowed). */
static int int_arg(json_t *args, const char *key, const char *field, int64_t *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);
	*out = 0;
	if (!v)
		return 0;
	if (json_is_string(v) && strcmp(json_string_value(v), "max") == 0) {
		*out = SPACE_LIMIT_NONE;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return err_set(err, errlen, HS_EINPUT, "%s: not a positive number or \"max\"", field);
	*out = json_integer_value(v);
	return 0;
}

static int cmd_space_create(struct hsd *d, const struct rpc_req *req,
			    const struct done *dn, json_t **result,
			    char *err, size_t errlen)
{
	struct space_req sr = { 0 };
	const char *kind = json_string_value(json_object_get(req->args, "kind"));
	const char **argv = NULL;
	size_t argc;
	int rc;

	(void)dn;
	sr.inherit = json_string_value(json_object_get(req->args, "inherit"));
	if ((rc = arg_name(req, &sr.name, err, errlen)))
		return rc;
	if (!kind || (strcmp(kind, "server") && strcmp(kind, "audit")))
		return err_set(err, errlen, HS_EINPUT, "--kind: must be server or audit");
	sr.kind = strcmp(kind, "audit") ? SPACE_SERVER : SPACE_AUDIT;
	if ((rc = int_arg(req->args, "memory", "--memory", &sr.lim.memory, err, errlen)) ||
	    (rc = int_arg(req->args, "pids", "--pids", &sr.lim.pids, err, errlen)) ||
	    (rc = int_arg(req->args, "disk", "--disk", &sr.lim.disk, err, errlen)) ||
	    (rc = int_arg(req->args, "tmpfs", "--tmpfs", &sr.lim.tmpfs, err, errlen)) ||
	    (rc = int_arg(req->args, "log_size", "--log-size", &sr.lim.log, err, errlen)) ||
	    (rc = string_array(json_object_get(req->args, "publish"), "--publish",
			       &sr.publish, &sr.npublish, err, errlen)))
		return rc;
	if ((rc = string_array(json_object_get(req->args, "monitor"), "--monitor",
			       &sr.monitor, &sr.nmonitor, err, errlen))) {
		free(sr.publish);
		return rc;
	}
	if (!(rc = string_array(json_object_get(req->args, "argv"), "command",
				&argv, &argc, err, errlen))) {
		sr.argv = (char **)argv;
		rc = spaces_create(d, &sr, result, err, errlen);
	}
	free(argv);
	free(sr.publish);
	free(sr.monitor);
	return rc;
}

#define NAME_CMD(fn, call_expr)                                                   \
	static int fn(struct hsd *d, const struct rpc_req *req, const struct done *dn,  \
		      json_t **result, char *err, size_t errlen)                 \
	{                                                                        \
		const char *name;                                                \
		int rc = arg_name(req, &name, err, errlen);                      \
		(void)dn;                                                        \
		(void)result;                                                    \
		return rc ? rc : (call_expr);                                    \
	}

NAME_CMD(cmd_space_show, spaces_show(d, name, result, err, errlen))
NAME_CMD(cmd_space_start, spaces_start(d, name, result, err, errlen))
NAME_CMD(cmd_space_stop, spaces_stop(d, name, dn, err, errlen))
NAME_CMD(cmd_space_destroy, spaces_destroy(d, name, dn, err, errlen))
NAME_CMD(cmd_space_flatten, spaces_flatten(d, name, result, err, errlen))

/* args: name; from (offset, from an earlier reply) and wait, or last. */
static int cmd_space_logs(struct hsd *d, const struct rpc_req *req,
			  const struct done *dn, json_t **result, char *err,
			  size_t errlen)
{
	json_t *from = json_object_get(req->args, "from"), *last = json_object_get(req->args, "last");
	json_t *wait = json_object_get(req->args, "wait");
	const char *name;
	int rc = arg_name(req, &name, err, errlen);

	if (rc)
		return rc;
	if (from && json_integer_value(from) < 0)
		return err_set(err, errlen, HS_EINPUT, "from: not an offset (an integer >= 0)");
	if (last && (json_integer_value(last) < 1 || json_integer_value(last) > CTL_LOGS_LAST_MAX))
		return err_set(err, errlen, HS_EINPUT, "last: want 1..%d lines", CTL_LOGS_LAST_MAX);
	return spaces_logs(d, name, from ? json_integer_value(from) : -1,
			   last ? (long)json_integer_value(last) : CTL_LOGS_LAST_DEFAULT,
			   json_is_true(wait), dn, result, err, errlen);
}

static int cmd_space_list(struct hsd *d, const struct rpc_req *req,
			  const struct done *dn, json_t **result, char *err,
			  size_t errlen)
{
	(void)req;
	(void)dn;
	return spaces_list(d, result, err, errlen);
}

static const struct rpc_arg args_cmd_space_create[] = {
	{ "name", RPC_STR },
	{ "kind", RPC_STR },
	{ "inherit", RPC_STR },
	{ "argv", RPC_ARRAY },
	{ "publish", RPC_ARRAY },
	{ "monitor", RPC_ARRAY },
	{ "memory", RPC_ANY },
	{ "pids", RPC_ANY },
	{ "disk", RPC_ANY },
	{ "tmpfs", RPC_ANY },
	{ "log_size", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_show[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_start[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_stop[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_destroy[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_flatten[] = {
	{ "name", RPC_STR },
	{ NULL, RPC_END },
};
static const struct rpc_arg args_cmd_space_logs[] = {
	{ "name", RPC_STR },
	{ "from", RPC_INT },
	{ "last", RPC_INT },
	{ "wait", RPC_BOOL },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_space_cmds[] = {
	{ "space.create", cmd_space_create, args_cmd_space_create },
	{ "space.list", cmd_space_list, NULL },
	{ "space.show", cmd_space_show, args_cmd_space_show },
	{ "space.start", cmd_space_start, args_cmd_space_start },
	{ "space.stop", cmd_space_stop, args_cmd_space_stop },
	{ "space.destroy", cmd_space_destroy, args_cmd_space_destroy },
	{ "space.flatten", cmd_space_flatten, args_cmd_space_flatten },
	{ "space.logs", cmd_space_logs, args_cmd_space_logs },
	{ NULL, NULL, NULL },
};
