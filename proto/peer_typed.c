/* peer_typed.c - a peer request as fixed fields (peer_typed.h). */
#include "peer_typed.h"
#include "bundle_sig.h"
#include "err.h"
#include "intent.h"
#include "jmsg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmd_names[PEER_CMD__MAX] = {
	[PEER_CMD_PING] = "ping",
	[PEER_CMD_STATUS] = "status",
	[PEER_CMD_ALERTS] = "alerts",
	[PEER_CMD_BUNDLE_HAS] = "bundle.has",
	[PEER_CMD_BUNDLE_PUT] = "bundle.put",
	[PEER_CMD_INSTANCE_START] = "instance.start",
	[PEER_CMD_INSTANCE_VERIFY] = "instance.verify",
	[PEER_CMD_INSTANCE_STOP] = "instance.stop",
};

const char *peer_cmd_name(uint32_t cmd)
{
	return cmd > 0 && cmd < PEER_CMD__MAX ? cmd_names[cmd] : NULL;
}

uint32_t peer_cmd_id(const char *name)
{
	for (uint32_t i = 1; i < PEER_CMD__MAX; i++)
		if (!strcmp(cmd_names[i], name))
			return i;
	return 0;
}

/* The arguments each command takes; any other key is refused. */
static const char *const cmd_keys[PEER_CMD__MAX][5] = {
	[PEER_CMD_ALERTS] = { "after", "last", "probes", "wait" },
	[PEER_CMD_BUNDLE_HAS] = { "id", "hash" },
	[PEER_CMD_BUNDLE_PUT] = { "bundle", "sig" },
	[PEER_CMD_INSTANCE_START] = { "bundle", "inherit", "intent" },
	[PEER_CMD_INSTANCE_VERIFY] = { "instance", "intent" },
	[PEER_CMD_INSTANCE_STOP] = { "instance", "intent" },
};

/* Names, ids and hashes: 1..PEER_WORD-1 of [A-Za-z0-9._@-] ("det@1"). */
static bool word_ok(const char *s, size_t len)
{
	if (len == 0 || len >= PEER_WORD)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-' ||
		      s[i] == '@'))
			return false;
	return true;
}

/* A fixed field holds a word (or "" when empty_ok) and NUL padding only. */
static bool field_ok(const char f[PEER_WORD], bool empty_ok)
{
	const char *nul = memchr(f, 0, PEER_WORD);
	if (!nul)
		return false;
	for (const char *p = nul; p < f + PEER_WORD; p++)
		if (*p)
			return false;
	return (empty_ok && nul == f) || word_ok(f, (size_t)(nul - f));
}

static int get_word(json_t *args, const char *key, char dst[PEER_WORD], bool required,
		    char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (!v && !required)
		return 0;
	if (!json_is_string(v) || !word_ok(json_string_value(v), json_string_length(v)))
		return err_set(err, errlen, HS_EINPUT,
			       "args.%s: want 1-%d of A-Z a-z 0-9 '.' '_' '@' '-'", key, PEER_WORD - 1);
	memcpy(dst, json_string_value(v), json_string_length(v));
	return 0;
}

static int get_int(json_t *args, const char *key, int64_t *dst, uint32_t flag, uint32_t *flags,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return err_set(err, errlen, HS_EINPUT, "args.%s: want an integer", key);
	*dst = json_integer_value(v);
	*flags |= flag;
	return 0;
}

static int get_bool(json_t *args, const char *key, uint8_t *dst, uint32_t flag, uint32_t *flags,
		    char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, errlen, HS_EINPUT, "args.%s: want true or false", key);
	*dst = json_is_true(v);
	*flags |= flag;
	return 0;
}

static int get_intent(json_t *args, struct peer_typed *t, struct peer_word **hosts,
		      char *err, size_t errlen)
{
	json_t *env = json_object_get(args, "intent");
	struct peer_intent_wire *w = &t->intent;
	struct intent it;
	int rc;

	if (!env)
		return 0; /* hsd refuses the step: no operator asked for it */
	if ((rc = intent_decode(env, &it, w->sig, err, errlen)))
		goto out;
	if (!(*hosts = calloc(it.nhosts, sizeof(**hosts)))) {
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
		goto out;
	}
	/* intent_decode admitted shorter words of a narrower alphabet. */
	w->kind = it.kind;
	w->nhosts = (uint32_t)it.nhosts;
	snprintf(w->cluster, PEER_WORD, "%s", it.cluster);
	snprintf(w->id, PEER_WORD, "%s", it.id);
	snprintf(w->bundle, PEER_WORD, "%s", it.bundle);
	snprintf(w->hash, PEER_WORD, "%s", it.hash);
	snprintf(w->canary, PEER_WORD, "%s", it.canary);
	for (size_t i = 0; i < it.nhosts; i++)
		snprintf((*hosts)[i].s, PEER_WORD, "%s", it.hosts[i]);
	w->issued = it.issued;
	w->expires = it.expires;
	memcpy(w->key, it.key, sizeof(w->key));
	t->flags |= PEER_ARG_INTENT;
out:
	intent_free(&it);
	return rc;
}

