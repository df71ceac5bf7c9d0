/* test_proto_ctl.c - framing and the control protocol. */
#include <criterion/criterion.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "err.h"
#include "frame.h"

static json_t *roundtrip(const json_t *msg)
{
	struct frame_reader fr;
	uint8_t *buf;
	size_t len;
	json_t *out = NULL;
	char err[HS_ERRLEN];

	cr_assert_eq(frame_encode(msg, FRAME_MAX_CTL, &buf, &len, err, sizeof(err)), 0);
	frame_reader_init(&fr, FRAME_MAX_CTL);
	/* Feed byte by byte: a stream may split anywhere. */
	for (size_t i = 0; i < len; i++) {
		cr_assert_eq(frame_reader_feed(&fr, buf + i, 1, err, sizeof(err)), 0);
		int rc = frame_reader_next(&fr, &out, err, sizeof(err));
		cr_assert_eq(rc, i + 1 == len ? 1 : 0, "at byte %zu", i);
	}
	frame_reader_free(&fr);
	free(buf);
	return out;
}

Test(frame, roundtrip_split_anywhere)
{
	json_t *req = ctl_request_new(7, "status", NULL);
	json_t *back = roundtrip(req);
	cr_assert(json_equal(req, back));
	json_decref(req);
	json_decref(back);
}

Test(frame, two_frames_in_one_read)
{
	struct frame_reader fr;
	uint8_t *a, *b, both[256];
	size_t la, lb;
	json_t *m1 = ctl_request_new(1, "a", NULL), *m2 = ctl_request_new(2, "b", NULL), *o;
	char err[HS_ERRLEN];

	cr_assert_eq(frame_encode(m1, FRAME_MAX_CTL, &a, &la, err, sizeof(err)), 0);
	cr_assert_eq(frame_encode(m2, FRAME_MAX_CTL, &b, &lb, err, sizeof(err)), 0);
	memcpy(both, a, la);
	memcpy(both + la, b, lb);
	frame_reader_init(&fr, FRAME_MAX_CTL);
	cr_assert_eq(frame_reader_feed(&fr, both, la + lb, err, sizeof(err)), 0);
	cr_assert_eq(frame_reader_next(&fr, &o, err, sizeof(err)), 1);
	cr_assert(json_equal(o, m1));
	json_decref(o);
	cr_assert_eq(frame_reader_next(&fr, &o, err, sizeof(err)), 1);
	cr_assert(json_equal(o, m2));
	json_decref(o);
	cr_assert_eq(frame_reader_next(&fr, &o, err, sizeof(err)), 0);
	frame_reader_free(&fr);
	free(a);
	free(b);
	json_decref(m1);
	json_decref(m2);
}

/* Many small frames across reads that split them anywhere, taken as
 * bytes between feeds: each comes out whole and in order, and the buffer
 * stays the size of what is pending (taken bytes are reclaimed). */
Test(frame, many_frames_taken_across_split_reads)
{
	enum { N = 300, CHUNK = 37 };
	static uint8_t stream[N * 32];
	size_t slen = 0, next = 0;
	struct frame_reader fr;
	char err[HS_ERRLEN];

	for (int i = 0; i < N; i++) {
		char body[24];
		int n = snprintf(body, sizeof(body), "{\"t\":%d}", i);
		stream[slen++] = 0;
		stream[slen++] = 0;
		stream[slen++] = 0;
		stream[slen++] = (uint8_t)n;
		memcpy(stream + slen, body, (size_t)n);
		slen += (size_t)n;
	}
	frame_reader_init(&fr, 64);
	for (size_t at = 0; at < slen; at += CHUNK) {
		size_t n = slen - at < CHUNK ? slen - at : CHUNK;
		cr_assert_eq(frame_reader_feed(&fr, stream + at, n, err, sizeof(err)), 0, "%s", err);
		const uint8_t *p;
		size_t len;
		while (frame_reader_take(&fr, &p, &len, err, sizeof(err)) == 1) {
			char want[24];
			int wn = snprintf(want, sizeof(want), "{\"t\":%zu}", next++);
			cr_assert_eq(len, (size_t)wn);
			cr_assert_eq(memcmp(p, want, len), 0, "frame %zu", next - 1);
		}
		cr_assert_leq(fr.len - fr.off, 4 + 24, "pending: %zu", fr.len - fr.off);
		cr_assert_leq(fr.cap, 4096);
	}
	cr_assert_eq(next, (size_t)N);
	/* and parsed as frame_reader_next parses */
	json_t *o;
	cr_assert_eq(frame_parse((const uint8_t *)"{\"t\":1}", 7, &o, err, sizeof(err)), 1);
	cr_assert_eq(json_integer_value(json_object_get(o, "t")), 1);
	json_decref(o);
	cr_assert_lt(frame_parse((const uint8_t *)"[1]", 3, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "not a JSON object"), "%s", err);
	frame_reader_free(&fr);
}

