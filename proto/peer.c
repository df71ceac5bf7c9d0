/* peer.c - the hsd <-> hsd protocol: building and validating messages. */
#include "peer.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

static const char *const request_keys[] = { "v", "id", "from", "cmd", "args" };
static const char *const reply_keys[] = { "v", "id", "ok", "result", "code", "error" };

bool peer_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-')
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

static int check_keys(json_t *msg, const char *what, const char *const *keys,
		      size_t nkeys, char *err, size_t errlen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(msg))
		return err_set(err, errlen, HS_EINPUT, "%s: not a JSON object", what);
	json_object_foreach(msg, key, val) {
		bool known = false;
		for (size_t i = 0; i < nkeys; i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known)
			return err_set(err, errlen, HS_EINPUT, "%s: unknown key \"%.64s\"", what, key);
	}
	return 0;
}

static int check_version(json_t *msg, const char *what, char *err, size_t errlen)
{
	json_t *v = json_object_get(msg, "v");

	if (!json_is_integer(v))
		return err_set(err, errlen, HS_EINPUT, "%s.v: missing or not an integer", what);
	if (json_integer_value(v) != PEER_VERSION)
		return err_set(err, errlen, HS_EINPUT,
			       "%s.v: protocol version %lld not supported (this hsd speaks %d)",
			       what, (long long)json_integer_value(v), PEER_VERSION);
	return 0;
}

static int check_id(json_t *msg, const char *what, int64_t *id, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(msg, "id");

	*id = -1;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > PEER_ID_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "%s.id: missing or not an integer in 0..2^53", what);
	*id = json_integer_value(v);
	return 0;
}

/* A short name field: string, allowed characters, bounded. */
static int check_name(json_t *msg, const char *what, const char *field,
		      size_t max, char *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(msg, field);

	if (!json_is_string(v))
		return err_set(err, errlen, HS_EINPUT, "%s.%s: missing or not a string", what, field);
	/* Embedded NULs would let the C string differ from the JSON one. */
	if (json_string_length(v) != strlen(json_string_value(v)) ||
	    !peer_name_ok(json_string_value(v), max))
		return err_set(err, errlen, HS_EINPUT,
			       "%s.%s: want 1-%zu of a-z 0-9 '-' '_' '.', not starting with '-'",
			       what, field, max);
	strcpy(out, json_string_value(v));
	return 0;
}

int peer_request_parse(json_t *msg, struct peer_request *out, char *err,
		       size_t errlen)
{
	json_t *args;
	int rc;

	memset(out, 0, sizeof(*out));
	out->id = -1;
	if (!json_is_object(msg))
		return err_set(err, errlen, HS_EINPUT, "request: not a JSON object");
	/* The id first, so that even the error reply can carry it. */
	if ((rc = check_id(msg, "request", &out->id, err, errlen)) ||
	    (rc = check_keys(msg, "request", request_keys,
			     sizeof(request_keys) / sizeof(*request_keys), err, errlen)) ||
	    (rc = check_version(msg, "request", err, errlen)) ||
	    (rc = check_name(msg, "request", "from", PEER_NAME_MAX, out->from, err, errlen)) ||
	    (rc = check_name(msg, "request", "cmd", PEER_CMD_MAX, out->cmd, err, errlen)))
		return rc;
	args = json_object_get(msg, "args");
	if (args && !json_is_object(args))
		return err_set(err, errlen, HS_EINPUT, "request.args: not an object");
	if (!args) {
		if (!(args = json_object()) || json_object_set_new(msg, "args", args))
			return err_set(err, errlen, HS_ESYS, "request: out of memory");
	}
	out->args = args;
	return 0;
}

json_t *peer_request_new(int64_t id, const char *from, const char *cmd,
			 json_t *args)
{
	return json_pack("{s:i, s:I, s:s, s:s, s:o}", "v", PEER_VERSION, "id",
			 (json_int_t)id, "from", from, "cmd", cmd, "args",
			 args ? args : json_object());
}

json_t *peer_reply_ok(int64_t id, json_t *result)
{
	return json_pack("{s:i, s:I, s:b, s:o}", "v", PEER_VERSION, "id",
			 (json_int_t)id, "ok", 1, "result", result ? result : json_object());
}

/* The wire's codes are the hs_rc values negated; a peer that could not
 * reach another host (HS_EUNREACH) answered: to us that is its failure. */
