/* test_textesc.c - escaping hostile bytes into printable UTF-8 (textesc.h). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "textesc.h"

/* --- helpers of the test's own, written apart from textesc.c ------------- */

static char *enc(const void *in, size_t len, unsigned flags)
{
	char err[HS_ERRLEN], *out = NULL;
	cr_assert_eq(textesc_dup(in, len, flags, &out, err, sizeof(err)), 0, "%s", err);
	return out;
}

/* Escaping in both modes gives want_text and want_term, and each decodes
 * back to the input. */
static void check2(const char *in, size_t len, const char *want_text, const char *want_term)
{
	const char *want[2] = { want_text, want_term };
	for (unsigned mode = 0; mode < 2; mode++) {
		char *got = enc(in, len, mode), err[HS_ERRLEN];
		unsigned char back[256];
		size_t n;
		cr_assert_str_eq(got, want[mode], "mode %u: got \"%s\", want \"%s\"", mode, got, want[mode]);
		cr_assert_eq(textesc_decode(got, strlen(got), back, sizeof(back), &n, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert(n == len && memcmp(back, in, len) == 0, "mode %u: \"%s\" does not decode back", mode, got);
		free(got);
	}
}
#define CHECK2(lit, text, term) check2(lit, sizeof(lit) - 1, text, term)
#define CHECK1(lit, both) check2(lit, sizeof(lit) - 1, both, both)

/* RFC 3629's table: for each lead byte, the range its second byte must be
 * in and the number of continuation bytes. */
static bool utf8_valid(const unsigned char *s, size_t n, uint32_t *cps, size_t *ncp)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf, tail;
		if (c <= 0x7f) {
			cps[k++] = c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			tail = 1;
		else if (c == 0xe0)
			tail = 2, lo = 0xa0;
		else if (c == 0xed)
			tail = 2, hi = 0x9f;
		else if (c >= 0xe1 && c <= 0xef)
			tail = 2;
		else if (c == 0xf0)
			tail = 3, lo = 0x90;
		else if (c == 0xf4)
			tail = 3, hi = 0x8f;
		else if (c >= 0xf1 && c <= 0xf3)
			tail = 3;
		else
			return false;
		if (i + tail >= n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		uint32_t cp = c & (tail == 1 ? 0x1f : tail == 2 ? 0x0f : 0x07);
		for (unsigned t = 1; t <= tail; t++) {
			if (s[i + t] < 0x80 || s[i + t] > 0xbf)
				return false;
			cp = cp << 6 | (s[i + t] & 0x3f);
		}
		cps[k++] = cp;
		i += 1 + tail;
	}
	*ncp = k;
	return true;
}

static bool term_bad(uint32_t cp)
{
	static const uint32_t bidi[] = { 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d,
					 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029 };
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return true;
	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		if (cp == bidi[i])
			return true;
	return false;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80)
		return o[0] = (unsigned char)cp, 1;
	if (cp < 0x800)
		return o[0] = (unsigned char)(0xc0 + (cp >> 6)), o[1] = (unsigned char)(0x80 + cp % 64), 2;
	if (cp < 0x10000)
		return o[0] = (unsigned char)(0xe0 + (cp >> 12)), o[1] = (unsigned char)(0x80 + (cp >> 6) % 64),
		       o[2] = (unsigned char)(0x80 + cp % 64), 3;
	return o[0] = (unsigned char)(0xf0 + (cp >> 18)), o[1] = (unsigned char)(0x80 + (cp >> 12) % 64),
	       o[2] = (unsigned char)(0x80 + (cp >> 6) % 64), o[3] = (unsigned char)(0x80 + cp % 64), 4;
}

/* Every byte of in as \xNN. */
static void all_bytes_escaped(const unsigned char *in, size_t n)
{
	char want[64] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "\\x%02x", in[i]);
	for (unsigned mode = 0; mode < 2; mode++) {
		char *got = enc(in, n, mode);
		cr_assert_str_eq(got, want);
		free(got);
	}
}

/* --- fixed cases ------------------------------------------------------------ */

