/* bundle.c - parse and validate bundle.json (format: docs/bundles.md),
 * match output lines against the alert pattern. */
#include "bundle.h"
#include "bundle_int.h"

#include "err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DESCRIPTION_MAX 256
#define COMMAND_MAX 64        /* argv entries */
#define ARG_MAX_LEN 1024      /* one argv entry */
#define PATTERN_MAX 256
#define PATTERN_PIECES_MAX 1024 /* bundle_pattern.c */

struct key_spec {
	const char *name;
	bool required;
};

static const struct key_spec root_keys[] = {
	{"name", true},     {"version", true}, {"description", false},
	{"command", true},  {"files", true},   {"monitors", true},
	{"alert", true},    {"probe", true},   {"inherit", false},
};
static const struct key_spec alert_keys[] = {{"pattern", true}};
static const struct key_spec probe_keys[] = {{"kind", true}, {"deadline_s", true}};
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const monitor_names[] = {"serverfs", "dserverfs", "packets", "syslog",
					    "trace"};
static const char *const probe_names[] = {"file", "packet", "syslog", "exec"};
/* The monitor through which each probe kind becomes visible. */
static const unsigned probe_needs[] = {
	BUNDLE_MON_SERVERFS | BUNDLE_MON_DSERVERFS, BUNDLE_MON_PACKETS, BUNDLE_MON_SYSLOG,
	BUNDLE_MON_TRACE,
};

/* Unknown keys first: a misspelt key explains the missing one. */
static int check_object(const json_t *obj, const char *path, const struct key_spec *specs,
			size_t n, char *err, size_t errlen)
{
	const char *key, *sep = *path ? ": " : "";
	size_t klen;
	json_t *val;
	char q[BUNDLE_QUOTE_MAX];

	if (!json_is_object(obj))
		return err_set(err, errlen, HS_EINPUT, "bundle.json: %s%sexpected an object, got %s",
			       path, sep, jmsg_type(obj));
	json_object_keylen_foreach((json_t *)obj, key, klen, val) {
		bool known = false;
		/* A key with a NUL in it must not pass as its prefix. */
		for (size_t i = 0; i < n && klen == strlen(key); i++)
			known = known || strcmp(specs[i].name, key) == 0;
		if (!known)
			return err_set(err, errlen, HS_EINPUT, "bundle.json: %s%sunknown key \"%s\"",
				       path, sep, jmsg_quote(key, q, sizeof(q)));
	}
	for (size_t i = 0; i < n; i++)
		if (specs[i].required && !json_object_get(obj, specs[i].name))
			return err_set(err, errlen, HS_EINPUT,
				       "bundle.json: %s%smissing required key \"%s\"", path, sep,
				       specs[i].name);
	return 0;
}

static int get_string(const json_t *v, const char *path, size_t maxlen, const char **s,
		      char *err, size_t errlen)
{
	if (!json_is_string(v))
		return err_set(err, errlen, HS_EINPUT, "bundle.json: %s: expected a string, got %s",
			       path, jmsg_type(v));
	*s = json_string_value(v);
	/* An embedded NUL would make the C string differ from the JSON one. */
	if (strlen(*s) != json_string_length(v))
		return err_set(err, errlen, HS_EINPUT, "bundle.json: %s: contains a NUL byte",
			       path);
	if (strlen(*s) > maxlen)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: %s: longer than %zu bytes", path, maxlen);
	return 0;
}

static int get_array(const json_t *v, const char *path, size_t min, size_t max,
		     char *err, size_t errlen)
{
	if (!json_is_array(v))
		return err_set(err, errlen, HS_EINPUT, "bundle.json: %s: expected an array, got %s",
			       path, jmsg_type(v));
	if (json_array_size(v) < min || json_array_size(v) > max)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: %s: must have %zu..%zu entries, has %zu", path, min,
			       max, json_array_size(v));
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BUNDLE_NAME_MAX || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

