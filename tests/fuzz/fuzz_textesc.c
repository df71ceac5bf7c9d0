/* fuzz_textesc.c - the escaping of hostile text for JSON and terminals
 * (textesc.h).  Properties from its header: decode(encode(x, f)) == x for
 * TEXT and TERM; TEXT output is valid UTF-8 without NUL and TERM output
 * additionally has no C0/DEL/C1 control; TERM|ESCAPED of a TEXT result is
 * TERM of the raw input; at most 4 bytes out per byte in; decoding any
 * input stays within its buffer and never grows. */
#include "err.h"
#include "fuzz_util.h"
#include "textesc.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent UTF-8 check (RFC 3629); with term, controls are refused
 * too (C0, DEL, C1 U+0080..U+009F). */
static bool utf8_ok(const uint8_t *s, size_t n, bool term)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t k;
		if (c == 0)
			return false;
		if (c < 0x80) {
			if (term && (c < 0x20 || c == 0x7f))
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (term && cp >= 0x80 && cp <= 0x9f)
			return false;
		i += k + 1;
	}
	return true;
}

/* Encode with flags into a malloc'd buffer; checks the size contract. */
static char *enc(const void *in, size_t len, unsigned flags, size_t *outlen)
{
	size_t need = textesc_encode(NULL, 0, in, len, flags);
	if (!(flags & TEXTESC_ESCAPED))
		FUZZ_ASSERT(need <= 4 * len);
	char *out = malloc(need + 1);
	FUZZ_ASSERT(out != NULL);
	FUZZ_ASSERT(textesc_encode(out, need + 1, in, len, flags) == need);
	FUZZ_ASSERT(strlen(out) == need);
	*outlen = need;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[HS_ERRLEN];
	size_t tlen, mlen, elen, back_len;

	char *text = enc(data, size, TEXTESC_TEXT, &tlen);
	char *term = enc(data, size, TEXTESC_TERM, &mlen);
	FUZZ_ASSERT(utf8_ok((const uint8_t *)text, tlen, false));
	FUZZ_ASSERT(utf8_ok((const uint8_t *)term, mlen, true));

	/* Round trips: every escaped form decodes to the input. */
	uint8_t *back = malloc(size + 1);
	FUZZ_ASSERT(back != NULL);
	FUZZ_ASSERT(textesc_decode(text, tlen, back, size + 1, &back_len, err, sizeof(err)) == 0);
	FUZZ_ASSERT(back_len == size && memcmp(back, data, size) == 0);
	FUZZ_ASSERT(textesc_decode(term, mlen, back, size + 1, &back_len, err, sizeof(err)) == 0);
	FUZZ_ASSERT(back_len == size && memcmp(back, data, size) == 0);

	/* hsctl's pass over already-escaped text changes nothing more. */
	char *again = enc(text, tlen, TEXTESC_TERM | TEXTESC_ESCAPED, &elen);
	FUZZ_ASSERT(elen == mlen && memcmp(again, term, mlen) == 0);
	free(again);
	/* ... and on arbitrary input it still yields safe text. */
	again = enc(data, size, TEXTESC_TERM | TEXTESC_ESCAPED, &elen);
	FUZZ_ASSERT(utf8_ok((const uint8_t *)again, elen, true));
	free(again);

	/* Truncated output: whole escapes only, always terminated. */
	for (size_t cap = 1; cap < 8 && cap <= mlen; cap++) {
		char small[8];
		memset(small, 'Z', sizeof(small));
		FUZZ_ASSERT(textesc_encode(small, cap, data, size, TEXTESC_TERM) == mlen);
		FUZZ_ASSERT(memchr(small, '\0', cap) != NULL);
		FUZZ_ASSERT(strncmp(small, term, strlen(small)) == 0);
	}

	/* Decoding hostile input: never longer than the input. */
	uint8_t *dec = malloc(size + 1);
	FUZZ_ASSERT(dec != NULL);
	if (textesc_decode((const char *)data, size, dec, size ? size : 1, &back_len, err,
			   sizeof(err)) == 0)
		FUZZ_ASSERT(back_len <= size);
	free(dec);
	free(back);
	free(text);
	free(term);
	return 0;
}
