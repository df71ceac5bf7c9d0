/* daemon.c - hsd start-up, signals, reload and shutdown. */
#include "daemon.h"
#include "control.h"
#include "disk.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "fleet.h"
#include "fleetdb.h"
#include "inventory.h"
#include "instances.h"
#include "peer.h"
#include "mesh.h"
#include "engine_sup.h"
#include "monitors.h"
#include "rollout.h"
#include "spaces.h"
#include "watch.h"

#include <limits.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read and check cluster.json (or build the embedded default).  Pure: it
 * runs before anything on disk is touched, so bad input changes nothing. */
static int hsd_load_cluster(const struct hsd_options *opt, const uint8_t *pub,
			    struct cluster *c, int *self, char *err,
			    size_t errlen)
{
	int rc, i;

	if (!opt->join) {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		if ((rc = cluster_default(c, opt->host ? opt->host : host, pub, err, errlen)))
			return rc;
		*self = 0;
		return 0;
	}
	if ((rc = cluster_load(opt->join, c, err, errlen)))
		return rc;
	if ((i = cluster_select_host(c, opt->host, err, errlen)) < 0) {
		cluster_free(c);
		return i;
	}
	*self = i;
	return 0;
}

/* Our key must be the one cluster.json lists for us. */
static int hsd_check_key(const struct hsd *d, const struct cluster *c, int self,
			 char *err, size_t errlen)
{
	uint8_t pub[KEY_LEN];

	key_public_of(d->private_key, pub);
	if (memcmp(c->hosts[self].public_key, pub, KEY_LEN) != 0)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: hosts[%d].public_key: does not match the private key in %s/" KEY_PRIVATE_FILE,
			       d->opt.join, self, d->opt.state_dir);
	return 0;
}

/* This host's prefix and the overlay address its mesh, its router's own
 * announcement and every audit space: they change with a restart only. */
static int hsd_check_addresses(const struct hsd *d, const struct cluster *c, int self,
			       char *err, size_t errlen)
{
	const struct cluster_host *now = &d->cluster.hosts[d->self], *next = &c->hosts[self];

	if (c->overlay != d->cluster.overlay || c->overlay_len != d->cluster.overlay_len)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: overlay: cannot change while hsd runs; restart hsd", d->opt.join);
	if (next->prefix != now->prefix || next->prefix_len != now->prefix_len)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: hosts[%d].prefix: this host's prefix cannot change while hsd "
			       "runs; restart hsd", d->opt.join, self);
	return 0;
}

/* The private key: required with --join (it must match cluster.json);
 * generated on first start of the embedded single-host cluster. */
static int hsd_load_key(struct hsd *d, char *err, size_t errlen)
{
	uint8_t pub[KEY_LEN];
	int rc = key_read_private(d->opt.state_dir, d->private_key, err, errlen);

	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" KEY_PRIVATE_FILE, d->opt.state_dir);
	if (rc == HS_ESTATE && !d->opt.join && access(path, F_OK) != 0) {
		if ((rc = key_generate(d->private_key, pub, err, errlen)) ||
		    (rc = key_write_pair(d->opt.state_dir, d->private_key, err, errlen)))
			return rc;
		log_info("generated a key pair in %s", d->opt.state_dir);
	}
	return rc;
}

/* The store remembers whose it is: a state dir moved to another host name
 * is a mistake an operator wants to hear about, not silently adopt. */
