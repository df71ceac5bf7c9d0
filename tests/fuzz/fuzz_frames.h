/* fuzz_frames.h - drive a frame_reader the way the daemon does: bytes
 * arrive in pieces (sizes chosen by the input's first byte), every feed is
 * followed by draining complete frames, and the first error closes the
 * "connection".  Each frame is handed to on_msg, and must survive an
 * encode/decode round trip unchanged. */
#ifndef HS_FUZZ_FRAMES_H
#define HS_FUZZ_FRAMES_H
#include "err.h"
#include "frame.h"
#include "fuzz_util.h"
#include <stdint.h>
#include <stdlib.h>

static void frame_roundtrip(const json_t *msg, size_t max)
{
	struct frame_reader fr;
	uint8_t *enc;
	size_t enclen;
	char err[HS_ERRLEN];
	json_t *back = NULL;

	if (frame_encode(msg, max, &enc, &enclen, err, sizeof(err)) < 0)
		return; /* larger once re-serialised: refused, fine */
	frame_reader_init(&fr, max);
	FUZZ_ASSERT(frame_reader_feed(&fr, enc, enclen, err, sizeof(err)) == 0);
	FUZZ_ASSERT(frame_reader_next(&fr, &back, err, sizeof(err)) == 1);
	FUZZ_ASSERT(json_equal(msg, back));
	FUZZ_ASSERT(fr.len == 0);
	json_decref(back);
	frame_reader_free(&fr);
	free(enc);
}

static void frames_drive(const uint8_t *data, size_t size, size_t max,
			 void (*on_msg)(json_t *msg))
{
	struct frame_reader fr;
	char err[HS_ERRLEN];

	if (size < 1)
		return;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	frame_reader_init(&fr, max);
	for (size_t off = 0; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (frame_reader_feed(&fr, data + off, n, err, sizeof(err)) < 0)
			break;
		off += n;
		json_t *msg;
		int rc;
		while ((rc = frame_reader_next(&fr, &msg, err, sizeof(err))) == 1) {
			FUZZ_ASSERT(json_is_object(msg));
			frame_roundtrip(msg, max);
			on_msg(msg);
			json_decref(msg);
		}
		if (rc < 0)
			break;
		FUZZ_ASSERT(fr.len <= 2 * (max + FRAME_HDR));
	}
	frame_reader_free(&fr);
}
#endif