bool bundle_hex_ok(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

bool bundle_word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

const char *bundle_path_problem(const char *p)
{
	size_t n = strlen(p);

	if (n == 0)
		return "empty path";
	if (n > BUNDLE_PATH_MAX)
		return "path longer than 255 bytes";
	if (*p == '/')
		return "absolute path";
	if (strcmp(p, BUNDLE_MANIFEST) == 0)
		return "bundle.json is implicit and must not be listed";
	if (strcmp(p, BUNDLE_SIG_FILE) == 0)
		return "bundle.sig is the signature, not part of the bundle";
	/* Components: [A-Za-z0-9._+-], not starting with '.', which rules out
	 * ".", "..", hidden files and anything a shell would mangle. */
	for (const char *c = p; *c;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 0)
			return "empty path component";
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return "\"..\" component";
		if (c[0] == '.')
			return "component starting with '.'";
		for (size_t i = 0; i < len; i++) {
			char ch = c[i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
			      ch == '+'))
				return "character outside [A-Za-z0-9._+-/]";
		}
		if (!end)
			break;
		c = end + 1;
		if (!*c)
			return "trailing '/'";
	}
	return NULL;
}

/* NULL-terminated copy of the strings of a validated array. */
static char **strv_dup(const json_t *arr, size_t *n)
{
	size_t cnt = json_array_size(arr);
	char **v = calloc(cnt + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		v[i] = strdup(json_string_value(json_array_get(arr, i)));
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	*n = cnt;
	return v;
}

static int parse_ident(const json_t *root, struct bundle *b, char *err, size_t errlen)
{
	const char *s = NULL;
	char q[BUNDLE_QUOTE_MAX];

	if (get_string(json_object_get(root, "name"), "name", 256, &s, err, errlen) < 0)
		return HS_EINPUT;
	if (!name_ok(s))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: name: bad name \"%s\" (want [a-z][a-z0-9-]{0,31})",
			       jmsg_quote(s, q, sizeof(q)));
	memcpy(b->name, s, strlen(s) + 1);
	if (get_string(json_object_get(root, "version"), "version", 256, &s, err, errlen) < 0)
		return HS_EINPUT;
	if (!bundle_word_ok(s, BUNDLE_VERSION_MAX))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: version: bad version \"%s\" (want [0-9A-Za-z._-]{1,32})",
			       jmsg_quote(s, q, sizeof(q)));
	memcpy(b->version, s, strlen(s) + 1);
	snprintf(b->id, sizeof(b->id), "%s-%s", b->name, b->version);

	json_t *d = json_object_get(root, "description");
	s = "";
	if (d && get_string(d, "description", DESCRIPTION_MAX, &s, err, errlen) < 0)
		return HS_EINPUT;
	b->description = strdup(s);
	if (!b->description)
		return err_set(err, errlen, HS_ESYS, "bundle.json: out of memory");
	return 0;
}

static int parse_command(const json_t *v, struct bundle *b, char *err, size_t errlen)
{
	char path[48];
	const char *s = NULL;

	if (get_array(v, "command", 1, COMMAND_MAX, err, errlen) < 0)
		return HS_EINPUT;
	for (size_t i = 0; i < json_array_size(v); i++) {
		snprintf(path, sizeof(path), "command[%zu]", i);
		if (get_string(json_array_get(v, i), path, ARG_MAX_LEN, &s, err, errlen) < 0)
			return HS_EINPUT;
		if (i == 0 && !*s)
			return err_set(err, errlen, HS_EINPUT, "bundle.json: command[0]: empty");
	}
	b->command = strv_dup(v, &b->ncommand);
	return b->command ? 0 : err_set(err, errlen, HS_ESYS, "bundle.json: out of memory");
}

