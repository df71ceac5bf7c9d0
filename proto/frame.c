/* frame.c - length-prefixed JSON frames. */
#include "frame.h"
#include "err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void frame_reader_init(struct frame_reader *fr, size_t max)
{
	memset(fr, 0, sizeof(*fr));
	fr->max = max;
}

void frame_reader_free(struct frame_reader *fr)
{
	free(fr->buf);
	memset(fr, 0, sizeof(*fr));
}

static uint32_t frame_len_of(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int frame_reader_feed(struct frame_reader *fr, const void *data, size_t n,
		      char *err, size_t errlen)
{
	/* What was taken goes here, once per feed: moving the rest at each
	 * frame taken cost a reader of many small frames (trace events, 300
	 * to a read) more than parsing them. */
	if (fr->off) {
		memmove(fr->buf, fr->buf + fr->off, fr->len - fr->off);
		fr->len -= fr->off;
		fr->off = 0;
	}
	/* Callers drain frames after every feed, so two maximal frames is
	 * more than an honest peer can ever have pending. */
	if (fr->len + n > 2 * (fr->max + FRAME_HDR))
		return err_set(err, errlen, HS_EINPUT, "frame: peer sent more than %zu bytes unread", fr->max);
	if (fr->len + n > fr->cap) {
		size_t cap = fr->cap ? fr->cap : 4096;
		while (cap < fr->len + n)
			cap *= 2;
		uint8_t *nb = realloc(fr->buf, cap);
		if (!nb)
			return err_sys(err, errlen, "frame: realloc");
		fr->buf = nb;
		fr->cap = cap;
	}
	memcpy(fr->buf + fr->len, data, n);
	fr->len += n;
	return 0;
}

int frame_reader_take(struct frame_reader *fr, const uint8_t **payload, size_t *n, char *err,
		      size_t errlen)
{
	size_t avail = fr->len - fr->off;
	const uint8_t *p = fr->buf + fr->off;
	uint32_t len;

	if (avail < FRAME_HDR)
		return 0;
	len = frame_len_of(p);
	if (len == 0 || len > fr->max)
		return err_set(err, errlen, HS_EINPUT, "frame: length %u outside 1..%zu", len, fr->max);
	if (avail < FRAME_HDR + (size_t)len)
		return 0;
	*payload = p + FRAME_HDR;
	*n = len;
	fr->off += FRAME_HDR + len;
	if (fr->off == fr->len)
		fr->off = fr->len = 0;
	return 1;
}

int frame_parse(const uint8_t *payload, size_t n, json_t **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *msg = json_loadb((const char *)payload, n, JSON_REJECT_DUPLICATES, &jerr);

	*out = NULL;
	if (!msg)
		return err_set(err, errlen, HS_EINPUT, "frame: bad JSON at column %d: %s",
			       jerr.column, jerr.text);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return err_set(err, errlen, HS_EINPUT, "frame: message is not a JSON object");
	}
	*out = msg;
	return 1;
}

int frame_reader_next(struct frame_reader *fr, json_t **out, char *err,
		      size_t errlen)
{
	const uint8_t *p;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = frame_reader_take(fr, &p, &n, err, errlen)) != 1)
		return rc;
	return frame_parse(p, n, out, err, errlen);
}

int frame_encode(const json_t *msg, size_t max, uint8_t **out, size_t *outlen,
		 char *err, size_t errlen)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return err_set(err, errlen, HS_ESYS, "frame: cannot serialise message");
	size_t len = strlen(text);
	if (len > max) {
		free(text);
		return err_set(err, errlen, HS_EINPUT, "frame: message of %zu bytes exceeds %zu", len, max);
	}
	uint8_t *buf = malloc(FRAME_HDR + len);
	if (!buf) {
		free(text);
		return err_sys(err, errlen, "frame: malloc");
	}
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	memcpy(buf + FRAME_HDR, text, len);
	free(text);
	*out = buf;
	*outlen = FRAME_HDR + len;
	return 0;
}

int frame_write_fd(int fd, const json_t *msg, size_t max, char *err,
		   size_t errlen)
{
	uint8_t *buf;
	size_t len, off = 0;
	int rc = frame_encode(msg, max, &buf, &len, err, errlen);
	if (rc)
		return rc;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = err_sys(err, errlen, "frame: write");
			break;
		}
		off += (size_t)n;
	}
	free(buf);
	return rc;
}

int frame_read_fd(int fd, size_t max, json_t **out, char *err, size_t errlen)
{
	struct frame_reader fr;
	uint8_t chunk[4096];
	int rc;

	frame_reader_init(&fr, max);
	while ((rc = frame_reader_next(&fr, out, err, errlen)) == 0) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_sys(err, errlen, "frame: read");
			break;
		}
		if (n == 0) {
			rc = err_set(err, errlen, HS_ESYS, "frame: connection closed by peer");
			break;
		}
		if ((rc = frame_reader_feed(&fr, chunk, (size_t)n, err, errlen)))
			break;
	}
	frame_reader_free(&fr);
	return rc < 0 ? rc : 0;
}
