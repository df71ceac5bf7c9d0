/* textesc.h - arbitrary bytes as valid, printable UTF-8 text, reversibly.
 *
 * What an IDS prints is made from hostile input (file names, payloads,
 * log messages chosen by whoever controls a server space).  It is stored
 * byte for byte; before it goes into JSON or onto a terminal it is escaped
 * here, so no alert is ever dropped (jansson refuses invalid UTF-8) and no
 * alert can act on the operator's terminal.
 *
 * The forms.  Input is read as UTF-8 (RFC 3629: shortest form only, no
 * surrogates U+D800..U+DFFF, nothing above U+10FFFF); each byte that does
 * not belong to such a sequence is escaped on its own.
 *
 *   input                                         TEXT        TERM
 *   the byte 0x5c (backslash)                     \\          \\
 *   a byte not part of a valid UTF-8 sequence     \xNN        \xNN
 *   U+0000 (NUL)                                  \x00        \x00
 *   U+0001..U+001F, U+007F (C0 controls, DEL)     kept        \xNN
 *   U+0080..U+009F (C1 controls, as C2 80..C2 9F) kept        \u{00NN}
 *   U+061C, U+200E, U+200F, U+202A..U+202E,
 *   U+2066..U+2069 (bidi controls), U+2028,
 *   U+2029 (line and paragraph separators)        kept        \u{XXXX}
 *   any other valid UTF-8 sequence                kept        kept
 *
 * NN is two lowercase hex digits, XXXX four.  \xNN always stands for one
 * byte of input and \u{X...} for the UTF-8 encoding of one code point, so
 * a C1 control (two valid bytes) and a stray byte 0x9b (invalid) never
 * share an escape: every output decodes to exactly one input
 * (textesc_decode).  TEXT is valid UTF-8 without NUL; TERM is that plus no
 * character a terminal acts on.
 *
 * Where each is used: the store keeps the raw bytes; every JSON reply
 * carrying an alert (control and peer protocol alike) carries the TERM
 * form, because such JSON is routinely printed with jq -r; hsctl passes
 * whatever it is given through TERM | TEXTESC_ESCAPED before printing, so
 * its output is safe even from a peer that did not escape.
 */
#ifndef HS_TEXTESC_H
#define HS_TEXTESC_H

#include <stddef.h>

enum textesc_flags {
	TEXTESC_TEXT = 0,    /* valid UTF-8, no NUL */
	TEXTESC_TERM = 1,    /* ... and nothing a terminal acts on */
	/* The input is already escaped text: a well-formed escape in it (\\,
	 * \xNN, \u{X...}) is copied unchanged, any other backslash escaped.
	 * TERM|ESCAPED of a TEXT result equals TERM of the raw input. */
	TEXTESC_ESCAPED = 2,
};

/* Escape len bytes of in into out (outsize bytes), snprintf-like: returns
 * the length of the whole escaped text; writes only whole escapes that fit,
 * always NUL-terminated when outsize > 0.  The result is at most 4 * len
 * bytes.  Never fails. */
size_t textesc_encode(char *out, size_t outsize, const void *in, size_t len, unsigned flags);

/* The same into a malloc'd string (*out, the caller frees). */
int textesc_dup(const void *in, size_t len, unsigned flags, char **out, char *err, size_t errlen);

/* Reverse of textesc_encode (any flags): decode len bytes of in into out
 * (outsize bytes; the result is never longer than len) and set *outlen.
 * Bytes outside escapes are copied as they are.  A backslash that starts
 * no well-formed escape is HS_EINPUT naming its offset. */
int textesc_decode(const char *in, size_t len, void *out, size_t outsize, size_t *outlen,
		   char *err, size_t errlen);

#endif
