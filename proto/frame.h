/* frame.h - length-prefixed JSON frames.
 *
 * Both hsctl<->hsd (Unix socket) and hsd<->hsd (TCP in the mesh) carry
 * JSON documents framed as a 4-byte big-endian length followed by that many
 * bytes of UTF-8 JSON.  A length above the reader's bound is a protocol
 * error: the connection is closed, never grown without limit.
 */
#ifndef HS_FRAME_H
#define HS_FRAME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR 4
#define FRAME_MAX_CTL (1u << 20) /* 1 MiB: hsctl requests and replies */

struct frame_reader {
	uint8_t *buf;
	size_t off;      /* bytes at the start of buf already taken */
	size_t len, cap; /* bytes in buf (taken ones included), its size */
	size_t max;      /* largest accepted payload */
};

void frame_reader_init(struct frame_reader *fr, size_t max);
void frame_reader_free(struct frame_reader *fr);
/* Append received bytes.  Returns 0 or HS_EINPUT if a frame is oversized. */
int frame_reader_feed(struct frame_reader *fr, const void *data, size_t n,
		      char *err, size_t errlen);
/* Take the next complete frame: 1 and *out set (caller decrefs), 0 when
 * more bytes are needed, HS_EINPUT on a bad frame (oversized, not a JSON
 * object). */
int frame_reader_next(struct frame_reader *fr, json_t **out, char *err,
		      size_t errlen);
/* The same without parsing: 1 with *payload and *n set to the frame's
 * bytes (valid until the next feed), 0, or HS_EINPUT (oversized). */
int frame_reader_take(struct frame_reader *fr, const uint8_t **payload, size_t *n, char *err,
		      size_t errlen);
/* Parse one payload as frame_reader_next does: 1 and *out, or HS_EINPUT. */
int frame_parse(const uint8_t *payload, size_t n, json_t **out, char *err, size_t errlen);

/* Serialise msg as one frame into a malloc'd buffer.  Returns 0 or
 * HS_EINPUT if it exceeds max. */
int frame_encode(const json_t *msg, size_t max, uint8_t **out, size_t *outlen,
		 char *err, size_t errlen);

/* Blocking helpers for simple clients (hsctl, tests). */
int frame_write_fd(int fd, const json_t *msg, size_t max, char *err,
		   size_t errlen);
int frame_read_fd(int fd, size_t max, json_t **out, char *err, size_t errlen);

#endif
