/* test_proto_peer.c - hsd <-> hsd messages: building and strict validation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "frame.h"
#include "peer.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	cr_assert(j, "bad test JSON: %s", jerr.text);
	return j;
}

/* Parse text as a request: expect rc, and (on error) a one-line message
 * containing want. */
static void request_case(const char *text, int rc, const char *want)
{
	struct peer_request req;
	char err[HS_ERRLEN] = "";
	json_t *msg = parse(text);

	cr_assert_eq(peer_request_parse(msg, &req, err, sizeof(err)), rc, "%s: %s", text, err);
	if (rc) {
		cr_assert(strstr(err, want), "%s: message \"%s\" lacks \"%s\"", text, err, want);
		cr_assert_null(strchr(err, '\n'), "%s: message not one line", text);
	}
	json_decref(msg);
}

static void reply_case(const char *text, int rc, const char *want)
{
	struct peer_reply rep;
	char err[HS_ERRLEN] = "";
	json_t *msg = parse(text);

	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), rc, "%s: %s", text, err);
	if (rc) {
		cr_assert(strstr(err, want), "%s: message \"%s\" lacks \"%s\"", text, err, want);
		cr_assert_null(strchr(err, '\n'), "%s: message not one line", text);
	}
	json_decref(msg);
}

Test(proto_peer, request_roundtrip)
{
	json_t *msg = peer_request_new(7, "host-a", "bundle.push", json_pack("{s:i}", "n", 3));
	struct peer_request req;
	char err[HS_ERRLEN];
	uint8_t *buf;
	size_t len;

	cr_assert_eq(frame_encode(msg, FRAME_MAX_PEER, &buf, &len, err, sizeof(err)), 0);
	free(buf);
	cr_assert_eq(peer_request_parse(msg, &req, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(req.id, 7);
	cr_assert_str_eq(req.from, "host-a");
	cr_assert_str_eq(req.cmd, "bundle.push");
	cr_assert_eq(json_integer_value(json_object_get(req.args, "n")), 3);
	json_decref(msg);
}

Test(proto_peer, request_without_args_gets_empty_object)
{
	json_t *msg = parse("{\"v\":1,\"id\":0,\"from\":\"a\",\"cmd\":\"ping\"}");
	struct peer_request req;
	char err[HS_ERRLEN];

	cr_assert_eq(peer_request_parse(msg, &req, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_object(req.args));
	cr_assert_eq(json_object_size(req.args), 0);
	json_decref(msg);
}

Test(proto_peer, request_errors_name_the_field)
{
	request_case("[]", HS_EINPUT, "request: not a JSON object");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"ping\",\"x\":1}", HS_EINPUT,
		     "request: unknown key \"x\"");
	request_case("{\"id\":1,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.v");
	request_case("{\"v\":\"1\",\"id\":1,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.v");
	request_case("{\"v\":2,\"id\":1,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT,
		     "request.v: protocol version 2");
	request_case("{\"v\":1,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.id");
	request_case("{\"v\":1,\"id\":-1,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.id");
	request_case("{\"v\":1,\"id\":1.5,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.id");
	request_case("{\"v\":1,\"id\":9007199254740993,\"from\":\"a\",\"cmd\":\"ping\"}", HS_EINPUT,
		     "request.id");
	request_case("{\"v\":1,\"id\":1,\"cmd\":\"ping\"}", HS_EINPUT, "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":7,\"cmd\":\"ping\"}", HS_EINPUT, "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":\"\",\"cmd\":\"ping\"}", HS_EINPUT, "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":\"A\",\"cmd\":\"ping\"}", HS_EINPUT, "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":\"-a\",\"cmd\":\"ping\"}", HS_EINPUT, "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\\u0000b\",\"cmd\":\"ping\"}", HS_EINPUT,
		     "request.from");
	request_case("{\"v\":1,\"id\":1,\"from\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"cmd\":\"ping\"}",
		     HS_EINPUT, "request.from"); /* 33 characters */
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\"}", HS_EINPUT, "request.cmd");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"pi ng\"}", HS_EINPUT, "request.cmd");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":[]}", HS_EINPUT, "request.cmd");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"ping\",\"args\":[]}", HS_EINPUT,
		     "request.args: not an object");
	request_case("{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"ping\",\"args\":null}", HS_EINPUT,
		     "request.args");
}