static int parse_files(const json_t *v, struct bundle *b, char *err, size_t errlen)
{
	char path[48], q[BUNDLE_QUOTE_MAX];
	const char *s = NULL, *why;

	if (get_array(v, "files", 0, BUNDLE_FILES_MAX, err, errlen) < 0)
		return HS_EINPUT;
	for (size_t i = 0; i < json_array_size(v); i++) {
		snprintf(path, sizeof(path), "files[%zu]", i);
		if (get_string(json_array_get(v, i), path, 4096, &s, err, errlen) < 0)
			return HS_EINPUT;
		if ((why = bundle_path_problem(s)))
			return err_set(err, errlen, HS_EINPUT, "bundle.json: %s: \"%s\": %s", path,
				       jmsg_quote(s, q, sizeof(q)), why);
		for (size_t j = 0; j < i; j++) {
			const char *o = json_string_value(json_array_get(v, j));
			size_t ol = strlen(o), sl = strlen(s);
			if (strcmp(o, s) == 0)
				return err_set(err, errlen, HS_EINPUT,
					       "bundle.json: %s: \"%s\" listed twice (also files[%zu])",
					       path, jmsg_quote(s, q, sizeof(q)), j);
			/* "a" and "a/b" cannot both be regular files. */
			if ((ol < sl && strncmp(o, s, ol) == 0 && s[ol] == '/') ||
			    (sl < ol && strncmp(o, s, sl) == 0 && o[sl] == '/'))
				return err_set(err, errlen, HS_EINPUT,
					       "bundle.json: %s: \"%s\" conflicts with files[%zu] (a file cannot be a directory)",
					       path, jmsg_quote(s, q, sizeof(q)), j);
		}
	}
	b->files = strv_dup(v, &b->nfiles);
	return b->files ? 0 : err_set(err, errlen, HS_ESYS, "bundle.json: out of memory");
}

static int parse_monitors(const json_t *v, struct bundle *b, char *err, size_t errlen)
{
	char path[48], q[BUNDLE_QUOTE_MAX];
	const char *s = NULL;

	if (get_array(v, "monitors", 1, NKEYS(monitor_names), err, errlen) < 0)
		return HS_EINPUT;
	for (size_t i = 0; i < json_array_size(v); i++) {
		unsigned bit = 0;
		snprintf(path, sizeof(path), "monitors[%zu]", i);
		if (get_string(json_array_get(v, i), path, 64, &s, err, errlen) < 0)
			return HS_EINPUT;
		for (size_t k = 0; k < NKEYS(monitor_names); k++)
			if (strcmp(s, monitor_names[k]) == 0)
				bit = 1u << k;
		if (!bit)
			return err_set(err, errlen, HS_EINPUT,
				       "bundle.json: %s: unknown monitor \"%s\" (want serverfs, dserverfs, packets, syslog or trace)",
				       path, jmsg_quote(s, q, sizeof(q)));
		if (b->monitors & bit)
			return err_set(err, errlen, HS_EINPUT,
				       "bundle.json: %s: duplicate monitor \"%s\"", path, s);
		b->monitors |= bit;
	}
	return 0;
}

static int parse_alert(const json_t *v, struct bundle *b, char *err, size_t errlen)
{
	const char *s = NULL;
	char msg[128];
	int rc;

	if (check_object(v, "alert", alert_keys, NKEYS(alert_keys), err, errlen) < 0)
		return HS_EINPUT;
	if (get_string(json_object_get(v, "pattern"), "alert.pattern", PATTERN_MAX, &s, err,
		       errlen) < 0)
		return HS_EINPUT;
	if (!*s)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: alert.pattern: empty (it would match every line)");
	if (bundle_pattern_check(s, PATTERN_PIECES_MAX, err, errlen))
		return HS_EINPUT;
	rc = regcomp(&b->alert_re, s, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &b->alert_re, msg, sizeof(msg));
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: alert.pattern: not a POSIX extended regex: %s", msg);
	}
	b->alert_re_ok = true;
	b->alert_pattern = strdup(s);
	return b->alert_pattern ? 0 : err_set(err, errlen, HS_ESYS, "bundle.json: out of memory");
}

static int parse_probe(const json_t *v, struct bundle *b, char *err, size_t errlen)
{
	const char *s = NULL;
	char q[BUNDLE_QUOTE_MAX];
	json_t *d;
	size_t k;

	if (check_object(v, "probe", probe_keys, NKEYS(probe_keys), err, errlen) < 0)
		return HS_EINPUT;
	if (get_string(json_object_get(v, "kind"), "probe.kind", 64, &s, err, errlen) < 0)
		return HS_EINPUT;
	for (k = 0; k < NKEYS(probe_names); k++)
		if (strcmp(s, probe_names[k]) == 0)
			break;
	if (k == NKEYS(probe_names))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: probe.kind: unknown kind \"%s\" (want file, packet, syslog or exec)",
			       jmsg_quote(s, q, sizeof(q)));
	b->probe = (enum bundle_probe)k;
	/* A probe the instance cannot see would fail every verification. */
	if (!(b->monitors & probe_needs[k]))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: probe.kind: \"%s\" is only visible with monitor %s in monitors",
			       s, k == BUNDLE_PROBE_FILE ? "serverfs or dserverfs" :
				  bundle_monitor_name(probe_needs[k]));
	d = json_object_get(v, "deadline_s");
	if (!json_is_integer(d))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: probe.deadline_s: expected an integer, got %s",
			       jmsg_type(d));
	if (json_integer_value(d) < 1 || json_integer_value(d) > BUNDLE_DEADLINE_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: probe.deadline_s: must be 1..%d, got %" JSON_INTEGER_FORMAT,
			       BUNDLE_DEADLINE_MAX, json_integer_value(d));
	b->deadline_s = (int)json_integer_value(d);
	return 0;
}

