/* monitors.c - what an audit space watches, brought to life.
 *
 * The store says which server spaces each audit space monitors; whenever
 * either side (re)starts, its views are attached again, because a view
 * belongs to one mount namespace of each side.
 */
#include "monitors.h"
#include "control.h"
#include "daemon.h"
#include "err.h"
#include "fsview.h"
#include "log.h"
#include "spaces.h"
#include "watch.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

static int monitor_attach(struct hsd *d, const struct space_view *audit,
			  const struct space_view *server, char *err, size_t errlen)
{
	char upper[PATH_MAX];

	space_path(d, server->name, "upper", upper, sizeof(upper));
	return fsview_attach(server->init->pid, upper, audit->init->pid, server->name,
			     err, errlen);
}

/* Is server the first of the servers audit monitors? */
static bool monitors_first(struct hsd *d, const char *audit, const char *server)
{
	json_t *list;
	bool first = false;

	if (store_monitor_list(d->store, audit, NULL, &list, NULL, 0) == 0) {
		const char *f = json_string_value(json_array_get(list, 0));
		first = f && strcmp(f, server) == 0;
		json_decref(list);
	}
	return first;
}

/* A space (re)started: attach the views it takes part in. */
static void monitors_space_started(struct hsd *d, const struct space_view *me)
{
	const char *name = me->name;
	char err[HS_ERRLEN];
	json_t *peers, *v;
	size_t i;

	bool audit = me->kind == SPACE_AUDIT;
	if (store_monitor_list(d->store, audit ? name : NULL, audit ? NULL : name,
			       &peers, err, sizeof(err))) {
		log_error("space %s: monitors: %s", name, err);
		return;
	}
	watch_space_started(d, me, json_array_size(peers) > 0);
	json_array_foreach(peers, i, v) {
		struct space_view other;
		if (!spaces_find(d, json_string_value(v), &other))
			continue;
		const struct space_view *a = audit ? me : &other, *s = audit ? &other : me;
		if (monitor_attach(d, a, s, err, sizeof(err)))
			log_error("monitor %s -> %s: %s", a->name, s->name, err);
		watch_pair(d, a, s, monitors_first(d, a->name, s->name));
	}
	json_decref(peers);
}

/* A server space is being destroyed: remove its views from audit spaces. */
static void monitors_server_gone(struct hsd *d, const char *server)
{
	char err[HS_ERRLEN];
	json_t *audits, *v;
	size_t i;

	if (store_monitor_list(d->store, NULL, server, &audits, err, sizeof(err)))
		return;
	json_array_foreach(audits, i, v) {
		struct space_view a;
		if (spaces_find(d, json_string_value(v), &a) &&
		    fsview_detach(a.init->pid, server, err, sizeof(err)))
			log_warn("monitor %s -> %s: %s", a.name, server, err);
	}
	json_decref(audits);
}

/* The spaces' life, as spaces.h announces it; the order there is the
 * order of effects this relies on (views detached while the server's
 * layer is still there). */
static void monitors_on_space(struct hsd *d, enum space_event ev, const struct space_view *s,
			      void *ctx)
{
	(void)ctx;
	switch (ev) {
	case SPACE_STARTED:
		monitors_space_started(d, s);
		break;
	case SPACE_STOPPED:
		watch_space_stopped(d, s->name, s->kind, s->init->pid);
		break;
	case SPACE_GONE:
		if (s->kind == SPACE_SERVER)
			monitors_server_gone(d, s->name);
		break;
	}
}

int monitors_init(struct hsd *d, char *err, size_t errlen)
{
	return spaces_observe(d, monitors_on_space, NULL, err, errlen);
}

int monitors_add(struct hsd *d, const char *audit, const char *server,
		 char *err, size_t errlen)
{
	struct space_row row;
	int rc = store_space_get(d->store, audit, &row, err, errlen);

	if (rc <= 0)
		return rc ? rc : err_set(err, errlen, HS_EINPUT, "name: unknown space \"%s\"", audit);
	rc = strcmp(row.kind, "audit")
		     ? err_set(err, errlen, HS_EINPUT, "name: \"%s\" is a server space; only audit spaces monitor", audit)
		     : 0;
	space_row_clear(&row);
	if (rc || (rc = spaces_monitor_check(d, audit, server, err, errlen)) ||
	    (rc = store_monitor_add(d->store, audit, server, err, errlen)))
		return rc;
	store_event(d->store, "monitor.add", audit, server, NULL, 0);
	struct space_view a, s;
	if (!spaces_find(d, audit, &a) || !spaces_find(d, server, &s))
		return 0;
	bool first = monitors_first(d, audit, server);
	if (first) /* its first monitor: it gets mon0 and hstrace now */
		watch_space_started(d, &a, true);
	if ((rc = monitor_attach(d, &a, &s, err, errlen)))
		return rc;
	watch_pair(d, &a, &s, first);
	return 0;
}

static int cmd_space_monitor(struct hsd *d, const struct rpc_req *req,
			     const struct done *dn, json_t **result,
			     char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(req->args, "name"));
	const char *server = json_string_value(json_object_get(req->args, "server"));
	int rc;

	(void)dn;
	if (!name)
		return err_set(err, errlen, HS_EINPUT, "name: missing");
	if (!server)
		return err_set(err, errlen, HS_EINPUT, "server: missing");
	if ((rc = monitors_add(d, name, server, err, errlen)))
		return rc;
	*result = json_pack("{s:s, s:s}", "audit", name, "server", server);
	return 0;
}

static const struct rpc_arg args_cmd_space_monitor[] = {
	{ "name", RPC_STR },
	{ "server", RPC_STR },
	{ NULL, RPC_END },
};

const struct rpc_cmd control_monitor_cmds[] = {
	{ "space.monitor", cmd_space_monitor, args_cmd_space_monitor },
	{ NULL, NULL, NULL },
};
