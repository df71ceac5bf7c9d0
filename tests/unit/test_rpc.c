/* test_rpc.c - a request's arguments checked against its command's table
 * (hsd/core/rpc.c) before any handler runs. */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "rpc.h"

static int never(struct hsd *d, const struct rpc_req *req, const struct done *dn,
		 json_t **result, char *err, size_t errlen)
{
	(void)d, (void)req, (void)dn, (void)result, (void)err, (void)errlen;
	return 0;
}

static const struct rpc_arg logs_args[] = {
	{ "name", RPC_STR }, { "last", RPC_INT }, { "wait", RPC_BOOL },
	{ "argv", RPC_ARRAY }, { "bundle", RPC_OBJECT }, { "intent", RPC_ANY },
	{ NULL, RPC_END },
};
static const struct rpc_cmd cmds[] = {
	{ "space.logs", never, logs_args },
	{ "status", never, NULL },
	{ NULL, NULL, NULL },
};

static int check(const char *cmd, const char *json, char *err)
{
	json_t *a = json_loads(json, 0, NULL);
	cr_assert_not_null(a, "%s", json);
	int rc = rpc_args_check(rpc_find(cmds, cmd), a, err, HS_ERRLEN);
	json_decref(a);
	return rc;
}

Test(rpc, find)
{
	cr_assert_eq(rpc_find(cmds, "status"), &cmds[1]);
	cr_assert_null(rpc_find(cmds, "stat"));
	cr_assert_null(rpc_find(cmds, ""));
}

Test(rpc, arguments_of_their_types_pass)
{
	char err[HS_ERRLEN] = "";

	cr_assert_eq(check("space.logs", "{}", err), 0, "%s", err);
	cr_assert_eq(check("space.logs", "{\"name\":\"web\",\"last\":5,\"wait\":true,\"argv\":[],"
				"\"bundle\":{},\"intent\":7}", err), 0, "%s", err);
	/* RPC_ANY takes anything, null too: its handler checks it */
	cr_assert_eq(check("space.logs", "{\"intent\":null}", err), 0, "%s", err);
	cr_assert_eq(check("status", "{}", err), 0, "%s", err);
}

Test(rpc, a_wrong_type_is_refused_naming_the_argument)
{
	static const char *const bad[][2] = {
		{ "{\"name\":5}", "space.logs: name: want a string" },
		{ "{\"last\":\"5\"}", "space.logs: last: want an integer" },
		{ "{\"last\":5.0}", "space.logs: last: want an integer" },
		{ "{\"wait\":1}", "space.logs: wait: want true or false" },
		{ "{\"argv\":\"sh\"}", "space.logs: argv: want an array" },
		{ "{\"bundle\":[]}", "space.logs: bundle: want an object" },
		/* null is not "absent": a handler trusts the type */
		{ "{\"last\":null}", "space.logs: last: want an integer, not null" },
		{ "{\"wait\":null}", "space.logs: wait: want true or false, not null" },
	};
	char err[HS_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(check("space.logs", bad[i][0], err), HS_EINPUT, "%s", bad[i][0]);
		cr_assert_str_eq(err, bad[i][1]);
	}
}

Test(rpc, an_argument_not_taken_is_refused)
{
	char err[HS_ERRLEN];

	cr_assert_eq(check("space.logs", "{\"name\":\"web\",\"lsat\":5}", err), HS_EINPUT);
	cr_assert_str_eq(err, "space.logs: lsat: not an argument it takes");
	cr_assert_eq(check("status", "{\"fleet\":true}", err), HS_EINPUT, "a table of none took one");
	cr_assert(strstr(err, "fleet"), "%s", err);
}

Test(rpc, args_must_be_an_object)
{
	char err[HS_ERRLEN];
	json_t *a = json_array();

	cr_assert_eq(rpc_args_check(&cmds[0], a, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "space.logs: args: want an object");
	json_decref(a);
}
