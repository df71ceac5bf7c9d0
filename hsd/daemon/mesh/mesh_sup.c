/* mesh_sup.c - keeping each link's wireguard-go running.
 *
 * A dead wireguard-go takes its tunnel device with it, and nothing else
 * would bring the link back before a reload or an hsd restart.  A timer
 * checks every link's process (a child of ours by waitpid on its pid only,
 * an adopted one by its /proc start time), then re-creates and
 * re-configures the link as at start.  Restarts back off when a process
 * keeps dying soon after its start.
 */
#include "daemon.h"
#include "engine_sup.h"
#include "err.h"
#include "link.h"
#include "log.h"
#include "mesh.h"
#include "wg_uapi.h"

#include <linux/rtnetlink.h>
#include <string.h>

#define SUP_CHECK_MS 250          /* how often processes are checked */
#define SUP_BACKOFF_MIN_MS 500    /* after a quick second death */
#define SUP_BACKOFF_MAX_MS 30000
#define SUP_STABLE_MS 30000       /* alive this long: the next restart is at once */

int mesh_link_restart(struct hsd *d, struct mesh_link *l, char *err, size_t errlen)
{
	struct mesh *m = d->mesh;
	int rc;

	/* The device normally went with its process; one left behind (in
	 * either namespace) could not be adopted, so it goes too. */
	link_delete(m->ns.fd, l->ml.ifname, NULL, 0);
	link_delete(-1, l->ml.ifname, NULL, 0);
	memset(&l->ml.proc, 0, sizeof(l->ml.proc));
	if ((rc = meshns_add_link(&m->ns, &l->ml, err, errlen)) ||
	    (rc = link_index(m->ns.fd, l->ml.ifname, &l->ifindex, err, errlen)))
		return rc;
	/* The kernel dropped the routes through the dead device; the engine
	 * still counts them installed, so they are put back as they were,
	 * and it learns the device's new index. */
	engine_sup_reinstall(d, l);
	engine_sup_link_add(d, l);
	return 0;
}

static uint32_t backoff_next(uint32_t ms)
{
	if (ms < SUP_BACKOFF_MIN_MS)
		return SUP_BACKOFF_MIN_MS;
	return ms >= SUP_BACKOFF_MAX_MS / 2 ? SUP_BACKOFF_MAX_MS : ms * 2;
}

static void sup_link(struct hsd *d, struct mesh_link *l, uint64_t now)
{
	char how[96], err[HS_ERRLEN];

	if (wg_uapi_check(&l->ml.proc, how, sizeof(how))) {
		l->wg_retry_at = 0;
		return;
	}
	if (!l->wg_retry_at) {
		/* A process that died soon after its start waits longer each
		 * time; one that ran long enough is restarted at once. */
		if (now - l->wg_started_ms >= SUP_STABLE_MS)
			l->wg_backoff_ms = 0;
		else
			l->wg_backoff_ms = backoff_next(l->wg_backoff_ms);
		l->wg_retry_at = now + l->wg_backoff_ms;
		log_warn("mesh: wireguard-go of %s (link to %s) %s; restart in %u ms",
			 l->ml.ifname, l->name, how, l->wg_backoff_ms);
		memset(&l->ml.proc, 0, sizeof(l->ml.proc)); /* reaped or not ours */
	}
	if (now < l->wg_retry_at)
		return;
	if (mesh_link_restart(d, l, err, sizeof(err))) {
		l->wg_backoff_ms = backoff_next(l->wg_backoff_ms);
		l->wg_retry_at = now + l->wg_backoff_ms;
		log_error("mesh: restarting wireguard-go of %s failed: %s; next try in %u ms",
			  l->ml.ifname, err, l->wg_backoff_ms);
		return;
	}
	l->wg_retry_at = 0;
	l->wg_started_ms = now;
	l->wg_restarts++;
	log_info("mesh: wireguard-go of %s (link to %s) restarted as pid %d (restart %u)",
		 l->ml.ifname, l->name, (int)l->ml.proc.pid, l->wg_restarts);
}

static void on_sup(uv_timer_t *t)
{
	struct hsd *d = t->data;
	struct mesh *m = d->mesh;
	uint64_t now = uv_now(d->loop);

	for (size_t i = 0; i < m->nlinks; i++)
		if (m->links[i].active)
			sup_link(d, &m->links[i], now);
}

void mesh_sup_start(struct hsd *d)
{
	struct mesh *m = d->mesh;

	/* The kernel backend has no process to watch. */
	if (m->be != &wg_backend_userspace || m->sup_running)
		return;
	uint64_t now = uv_now(d->loop);
	for (size_t i = 0; i < m->nlinks; i++)
		m->links[i].wg_started_ms = now;
	uv_timer_init(d->loop, &m->sup_timer);
	m->sup_timer.data = d;
	uv_timer_start(&m->sup_timer, on_sup, SUP_CHECK_MS, SUP_CHECK_MS);
	m->sup_running = true;
}

void mesh_sup_stop(struct hsd *d)
{
	struct mesh *m = d->mesh;

	if (!m || !m->sup_running)
		return;
	uv_close((uv_handle_t *)&m->sup_timer, NULL);
	m->sup_running = false;
}