static int feed_raw(const void *data, size_t len, size_t max, char *err)
{
	struct frame_reader fr;
	json_t *o = NULL;
	int rc;

	frame_reader_init(&fr, max);
	rc = frame_reader_feed(&fr, data, len, err, HS_ERRLEN);
	if (!rc)
		rc = frame_reader_next(&fr, &o, err, HS_ERRLEN);
	json_decref(o);
	frame_reader_free(&fr);
	return rc;
}

Test(frame, oversized_length_is_refused_before_buffering)
{
	char err[HS_ERRLEN];
	uint8_t hdr[4] = { 0x00, 0x20, 0x00, 0x00 }; /* 2 MiB */
	cr_assert_eq(feed_raw(hdr, 4, FRAME_MAX_CTL, err), HS_EINPUT);
	cr_assert(strstr(err, "length"), "%s", err);
}

Test(frame, zero_length_bad_json_and_non_object)
{
	char err[HS_ERRLEN];
	uint8_t zero[4] = { 0 };
	uint8_t bad[] = { 0, 0, 0, 3, '{', '"', 'x' };
	uint8_t arr[] = { 0, 0, 0, 2, '[', ']' };
	cr_assert_eq(feed_raw(zero, sizeof(zero), FRAME_MAX_CTL, err), HS_EINPUT);
	cr_assert_eq(feed_raw(bad, sizeof(bad), FRAME_MAX_CTL, err), HS_EINPUT);
	cr_assert_eq(feed_raw(arr, sizeof(arr), FRAME_MAX_CTL, err), HS_EINPUT);
	cr_assert(strstr(err, "not a JSON object"), "%s", err);
}

Test(frame, flood_without_frame_end_is_bounded)
{
	struct frame_reader fr;
	static uint8_t junk[4096];
	char err[HS_ERRLEN];
	int rc = 0;
	size_t fed = 0;

	junk[0] = 0; junk[1] = 0; junk[2] = 0x0f; junk[3] = 0xff; /* 4095: fits max */
	frame_reader_init(&fr, 1024);
	while (!rc && fed < (1u << 20)) {
		rc = frame_reader_feed(&fr, junk, sizeof(junk), err, sizeof(err));
		fed += sizeof(junk);
	}
	cr_assert_eq(rc, HS_EINPUT, "reader grew without bound");
	frame_reader_free(&fr);
}

static int parse_text(const char *text, struct ctl_request *req, char *err)
{
	json_t *m = json_loads(text, 0, NULL);
	cr_assert_not_null(m, "test JSON: %s", text);
	int rc = ctl_request_parse(m, req, err, HS_ERRLEN);
	json_decref(m);
	return rc;
}

