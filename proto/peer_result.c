/* peer_result.c - a call's result as schema-fixed records (peer_result.h). */
#include "peer_result.h"
#include "ctl.h"
#include "err.h"
#include "jmsg.h"
#include "peer_typed.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum pr_kind { PR_STR = 1, PR_INT, PR_BOOL, PR_OBJS, PR_STRS };

struct pr_schema;

struct pr_field {
	const char *name;
	enum pr_kind kind;
	uint32_t max;                 /* bytes of a str; items of objs/strs */
	const struct pr_schema *sub;  /* objs: each item's; strs: NULL */
};

struct pr_schema {
	const struct pr_field *f;
	size_t n;
};

#define SCHEMA(name, ...)                                                                  \
	static const struct pr_field name##_f[] = { __VA_ARGS__ };                         \
	static const struct pr_schema name = { name##_f, sizeof(name##_f) / sizeof(name##_f[0]) }

/* Bounds: names and ids as the store keeps them; an alert's escaped text
 * may be four times its bytes. */
#define W 128
#define TEXT (256 * 1024)

SCHEMA(s_ping, { "host", PR_STR, W, NULL }, { "time_ms", PR_INT, 0, NULL });
SCHEMA(s_instance, { "bundle", PR_STR, W, NULL }, { "version", PR_STR, W, NULL },
       { "instance", PR_STR, W, NULL }, { "state", PR_STR, W, NULL },
       { "verified_ms", PR_INT, 0, NULL }, { "last_probe", PR_STR, 1024, NULL },
       { "running", PR_BOOL, 0, NULL });
SCHEMA(s_status, { "host", PR_STR, W, NULL }, { "instances", PR_OBJS, 4096, &s_instance },
       { "servers", PR_STRS, 4096, NULL });
SCHEMA(s_alert, { "id", PR_INT, 0, NULL }, { "at_ms", PR_INT, 0, NULL },
       { "host", PR_STR, 4 * W, NULL }, { "instance", PR_STR, 4 * W, NULL },
       { "line", PR_STR, TEXT, NULL }, { "probe", PR_BOOL, 0, NULL });
SCHEMA(s_alerts, { "alerts", PR_OBJS, CTL_ALERTS_MAX, &s_alert },
       { "truncated", PR_BOOL, 0, NULL });
SCHEMA(s_has, { "has", PR_BOOL, 0, NULL });
SCHEMA(s_put, { "id", PR_STR, W, NULL }, { "hash", PR_STR, W, NULL });
SCHEMA(s_start, { "instance", PR_STR, W, NULL }, { "bundle", PR_STR, W, NULL },
       { "existing", PR_BOOL, 0, NULL });
SCHEMA(s_verify, { "instance", PR_STR, W, NULL }, { "token", PR_STR, 1024, NULL },
       { "ms", PR_INT, 0, NULL });
/* A stop either destroys the space, stops it, or finds it stopped. */
SCHEMA(s_stop, { "destroyed", PR_STR, W, NULL }, { "stopped", PR_STR, W, NULL },
       { "name", PR_STR, W, NULL }, { "state", PR_STR, W, NULL });

static const struct pr_schema *schema_of(uint32_t cmd)
{
	switch (cmd) {
	case PEER_CMD_PING:
		return &s_ping;
	case PEER_CMD_STATUS:
		return &s_status;
	case PEER_CMD_ALERTS:
		return &s_alerts;
	case PEER_CMD_BUNDLE_HAS:
		return &s_has;
	case PEER_CMD_BUNDLE_PUT:
		return &s_put;
	case PEER_CMD_INSTANCE_START:
		return &s_start;
	case PEER_CMD_INSTANCE_VERIFY:
		return &s_verify;
	case PEER_CMD_INSTANCE_STOP:
		return &s_stop;
	}
	return NULL;
}

/* ---- encoding (the engine) ------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static int enc_str(struct wbuf *w, const json_t *v, uint32_t max, const char *name, char *err,
		   size_t errlen)
{
	if (!json_is_string(v) || json_string_length(v) > max ||
	    memchr(json_string_value(v), 0, json_string_length(v)))
		return err_set(err, errlen, HS_EINPUT, "result.%s: want a string of at most %u bytes",
			       name, max);
	put_u32(w, (uint32_t)json_string_length(v));
	put(w, json_string_value(v), json_string_length(v));
	return 0;
}

static int enc_obj(struct wbuf *w, const struct pr_schema *s, const json_t *o,
		   char *err, size_t errlen)
{
	if (!json_is_object(o))
		return err_set(err, errlen, HS_EINPUT, "result: want an object");
	for (size_t i = 0; i < s->n; i++) {
		const struct pr_field *f = &s->f[i];
		const json_t *v = json_object_get(o, f->name);
		uint8_t present = v != NULL;
		int rc = 0;

		put(w, &present, 1);
		if (!v)
			continue;
		switch (f->kind) {
		case PR_STR:
			rc = enc_str(w, v, f->max, f->name, err, errlen);
			break;
		case PR_INT: {
			if (!json_is_integer(v))
				return err_set(err, errlen, HS_EINPUT, "result.%s: want an integer",
					       f->name);
			int64_t n = json_integer_value(v);
			put(w, &n, sizeof(n));
			break;
		}
		case PR_BOOL: {
			if (!json_is_boolean(v))
				return err_set(err, errlen, HS_EINPUT, "result.%s: want true or false",
					       f->name);
			uint8_t b = json_is_true(v);
			put(w, &b, 1);
			break;
		}
		case PR_OBJS:
		case PR_STRS: {
			size_t k;
			const json_t *item;
			if (!json_is_array(v) || json_array_size(v) > f->max)
				return err_set(err, errlen, HS_EINPUT,
					       "result.%s: want a list of at most %u", f->name, f->max);
			put_u32(w, (uint32_t)json_array_size(v));
			json_array_foreach(v, k, item) {
				rc = f->kind == PR_OBJS ? enc_obj(w, f->sub, item, err, errlen)
							: enc_str(w, item, W, f->name, err, errlen);
				if (rc)
					return rc;
			}
			break;
		}
		}
		if (rc)
			return rc;
	}
	return 0;
}

int peer_result_encode(uint32_t cmd, const json_t *result, uint8_t **out, size_t *outlen,
		       char *err, size_t errlen)
{
	const struct pr_schema *s = schema_of(cmd);
	struct wbuf w = { 0 };
	int rc;

	*out = NULL;
	if (!s)
		return err_set(err, errlen, HS_EINPUT, "result: command %u has none", cmd);
	rc = enc_obj(&w, s, result, err, errlen);
	if (!rc && w.oom)
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
	if (rc) {
		free(w.p);
		return rc;
	}
	*out = w.p ? w.p : malloc(1);
	*outlen = w.len;
	return *out ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
}

/* ---- decoding (hsd) -------------------------------------------------- */

struct rbuf {
	const uint8_t *p, *end;
};

static bool get(struct rbuf *r, void *v, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return false;
	memcpy(v, r->p, n);
	r->p += n;
	return true;
}

static int dec_str(struct rbuf *r, uint32_t max, const char *name, json_t **out, char *err,
		   size_t errlen)
{
	uint32_t n;

	if (!get(r, &n, sizeof(n)) || n > max || (size_t)(r->end - r->p) < n ||
	    memchr(r->p, 0, n))
		return err_set(err, errlen, HS_EINPUT, "result.%s: bad string", name);
	/* NULL for bytes that are not UTF-8. */
	if (!(*out = json_stringn((const char *)r->p, n)))
		return err_set(err, errlen, HS_EINPUT, "result.%s: not UTF-8", name);
	r->p += n;
	return 0;
}

static int dec_obj(struct rbuf *r, const struct pr_schema *s, json_t **out, char *err,
		   size_t errlen)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	for (size_t i = 0; i < s->n && !rc; i++) {
		const struct pr_field *f = &s->f[i];
		uint8_t present;
		json_t *v = NULL;

		if (!get(r, &present, 1) || present > 1) {
			rc = err_set(err, errlen, HS_EINPUT, "result.%s: truncated", f->name);
			break;
		}
		if (!present)
			continue;
		switch (f->kind) {
		case PR_STR:
			rc = dec_str(r, f->max, f->name, &v, err, errlen);
			break;
		case PR_INT: {
			int64_t n;
			if (!get(r, &n, sizeof(n)))
				rc = err_set(err, errlen, HS_EINPUT, "result.%s: truncated", f->name);
			else
				v = json_integer(n);
			break;
		}
		case PR_BOOL: {
			uint8_t b;
			if (!get(r, &b, 1) || b > 1)
				rc = err_set(err, errlen, HS_EINPUT, "result.%s: bad boolean", f->name);
			else
				v = json_boolean(b);
			break;
		}
		case PR_OBJS:
		case PR_STRS: {
			uint32_t n;
			/* Each item takes a byte at least: a count the buffer
			 * cannot hold is refused before anything is built. */
			if (!get(r, &n, sizeof(n)) || n > f->max || n > (size_t)(r->end - r->p)) {
				rc = err_set(err, errlen, HS_EINPUT, "result.%s: bad count", f->name);
				break;
			}
			v = json_array();
			for (uint32_t k = 0; k < n && !rc && v; k++) {
				json_t *item = NULL;
				rc = f->kind == PR_OBJS ? dec_obj(r, f->sub, &item, err, errlen)
							: dec_str(r, W, f->name, &item, err, errlen);
				if (!rc && json_array_append_new(v, item))
					rc = err_set(err, errlen, HS_ESYS, "out of memory");
			}
			break;
		}
		}
		if (!rc && (!v || json_object_set_new(o, f->name, v)))
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
		else if (rc)
			json_decref(v);
	}
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int peer_result_decode(uint32_t cmd, const uint8_t *buf, size_t len, json_t **out, char *err,
		       size_t errlen)
{
	const struct pr_schema *s = schema_of(cmd);
	struct rbuf r = { buf, buf + len };
	int rc;

	*out = NULL;
	if (!s)
		return err_set(err, errlen, HS_EINPUT, "result: command %u has none", cmd);
	if ((rc = dec_obj(&r, s, out, err, errlen)))
		return rc;
	if (r.p != r.end) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, errlen, HS_EINPUT, "result: %zu bytes past its end",
			       (size_t)(r.end - r.p));
	}
	return 0;
}
