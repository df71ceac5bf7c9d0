/* trace_proto.c - the reader-facing side: request validation and the
 * human form of events (used by hstrace). */
#include "trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

#define TRACE_PID_MAX 4194304 /* kernel's PID_MAX_LIMIT */

void trace_limits_default(struct trace_limits *lim)
{
	*lim = (struct trace_limits){
		.queue_max = 4096,
		.str_max = 256,
		.argv_max = 32,
		.tracees_max = 8192,
		.stats_ms = 1000,
		.detach_ms = 2000,
		.backend = TRACE_BACKEND_AUTO,
		.ring_bytes = 2u << 20,
	};
}

const char *trace_backend_name(enum trace_backend b)
{
	return b == TRACE_BACKEND_PTRACE ? "ptrace" : b == TRACE_BACKEND_EBPF ? "ebpf" : "auto";
}

static int parse_filter(const json_t *list, struct trace_request *out,
			char *err, size_t errlen)
{
	size_t i;
	const json_t *v;
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > SYSCALLS_NR_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "syscalls: want a non-empty array of syscall names");
	out->filter = true;
	json_array_foreach(list, i, v) {
		const char *name = json_string_value(v);
		long nr = syscalls_lookup(name);
		if (nr < 0)
			return err_set(err, errlen, HS_EINPUT,
				       "syscalls: unknown syscall \"%.64s\"",
				       name ? name : "(not a string)");
		out->want[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	return 0;
}

int trace_request_parse(const json_t *req, struct trace_request *out,
			char *err, size_t errlen)
{
	const char *key;
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(req))
		return err_set(err, errlen, HS_EINPUT, "request: not a JSON object");
	const char *op = json_string_value(json_object_get(req, "op"));
	if (!op)
		return err_set(err, errlen, HS_EINPUT, "op: missing");
	/* The only thing a reader may ask for is to watch.  Everything else
	 * (poke, setregs, inject, kill, ...) is refused by name. */
	if (strcmp(op, "trace") != 0)
		return err_set(err, errlen, HS_EINPUT,
			       "op: \"%.32s\" refused: the broker only reads", op);
	json_object_foreach((json_t *)req, key, v) {
		if (strcmp(key, "op") == 0)
			continue;
		if (strcmp(key, "v") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != TRACE_PROTO_V)
				return err_set(err, errlen, HS_EINPUT,
					       "v: unsupported protocol version (want %d)",
					       TRACE_PROTO_V);
		} else if (strcmp(key, "target") == 0) {
			if (json_is_string(v) && strcmp(json_string_value(v), "space") == 0) {
				out->whole_space = true;
			} else if (json_is_integer(v) && json_integer_value(v) >= 1 &&
				   json_integer_value(v) <= TRACE_PID_MAX) {
				out->target = (pid_t)json_integer_value(v);
			} else {
				return err_set(err, errlen, HS_EINPUT,
					       "target: want \"space\" or a pid in the server space");
			}
		} else if (strcmp(key, "backend") == 0) {
			const char *b = json_string_value(v);
			if (b && strcmp(b, "auto") == 0)
				out->backend = TRACE_BACKEND_AUTO;
			else if (b && strcmp(b, "ptrace") == 0)
				out->backend = TRACE_BACKEND_PTRACE;
			else if (b && strcmp(b, "ebpf") == 0)
				out->backend = TRACE_BACKEND_EBPF;
			else
				return err_set(err, errlen, HS_EINPUT,
					       "backend: want \"auto\", \"ptrace\" or \"ebpf\"");
		} else if (strcmp(key, "syscalls") == 0) {
			int rc = parse_filter(v, out, err, errlen);
			if (rc)
				return rc;
		} else {
			return err_set(err, errlen, HS_EINPUT, "request: unknown key \"%.32s\"", key);
		}
	}
	if (!json_object_get(req, "v"))
		return err_set(err, errlen, HS_EINPUT, "v: missing (want %d)", TRACE_PROTO_V);
	if (!out->whole_space && !out->target)
		return err_set(err, errlen, HS_EINPUT, "target: missing");
	return 0;
}

/* ---- human form ---- */

struct outbuf {
	char *p;
	size_t len, off;
};

__attribute__((format(printf, 2, 3)))
static void put(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	if (o->off >= o->len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
	if (o->off >= o->len)
		o->off = o->len - 1;
}

static void put_value(struct outbuf *o, const json_t *v)
{
	if (json_is_integer(v)) {
		put(o, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_string(v)) {
		put(o, "%s", json_string_value(v));
	} else if (json_object_get(v, "str")) {
		put(o, "\"%s\"%s", json_string_value(json_object_get(v, "str")),
		    json_is_true(json_object_get(v, "trunc")) ? "..." : "");
	} else if (json_object_get(v, "argv")) {
		size_t i;
		const json_t *s;
		put(o, "[");
		json_array_foreach(json_object_get(v, "argv"), i, s)
			put(o, "%s\"%s\"", i ? ", " : "", json_string_value(s));
		put(o, "%s]", json_is_true(json_object_get(v, "trunc")) ? ", ..." : "");
	} else if (json_object_get(v, "family")) {
		const json_t *fam = json_object_get(v, "family");
		const char *addr = json_string_value(json_object_get(v, "addr"));
		const char *path = json_string_value(json_object_get(v, "path"));
		if (json_is_string(fam))
			put(o, "{%s", json_string_value(fam));
		else
			put(o, "{family=%" JSON_INTEGER_FORMAT, json_integer_value(fam));
		if (addr)
			put(o, ", %s:%" JSON_INTEGER_FORMAT, addr,
			    json_integer_value(json_object_get(v, "port")));
		if (path)
			put(o, ", \"%s\"", path);
		put(o, "}");
	} else {
		put(o, "?");
	}
}

int trace_format_event(const json_t *ev, char *buf, size_t len)
{
	struct outbuf o = {buf, len, 0};
	const json_t *stats = json_object_get(ev, "stats");
	const char *name = json_string_value(json_object_get(ev, "syscall"));
	if (!buf || !len)
		return HS_EINPUT;
	buf[0] = '\0';
	if (json_is_object(stats)) {
		put(&o, "-- events %" JSON_INTEGER_FORMAT ", dropped %" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(stats, "events")),
		    json_integer_value(json_object_get(stats, "dropped")));
		return 0;
	}
	if (!name || !json_is_integer(json_object_get(ev, "t")))
		return HS_EINPUT;

	json_int_t t = json_integer_value(json_object_get(ev, "t"));
	time_t sec = (time_t)(t / 1000000000);
	struct tm tm;
	localtime_r(&sec, &tm);
	put(&o, "%02d:%02d:%02d.%06ld pid %" JSON_INTEGER_FORMAT " %s(", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(t % 1000000000 / 1000),
	    json_integer_value(json_object_get(ev, "pid")), name);
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(ev, "args"), i, a) {
		if (i)
			put(&o, ", ");
		put_value(&o, a);
	}
	put(&o, ")");
	const json_t *ret = json_object_get(ev, "ret");
	const char *eno = json_string_value(json_object_get(ev, "err"));
	if (eno)
		put(&o, " = -1 %s", eno);
	else if (json_is_integer(ret))
		put(&o, " = %" JSON_INTEGER_FORMAT, json_integer_value(ret));
	else
		put(&o, " = ?");
	return 0;
}