static int parse_root(json_t *root, struct bundle *b, char *err, size_t errlen)
{
	json_t *inh;
	int rc;

	if ((rc = check_object(root, "", root_keys, NKEYS(root_keys), err, errlen)) < 0 ||
	    (rc = parse_ident(root, b, err, errlen)) < 0 ||
	    (rc = parse_command(json_object_get(root, "command"), b, err, errlen)) < 0 ||
	    (rc = parse_files(json_object_get(root, "files"), b, err, errlen)) < 0 ||
	    (rc = parse_monitors(json_object_get(root, "monitors"), b, err, errlen)) < 0 ||
	    (rc = parse_alert(json_object_get(root, "alert"), b, err, errlen)) < 0 ||
	    (rc = parse_probe(json_object_get(root, "probe"), b, err, errlen)) < 0)
		return rc;
	inh = json_object_get(root, "inherit");
	if (inh && !json_is_boolean(inh))
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: inherit: expected a boolean, got %s", jmsg_type(inh));
	b->inherit = inh && json_is_true(inh);
	return 0;
}

int bundle_parse_manifest(const char *text, size_t len, struct bundle *out, char *err,
			  size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > BUNDLE_MANIFEST_MAX)
		return err_set(err, errlen, HS_EINPUT, "bundle.json: larger than %d bytes",
			       BUNDLE_MANIFEST_MAX);
	/* Duplicate keys would let two readers see two different bundles. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(err, errlen, HS_EINPUT, "bundle.json: line %d column %d: %s",
			       je.line, je.column, je.text);
	out->manifest = root;
	rc = parse_root(root, out, err, errlen);
	if (rc < 0)
		bundle_free(out);
	return rc;
}

/* REG_STARTEND: a NUL the IDS printed inside a line must not cut off what
 * follows it, so nothing after it escapes the pattern. */
bool bundle_line_is_alert(const struct bundle *b, const char *line, size_t len)
{
	regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
	return b->alert_re_ok && regexec(&b->alert_re, line, 1, &m, REG_STARTEND) == 0;
}

bool bundle_line_reports(const struct bundle *b, const char *line, size_t len, const char *token)
{
	return token && *token && memmem(line, len, token, strlen(token)) &&
	       bundle_line_is_alert(b, line, len);
}

bool bundle_token_ok(const char *token)
{
	size_t i;

	for (i = 0; token[i]; i++)
		if (!((token[i] >= 'a' && token[i] <= 'z') || (token[i] >= '0' && token[i] <= '9')))
			return false;
	return i == BUNDLE_TOKEN_LEN;
}

void bundle_token_new(char token[BUNDLE_TOKEN_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (size_t i = 0; i < BUNDLE_TOKEN_LEN; i++)
		token[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	token[BUNDLE_TOKEN_LEN] = '\0';
}

const char *bundle_probe_name(enum bundle_probe p)
{
	return (size_t)p < NKEYS(probe_names) ? probe_names[p] : "?";
}

const char *bundle_monitor_name(unsigned bit)
{
	for (size_t k = 0; k < NKEYS(monitor_names); k++)
		if (bit == 1u << k)
			return monitor_names[k];
	return NULL;
}

static void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	json_decref(b->manifest);
	free(b->description);
	strv_free(b->files, b->nfiles);
	strv_free(b->command, b->ncommand);
	free(b->alert_pattern);
	if (b->alert_re_ok)
		regfree(&b->alert_re);
	memset(b, 0, sizeof(*b));
}