Test(proto_peer, request_error_keeps_valid_id)
{
	json_t *msg = parse("{\"v\":1,\"id\":9,\"from\":\"a\",\"cmd\":\"ping\",\"bad\":0}");
	struct peer_request req;
	char err[HS_ERRLEN];

	cr_assert_eq(peer_request_parse(msg, &req, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(req.id, 9);
	json_decref(msg);
}

Test(proto_peer, cmd_length_bound)
{
	char text[256], cmd[PEER_CMD_MAX + 2];

	memset(cmd, 'c', PEER_CMD_MAX);
	cmd[PEER_CMD_MAX] = '\0';
	snprintf(text, sizeof(text), "{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"%s\"}", cmd);
	request_case(text, 0, NULL);
	strcat(cmd, "c");
	snprintf(text, sizeof(text), "{\"v\":1,\"id\":1,\"from\":\"a\",\"cmd\":\"%s\"}", cmd);
	request_case(text, HS_EINPUT, "request.cmd");
}

Test(proto_peer, reply_ok_roundtrip)
{
	json_t *msg = peer_reply_ok(5, json_pack("{s:s}", "host", "b"));
	struct peer_reply rep;
	char err[HS_ERRLEN];

	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert(rep.ok);
	cr_assert_eq(rep.id, 5);
	cr_assert_str_eq(json_string_value(json_object_get(rep.result, "host")), "b");
	json_decref(msg);

	msg = peer_reply_ok(6, NULL);
	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_object(rep.result));
	json_decref(msg);
}

Test(proto_peer, reply_error_roundtrip_keeps_code)
{
	static const int rcs[] = { HS_ESYS, HS_EINPUT, HS_ESTATE };
	struct peer_reply rep;
	char err[HS_ERRLEN];

	for (size_t i = 0; i < sizeof(rcs) / sizeof(*rcs); i++) {
		json_t *msg = peer_reply_error(3, rcs[i], "space s1: not running");
		cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
		cr_assert_not(rep.ok);
		cr_assert_eq(rep.rc, rcs[i]);
		cr_assert_str_eq(rep.error, "space s1: not running");
		cr_assert_null(rep.result);
		json_decref(msg);
	}
}

Test(proto_peer, reply_error_is_flattened_and_bounded)
{
	char big[3 * PEER_ERROR_MAX];
	struct peer_reply rep;
	char err[HS_ERRLEN];
	json_t *msg;

	msg = peer_reply_error(1, HS_EINPUT, "two\nlines\tand tab");
	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(rep.error, "two lines and tab");
	json_decref(msg);

	/* A long message of 2-byte UTF-8 characters, cut on a boundary. */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 2] = '\0';
	msg = peer_reply_error(1, HS_ESYS, big);
	cr_assert_not_null(msg, "truncation split a UTF-8 sequence");
	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_leq(strlen(rep.error), PEER_ERROR_MAX);
	json_decref(msg);

	msg = peer_reply_error(1, HS_ESYS, "bad name \xff\xfe");
	cr_assert_not_null(msg, "invalid UTF-8 must still give a reply");
	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(rep.error, "bad name ??");
	json_decref(msg);

	msg = peer_reply_error(1, HS_ESYS, "");
	cr_assert_eq(peer_reply_parse(msg, &rep, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(strlen(rep.error), 0);
	json_decref(msg);
}

Test(proto_peer, reply_errors_name_the_field)
{
	reply_case("[]", HS_EINPUT, "reply: not a JSON object");
	reply_case("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{},\"more\":true}", HS_EINPUT,
		   "reply: unknown key \"more\"");
	reply_case("{\"id\":1,\"ok\":true,\"result\":{}}", HS_EINPUT, "reply.v");
	reply_case("{\"v\":3,\"id\":1,\"ok\":true,\"result\":{}}", HS_EINPUT, "reply.v");
	reply_case("{\"v\":1,\"ok\":true,\"result\":{}}", HS_EINPUT, "reply.id");
	reply_case("{\"v\":1,\"id\":\"1\",\"ok\":true,\"result\":{}}", HS_EINPUT, "reply.id");
	reply_case("{\"v\":1,\"id\":1,\"result\":{}}", HS_EINPUT, "reply.ok");
	reply_case("{\"v\":1,\"id\":1,\"ok\":1,\"result\":{}}", HS_EINPUT, "reply.ok");
	reply_case("{\"v\":1,\"id\":1,\"ok\":true}", HS_EINPUT, "reply.result");
	reply_case("{\"v\":1,\"id\":1,\"ok\":true,\"result\":[]}", HS_EINPUT, "reply.result");
	reply_case("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{},\"error\":\"x\"}", HS_EINPUT,
		   "only belong to a failed reply");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":2,\"error\":\"x\",\"result\":{}}",
		   HS_EINPUT, "reply.result: not allowed");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"error\":\"x\"}", HS_EINPUT, "reply.code");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":0,\"error\":\"x\"}", HS_EINPUT,
		   "reply.code");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":5,\"error\":\"x\"}", HS_EINPUT,
		   "reply.code");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":2}", HS_EINPUT, "reply.error");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":2,\"error\":\"\"}", HS_EINPUT,
		   "reply.error");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":2,\"error\":\"a\\nb\"}", HS_EINPUT,
		   "reply.error: want one line");
	reply_case("{\"v\":1,\"id\":1,\"ok\":false,\"code\":2,\"error\":\"a\\u0000b\"}", HS_EINPUT,
		   "reply.error");
}

