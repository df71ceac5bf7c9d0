/* monitors.c - what an audit space watches, brought to life.
 *
 * The store says which server spaces each audit space monitors; whenever
 * either side (re)starts, its views are attached again, because a view
 * belongs to one mount namespace of each side.
 */
#include "monitors.h"
#include "spaces_int.h"
#include "daemon.h"
#include "err.h"
#include "fsview.h"
#include "log.h"
#include "watch.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

static int monitor_attach(struct hsd *d, struct space_rt *audit,
			  struct space_rt *server, char *err, size_t errlen)
{
	char upper[PATH_MAX];

	space_path(d, server->name, "upper", upper, sizeof(upper));
	return fsview_attach(server->proc.pid, upper, audit->proc.pid, server->name,
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

void monitors_space_started(struct hsd *d, const char *name)
{
	struct space_rt *me = spaces_running(d, name);
	char err[HS_ERRLEN];
	json_t *peers, *v;
	size_t i;

	if (!me)
		return;
	bool audit = me->kind == SPACE_AUDIT;
	if (store_monitor_list(d->store, audit ? name : NULL, audit ? NULL : name,
			       &peers, err, sizeof(err))) {
		log_error("space %s: monitors: %s", name, err);
		return;
	}
	watch_space_started(d, me, json_array_size(peers) > 0);
	json_array_foreach(peers, i, v) {
		struct space_rt *other = spaces_running(d, json_string_value(v));
		if (!other)
			continue;
		struct space_rt *a = audit ? me : other, *s = audit ? other : me;
		if (monitor_attach(d, a, s, err, sizeof(err)))
			log_error("monitor %s -> %s: %s", a->name, s->name, err);
		watch_pair(d, a, s, monitors_first(d, a->name, s->name));
	}
	json_decref(peers);
}

void monitors_server_gone(struct hsd *d, const char *server)
{
	char err[HS_ERRLEN];
	json_t *audits, *v;
	size_t i;

	if (store_monitor_list(d->store, NULL, server, &audits, err, sizeof(err)))
		return;
	json_array_foreach(audits, i, v) {
		struct space_rt *a = spaces_running(d, json_string_value(v));
		if (a && fsview_detach(a->proc.pid, server, err, sizeof(err)))
			log_warn("monitor %s -> %s: %s", a->name, server, err);
	}
	json_decref(audits);
}

int monitors_check(struct hsd *d, const char *audit, const char *server,
		   char *err, size_t errlen)
{
	struct space_row row;
	int rc = store_space_get(d->store, server, &row, err, errlen);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return err_set(err, errlen, HS_EINPUT, "--monitor: unknown space \"%s\"", server);
	rc = strcmp(row.kind, "server")
		     ? err_set(err, errlen, HS_EINPUT, "--monitor: \"%s\" is an audit space; only server spaces are monitored", server)
		     : 0;
	space_row_clear(&row);
	if (!rc && audit && strcmp(audit, server) == 0)
		rc = err_set(err, errlen, HS_EINPUT, "--monitor: a space cannot monitor itself");
	return rc;
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
	if (rc || (rc = monitors_check(d, audit, server, err, errlen)) ||
	    (rc = store_monitor_add(d->store, audit, server, err, errlen)))
		return rc;
	store_event(d->store, "monitor.add", audit, server, NULL, 0);
	struct space_rt *a = spaces_running(d, audit), *s = spaces_running(d, server);
	if (!a || !s)
		return 0;
	bool first = monitors_first(d, audit, server);
	if (first) /* its first monitor: it gets mon0 and hstrace now */
		watch_space_started(d, a, true);
	if ((rc = monitor_attach(d, a, s, err, errlen)))
		return rc;
	watch_pair(d, a, s, first);
	return 0;
}