static int hsd_claim_store(struct hsd *d, char *err, size_t errlen)
{
	const char *me = d->cluster.hosts[d->self].name;
	char owner[64];
	int rc = store_meta_get(d->store, "host", owner, sizeof(owner), err, errlen);

	if (rc < 0)
		return rc;
	if (rc == 1 && strcmp(owner, me) != 0)
		return err_set(err, errlen, HS_ESTATE,
			       "state dir %s belongs to host \"%s\", not \"%s\"",
			       d->opt.state_dir, owner, me);
	if ((rc = store_meta_set(d->store, "host", me, err, errlen)) ||
	    (rc = store_meta_set(d->store, "cluster", d->cluster.name, err, errlen)))
		return rc;
	return store_event(d->store, "hsd.start", me, HSD_VERSION, err, errlen);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct hsd *d = s->data;
	char err[HS_ERRLEN];

	if (signum == SIGHUP) {
		notify_systemd("RELOADING=1");
		if (hsd_reload(d, NULL, err, sizeof(err)))
			log_error("reload refused, keeping the running configuration: %s", err);
		notify_systemd("READY=1");
		return;
	}
	notify_systemd("STOPPING=1");
	log_info("signal %d: stopping", signum);
	d->stopping = true;
	/* The layers below answer the rollout's calls in flight (with
	 * errors, seen as "stopping"), so the rollout goes after them. */
	instances_free(d);
	spaces_free(d); /* the spaces go on running without us */
	watch_free(d);
	peer_free(d);
	/* Its requests in flight fail first, into a rollout layer still
	 * there; its node stops, the other voters keep the quorum. */
	fleetdb_stop(d);
	rollouts_free(d); /* resumed from the store by the next hsd */
	inventory_free(d);
	metrics_http_stop(d);
	disk_free(d);
	mesh_stop(d);   /* and so do the tunnels */
	control_close(d->control);
	d->control = NULL;
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

static int hsd_signals(struct hsd *d)
{
	uv_signal_t *sigs[] = { &d->sig_term, &d->sig_int, &d->sig_hup };
	int nums[] = { SIGTERM, SIGINT, SIGHUP };

	for (int i = 0; i < 3; i++) {
		uv_signal_init(d->loop, sigs[i]);
		sigs[i]->data = d;
		if (uv_signal_start(sigs[i], on_signal, nums[i]))
			return HS_ESYS;
	}
	return 0;
}

int hsd_init(struct hsd *d, const struct hsd_options *opt, char *err,
	     size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	memset(d, 0, sizeof(*d));
	d->opt = *opt;
	d->state_lock = d->run_lock = -1;
	if (!(d->loop = malloc(sizeof(*d->loop))) || uv_loop_init(d->loop)) {
		free(d->loop);
		d->loop = NULL;
		return err_set(err, errlen, HS_ESYS, "cannot create the event loop");
	}
	if (opt->join &&
	    (rc = hsd_load_cluster(opt, NULL, &d->cluster, &d->self, err, errlen)))
		return rc;
	if ((rc = fs_mkdir_p(opt->state_dir, 0700, err, errlen)) ||
	    (rc = fs_mkdir_p(opt->run_dir, 0755, err, errlen)))
		return rc;
	snprintf(path, sizeof(path), "%s/hsd.lock", opt->state_dir);
	if ((d->state_lock = fs_lock_pidfile(path, opt->state_dir, err, errlen)) < 0)
		return d->state_lock;
	snprintf(path, sizeof(path), "%s/hsd.pid", opt->run_dir);
	if ((d->run_lock = fs_lock_pidfile(path, opt->run_dir, err, errlen)) < 0)
		return d->run_lock;
	if ((rc = hsd_load_key(d, err, errlen)))
		return rc;
	if (opt->join) {
		if ((rc = hsd_check_key(d, &d->cluster, d->self, err, errlen)))
			return rc;
	} else {
		uint8_t pub[KEY_LEN];
		key_public_of(d->private_key, pub);
		if ((rc = hsd_load_cluster(opt, pub, &d->cluster, &d->self, err, errlen)))
			return rc;
	}
	snprintf(path, sizeof(path), "%s/hsd.db", opt->state_dir);
	if ((rc = store_open(path, &d->store, err, errlen)) ||
	    (rc = hsd_claim_store(d, err, errlen)))
		return rc;
	/* Other hosts are served the fleet's commands (the mesh does not
	 * know the fleet).  The monitors follow the spaces' life before the
	 * spaces are re-adopted, so every running space gets its views and
	 * relays again; they register before the instances, so on a stop
	 * they let go first (spaces_observe.c).  The instances come after
	 * the re-adoption, which mounts the layers their consoles live on. */
	static const struct peer_service fleet_service = { fleet_cmds, fleet_bundle_put };
	if ((rc = disk_init(d, err, errlen)) ||
	    (rc = mesh_start(d, err, errlen)) || (rc = fleetdb_start(d, err, errlen)) ||
	    (rc = peer_init(d, &fleet_service, err, errlen)) ||
	    (rc = watch_init(d, err, errlen)) ||
	    (rc = spaces_init(d, err, errlen)) || (rc = monitors_init(d, err, errlen)) ||
	    (rc = spaces_adopt(d, err, errlen)) || (rc = instances_init(d, err, errlen)) ||
	    (rc = rollouts_init(d, err, errlen)) || (rc = inventory_init(d, err, errlen)))
		return rc;
	if (opt->metrics) {
		struct sockaddr_storage ss;
		if ((rc = metrics_http_parse(opt->metrics, &ss, err, errlen)) ||
		    (rc = metrics_http_start(d, &ss, err, errlen)))
			return rc;
	}
	snprintf(path, sizeof(path), "%s/" CONTROL_SOCKET, opt->run_dir);
	if ((rc = control_open(d, path, &d->control, err, errlen)))
		return rc;
	if (hsd_signals(d))
		return err_set(err, errlen, HS_ESYS, "cannot install signal handlers");
	d->started_ms = uv_now(d->loop) | 1; /* non-zero: start-up completed */
	log_info("hsd %s: host %s of cluster %s (%zu hosts), control %s",
		 HSD_VERSION, d->cluster.hosts[d->self].name, d->cluster.name,
		 d->cluster.nhosts, path);
	/* Ready: the control socket answers and every space was re-adopted. */
	char ready[256];
	snprintf(ready, sizeof(ready), "READY=1\nMAINPID=%d\nSTATUS=host %s of cluster %s",
		 (int)getpid(), d->cluster.hosts[d->self].name, d->cluster.name);
	notify_systemd(ready);
	return 0;
}

int hsd_run(struct hsd *d)
{
	return uv_run(d->loop, UV_RUN_DEFAULT);
}

int hsd_reload(struct hsd *d, json_t **summary, char *err, size_t errlen)
{
	struct cluster next;
	struct cluster_diff diff;
	bool timers_changed;
	int self, rc;

	if (summary)
		*summary = NULL;
	if (!d->opt.join) {
		log_info("reload: the embedded single-host cluster has nothing to reload");
		if (summary)
			*summary = json_pack("{s:b, s:s}", "reloaded", 0, "why",
					     "no --join: the embedded single-host cluster has no file to read");
		return 0;
	}
	if ((rc = hsd_load_cluster(&d->opt, NULL, &next, &self, err, errlen)))
		return rc;
	if ((rc = hsd_check_key(d, &next, self, err, errlen)) ||
	    (rc = hsd_check_addresses(d, &next, self, err, errlen))) {
		cluster_free(&next);
		return rc;
	}
	if ((rc = cluster_diff(&d->cluster, &next, &diff, err, errlen))) {
		cluster_free(&next);
		return rc;
	}
	/* New operators take effect for every later signature check: that is
	 * how a key is revoked (docs/security.md). */
	log_info("reloaded %s: %zu hosts added, %zu removed, %zu changed, %zu links added, %zu removed%s%s",
		 d->opt.join, diff.nadded, diff.nremoved, diff.nchanged,
		 diff.nlinks_added, diff.nlinks_removed,
		 diff.operators_changed ? ", operators changed" : "",
		 diff.mesh_changed ? ", mesh timers changed" : "");
	if (summary)
		*summary = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "reloaded", 1,
				     "file", d->opt.join, "hosts_added", (json_int_t)diff.nadded,
				     "hosts_removed", (json_int_t)diff.nremoved,
				     "hosts_changed", (json_int_t)diff.nchanged,
				     "links_added", (json_int_t)diff.nlinks_added,
				     "links_removed", (json_int_t)diff.nlinks_removed,
				     "operators_changed", diff.operators_changed,
				     "mesh_changed", diff.mesh_changed);
	timers_changed = diff.mesh_changed;
	cluster_diff_free(&diff);
	cluster_free(&d->cluster);
	d->cluster = next;
	d->self = self;
	if ((rc = mesh_reload(d, err, errlen))) {
		/* Applied: the file is the running configuration now; the
		 * mesh supervisor tries again (docs/mesh.md). */
		log_error("reload: mesh: %s", err);
		if (summary && *summary)
			json_object_set_new(*summary, "mesh_error", json_string(err));
	}
	/* hsroute takes its timers when it starts: a new engine applies them
	 * (every host reloads the same file; until all have, hellos and
	 * dead_ms differ across some links). */
	if (timers_changed)
		engine_sup_restart(d);
	fleetdb_reload(d);
	return store_event(d->store, "cluster.reload", d->opt.join, "", err, errlen);
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void hsd_free(struct hsd *d)
{
	if (d->loop) {
		d->stopping = true;
		instances_free(d); /* answers the rollout's calls: see on_signal */
		spaces_free(d);
		watch_free(d);
		peer_free(d);
		fleetdb_stop(d);
		rollouts_free(d);
		inventory_free(d);
		metrics_http_stop(d);
		disk_free(d);
		mesh_stop(d);
		if (d->control)
			control_close(d->control);
		uv_walk(d->loop, close_handle, NULL);
		/* Let every close callback run before the loop goes away. */
		uv_run(d->loop, UV_RUN_DEFAULT);
		uv_loop_close(d->loop);
		free(d->loop);
	}
	if (d->store && d->started_ms) {
		char err[HS_ERRLEN];
		store_event(d->store, "hsd.stop", "", "", err, sizeof(err));
	}
	store_close(d->store);
	cluster_free(&d->cluster);
	if (d->run_lock >= 0)
		close(d->run_lock);
	if (d->state_lock >= 0)
		close(d->state_lock);
	memset(d->private_key, 0, sizeof(d->private_key));
}
