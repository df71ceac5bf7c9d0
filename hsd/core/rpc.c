/* rpc.c - see rpc.h. */
#include "rpc.h"
#include "err.h"

#include <string.h>

const struct rpc_cmd *rpc_find(const struct rpc_cmd *table, const char *name)
{
	for (const struct rpc_cmd *c = table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static const char *type_name(enum rpc_type t)
{
	switch (t) {
	case RPC_STR: return "a string";
	case RPC_INT: return "an integer";
	case RPC_BOOL: return "true or false";
	case RPC_ARRAY: return "an array";
	case RPC_OBJECT: return "an object";
	default: return "a value";
	}
}

static int type_ok(enum rpc_type t, const json_t *v)
{
	switch (t) {
	case RPC_STR: return json_is_string(v);
	case RPC_INT: return json_is_integer(v);
	case RPC_BOOL: return json_is_boolean(v);
	case RPC_ARRAY: return json_is_array(v);
	case RPC_OBJECT: return json_is_object(v);
	case RPC_ANY: return 1;
	default: return 0;
	}
}

int rpc_args_check(const struct rpc_cmd *c, json_t *args, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(args))
		return err_set(err, errlen, HS_EINPUT, "%s: args: want an object", c->name);
	json_object_foreach(args, key, v) {
		const struct rpc_arg *a = c->args;
		while (a && a->type != RPC_END && strcmp(a->name, key))
			a++;
		if (!a || a->type == RPC_END)
			return err_set(err, errlen, HS_EINPUT, "%s: %.64s: not an argument it takes",
				       c->name, key);
		/* null is no way to say "absent" (leave the key out): a
		 * handler can then trust an argument's type. */
		if (!type_ok(a->type, v))
			return err_set(err, errlen, HS_EINPUT, "%s: %s: want %s%s", c->name, key,
				       type_name(a->type), json_is_null(v) ? ", not null" : "");
	}
	return 0;
}