Test(ctl, request_validation_names_the_field)
{
	struct ctl_request req;
	char err[HS_ERRLEN];
	static const struct { const char *text, *field; } bad[] = {
		{ "{\"id\":1,\"cmd\":\"status\"}", "request.v" },
		{ "{\"v\":2,\"id\":1,\"cmd\":\"status\"}", "request.v" },
		{ "{\"v\":1,\"cmd\":\"status\"}", "request.id" },
		{ "{\"v\":1,\"id\":-3,\"cmd\":\"status\"}", "request.id" },
		{ "{\"v\":1,\"id\":1}", "request.cmd" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"\"}", "request.cmd" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":[]}", "request.args" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"extra\":1}", "unknown key" },
		{ "{\"v\":\"1\",\"id\":1,\"cmd\":\"status\"}", "request.v" },
		{ "{\"v\":1.0,\"id\":1,\"cmd\":\"status\"}", "request.v" },
		{ "{\"v\":1,\"id\":\"1\",\"cmd\":\"status\"}", "request.id" },
		{ "{\"v\":1,\"id\":null,\"cmd\":\"status\"}", "request.id" },
		{ "{\"v\":1,\"id\":1,\"cmd\":7}", "request.cmd" },
		{ "{\"v\":1,\"id\":1,\"cmd\":[\"status\"]}", "request.cmd" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":\"x\"}", "request.args" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":null}", "request.args" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(parse_text(bad[i].text, &req, err), HS_EINPUT, "%s", bad[i].text);
		cr_assert(strstr(err, bad[i].field), "%s -> %s", bad[i].text, err);
	}
	/* A command name one byte over the bound. */
	char text[CTL_CMD_MAX + 64];
	snprintf(text, sizeof(text), "{\"v\":1,\"id\":1,\"cmd\":\"%0*d\"}", CTL_CMD_MAX + 1, 0);
	cr_assert_eq(parse_text(text, &req, err), HS_EINPUT, "%s", text);
	cr_assert(strstr(err, "request.cmd"), "%s", err);
	snprintf(text, sizeof(text), "{\"v\":1,\"id\":1,\"cmd\":\"%0*d\"}", CTL_CMD_MAX, 0);
	cr_assert_eq(parse_text(text, &req, err), 0, "a name of exactly the bound: %s", err);
	cr_assert_eq(parse_text("{\"v\":1,\"id\":9,\"cmd\":\"status\"}", &req, err), 0, "%s", err);
	cr_assert_eq(req.id, 9);
	cr_assert_str_eq(req.cmd, "status");
}

Test(ctl, reply_roundtrip_carries_exit_code)
{
	json_t *ok = ctl_reply_ok(3, json_pack("{s:i}", "x", 1));
	json_t *bad = ctl_reply_error(3, HS_EINPUT, "space: unknown space \"x\"");
	json_t *res;
	char err[HS_ERRLEN];

	cr_assert_eq(ctl_reply_parse(ok, 3, &res, err, sizeof(err)), 0);
	cr_assert_eq(json_integer_value(json_object_get(res, "x")), 1);
	cr_assert_eq(ctl_reply_parse(bad, 3, &res, err, sizeof(err)), HS_EINPUT);
	cr_assert_str_eq(err, "space: unknown space \"x\"");
	cr_assert_neq(ctl_reply_parse(ok, 4, &res, err, sizeof(err)), 0, "id mismatch accepted");
	json_decref(ok);
	json_decref(bad);
}

Test(ctl, reply_with_wrong_types_is_refused)
{
	static const char *const bad[][2] = {
		{ "{\"v\":\"1\",\"id\":3,\"ok\":true,\"result\":{}}", "reply.v" },
		{ "{\"v\":1,\"id\":\"3\",\"ok\":true,\"result\":{}}", "reply.id" },
		{ "{\"v\":1,\"id\":3,\"ok\":1,\"result\":{}}", "reply.ok" },
		{ "{\"v\":1,\"id\":3,\"result\":{}}", "reply.ok" },
		{ "{\"v\":1,\"id\":3,\"ok\":true,\"result\":[]}", "reply.result" },
		{ "{\"v\":1,\"id\":3,\"ok\":true}", "reply.result" },
	};
	json_t *res;
	char err[HS_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_t *m = json_loads(bad[i][0], 0, NULL);
		cr_assert_not_null(m);
		cr_assert_neq(ctl_reply_parse(m, 3, &res, err, sizeof(err)), 0, "%s", bad[i][0]);
		cr_assert_null(res);
		cr_assert(strstr(err, bad[i][1]), "%s -> %s", bad[i][0], err);
		json_decref(m);
	}
}

Test(frame, encoding_an_oversized_message_is_refused)
{
	json_t *m = json_pack("{s:s}", "x", "0123456789012345678901234567890123456789");
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[HS_ERRLEN];

	cr_assert_eq(frame_encode(m, 32, &buf, &len, err, sizeof(err)), HS_EINPUT);
	cr_assert_null(buf);
	cr_assert(strstr(err, "exceeds 32"), "%s", err);
	cr_assert_eq(frame_encode(m, 1024, &buf, &len, err, sizeof(err)), 0, "%s", err);
	free(buf);
	json_decref(m);
}

Test(frame, end_of_stream_inside_a_frame_is_an_error)
{
	int sv[2];
	json_t *out = NULL;
	char err[HS_ERRLEN];
	/* A header announcing 10 bytes, then 4 of them and the end. */
	static const uint8_t partial[] = { 0, 0, 0, 10, '{', '"', 'a', '"' };

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], partial, sizeof(partial)), (ssize_t)sizeof(partial));
	close(sv[0]);
	cr_assert_neq(frame_read_fd(sv[1], 1024, &out, err, sizeof(err)), 0);
	cr_assert_null(out);
	cr_assert(strstr(err, "closed"), "%s", err);
	close(sv[1]);
}
