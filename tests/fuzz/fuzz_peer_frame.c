/* fuzz_peer_frame.c - the hsd<->hsd framing and message decoders
 * (peer_request_parse on the listener, peer_reply_parse on the caller)
 * and the MACs on them (peer_auth_open_*; and a message sealed, framed
 * and read back must verify: the MAC is over jansson's compact sorted
 * dump, which must come out the same after a trip through the wire). */
#include "fuzz_frames.h"
#include "peer.h"
#include "peer_auth.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[PEER_AUTH_KEY] = { 1, 2, 3 };
static const int64_t now = 1800000000000;

/* msg, sealed by the sender, framed, read by the receiver: verifies. */
static void sealed_round_trip(const json_t *msg)
{
	uint8_t nonce[PEER_AUTH_NONCE], got[PEER_AUTH_NONCE], *buf;
	struct frame_reader fr;
	char err[HS_ERRLEN];
	json_t *m = json_deep_copy(msg), *back = NULL;
	size_t len;

	FUZZ_ASSERT(m);
	json_object_del(m, "auth");
	FUZZ_ASSERT(peer_auth_seal_request(m, "b", now, key, nonce, err, sizeof(err)) == 0);
	if (frame_encode(m, FRAME_MAX_PEER, &buf, &len, err, sizeof(err)) == 0) {
		frame_reader_init(&fr, FRAME_MAX_PEER);
		FUZZ_ASSERT(frame_reader_feed(&fr, buf, len, err, sizeof(err)) == 0);
		FUZZ_ASSERT(frame_reader_next(&fr, &back, err, sizeof(err)) == 1);
		FUZZ_ASSERT(peer_auth_open_request(back, "b", now, key, got, err,
						   sizeof(err)) == 0);
		FUZZ_ASSERT(memcmp(got, nonce, sizeof(got)) == 0);
		json_object_del(m, "auth");
		FUZZ_ASSERT(json_equal(back, m));
		json_decref(back);
		frame_reader_free(&fr);
		free(buf);
	}
	json_decref(m);
}

static void on_msg(json_t *msg)
{
	struct peer_request rq;
	struct peer_reply rp;
	char err[HS_ERRLEN];
	uint8_t nonce[PEER_AUTH_NONCE] = { 9 };

	/* What arrives is opened before it is parsed; a refusal changes
	 * nothing, and nothing forged verifies. */
	json_t *before = json_deep_copy(msg);
	FUZZ_ASSERT(before);
	FUZZ_ASSERT(peer_auth_open_request(msg, "b", now, key, nonce, err, sizeof(err)) != 0);
	FUZZ_ASSERT(peer_auth_open_reply(msg, nonce, key, err, sizeof(err)) != 0);
	FUZZ_ASSERT(json_equal(msg, before));
	json_decref(before);
	sealed_round_trip(msg);

	if (peer_request_parse(msg, &rq, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(peer_name_ok(rq.from, PEER_NAME_MAX));
		FUZZ_ASSERT(rq.id >= 0 && rq.id <= PEER_ID_MAX);
		FUZZ_ASSERT(json_is_object(rq.args));
		/* Rebuilt from the parsed fields, it parses to the same. */
		struct peer_request again;
		json_t *m = peer_request_new(rq.id, rq.from, rq.cmd, json_incref(rq.args));
		FUZZ_ASSERT(m && peer_request_parse(m, &again, err, sizeof(err)) == 0);
		FUZZ_ASSERT(again.id == rq.id && strcmp(again.from, rq.from) == 0 &&
			    strcmp(again.cmd, rq.cmd) == 0 && json_equal(again.args, rq.args));
		json_decref(m);
	}
	/* An error reply quoting any text (here the message's own "error",
	 * NULs cut) is valid: peer_reply_error flattens it to one line. */
	const char *text = json_string_value(json_object_get(msg, "error"));
	if (text && text[0]) {
		json_t *m = peer_reply_error(7, HS_EINPUT, text);
		FUZZ_ASSERT(m && peer_reply_parse(m, &rp, err, sizeof(err)) == 0 && !rp.ok);
		json_decref(m);
	}
	if (peer_reply_parse(msg, &rp, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(rp.ok ? json_is_object(rp.result) : rp.rc < 0 && rp.error[0]);
		json_t *m = rp.ok ? peer_reply_ok(rp.id, json_incref(rp.result))
				  : peer_reply_error(rp.id, rp.rc, rp.error);
		struct peer_reply again;
		FUZZ_ASSERT(m && peer_reply_parse(m, &again, err, sizeof(err)) == 0);
		FUZZ_ASSERT(again.ok == rp.ok && again.id == rp.id && again.rc == rp.rc &&
			    strcmp(again.error, rp.error) == 0);
		json_decref(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	frames_drive(data, size, FRAME_MAX_PEER, on_msg);
	return 0;
}