static int get_sig(json_t *args, struct peer_typed *t, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, "sig");
	struct bundle_sig s;
	char why[HS_ERRLEN];

	if (!v)
		return 0; /* hsd refuses the bundle: unsigned */
	if (!json_is_string(v))
		return err_set(err, errlen, HS_EINPUT, "args.sig: expected a signature's text");
	if (bundle_sig_parse(json_string_value(v), json_string_length(v), &s, why, sizeof(why)))
		return err_set(err, errlen, HS_EINPUT, "args.sig: %s", why);
	memcpy(t->sig_key, s.key, sizeof(t->sig_key));
	memcpy(t->sig, s.sig, sizeof(t->sig));
	t->flags |= PEER_ARG_SIG;
	return 0;
}

int peer_typed_decode(const char *cmd, json_t *args, struct peer_typed *out,
		      struct peer_word **hosts, struct bundle_files *files, char *err,
		      size_t errlen)
{
	uint32_t id = peer_cmd_id(cmd);
	const char *key;
	json_t *v;
	char q[48];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(files, 0, sizeof(*files));
	*hosts = NULL;
	if (!id)
		return err_set(err, errlen, HS_EINPUT, "request.cmd: unknown command \"%s\"",
			       jmsg_quote(cmd, q, sizeof(q)));
	out->cmd = id;
	json_object_foreach(args, key, v) {
		size_t i = 0;
		while (i < 5 && cmd_keys[id][i] && strcmp(cmd_keys[id][i], key))
			i++;
		if (i == 5 || !cmd_keys[id][i])
			return err_set(err, errlen, HS_EINPUT, "args: %s takes no \"%s\"", cmd,
				       jmsg_quote(key, q, sizeof(q)));
	}
	switch (id) {
	case PEER_CMD_ALERTS:
		if ((rc = get_int(args, "after", &out->after, PEER_ARG_AFTER, &out->flags, err, errlen)) ||
		    (rc = get_int(args, "last", &out->last, PEER_ARG_LAST, &out->flags, err, errlen)) ||
		    (rc = get_bool(args, "probes", &out->probes, PEER_ARG_PROBES, &out->flags, err,
				   errlen)))
			return rc;
		return get_bool(args, "wait", &out->wait, PEER_ARG_WAIT, &out->flags, err, errlen);
	case PEER_CMD_BUNDLE_HAS:
		if ((rc = get_word(args, "id", out->id, true, err, errlen)))
			return rc;
		return get_word(args, "hash", out->hash, true, err, errlen);
	case PEER_CMD_BUNDLE_PUT:
		if ((rc = get_sig(args, out, err, errlen)) ||
		    (rc = bundle_msg_decode(json_object_get(args, "bundle"), out->id, out->hash, files,
					    err, errlen)))
			return rc;
		return 0;
	case PEER_CMD_INSTANCE_START:
		if ((rc = get_word(args, "bundle", out->bundle, true, err, errlen)))
			return rc;
		/* "" is no inheritance, as absent. */
		if (json_is_string(json_object_get(args, "inherit")) &&
		    json_string_length(json_object_get(args, "inherit")) == 0)
			json_object_del(args, "inherit");
		if (json_object_get(args, "inherit")) {
			if ((rc = get_word(args, "inherit", out->inherit, true, err, errlen)))
				return rc;
			out->flags |= PEER_ARG_INHERIT;
		}
		return get_intent(args, out, hosts, err, errlen);
	case PEER_CMD_INSTANCE_VERIFY:
	case PEER_CMD_INSTANCE_STOP:
		if ((rc = get_word(args, "instance", out->instance, true, err, errlen)))
			return rc;
		return get_intent(args, out, hosts, err, errlen);
	}
	return 0;
}