static int rc_to_code(int rc)
{
	return rc == HS_EINPUT || rc == HS_ESTATE || rc == HS_ENOENT ? -rc : 1;
}

static int code_to_rc(json_int_t code)
{
	return -(int)code;
}

/* Error text must be one line of printable text: it ends up in logs and
 * in hsctl output on another host. */
static bool line_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* One line of at most PEER_ERROR_MAX bytes; with ascii, bytes above 0x7f
 * become '?' too. */
static void error_line(const char *msg, bool ascii, char *line)
{
	size_t n = 0, lead;

	for (const char *s = msg && *msg ? msg : "failed"; *s && n < PEER_ERROR_MAX; s++) {
		unsigned char c = (unsigned char)*s;
		line[n++] = c < 0x20 || c == 0x7f ? ' ' : ascii && c > 0x7f ? '?' : (char)c;
	}
	line[n] = '\0';
	/* Do not leave half a UTF-8 sequence where the text was cut. */
	for (lead = n; lead > 0 && n - lead < 4 && ((unsigned char)line[lead - 1] & 0xc0) == 0x80;)
		lead--;
	if (lead > 0 && (unsigned char)line[lead - 1] >= 0xc0) {
		unsigned char c = (unsigned char)line[lead - 1];
		size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n - (lead - 1) < want)
			line[lead - 1] = '\0';
	}
}

json_t *peer_reply_error(int64_t id, int rc, const char *msg)
{
	char line[PEER_ERROR_MAX + 1];
	json_t *r;

	error_line(msg, false, line);
	r = json_pack("{s:i, s:I, s:b, s:i, s:s}", "v", PEER_VERSION, "id", (json_int_t)id,
		      "ok", 0, "code", rc_to_code(rc ? rc : HS_ESYS), "error", line);
	if (r)
		return r;
	/* Not UTF-8 (a raw file name, say): keep the ASCII of it. */
	error_line(msg, true, line);
	return json_pack("{s:i, s:I, s:b, s:i, s:s}", "v", PEER_VERSION, "id", (json_int_t)id,
			 "ok", 0, "code", rc_to_code(rc ? rc : HS_ESYS), "error", line);
}

int peer_reply_parse(json_t *msg, struct peer_reply *out, char *err,
		     size_t errlen)
{
	json_t *ok, *v;
	int rc;

	memset(out, 0, sizeof(*out));
	out->id = -1;
	if ((rc = check_keys(msg, "reply", reply_keys,
			     sizeof(reply_keys) / sizeof(*reply_keys), err, errlen)) ||
	    (rc = check_version(msg, "reply", err, errlen)) ||
	    (rc = check_id(msg, "reply", &out->id, err, errlen)))
		return rc;
	ok = json_object_get(msg, "ok");
	if (!json_is_boolean(ok))
		return err_set(err, errlen, HS_EINPUT, "reply.ok: missing or not a boolean");
	out->ok = json_is_true(ok);
	if (out->ok) {
		if (json_object_get(msg, "code") || json_object_get(msg, "error"))
			return err_set(err, errlen, HS_EINPUT,
				       "reply: \"code\" and \"error\" only belong to a failed reply");
		out->result = json_object_get(msg, "result");
		if (!json_is_object(out->result)) {
			out->result = NULL;
			return err_set(err, errlen, HS_EINPUT, "reply.result: missing or not an object");
		}
		return 0;
	}
	if (json_object_get(msg, "result"))
		return err_set(err, errlen, HS_EINPUT, "reply.result: not allowed in a failed reply");
	v = json_object_get(msg, "code");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4)
		return err_set(err, errlen, HS_EINPUT, "reply.code: missing or not 1, 2, 3 or 4");
	out->rc = code_to_rc(json_integer_value(v));
	v = json_object_get(msg, "error");
	if (!json_is_string(v))
		return err_set(err, errlen, HS_EINPUT, "reply.error: missing or not a string");
	if (json_string_length(v) == 0 || json_string_length(v) > PEER_ERROR_MAX ||
	    json_string_length(v) != strlen(json_string_value(v)) ||
	    !line_ok(json_string_value(v)))
		return err_set(err, errlen, HS_EINPUT,
			       "reply.error: want one line of 1-%d printable bytes", PEER_ERROR_MAX);
	strcpy(out->error, json_string_value(v));
	return 0;
}
