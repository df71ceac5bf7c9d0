/* meshns.c - the mesh namespace and its per-neighbour WireGuard links. */
#include "meshns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "link.h"
#include "netns.h"
#include "wg_uapi.h"

/* 1 if fd is a network namespace (an nsfs mount), else 0. */
static int is_netns(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

/* A child unshares a new network namespace and bind-mounts it onto path;
 * the mount keeps it alive after the child exits.  A child, so the caller's
 * threads never change namespace even briefly. */
static int mount_new_netns(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return err_sys(err, errlen, "creating %s", path);
	close(fd);
	pid_t pid = fork();
	if (pid < 0)
		return err_sys(err, errlen, "fork");
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys(err, errlen, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return err_set(err, errlen, HS_ESYS,
			       "could not %s a network namespace at %s",
			       WIFEXITED(status) && WEXITSTATUS(status) == 2
				       ? "bind-mount"
				       : "create",
			       path);
	return HS_OK;
}

int meshns_open(struct meshns *ns, const char *path,
		const struct wg_backend *be, char *err, size_t errlen)
{
	int rc;

	memset(ns, 0, sizeof(*ns));
	ns->fd = -1;
	if (snprintf(ns->path, sizeof(ns->path), "%s", path) >=
	    (int)sizeof(ns->path))
		return err_set(err, errlen, HS_EINPUT, "path too long: %s",
			       path);
	ns->be = be ? be : wg_backend_detect();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !is_netns(fd)) {
		close(fd); /* a plain file: a namespace was never mounted */
		fd = -1;
	}
	if (fd < 0) {
		if ((rc = mount_new_netns(path, err, errlen)))
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_sys(err, errlen, "opening %s", path);
		if (!is_netns(fd)) {
			close(fd);
			return err_set(err, errlen, HS_ESYS,
				       "%s is not a network namespace", path);
		}
	}
	ns->fd = fd;
	/* Re-applied on adoption too: cheap and idempotent. */
	if ((rc = link_set_up(fd, "lo", err, errlen)) ||
	    (rc = netns_sysctl_set(fd, "net/ipv4/ip_forward", "1", err,
				   errlen)) ||
	    (rc = netns_sysctl_set(fd, "net/ipv4/conf/all/rp_filter", "0", err,
				   errlen)) ||
	    (rc = netns_sysctl_set(fd, "net/ipv4/conf/default/rp_filter", "0",
				   err, errlen))) {
		meshns_close(ns);
		return rc;
	}
	return HS_OK;
}

void meshns_close(struct meshns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int meshns_destroy(struct meshns *ns, char *err, size_t errlen)
{
	int rc = HS_OK;
	meshns_close(ns);
	if (!ns->path[0])
		return HS_OK;
	if (umount2(ns->path, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		rc = err_sys(err, errlen, "unmounting %s", ns->path);
	if (!rc && unlink(ns->path) < 0 && errno != ENOENT)
		rc = err_sys(err, errlen, "removing %s", ns->path);
	return rc;
}

/* One peer owning the overlay: a peer's packets from outside it (a spoofed
 * underlay or foreign source) are dropped by WireGuard itself. */
void meshns_link_want(const struct meshns_link *l, struct wg_device *want,
		      struct wg_peer *peer, struct wg_allowedip *all)
{
	memset(want, 0, sizeof(*want));
	memset(peer, 0, sizeof(*peer));
	memset(all, 0, sizeof(*all));
	all->family = AF_INET;
	all->cidr = l->allowed_len;
	all->addr.v4 = l->allowed;
	want->flags = WG_DEV_F_HAS_PRIVATE_KEY | WG_DEV_F_HAS_LISTEN_PORT;
	memcpy(want->private_key, l->private_key, KEY_LEN);
	want->listen_port = l->listen_port;
	memcpy(peer->public_key, l->peer_public_key, KEY_LEN);
	peer->endpoint = l->peer_endpoint;
	peer->flags = WG_PEER_F_HAS_KEEPALIVE;
	peer->persistent_keepalive = l->keepalive ? l->keepalive
						  : MESHNS_KEEPALIVE;
	peer->allowed = all;
	peer->n_allowed = 1;
	want->peers = peer;
	want->n_peers = 1;
}

/* Bring the device to the wanted state, sending only differences. */
static int link_apply(struct meshns *ns, const struct meshns_link *l, int nsfd,
		      char *err, size_t errlen)
{
	struct wg_device want, cur, delta;
	struct wg_peer peer;
	struct wg_allowedip all;
	int rc;

	meshns_link_want(l, &want, &peer, &all);
	if ((rc = wg_device_validate(&want, err, errlen)))
		goto out;
	if ((rc = ns->be->get(l->ifname, nsfd, &cur, err, errlen)))
		goto out;
	rc = wg_device_diff(&cur, &want, &delta, err, errlen);
	wg_device_free(&cur);
	if (!rc && !wg_device_is_empty(&delta))
		rc = ns->be->set(l->ifname, nsfd, &delta, err, errlen);
	wg_device_free(&delta);
out:
	sodium_memzero(&want, sizeof(want));
	return rc;
}

/* Address, rp_filter and up: all idempotent. */
static int link_finish(struct meshns *ns, const struct meshns_link *l,
		       char *err, size_t errlen)
{
	char key[96];
	int rc;

	snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", l->ifname);
	if ((rc = netns_sysctl_set(ns->fd, key, "0", err, errlen)))
		return rc;
	if ((rc = link_addr_add_peer(ns->fd, l->ifname, ntohl(l->local.s_addr),
				     32, ntohl(l->peer.s_addr), err, errlen)))
		return rc;
	return link_set_up(ns->fd, l->ifname, err, errlen);
}

int meshns_add_link(struct meshns *ns, struct meshns_link *l, char *err,
		    size_t errlen)
{
	const int userspace = ns->be == &wg_backend_userspace;
	int rc = wg_ifname_valid(l->ifname, err, errlen);
	if (rc)
		return rc;
	bool in_mesh, in_base;
	if ((rc = link_exists(ns->fd, l->ifname, &in_mesh, err, errlen)))
		return rc;
	if (in_mesh) {
		/* A reload, or an hsd restart: adopt, then apply the diff. */
		if (userspace && !wg_uapi_alive(&l->proc) &&
		    (rc = wg_uapi_adopt(l->ifname, &l->proc, err, errlen)))
			return rc;
		if ((rc = link_apply(ns, l, ns->fd, err, errlen)))
			return rc;
		return link_finish(ns, l, err, errlen);
	}

	/* New (or left in the base namespace by a crash mid-way). */
	if ((rc = link_exists(-1, l->ifname, &in_base, err, errlen)))
		return rc;
	if (userspace) {
		if (in_base)
			rc = wg_uapi_adopt(l->ifname, &l->proc, err, errlen);
		if (!in_base || rc)
			rc = ns->be->create(l->ifname, &l->proc, err, errlen);
	} else if (!in_base) {
		rc = ns->be->create(l->ifname, &l->proc, err, errlen);
	}
	if (rc)
		return rc;
	/* Configure before the move: the genl socket is still in the base. */
	if (!(rc = link_apply(ns, l, -1, err, errlen)) &&
	    !(rc = link_move_to_netns(-1, l->ifname, ns->fd, NULL, err,
					 errlen)))
		rc = link_finish(ns, l, err, errlen);
	if (rc) {
		/* One cleanup path: whatever got made goes. */
		bool moved = false;
		link_exists(ns->fd, l->ifname, &moved, NULL, 0);
		int nsfd = moved ? ns->fd : -1;
		ns->be->destroy(l->ifname, nsfd, &l->proc, NULL, 0);
	}
	return rc;
}

int meshns_del_link(struct meshns *ns, struct meshns_link *l, char *err,
		    size_t errlen)
{
	int rc = wg_ifname_valid(l->ifname, err, errlen);
	if (rc)
		return rc;
	rc = ns->be->destroy(l->ifname, ns->fd, &l->proc, err, errlen);
	if (!rc)
		memset(&l->proc, 0, sizeof(l->proc));
	return rc;
}