/* Error kinds cross the wire as codes, so a caller never reads them from
 * the text: "no such instance" stays that on the other host.  A peer's own
 * failure to reach a third host is, to its caller, a failure of that peer. */
Test(proto_peer, reply_codes_carry_the_error_kind)
{
	static const struct { int rc, want; } cases[] = {
		{ HS_ESYS, HS_ESYS }, { HS_EINPUT, HS_EINPUT }, { HS_ESTATE, HS_ESTATE },
		{ HS_ENOENT, HS_ENOENT }, { HS_EUNREACH, HS_ESYS },
	};
	char err[HS_ERRLEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *msg = peer_reply_error(7, cases[i].rc, "what failed");
		struct peer_reply r;
		cr_assert_not_null(msg);
		cr_assert_eq(peer_reply_parse(msg, &r, err, sizeof(err)), 0, "%s", err);
		cr_assert_not(r.ok);
		cr_assert_eq(r.rc, cases[i].want, "rc %d came back as %d", cases[i].rc, r.rc);
		json_decref(msg);
	}
}

Test(proto_peer, reply_error_length_bound)
{
	size_t n = PEER_ERROR_MAX + 1;
	char *text = malloc(n + 128), *e = malloc(n + 1);

	memset(e, 'x', n);
	e[n] = '\0';
	sprintf(text, "{\"v\":1,\"id\":1,\"ok\":false,\"code\":1,\"error\":\"%s\"}", e);
	reply_case(text, HS_EINPUT, "reply.error");
	e[n - 1] = '\0';
	sprintf(text, "{\"v\":1,\"id\":1,\"ok\":false,\"code\":1,\"error\":\"%s\"}", e);
	reply_case(text, 0, NULL);
	free(text);
	free(e);
}

Test(proto_peer, name_rule)
{
	cr_assert(peer_name_ok("a", PEER_NAME_MAX));
	cr_assert(peer_name_ok("host-1.x_y", PEER_NAME_MAX));
	cr_assert_not(peer_name_ok("", PEER_NAME_MAX));
	cr_assert_not(peer_name_ok("-a", PEER_NAME_MAX));
	cr_assert_not(peer_name_ok("a/b", PEER_NAME_MAX));
	cr_assert_not(peer_name_ok("abc", 2));
}
