/* spaces.c - creating, starting, stopping and destroying spaces. */
#include "spaces.h"
#include "spaces_int.h"
#include "fastpath.h"
#include "cgroup.h"
#include "control.h"
#include "daemon.h"
#include "disk.h"
#include "err.h"
#include "fsutil.h"
#include "basemask.h"
#include "layer.h"
#include "layerfs.h"
#include "userns.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STOP_KILL_MS 8000 /* hsinit's own grace is 3 s; then we SIGKILL init */

void space_path(const struct hsd *d, const char *name, const char *leaf,
		char *out, size_t len)
{
	snprintf(out, len, "%s/" LAYERFS_DIR "/%s%s%s", d->opt.state_dir, name,
		 leaf ? "/" : "", leaf ? leaf : "");
}

/* The layer filesystem is set up on first need, not at every start. */
static int spaces_layerfs(struct hsd *d, char *err, size_t errlen)
{
	int rc;
	if (d->spaces->layerfs_ready)
		return 0;
	if ((rc = layerfs_prepare(d->opt.state_dir, err, errlen)))
		return rc;
	d->spaces->layerfs_ready = true;
	return 0;
}

struct space_rt *spaces_running(struct hsd *d, const char *name)
{
	for (struct space_rt *r = d->spaces->running; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static void rt_closed(uv_handle_t *h)
{
	struct space_rt *r = h->data;
	if (--r->handles == 0) {
		space_proc_close(&r->proc);
		free(r);
	}
}

static void rt_release(struct spaces *s, struct space_rt *r)
{
	for (struct space_rt **p = &s->running; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	uv_close((uv_handle_t *)&r->poll, rt_closed);
	uv_close((uv_handle_t *)&r->kill_timer, rt_closed);
	spaces_status_close(r, rt_closed);
}

/* A space's files: its layer filesystem, its directory, and what hsd
 * bound into it. */
int space_files_remove(struct hsd *d, const char *name, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int rc;

	spaces_run_path(d, name, NULL, dir, sizeof(dir));
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	space_path(d, name, NULL, dir, sizeof(dir));
	if ((rc = layerfs_space_remove(d->opt.state_dir, name, err, errlen)))
		return rc;
	return layer_remove(dir, err, errlen);
}

/* The init exited: stopped by us, or it died. */
static void rt_exited(struct hsd *d, struct space_rt *r)
{
	char err[HS_ERRLEN];
	siginfo_t si;

	/* Reap it if it is our child; adopted ones belong to another parent. */
	memset(&si, 0, sizeof(si));
	syscall(SYS_waitid, P_PIDFD, r->proc.pidfd, &si, WEXITED | WNOHANG, NULL);
	if (store_space_set_state(d->store, r->name, "stopped", 0, 0, err, sizeof(err)))
		log_error("space %s: %s", r->name, err);
	store_event(d->store, done_pending(&r->stop_done) || r->destroying ? "space.stop" : "space.exit",
		    r->name, "", err, sizeof(err));
	if (!done_pending(&r->stop_done))
		log_warn("space %s: init %d exited on its own", r->name, (int)r->proc.pid);
	uv_timer_stop(&r->kill_timer);
	spaces_announce(d, SPACE_STOPPED, r->name, r->kind, &r->proc);
	struct done dn = r->stop_done;
	bool destroy = r->destroying;
	char name[SPACE_ROW_NAME];
	snprintf(name, sizeof(name), "%s", r->name);
	rt_release(d->spaces, r);
	if (spaces_net_apply(d, NULL, err, sizeof(err)))
		log_error("space %s: network rules: %s", name, err);
	if (destroy) {
		int rc = space_remove(d, name, err, sizeof(err));
		done_fire(&dn, rc, rc ? NULL : json_pack("{s:s}", "destroyed", name), err);
	} else {
		done_fire(&dn, 0, json_pack("{s:s, s:s}", "name", name, "state", "stopped"), NULL);
	}
}

static void on_pidfd(uv_poll_t *p, int status, int events)
{
	struct space_rt *r = p->data;
	(void)status;
	(void)events;
	uv_poll_stop(p);
	rt_exited(r->d, r);
}

static void on_kill_timer(uv_timer_t *t)
{
	struct space_rt *r = t->data;
	log_warn("space %s: init did not stop in time; killing the space", r->name);
	syscall(SYS_pidfd_send_signal, r->proc.pidfd, SIGKILL, NULL, 0);
}

static enum space_kind kind_of(const struct space_row *row)
{
	return strcmp(row->kind, "audit") == 0 ? SPACE_AUDIT : SPACE_SERVER;
}

static int rt_watch(struct hsd *d, const struct space_row *row, struct space_proc *proc,
		    char *err, size_t errlen)
{
	struct space_rt *r = calloc(1, sizeof(*r));
	struct space_spec_limits lim;

	if (!r)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	space_limits_of(row, &lim);
	snprintf(r->name, sizeof(r->name), "%s", row->name);
	r->kind = kind_of(row);
	r->log_max = lim.log;
	r->proc = *proc;
	r->d = d;
	r->handles = 2;
	uv_poll_init(d->loop, &r->poll, proc->pidfd);
	uv_timer_init(d->loop, &r->kill_timer);
	r->poll.data = r->kill_timer.data = r;
	uv_poll_start(&r->poll, UV_READABLE, on_pidfd);
	spaces_status_watch(r);
	r->next = d->spaces->running;
	d->spaces->running = r;
	return 0;
}

int spaces_layers(struct hsd *d, const char *name, char layers[][4096],
		  size_t max, size_t *n, char *err, size_t errlen)
{
	char cur[SPACE_ROW_NAME];
	int rc;

	*n = 0;
	snprintf(cur, sizeof(cur), "%s", name);
	while (cur[0]) {
		struct space_row row;
		if (*n == max)
			return err_set(err, errlen, HS_EINPUT,
				       "space %s: inheritance chain deeper than %zu; flatten it", name, max);
		if ((rc = store_space_get(d->store, cur, &row, err, errlen)) <= 0)
			return rc ? rc : err_set(err, errlen, HS_ESTATE, "space %s: ancestor %s is missing", name, cur);
		/* Every layer of the chain is read: its filesystem mounted. */
		if ((rc = layerfs_space_mount(d->opt.state_dir, cur, 0, err, errlen))) {
			space_row_clear(&row);
			return rc;
		}
		space_path(d, cur, "upper", layers[*n], sizeof(layers[0]));
		(*n)++;
		snprintf(cur, sizeof(cur), "%s", row.parent);
		space_row_clear(&row);
	}
	return 0;
}

void spaces_run_path(const struct hsd *d, const char *name, const char *leaf, char *out,
		     size_t len)
{
	snprintf(out, len, "%s/spaces/%s%s%s", d->opt.run_dir, name, leaf ? "/" : "",
		 leaf ? leaf : "");
}

/* RUN/spaces/NAME: a small tmpfs of its own for what hsd binds into the
 * space (sockets, hstrace), so that no bind exposes anything else of the
 * host's; fresh at every start. */
static int space_run_dir(struct hsd *d, const char *name, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int rc;

	spaces_run_path(d, name, NULL, dir, sizeof(dir));
	umount2(dir, MNT_DETACH);
	if ((rc = fs_mkdir_p(dir, 0700, err, errlen)))
		return rc;
	if (mount("hsd-space", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0711,size=4m,nr_inodes=256"))
		return err_sys(err, errlen, "mount %s", dir);
	return 0;
}

/* Start a stored space: init in fresh namespaces, network, then go. */
static int space_run(struct hsd *d, const struct space_row *row, char *err,
		     size_t errlen)
{
	static char layers[SPACE_CHAIN_MAX + 1][4096];
	char dir[PATH_MAX], base[PATH_MAX], console[PATH_MAX], map[256];
	const char *hidden[] = { d->opt.state_dir, d->opt.run_dir, NULL };
	const char *cgroups[CGROUP_MAX_DIRS + 1] = { NULL };
	struct space_launch l = { .name = row->name, .kind = kind_of(row), .userns = -1 };
	struct space_spec_limits lim;
	struct cgroup_dirs cg;
	json_t *jargv = json_object_get(row->spec, "argv");
	size_t nl, argc = json_array_size(jargv);
	struct space_proc proc;
	int rc;

	space_limits_of(row, &lim);
	space_path(d, row->name, NULL, dir, sizeof(dir));
	space_path(d, row->name, "base", base, sizeof(base));
	space_path(d, row->name, "console.log", console, sizeof(console));
	if ((rc = spaces_layerfs(d, err, errlen)) ||
	    (rc = layerfs_space_mount(d->opt.state_dir, row->name, (uint64_t)lim.disk, err, errlen)) ||
	    (rc = spaces_layers(d, row->name, layers, SPACE_CHAIN_MAX + 1, &nl, err, errlen)) ||
	    (rc = basemask_build("/", base, hidden, err, errlen)) ||
	    (rc = userns_base(&d->spaces->pool, row->netidx, &l.uid_base, err, errlen)) ||
	    (rc = userns_map_text(&d->spaces->pool, row->netidx, l.kind == SPACE_AUDIT, map,
				  sizeof(map), err, errlen)) ||
	    (rc = space_run_dir(d, row->name, err, errlen)))
		return rc;
	l.dir = dir;
	for (size_t i = 1; i < nl; i++)
		l.lowers[l.nlowers++] = layers[i];
	l.hsinit = d->spaces->hsinit_fd;
	l.tmpfs_size = (uint64_t)lim.tmpfs;
	if (lim.memory || lim.pids) {
		struct space_limits cl = { lim.memory, lim.pids };
		char group[256];
		snprintf(group, sizeof(group), "hsd/%s/%s", d->spaces->instance, row->name);
		if ((rc = cgroup_create(group, &cl, &cg, err, errlen)))
			return rc;
		for (size_t i = 0; i < cg.n; i++)
			cgroups[i] = cg.dir[i];
		l.cgroups = cgroups;
	}
	if ((rc = userns_create(map, &l.userns, err, errlen)))
		return rc;
	char **argv = calloc(argc + 1, sizeof(*argv));
	if (!argv) {
		close(l.userns);
		return err_set(err, errlen, HS_ESYS, "out of memory");
	}
	for (size_t i = 0; i < argc; i++)
		argv[i] = (char *)json_string_value(json_array_get(jargv, i));
	l.argv = argv;
	l.console_fd = open(console, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (l.console_fd < 0) {
		free(argv);
		close(l.userns);
		return err_sys(err, errlen, "space %s: console %s", row->name, console);
	}
	rc = space_launch(&l, &proc, err, errlen);
	close(l.console_fd);
	close(l.userns);
	free(argv);
	if (rc)
		return rc;
	/* The pid is stored before the go: an hsd killed in between leaves
	 * an init that sees its setup pipe close and exits, and a record a
	 * restarted hsd finds dead.  The other order left a running space
	 * with no pid on record, which nothing would ever stop. */
	if ((rc = space_net_up(d, row, &proc, err, errlen)) ||
	    (rc = spaces_net_apply(d, row->name, err, errlen)) ||
	    (rc = store_space_set_state(d->store, row->name, "running", proc.pid,
					proc.start, err, errlen)) ||
	    (rc = space_go(&proc, err, errlen)) ||
	    (rc = rt_watch(d, row, &proc, err, errlen))) {
		syscall(SYS_pidfd_send_signal, proc.pidfd, SIGKILL, NULL, 0);
		waitpid(proc.pid, NULL, 0);
		space_proc_close(&proc);
		space_net_down(d, row, NULL, 0);
		spaces_net_apply(d, NULL, NULL, 0);
		store_space_set_state(d->store, row->name, "stopped", 0, 0, NULL, 0);
		return rc;
	}
	store_event(d->store, "space.start", row->name, "", NULL, 0);
	log_info("space %s (%s): init %d, ids %u-%u", row->name, row->kind, (int)proc.pid,
		 l.uid_base, l.uid_base + USERNS_SPAN - 1);
	struct space_rt *r = spaces_running(d, row->name);
	spaces_announce(d, SPACE_STARTED, r->name, r->kind, &r->proc);
	return 0;
}

static json_t *space_json(struct hsd *d, const struct space_row *row)
{
	struct publish_row *pub;
	size_t npub = 0;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:O}",
			      "name", row->name, "kind", row->kind,
			      "inherit", row->parent[0] ? row->parent : "base",
			      "state", row->state, "created_ms", (json_int_t)row->created_at,
			      "argv", json_object_get(row->spec, "argv"));
	if (!j)
		return NULL;
	spaces_status_json(row, j);
	if (row->pid) {
		json_object_set_new(j, "pid", json_integer(row->pid));
		json_object_set_new(j, "pid_start", json_integer((json_int_t)row->pid_start));
	}
	struct space_spec_limits lim;
	uint32_t base;
	space_limits_of(row, &lim);
	json_object_set_new(j, "limits", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"memory", (json_int_t)lim.memory, "pids", (json_int_t)lim.pids,
		"disk", (json_int_t)lim.disk, "tmpfs", (json_int_t)lim.tmpfs, "log", (json_int_t)lim.log));
	if (!userns_base(&d->spaces->pool, row->netidx, &base, NULL, 0))
		json_object_set_new(j, "uid_base", json_integer(base));
	json_t *arr = json_array();
	if (!store_publish_list(d->store, row->name, &pub, &npub, NULL, 0)) {
		for (size_t i = 0; i < npub; i++)
			json_array_append_new(arr, json_sprintf("%d:%d/%s", pub[i].host_port,
								pub[i].port, pub[i].proto));
		free(pub);
	}
	json_object_set_new(j, "publish", arr);
	if (strcmp(row->kind, "audit") == 0) {
		json_t *mon = NULL;
		store_monitor_list(d->store, row->name, NULL, &mon, NULL, 0);
		json_object_set_new(j, "monitors", mon ? mon : json_array());
	}
	space_net_describe(d, row, j);
	return j;
}

int spaces_init(struct hsd *d, char *err, size_t errlen)
{
	int rc;

	if (!(d->spaces = calloc(1, sizeof(*d->spaces))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	d->spaces->hsinit_fd = -1;
	d->spaces->pool = d->opt.pool;
	uv_timer_init(d->loop, &d->spaces->console_timer);
	d->spaces->console_timer.data = d;
	if ((rc = space_features_check(d->spaces->pool.start, err, errlen)))
		return rc;
	space_exe_beside("HSD_HSINIT", "hsinit", d->spaces->hsinit, sizeof(d->spaces->hsinit));
	snprintf(d->spaces->hstrace, sizeof(d->spaces->hstrace), "%s", d->spaces->hsinit);
	char *slash = strrchr(d->spaces->hstrace, '/');
	snprintf(slash ? slash + 1 : d->spaces->hstrace,
		 sizeof(d->spaces->hstrace) - (size_t)(slash ? slash + 1 - d->spaces->hstrace : 0),
		 "hstrace");
	uv_timer_start(&d->spaces->console_timer, spaces_console_trim, SPACES_CONSOLE_CHECK_MS,
		       SPACES_CONSOLE_CHECK_MS);
	if ((rc = space_exe_seal(d->spaces->hsinit, &d->spaces->hsinit_fd, err, errlen)) ||
	    (rc = space_net_init(d, err, errlen)) ||
	    (rc = store_meta_get(d->store, "instance", d->spaces->instance,
				 sizeof(d->spaces->instance), err, errlen)) < 0)
		return rc;
	if (rc == 0) {
		/* Names this store's cgroups apart from any other hsd's. */
		unsigned char b[6];
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
			if (fd >= 0)
				close(fd);
			return err_sys(err, errlen, "/dev/urandom");
		}
		close(fd);
		snprintf(d->spaces->instance, sizeof(d->spaces->instance),
			 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
		if ((rc = store_meta_set(d->store, "instance", d->spaces->instance, err, errlen)))
			return rc;
	}
	return 0;
}

int spaces_adopt(struct hsd *d, char *err, size_t errlen)
{
	struct space_row *rows;
	size_t n;
	int rc;

	if ((rc = store_space_list(d->store, &rows, &n, err, errlen)))
		return rc;
	if (n && (rc = spaces_layerfs(d, err, errlen))) {
		space_rows_free(rows, n);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct space_proc proc;
		char why[HS_ERRLEN];

		/* Interrupted creates are spaces_recover's, below. */
		if (strcmp(rows[i].state, "stopped") == 0 || strcmp(rows[i].state, "starting") == 0)
			continue;
		if (rows[i].pid && !space_adopt((pid_t)rows[i].pid, rows[i].pid_start, &proc, why, sizeof(why)) &&
		    !rt_watch(d, &rows[i], &proc, why, sizeof(why))) {
			log_info("space %s: re-adopted init %d", rows[i].name, (int)proc.pid);
			continue;
		}
		/* Died while hsd was away, or hsd died while starting it. */
		log_warn("space %s: not running any more; marked stopped", rows[i].name);
		store_space_set_state(d->store, rows[i].name, "stopped", 0, 0, NULL, 0);
		store_event(d->store, "space.lost", rows[i].name, rows[i].state, NULL, 0);
		space_net_down(d, &rows[i], NULL, 0);
	}
	/* Sockets and views of the monitors belong to this hsd: they make
	 * them again, servers first so the audit spaces find their relays. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			struct space_rt *r = spaces_running(d, rows[i].name);
			if (r && (r->kind == SPACE_SERVER) == (pass == 0))
				spaces_announce(d, SPACE_STARTED, r->name, r->kind, &r->proc);
		}
	space_rows_free(rows, n);
	if ((rc = spaces_recover(d, err, errlen)))
		return rc;
	return spaces_net_apply(d, NULL, err, errlen);
}

void spaces_free(struct hsd *d)
{
	struct spaces *s = d->spaces;

	if (!s)
		return;
	while (s->running) {
		struct space_rt *r = s->running;
		done_fire(&r->stop_done, HS_ESYS, NULL, "hsd is stopping");
		rt_release(s, r);
	}
	spaces_logs_stop(d);
	uv_close((uv_handle_t *)&s->console_timer, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	if (s->hsinit_fd >= 0)
		close(s->hsinit_fd);
	fastpath_close(s->fastpath);
	free(s);
	d->spaces = NULL;
}

int spaces_monitor_check(struct hsd *d, const char *audit, const char *server,
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

static int space_req_check(struct hsd *d, const struct space_req *req,
			   struct space_row *parent, struct publish_row **pub,
			   struct space_spec_limits *lim, char *err, size_t errlen)
{
	struct space_row existing;
	int rc;

	*pub = NULL;
	if ((rc = space_name_check(req->name, err, errlen)))
		return rc;
	if (!req->argv || !req->argv[0] || !req->argv[0][0])
		return err_set(err, errlen, HS_EINPUT, "command: missing (hsctl space create NAME ... -- CMD [ARGS])");
	if ((rc = store_space_get(d->store, req->name, &existing, err, errlen)) != 0) {
		if (rc == 1) {
			space_row_clear(&existing);
			return err_set(err, errlen, HS_EINPUT, "name: space \"%s\" exists", req->name);
		}
		return rc;
	}
	if (req->inherit && strcmp(req->inherit, "base") != 0) {
		if (strcmp(req->inherit, req->name) == 0)
			return err_set(err, errlen, HS_EINPUT,
				       "--inherit: space \"%s\" cannot inherit from itself", req->name);
		if ((rc = store_space_get(d->store, req->inherit, parent, err, errlen)) <= 0)
			return rc ? rc : err_set(err, errlen, HS_EINPUT,
						 "--inherit: unknown space \"%s\"", req->inherit);
	}
	if (req->kind == SPACE_AUDIT && req->npublish)
		return err_set(err, errlen, HS_EINPUT,
			       "--publish: audit spaces have no network to publish");
	if (req->kind == SPACE_SERVER && req->nmonitor)
		return err_set(err, errlen, HS_EINPUT, "--monitor: only audit spaces monitor");
	for (size_t i = 0; i < req->nmonitor; i++)
		if ((rc = spaces_monitor_check(d, req->name, req->monitor[i], err, errlen)))
			return rc;
	if ((rc = space_limits_resolve(&req->lim, lim, err, errlen)))
		return rc;
	struct space_limits cl = { lim->memory, lim->pids };
	if ((rc = cgroup_check(&cl, err, errlen)))
		return rc;
	return space_publish_check(d, req, pub, err, errlen);
}

int spaces_create(struct hsd *d, const struct space_req *req, json_t **result,
		  char *err, size_t errlen)
{
	struct space_row row = { 0 }, parent = { 0 };
	struct publish_row *pub = NULL;
	struct space_spec_limits lim;
	char dir[PATH_MAX], sub[PATH_MAX];
	int rc;

	/* Bad input first (exit 2), then room: a full disk refuses new
	 * spaces before anything is written (disk.h). */
	if ((rc = space_req_check(d, req, &parent, &pub, &lim, err, errlen)) ||
	    (rc = disk_admit(d, err, errlen)))
		goto out;
	snprintf(row.name, sizeof(row.name), "%s", req->name);
	snprintf(row.kind, sizeof(row.kind), "%s", req->kind == SPACE_AUDIT ? "audit" : "server");
	snprintf(row.parent, sizeof(row.parent), "%s", parent.name);
	snprintf(row.state, sizeof(row.state), "starting");
	row.created_at = store_now_ms();
	row.netidx = -1;
	/* Servers' link networks and audit spaces' overlay addresses. */
	if ((rc = store_space_free_netidx(d->store, &row.netidx, err, errlen)))
		goto out;
	uint32_t base;
	if ((rc = userns_base(&d->spaces->pool, row.netidx, &base, err, errlen)))
		goto out;
	row.spec = json_pack("{s:[], s:{s:I, s:I, s:I, s:I, s:I}}", "argv", "limits",
			     "memory", (json_int_t)lim.memory, "pids", (json_int_t)lim.pids,
			     "disk", (json_int_t)lim.disk, "tmpfs", (json_int_t)lim.tmpfs,
			     "log", (json_int_t)lim.log);
	for (size_t i = 0; req->argv[i]; i++)
		json_array_append_new(json_object_get(row.spec, "argv"), json_string(req->argv[i]));
	if ((rc = spaces_layerfs(d, err, errlen)))
		goto out;
	space_path(d, req->name, NULL, dir, sizeof(dir));
	if ((rc = layerfs_space_mount(d->opt.state_dir, req->name, (uint64_t)lim.disk, err, errlen)))
		goto undo_dir;
	/* upper is the root directory the space sees: the mode of a root. */
	static const struct { const char *leaf; mode_t mode; } leaves[] = {
		{ "upper", 0755 }, { "work", 0700 }, { "root", 0700 },
	};
	for (size_t i = 0; i < sizeof(leaves) / sizeof(*leaves); i++) {
		space_path(d, req->name, leaves[i].leaf, sub, sizeof(sub));
		if ((rc = fs_mkdir_p(sub, 0700, err, errlen)))
			goto undo_dir;
		if (chmod(sub, leaves[i].mode)) {
			rc = err_sys(err, errlen, "chmod %s", sub);
			goto undo_dir;
		}
	}
	space_path(d, req->name, "upper", sub, sizeof(sub));
	if (req->prepare && (rc = req->prepare(sub, req->prepare_arg, err, errlen)))
		goto undo_dir;
	if ((rc = store_space_insert(d->store, &row, pub, req->npublish, err, errlen)))
		goto undo_dir;
	for (size_t i = 0; i < req->nmonitor && !rc; i++)
		rc = store_monitor_add(d->store, row.name, req->monitor[i], err, errlen);
	if (rc) {
		store_space_delete(d->store, row.name, NULL, 0);
		goto undo_dir;
	}
	if ((rc = space_run(d, &row, err, errlen))) {
		store_space_delete(d->store, row.name, NULL, 0);
		goto undo_dir;
	}
	store_event(d->store, "space.create", row.name, row.kind, NULL, 0);
	space_row_clear(&row);
	if (store_space_get(d->store, req->name, &row, err, errlen) == 1) {
		*result = space_json(d, &row);
		rc = 0;
	}
	goto out;
undo_dir:
	space_files_remove(d, req->name, NULL, 0);
out:
	free(pub);
	space_row_clear(&row);
	space_row_clear(&parent);
	return rc;
}

int space_get(struct hsd *d, const char *name, struct space_row *row,
	      char *err, size_t errlen)
{
	int rc = store_space_get(d->store, name, row, err, errlen);
	if (rc == 0)
		return err_set(err, errlen, HS_ENOENT, "name: unknown space \"%s\"", name);
	return rc < 0 ? rc : 0;
}

int spaces_start(struct hsd *d, const char *name, json_t **result, char *err,
		 size_t errlen)
{
	struct space_row row;
	int rc = space_get(d, name, &row, err, errlen);

	if (rc)
		return rc;
	if (spaces_running(d, name) && row.cmd_exit[0])
		rc = err_set(err, errlen, HS_EINPUT,
			     "name: space \"%s\" is still up, its command ended (%s); stop it first",
			     name, row.cmd_exit);
	else if (spaces_running(d, name))
		rc = err_set(err, errlen, HS_EINPUT, "name: space \"%s\" is already running", name);
	else if (!(rc = space_run(d, &row, err, errlen))) {
		space_row_clear(&row);
		if ((rc = space_get(d, name, &row, err, errlen)))
			return rc;
		*result = space_json(d, &row);
	}
	space_row_clear(&row);
	return rc;
}

static int space_stop_begin(struct hsd *d, struct space_rt *r, const struct done *dn,
			    char *err, size_t errlen)
{
	if (done_pending(&r->stop_done))
		return err_set(err, errlen, HS_EINPUT, "name: space \"%s\" is already stopping", r->name);
	if (syscall(SYS_pidfd_send_signal, r->proc.pidfd, SIGTERM, NULL, 0) && errno != ESRCH)
		return err_sys(err, errlen, "space %s: signal init", r->name);
	r->stop_done = *dn;
	uv_timer_start(&r->kill_timer, on_kill_timer, STOP_KILL_MS, 0);
	(void)d;
	return RPC_DEFERRED;
}

int spaces_stop(struct hsd *d, const char *name, const struct done *dn,
		char *err, size_t errlen)
{
	struct space_row row;
	int rc = space_get(d, name, &row, err, errlen);
	struct space_rt *r;

	if (rc)
		return rc;
	space_row_clear(&row);
	if (!(r = spaces_running(d, name)))
		return err_set(err, errlen, HS_EINPUT, "name: space \"%s\" is not running", name);
	return space_stop_begin(d, r, dn, err, errlen);
}

/* Every trace of a stopped space: network, cgroup, files, record. */
int space_remove(struct hsd *d, const char *name, char *err, size_t errlen)
{
	struct space_row row;
	char group[256];
	int rc = space_get(d, name, &row, err, errlen);

	if (rc)
		return rc;
	space_net_down(d, &row, NULL, 0);
	spaces_announce(d, SPACE_GONE, name, kind_of(&row), NULL);
	snprintf(group, sizeof(group), "hsd/%s/%s", d->spaces->instance, name);
	cgroup_remove(group, NULL, 0);
	if (!(rc = space_files_remove(d, name, err, errlen)) &&
	    !(rc = store_space_delete(d->store, name, err, errlen))) {
		store_event(d->store, "space.destroy", name, "", NULL, 0);
		rc = spaces_net_apply(d, NULL, err, errlen);
	}
	space_row_clear(&row);
	return rc;
}

int spaces_destroy(struct hsd *d, const char *name, const struct done *dn,
		   char *err, size_t errlen)
{
	struct space_row row;
	char *children = NULL;
	int rc = space_get(d, name, &row, err, errlen);
	struct space_rt *r;

	if (rc)
		return rc;
	space_row_clear(&row);
	if ((rc = store_space_children(d->store, name, &children, err, errlen)))
		return rc;
	if (children) {
		rc = err_set(err, errlen, HS_EINPUT,
			     "name: space \"%s\" has spaces inheriting from it (%s); destroy them first",
			     name, children);
		free(children);
		return rc;
	}
	if ((r = spaces_running(d, name))) {
		rc = space_stop_begin(d, r, dn, err, errlen);
		if (rc == RPC_DEFERRED)
			r->destroying = true;
		return rc;
	}
	if ((rc = space_remove(d, name, err, errlen)))
		return rc;
	struct done copy = *dn;
	done_fire(&copy, 0, json_pack("{s:s}", "destroyed", name), NULL);
	return RPC_DEFERRED;
}

int spaces_list(struct hsd *d, json_t **result, char *err, size_t errlen)
{
	struct space_row *rows;
	size_t n;
	int rc = store_space_list(d->store, &rows, &n, err, errlen);

	if (rc)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, space_json(d, &rows[i]));
	space_rows_free(rows, n);
	*result = json_pack("{s:o}", "spaces", arr);
	return 0;
}

int spaces_show(struct hsd *d, const char *name, json_t **result, char *err,
		size_t errlen)
{
	struct space_row row;
	int rc = space_get(d, name, &row, err, errlen);

	if (rc)
		return rc;
	*result = space_json(d, &row);
	space_row_clear(&row);
	return 0;
}
