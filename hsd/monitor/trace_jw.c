/* trace_jw.c - JSON text written straight into a caller's buffer.
 *
 * The eBPF backend encodes each event into its frame without building a
 * jansson object (no allocation per event), and the argument decoder
 * writes through it for both backends, so an event has one spelling.
 * The spelling is jansson's JSON_COMPACT one (what frame_encode sends):
 * no spaces, the same string escapes, integers in decimal; an event
 * encoded here is byte for byte the frame the ptrace backend sends.
 */
#include "trace_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void trace_jw_init(struct trace_jw *w, char *buf, size_t cap)
{
	*w = (struct trace_jw){.buf = buf, .cap = cap};
	if (cap)
		buf[0] = '\0';
}

static void put(struct trace_jw *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n + 1 > w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* A value or key in a container after its first one needs a comma. */
static void sep(struct trace_jw *w)
{
	if (!w->depth)
		return;
	uint32_t bit = 1u << (w->depth - 1);
	if (w->more & bit)
		put(w, ",", 1);
	w->more |= bit;
}

void trace_jw_open(struct trace_jw *w, char c)
{
	if (!w->key_pending)
		sep(w);
	w->key_pending = false;
	put(w, &c, 1);
	if (w->depth >= 31) {
		w->overflow = true;
		return;
	}
	w->depth++;
	w->more &= ~(1u << (w->depth - 1));
}

void trace_jw_close(struct trace_jw *w, char c)
{
	put(w, &c, 1);
	if (w->depth)
		w->depth--;
}

static void raw_string(struct trace_jw *w, const char *s)
{
	put(w, "\"", 1);
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c && c != '"' && c != '\\' && c >= 0x20)
			continue;
		put(w, run, (size_t)(s - run));
		if (!c)
			break;
		char esc[8];
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\b': put(w, "\\b", 2); break;
		case '\f': put(w, "\\f", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default: /* jansson writes the other controls as \u00XX */
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			put(w, esc, 6);
		}
		run = s + 1;
	}
	put(w, "\"", 1);
}

void trace_jw_key(struct trace_jw *w, const char *k)
{
	sep(w);
	raw_string(w, k);
	put(w, ":", 1);
	w->key_pending = true;
}

static void value_start(struct trace_jw *w)
{
	if (!w->key_pending)
		sep(w);
	w->key_pending = false;
}

void trace_jw_str(struct trace_jw *w, const char *s)
{
	value_start(w);
	raw_string(w, s);
}

void trace_jw_int(struct trace_jw *w, int64_t v)
{
	char b[24];
	value_start(w);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void trace_jw_lit(struct trace_jw *w, const char *lit)
{
	value_start(w);
	put(w, lit, strlen(lit));
}
