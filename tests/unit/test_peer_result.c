/* test_peer_result.c - a call's result as schema-fixed records
 * (proto/peer_result.h): what the engine encodes from another host's
 * JSON, and what hsd decodes, refusing every length it cannot trust. */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "peer_result.h"
#include "peer_typed.h"

static char *round_trip(uint32_t cmd, json_t *in)
{
	char err[HS_ERRLEN];
	uint8_t *rec;
	size_t len;
	json_t *out;

	cr_assert_eq(peer_result_encode(cmd, in, &rec, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(peer_result_decode(cmd, rec, len, &out, err, sizeof(err)), 0, "%s", err);
	free(rec);
	json_decref(in);
	char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out);
	return text;
}

Test(result, status_round_trip)
{
	json_t *in = json_pack("{s:s, s:[{s:s, s:s, s:s, s:s, s:I, s:s, s:b}], s:[s]}", "host", "b",
			       "instances", "bundle", "aide-1", "version", "1", "instance", "aide@1",
			       "state", "verified", "verified_ms", (json_int_t)1800000000000,
			       "last_probe", "tok", "running", 1, "servers", "web");
	char *text = round_trip(PEER_CMD_STATUS, in);
	cr_assert_str_eq(text, "{\"host\":\"b\",\"instances\":[{\"bundle\":\"aide-1\",\"instance\":"
			       "\"aide@1\",\"last_probe\":\"tok\",\"running\":true,\"state\":\"verified\","
			       "\"verified_ms\":1800000000000,\"version\":\"1\"}],\"servers\":[\"web\"]}");
	free(text);
}

Test(result, unknown_keys_are_dropped_not_passed)
{
	/* A newer host may say more; hsd gets only what it knows. */
	char *text = round_trip(PEER_CMD_BUNDLE_HAS, json_pack("{s:b, s:s}", "has", 1, "extra", "x"));
	cr_assert_str_eq(text, "{\"has\":true}");
	free(text);
}

Test(result, wrong_types_and_sizes_are_refused)
{
	char err[HS_ERRLEN], big[300];
	uint8_t *rec;
	size_t len;
	json_t *in = json_pack("{s:s}", "has", "yes");

	cr_assert_eq(peer_result_encode(PEER_CMD_BUNDLE_HAS, in, &rec, &len, err, sizeof(err)),
		     HS_EINPUT);
	cr_assert(strstr(err, "result.has"), "%s", err);
	json_decref(in);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	in = json_pack("{s:s}", "host", big);
	cr_assert_eq(peer_result_encode(PEER_CMD_PING, in, &rec, &len, err, sizeof(err)), HS_EINPUT);
	json_decref(in);
	in = json_pack("{s:[i]}", "instances", 1);
	cr_assert_eq(peer_result_encode(PEER_CMD_STATUS, in, &rec, &len, err, sizeof(err)), HS_EINPUT);
	json_decref(in);
}

Test(result, decode_checks_every_length)
{
	char err[HS_ERRLEN];
	uint8_t *rec;
	size_t len;
	json_t *out;
	json_t *in = json_pack("{s:[{s:I, s:I, s:s, s:s, s:s, s:b}], s:b}", "alerts", "id",
			       (json_int_t)7, "at_ms", (json_int_t)1, "host", "b", "instance", "det@1",
			       "line", "ALERT x", "probe", 0, "truncated", 0);

	cr_assert_eq(peer_result_encode(PEER_CMD_ALERTS, in, &rec, &len, err, sizeof(err)), 0, "%s", err);
	json_decref(in);
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(peer_result_decode(PEER_CMD_ALERTS, rec, cut, &out, err, sizeof(err)),
			     HS_EINPUT, "cut at %zu", cut);
	uint8_t *more = malloc(len + 1);
	memcpy(more, rec, len);
	more[len] = 0;
	cr_assert_eq(peer_result_decode(PEER_CMD_ALERTS, more, len + 1, &out, err, sizeof(err)),
		     HS_EINPUT);
	cr_assert(strstr(err, "past its end"), "%s", err);
	/* A count no buffer of this size can hold. */
	memcpy(more, rec, len);
	uint32_t huge = 9999;
	memcpy(more + 1, &huge, sizeof(huge));
	cr_assert_eq(peer_result_decode(PEER_CMD_ALERTS, more, len, &out, err, sizeof(err)), HS_EINPUT);
	free(more);
	cr_assert_eq(peer_result_decode(PEER_CMD_ALERTS, rec, len, &out, err, sizeof(err)), 0,
		     "control: %s", err);
	json_decref(out);
	free(rec);
}

Test(result, decode_refuses_bytes_that_are_no_text)
{
	/* ping: present, length 2, "\xff\xfe" (not UTF-8); then no time. */
	uint8_t rec[] = { 1, 2, 0, 0, 0, 0xff, 0xfe, 0 };
	uint8_t nul[] = { 1, 2, 0, 0, 0, 'a', 0, 0 };
	char err[HS_ERRLEN];
	json_t *out;

	cr_assert_eq(peer_result_decode(PEER_CMD_PING, rec, sizeof(rec), &out, err, sizeof(err)),
		     HS_EINPUT);
	cr_assert(strstr(err, "UTF-8"), "%s", err);
	cr_assert_eq(peer_result_decode(PEER_CMD_PING, nul, sizeof(nul), &out, err, sizeof(err)),
		     HS_EINPUT);
	rec[5] = 'o';
	rec[6] = 'k';
	cr_assert_eq(peer_result_decode(PEER_CMD_PING, rec, sizeof(rec), &out, err, sizeof(err)), 0,
		     "control: %s", err);
	cr_assert_str_eq(json_string_value(json_object_get(out, "host")), "ok");
	json_decref(out);
}