Test(textesc, plain_and_valid_multibyte_kept)
{
	CHECK1("", "");
	CHECK1("ALERT aide web /srv/x", "ALERT aide web /srv/x");
	CHECK1("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
	CHECK1("\xc2\xa0", "\xc2\xa0");                 /* U+00A0: first after C1 */
	CHECK1("\xed\x9f\xbf", "\xed\x9f\xbf");         /* U+D7FF: last before surrogates */
	CHECK1("\xee\x80\x80", "\xee\x80\x80");         /* U+E000 */
	CHECK1("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	CHECK1("\xe2\x80\xaf", "\xe2\x80\xaf");         /* U+202F: next to the bidi range */
	CHECK1("\xe2\x81\xa5", "\xe2\x81\xa5");         /* U+2065 */
}

Test(textesc, overlong_forms)
{
	CHECK1("\xc0\x80", "\\xc0\\x80"); /* NUL in two bytes */
	CHECK1("\xc1\xbf", "\\xc1\\xbf");
	CHECK1("\xc0\xaf", "\\xc0\\xaf"); /* '/' in two bytes */
	CHECK1("\xe0\x80\x80", "\\xe0\\x80\\x80");
	CHECK1("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");
	CHECK1("\xf0\x80\x80\x80", "\\xf0\\x80\\x80\\x80");
	CHECK1("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf");
}

Test(textesc, surrogates)
{
	CHECK1("\xed\xa0\x80", "\\xed\\xa0\\x80");
	CHECK1("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
	CHECK1("\xed\xa0\xbd\xed\xb8\x80", "\\xed\\xa0\\xbd\\xed\\xb8\\x80"); /* CESU-8 pair */
}

Test(textesc, truncated_sequences)
{
	CHECK1("a\xc3", "a\\xc3");
	CHECK1("a\xe2\x82", "a\\xe2\\x82");
	CHECK1("\xf0\x9d\x84", "\\xf0\\x9d\\x84");
	CHECK1("\xe2\x82z", "\\xe2\\x82z");     /* cut short by an ASCII byte */
	CHECK1("\xe2\xc3\xa9", "\\xe2\xc3\xa9"); /* ... by the start of a valid one */
}

Test(textesc, invalid_bytes)
{
	CHECK1("\xff", "\\xff");
	CHECK1("a\xff" "b\xfe", "a\\xffb\\xfe");
	CHECK1("\x80", "\\x80");
	CHECK1("\xbf\xbf", "\\xbf\\xbf");
	CHECK1("\x9b", "\\x9b"); /* a stray byte, not the C1 control U+009B */
	CHECK1("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* U+110000 */
	CHECK1("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	CHECK1("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
}

Test(textesc, nul_is_always_escaped)
{
	CHECK1("a\0b", "a\\x00b");
	CHECK1("\0", "\\x00");
}

Test(textesc, backslash_is_doubled)
{
	CHECK1("back\\slash", "back\\\\slash");
	/* A literal "\xff" in the input is not the escape of byte 0xff. */
	CHECK1("\\xff", "\\\\xff");
	CHECK1("\\", "\\\\");
	CHECK1("\\033[31m", "\\\\033[31m"); /* AIDE's own octal escape */
}

Test(textesc, terminal_controls)
{
	CHECK2("\x1b[31mred\x1b[0m", "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	CHECK2("\x1b]0;title\x07", "\x1b]0;title\x07", "\\x1b]0;title\\x07");
	CHECK2("a\r\nb\tc\x7f", "a\r\nb\tc\x7f", "a\\x0d\\x0ab\\x09c\\x7f");
	CHECK2("\x01\x1f", "\x01\x1f", "\\x01\\x1f");
	CHECK2("\xc2\x9b" "31m", "\xc2\x9b" "31m", "\\u{009b}31m"); /* C1 CSI */
	CHECK2("\xc2\x80\xc2\x9f", "\xc2\x80\xc2\x9f", "\\u{0080}\\u{009f}");
	CHECK2("\xc2\x9b\x9b", "\xc2\x9b\\x9b", "\\u{009b}\\x9b");
}

Test(textesc, bidi_and_separators)
{
	CHECK2("bidi\xe2\x80\xae" "evil", "bidi\xe2\x80\xae" "evil", "bidi\\u{202e}evil");
	CHECK2("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	       "\\u{202a}\\u{202b}\\u{202c}\\u{202d}");
	CHECK2("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	       "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
	CHECK2("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f",
	       "\\u{061c}\\u{200e}\\u{200f}");
	CHECK2("\xe2\x80\xa8\xe2\x80\xa9", "\xe2\x80\xa8\xe2\x80\xa9", "\\u{2028}\\u{2029}");
}

Test(textesc, escaped_input_keeps_its_escapes)
{
	struct { const char *in, *want; } c[] = {
		{ "a\\xffb", "a\\xffb" },
		{ "\\\\", "\\\\" },
		{ "\\u{202e}", "\\u{202e}" },
		{ "\\xFF", "\\xFF" },           /* decodable, so kept */
		{ "\\q", "\\\\q" },             /* no escape: the backslash is escaped */
		{ "\\x4", "\\\\x4" },
		{ "\\u{d800}", "\\\\u{d800}" }, /* a surrogate is no escape */
		{ "\\u{110000}", "\\\\u{110000}" },
		{ "\\u{1234567}", "\\\\u{1234567}" },
		{ "\\u{}", "\\\\u{}" },
		{ "end\\", "end\\\\" },
		{ "\x1b[2J\xe2\x80\xae", "\\x1b[2J\\u{202e}" }, /* raw controls still escaped */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *got = enc(c[i].in, strlen(c[i].in), TEXTESC_TERM | TEXTESC_ESCAPED);
		cr_assert_str_eq(got, c[i].want, "case %zu: got \"%s\"", i, got);
		free(got);
	}
}

Test(textesc, cut_output_holds_whole_escapes_only)
{
	char out[8];
	cr_assert_eq(textesc_encode(NULL, 0, "ab\xff", 3, TEXTESC_TEXT), 6);
	cr_assert_eq(textesc_encode(out, 4, "ab\xff", 3, TEXTESC_TEXT), 6);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(textesc_encode(out, 7, "ab\xff", 3, TEXTESC_TEXT), 6);
	cr_assert_str_eq(out, "ab\\xff");
	/* Once a piece did not fit, a later smaller one is not written either. */
	cr_assert_eq(textesc_encode(out, 4, "a\xff" "b", 3, TEXTESC_TEXT), 6);
	cr_assert_str_eq(out, "a");
	cr_assert_eq(textesc_encode(out, 1, "abc", 3, TEXTESC_TEXT), 3);
	cr_assert_str_eq(out, "");
}

Test(textesc, decode_refuses_malformed_escapes)
{
	const char *bad[] = { "\\", "a\\q", "\\x4", "\\xzz", "\\u{}", "\\u{110000}", "\\u{d800}",
			      "\\u{1234", "\\u{1234567}", "\\u1234" };
	unsigned char out[32];
	char err[HS_ERRLEN];
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		cr_assert_eq(textesc_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n, err, sizeof(err)),
			     HS_EINPUT, "\"%s\" was accepted", bad[i]);
		cr_assert(strstr(err, "offset") && !strchr(err, '\n'), "error: %s", err);
	}
	cr_assert_eq(textesc_decode("\\xFF\\u{41}\\u{10ffff}", 20, out, sizeof(out), &n, err, sizeof(err)), 0);
	cr_assert(n == 6 && memcmp(out, "\xff" "A\xf4\x8f\xbf\xbf", 6) == 0);
	cr_assert_eq(textesc_decode("\\x41\\x42", 8, out, 1, &n, err, sizeof(err)), HS_EINPUT);
}

/* --- exhaustive ------------------------------------------------------------ */

Test(textesc, every_code_point)
{
	unsigned char u[4];
	char want[16];

	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		size_t n = put_utf8(u, cp);
		for (unsigned mode = 0; mode < 2; mode++) {
			char got[16];
			if (cp == 0 || (mode == TEXTESC_TERM && term_bad(cp)))
				snprintf(want, sizeof(want), cp < 0x80 ? "\\x%02x" : "\\u{%04x}", (unsigned)cp);
			else if (cp == '\\')
				strcpy(want, "\\\\");
			else
				memcpy(want, u, n), want[n] = 0;
			textesc_encode(got, sizeof(got), u, n, mode);
			cr_assert_str_eq(got, want, "U+%04X mode %u", (unsigned)cp, mode);
		}
	}
}

Test(textesc, every_surrogate_overlong_and_too_large_form)
{
	unsigned char u[4];
	for (uint32_t cp = 0xd800; cp <= 0xdfff; cp++)
		all_bytes_escaped(u, put_utf8(u, cp));
	for (uint32_t cp = 0; cp < 0x80; cp++) { /* two bytes for one */
		u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		all_bytes_escaped(u, 2);
	}
	for (uint32_t cp = 0; cp < 0x800; cp += 7) { /* three for two or one */
		u[0] = 0xe0, u[1] = (unsigned char)(0x80 | cp >> 6), u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		all_bytes_escaped(u, 3);
	}
	for (uint32_t cp = 0; cp < 0x10000; cp += 13) { /* four for three or fewer */
		u[0] = 0xf0, u[1] = (unsigned char)(0x80 | cp >> 12);
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		all_bytes_escaped(u, 4);
	}
	for (uint32_t cp = 0x110000; cp < 0x200000; cp += 101) { /* past U+10FFFF */
		u[0] = (unsigned char)(0xf0 | cp >> 18), u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		all_bytes_escaped(u, 4);
	}
}

/* --- properties ------------------------------------------------------------ */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13; /* xorshift64 */
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* A random string that is rich in what matters: stray bytes, valid
 * sequences near the edges, controls, bidi, backslashes and escape-like
 * text. */
static size_t random_bytes(unsigned char *b, size_t max)
{
	static const uint32_t cps[] = { 0, 0x1b, 0x7, 0x9, 0xa, 0xd, 0x5c, 0x7f, 0x80, 0x9b, 0x9f, 0xa0,
					0x7ff, 0x800, 0x202e, 0x2066, 0x2069, 0x061c, 0x2028, 0xd7ff,
					0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff };
	static const char *texts[] = { "\\x", "\\u{", "}", "\\\\", "ff", "202e", "x", "[31m" };
	size_t n = 0, pieces = rnd(24);
	for (size_t p = 0; p < pieces && n + 8 < max; p++) {
		switch (rnd(5)) {
		case 0: b[n++] = (unsigned char)rnd(256); break;
		case 1: n += put_utf8(b + n, cps[rnd(sizeof(cps) / sizeof(cps[0]))]); break;
		case 2: {
			uint32_t cp = rnd(0x110000);
			if (cp < 0xd800 || cp > 0xdfff)
				n += put_utf8(b + n, cp);
			break;
		}
		case 3: {
			const char *t = texts[rnd(sizeof(texts) / sizeof(texts[0]))];
			memcpy(b + n, t, strlen(t));
			n += strlen(t);
			break;
		}
		default: b[n++] = (unsigned char)(0x20 + rnd(0x5f)); break;
		}
	}
	return n;
}

static void check_decodes(const char *s, const unsigned char *want, size_t wantlen, unsigned iter)
{
	unsigned char back[1024];
	char err[HS_ERRLEN];
	size_t n;
	cr_assert_eq(textesc_decode(s, strlen(s), back, sizeof(back), &n, err, sizeof(err)), 0,
		     "iteration %u: %s", iter, err);
	if (want)
		cr_assert(n == wantlen && memcmp(back, want, n) == 0, "iteration %u: no round trip", iter);
}

static void check_printable(const char *s, bool term, unsigned iter)
{
	static uint32_t cps[2048];
	size_t ncp, len = strlen(s);
	cr_assert(len < sizeof(cps) / sizeof(cps[0]));
	cr_assert(utf8_valid((const unsigned char *)s, len, cps, &ncp), "iteration %u: not UTF-8", iter);
	for (size_t i = 0; term && i < ncp; i++)
		cr_assert(!term_bad(cps[i]), "iteration %u: U+%04X in terminal text", iter, (unsigned)cps[i]);
}

Test(textesc, random_strings_round_trip)
{
	const char *seed = getenv("TEXTESC_SEED");
	unsigned char in[200];

	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	cr_log_info("seed 0x%llx (TEXTESC_SEED to repeat)", (unsigned long long)rng_state);
	for (unsigned iter = 0; iter < 100000; iter++) {
		size_t len = random_bytes(in, sizeof(in));
		char *text = enc(in, len, TEXTESC_TEXT), *term = enc(in, len, TEXTESC_TERM);
		char *again = enc(text, strlen(text), TEXTESC_TERM | TEXTESC_ESCAPED);
		/* Raw input taken for escaped text (a peer that did not escape). */
		char *raw = enc(in, len, TEXTESC_TERM | TEXTESC_ESCAPED);

		cr_assert(strlen(text) <= 4 * len && strlen(term) <= 4 * len, "iteration %u: too long", iter);
		check_printable(text, false, iter);
		check_printable(term, true, iter);
		check_printable(raw, true, iter);
		check_decodes(text, in, len, iter);
		check_decodes(term, in, len, iter);
		check_decodes(raw, NULL, 0, iter);
		cr_assert_str_eq(again, term, "iteration %u: TERM|ESCAPED of TEXT differs from TERM", iter);
		free(text);
		free(term);
		free(again);
		free(raw);
	}
}
