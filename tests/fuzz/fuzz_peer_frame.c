/* fuzz_peer_frame.c - the hsd<->hsd framing and message decoders
 * (peer_request_parse on the listener, peer_reply_parse on the caller). */
#include "fuzz_frames.h"
#include "peer.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_msg(json_t *msg)
{
	struct peer_request rq;
	struct peer_reply rp;
	char err[HS_ERRLEN];

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