int peer_typed_check(const struct peer_typed *t, const struct peer_word *hosts,
		     uint32_t nhosts, char *err, size_t errlen)
{
	const struct peer_intent_wire *w = &t->intent;
	bool intent = t->flags & PEER_ARG_INTENT;

	if (!peer_cmd_name(t->cmd))
		return err_set(err, errlen, HS_EINPUT, "cmd: %u unknown", t->cmd);
	if (t->flags & ~PEER_ARG__ALL)
		return err_set(err, errlen, HS_EINPUT, "flags: %#x unknown", t->flags);
	if (t->probes > 1 || t->wait > 1)
		return err_set(err, errlen, HS_EINPUT, "probes, wait: want 0 or 1");
	if (!field_ok(t->id, true) || !field_ok(t->hash, true))
		return err_set(err, errlen, HS_EINPUT, "id, hash: not words");
	if (!field_ok(t->bundle, true) || !field_ok(t->inherit, true) ||
	    !field_ok(t->instance, true))
		return err_set(err, errlen, HS_EINPUT, "bundle, inherit, instance: not words");
	if (nhosts != (intent ? w->nhosts : 0))
		return err_set(err, errlen, HS_EINPUT, "intent.hosts: %u items for %u hosts", nhosts,
			       w->nhosts);
	if (!intent)
		return 0;
	if (w->kind != INTENT_DEPLOY && w->kind != INTENT_ROLLOUT)
		return err_set(err, errlen, HS_EINPUT, "intent.kind: %u unknown", w->kind);
	if (!field_ok(w->cluster, false) || !field_ok(w->id, false) ||
	    !field_ok(w->bundle, false) || !field_ok(w->hash, false) ||
	    !field_ok(w->canary, true))
		return err_set(err, errlen, HS_EINPUT, "intent: a field is not a word");
	/* The lengths struct intent holds: nothing is cut short later. */
	if (strlen(w->cluster) > CLUSTER_NAME_MAX || strlen(w->id) != INTENT_ID_HEX ||
	    strlen(w->bundle) > BUNDLE_ID_MAX || strlen(w->hash) != BUNDLE_HASH_HEX ||
	    strlen(w->canary) > CLUSTER_NAME_MAX)
		return err_set(err, errlen, HS_EINPUT, "intent: a field of the wrong length");
	if (w->nhosts == 0 || w->nhosts > CLUSTER_HOSTS_MAX)
		return err_set(err, errlen, HS_EINPUT, "intent.hosts: %u", w->nhosts);
	for (uint32_t i = 0; i < nhosts; i++)
		if (!field_ok(hosts[i].s, false) || strlen(hosts[i].s) > CLUSTER_NAME_MAX)
			return err_set(err, errlen, HS_EINPUT, "intent.hosts[%u]: not a host name", i);
	return 0;
}

/* src (checked to fit by peer_typed_check) into dst of size n. */
static void copy_word(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);
	memcpy(dst, src, len);
	dst[len] = 0;
}

static json_t *intent_args(const struct peer_intent_wire *w, const struct peer_word *hosts)
{
	struct intent it = { .kind = (enum intent_kind)w->kind, .issued = w->issued,
			     .expires = w->expires };
	json_t *env;

	copy_word(it.cluster, sizeof(it.cluster), w->cluster);
	copy_word(it.id, sizeof(it.id), w->id);
	copy_word(it.bundle, sizeof(it.bundle), w->bundle);
	copy_word(it.hash, sizeof(it.hash), w->hash);
	copy_word(it.canary, sizeof(it.canary), w->canary);
	memcpy(it.key, w->key, sizeof(it.key));
	if (!(it.hosts = calloc(w->nhosts, sizeof(*it.hosts))))
		return NULL;
	it.nhosts = w->nhosts;
	for (uint32_t i = 0; i < w->nhosts; i++)
		copy_word(it.hosts[i], sizeof(it.hosts[i]), hosts[i].s);
	env = intent_envelope(&it, w->sig);
	intent_free(&it);
	return env;
}

json_t *peer_typed_args(const struct peer_typed *t, const struct peer_word *hosts)
{
	json_t *a = json_object();
	int bad = !a;

	switch (t->cmd) {
	case PEER_CMD_ALERTS:
		if (t->flags & PEER_ARG_AFTER)
			bad |= json_object_set_new(a, "after", json_integer(t->after));
		if (t->flags & PEER_ARG_LAST)
			bad |= json_object_set_new(a, "last", json_integer(t->last));
		if (t->flags & PEER_ARG_PROBES)
			bad |= json_object_set_new(a, "probes", json_boolean(t->probes));
		if (t->flags & PEER_ARG_WAIT)
			bad |= json_object_set_new(a, "wait", json_boolean(t->wait));
		break;
	case PEER_CMD_BUNDLE_HAS:
		bad |= json_object_set_new(a, "id", json_string(t->id));
		bad |= json_object_set_new(a, "hash", json_string(t->hash));
		break;
	case PEER_CMD_INSTANCE_START:
		bad |= json_object_set_new(a, "bundle", json_string(t->bundle));
		if (t->flags & PEER_ARG_INHERIT)
			bad |= json_object_set_new(a, "inherit", json_string(t->inherit));
		break;
	case PEER_CMD_INSTANCE_VERIFY:
	case PEER_CMD_INSTANCE_STOP:
		bad |= json_object_set_new(a, "instance", json_string(t->instance));
		break;
	}
	if (!bad && (t->flags & PEER_ARG_INTENT))
		bad |= json_object_set_new(a, "intent", intent_args(&t->intent, hosts));
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}
