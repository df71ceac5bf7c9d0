/* textesc.c - arbitrary bytes as valid, printable UTF-8 text (textesc.h). */
#include "textesc.h"
#include "err.h"
#include "hexdigit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length (1..4) of the valid UTF-8 sequence at p and its code point, or 0
 * when p does not start one (RFC 3629: overlong forms, surrogates and
 * values past U+10FFFF are not UTF-8). */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t v, min;
	size_t len;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, v = p[0] & 0x1fu, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, v = p[0] & 0x0fu, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, v = p[0] & 0x07u, min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong), 0xf5.. */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* What a terminal acts on rather than shows: controls, and the characters
 * that reorder or break a line (Trojan Source, CVE-2021-42574). */
static bool term_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/* Length of the well-formed escape at p (p[0] is a backslash), or 0.
 * *byte is true when it stands for one raw byte (\\, \xNN), false for a
 * code point (\u{X...}: 1 to 6 hex digits, a Unicode scalar value). */
static size_t esc_parse(const unsigned char *p, size_t n, uint32_t *v, bool *byte)
{
	if (n >= 2 && p[1] == '\\') {
		*v = '\\', *byte = true;
		return 2;
	}
	if (n >= 4 && p[1] == 'x' && hex_digit(p[2]) >= 0 && hex_digit(p[3]) >= 0) {
		*v = (uint32_t)(hex_digit(p[2]) << 4 | hex_digit(p[3])), *byte = true;
		return 4;
	}
	if (n < 5 || p[1] != 'u' || p[2] != '{')
		return 0;
	uint32_t cp = 0;
	size_t i = 3;
	for (; i < n && i < 9 && hex_digit(p[i]) >= 0; i++)
		cp = cp << 4 | (uint32_t)hex_digit(p[i]);
	if (i == 3 || i >= n || p[i] != '}' || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*v = cp, *byte = false;
	return i + 1;
}

/* Where escaped text goes: whole pieces only, so a cut output never ends
 * in half an escape; need counts what the whole text takes. */
struct sink {
	char *buf;
	size_t size, len, need;
	bool full;
};

static void sink_put(struct sink *s, const void *p, size_t n)
{
	s->need += n;
	if (s->full || s->len + n >= s->size) {
		s->full = true;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

size_t textesc_encode(char *out, size_t outsize, const void *in, size_t len, unsigned flags)
{
	const unsigned char *p = in;
	struct sink s = { out, outsize, 0, 0, outsize == 0 };
	char esc[16];

	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;
		bool byte;
		if (p[i] == '\\') {
			if (!(flags & TEXTESC_ESCAPED) || !(n = esc_parse(p + i, len - i, &cp, &byte))) {
				sink_put(&s, "\\\\", 2);
				n = 1;
			} else {
				sink_put(&s, p + i, n);
			}
			continue;
		}
		n = utf8_seq(p + i, len - i, &cp);
		if (n && cp && !((flags & TEXTESC_TERM) && term_unsafe(cp))) {
			sink_put(&s, p + i, n);
		} else if (n <= 1) { /* one byte: invalid, NUL or a C0 control/DEL */
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			sink_put(&s, esc, 4);
			n = 1;
		} else {
			sink_put(&s, esc, (size_t)snprintf(esc, sizeof(esc), "\\u{%04x}", (unsigned)cp));
		}
	}
	if (outsize)
		out[s.len] = 0;
	return s.need;
}

int textesc_dup(const void *in, size_t len, unsigned flags, char **out, char *err, size_t errlen)
{
	if (len > (SIZE_MAX - 1) / 4)
		return err_set(err, errlen, HS_EINPUT, "textesc: %zu bytes is too long to escape", len);
	size_t n = textesc_encode(NULL, 0, in, len, flags);
	if (!(*out = malloc(n + 1)))
		return err_set(err, errlen, HS_ESYS, "textesc: out of memory for %zu bytes", n + 1);
	textesc_encode(*out, n + 1, in, len, flags);
	return 0;
}

/* UTF-8 of a scalar value into out (room for 4); returns its length. */
static size_t utf8_put(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int textesc_decode(const char *in, size_t len, void *out, size_t outsize, size_t *outlen,
		   char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = out, piece[4];
	size_t k = 0;

	for (size_t i = 0, n; i < len; i += n) {
		size_t m = 1;
		uint32_t v;
		bool byte;
		if (p[i] != '\\') {
			piece[0] = p[i];
			n = 1;
		} else if (!(n = esc_parse(p + i, len - i, &v, &byte))) {
			return err_set(err, errlen, HS_EINPUT,
				       "textesc: offset %zu: backslash starts no escape (\\\\, \\xNN, \\u{X})", i);
		} else if (byte) {
			piece[0] = (unsigned char)v;
		} else {
			m = utf8_put(piece, v);
		}
		/* Never hit by a caller that gives len bytes of room: every
		 * escape is longer than what it stands for. */
		if (k + m > outsize)
			return err_set(err, errlen, HS_EINPUT, "textesc: offset %zu: output buffer of %zu bytes is full",
				       i, outsize);
		memcpy(o + k, piece, m);
		k += m;
	}
	*outlen = k;
	return 0;
}
