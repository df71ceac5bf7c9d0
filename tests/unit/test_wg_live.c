/* test_wg_live.c - two simulated hosts joined by a veth, each with a mesh
 * namespace and one wireguard-go link to the other.
 *
 * Everything lives in namespaces made here: a private mount namespace with
 * a tmpfs on /run (so /var/run/wireguard and the namespace mounts vanish
 * with the test), host netns A and B, and mesh netns A and B.  Only the
 * wireguard-go processes this test starts are stopped, by pid.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "keys.h"
#include "link.h"
#include "meshns.h"
#include "netns.h"
#include "wg_uapi.h"

#define DIR "/run/hswg"
#define PORT 51820
#define TCP_PORT 7000

static struct meshns host_a = { .fd = -1 }, host_b = { .fd = -1 };
static struct meshns mesh_a = { .fd = -1 }, mesh_b = { .fd = -1 };
static struct meshns_link link_a, link_b;
static int ready;

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a;
}

static void setup(void)
{
	char err[HS_ERRLEN];

	if (geteuid() != 0)
		return;
	if (access("/usr/bin/wireguard-go", X_OK) && system("command -v "
							   "wireguard-go >/dev/null"))
		return;
	/* A private /run: sockets and namespace mounts stay ours. */
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL), 0);
	cr_assert_eq(mount("hswg", "/run", "tmpfs", 0, "mode=0755"), 0,
		     "tmpfs: %s", strerror(errno));
	cr_assert_eq(mkdir(DIR, 0700), 0);

	const struct wg_backend *us = &wg_backend_userspace;
	cr_assert_eq(meshns_open(&host_a, DIR "/host_a", us, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(meshns_open(&host_b, DIR "/host_b", us, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(meshns_open(&mesh_a, DIR "/mesh_a", us, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(meshns_open(&mesh_b, DIR "/mesh_b", us, err, sizeof(err)),
		     0, "%s", err);
	/* The underlay: 192.0.2.0/24 exists only inside these namespaces. */
	int saved;
	cr_assert_eq(netns_enter(host_a.fd, &saved, err, sizeof(err)), 0, "%s",
		     err);
	int vrc = link_veth_create("ul", host_b.fd, "ul", err, sizeof(err));
	cr_assert_eq(netns_leave(saved, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vrc, 0, "%s", err);
	uint32_t ua = ntohl(ip("192.0.2.1").s_addr);
	uint32_t ub = ntohl(ip("192.0.2.2").s_addr);
	cr_assert_eq(link_addr_add(host_a.fd, "ul", ua, 24, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(link_addr_add(host_b.fd, "ul", ub, 24, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(link_set_up(host_a.fd, "ul", err, sizeof(err)), 0);
	cr_assert_eq(link_set_up(host_b.fd, "ul", err, sizeof(err)), 0);

	/* Fresh keys; names and ports from the neighbour's index. */
	uint8_t pub_a[KEY_LEN], pub_b[KEY_LEN];
	cr_assert_eq(key_generate(link_a.private_key, pub_a, err, sizeof(err)), 0);
	cr_assert_eq(key_generate(link_b.private_key, pub_b, err, sizeof(err)), 0);
	strcpy(link_a.ifname, "hsm2");
	strcpy(link_b.ifname, "hsm1");
	link_a.listen_port = link_b.listen_port = PORT;
	memcpy(link_a.peer_public_key, pub_b, KEY_LEN);
	memcpy(link_b.peer_public_key, pub_a, KEY_LEN);
	cr_assert_eq(wg_endpoint_parse("192.0.2.2:51820", &link_a.peer_endpoint), 0);
	cr_assert_eq(wg_endpoint_parse("192.0.2.1:51820", &link_b.peer_endpoint), 0);
	link_a.local = link_b.peer = ip("10.99.1.1");
	link_b.local = link_a.peer = ip("10.99.2.1");
	ready = 1;
}

/* Run meshns_add_link with the thread in host (its base namespace), where
 * wireguard-go starts and its UDP socket stays. */
static int add_link_in(struct meshns *host, struct meshns *mesh,
		       struct meshns_link *l, char *err, size_t errlen)
{
	int saved;
	int rc = netns_enter(host->fd, &saved, err, errlen);
	if (rc)
		return rc;
	rc = meshns_add_link(mesh, l, err, errlen);
	int lrc = netns_leave(saved, err, errlen);
	return rc ? rc : lrc;
}

static void teardown(void)
{
	char err[HS_ERRLEN];
	struct meshns_link *links[] = { &link_a, &link_b };
	struct meshns *meshes[] = { &mesh_a, &mesh_b };

	for (int i = 0; i < 2; i++) {
		pid_t pid = links[i]->proc.pid;
		if (links[i]->ifname[0] && meshes[i]->fd >= 0 &&
		    meshns_del_link(meshes[i], links[i], err, sizeof(err)))
			fprintf(stderr, "del_link: %s\n", err);
		/* Belt and braces: our own child, by pid. */
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	struct meshns *all[] = { &mesh_a, &mesh_b, &host_a, &host_b };
	for (int i = 0; i < 4; i++)
		if (all[i]->path[0] && meshns_destroy(all[i], err, sizeof(err)))
			fprintf(stderr, "destroy: %s\n", err);
	if (ready || access(DIR, F_OK) == 0) {
		rmdir(DIR);
		umount2("/run", MNT_DETACH);
	}
}

TestSuite(wg_live, .init = setup, .fini = teardown, .timeout = 120);

/* A socket of the given type made inside ns. */
static int socket_in(struct meshns *ns, int type, int proto)
{
	char err[HS_ERRLEN];
	int saved;
	cr_assert_eq(netns_enter(ns->fd, &saved, err, sizeof(err)), 0);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, proto);
	cr_assert_eq(netns_leave(saved, err, sizeof(err)), 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	return fd;
}

/* Connect from ns to addr:port within ms; 0 or the errno. */
static int tcp_connect(struct meshns *ns, const char *addr, int port, int ms,
		       int *out_fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr = ip(addr) };
	int fd = socket_in(ns, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int e = 0;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t l = sizeof(e);
			if (poll(&p, 1, ms) == 1)
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
			else
				e = ETIMEDOUT;
		}
	}
	if (out_fd && !e)
		*out_fd = fd;
	else
		close(fd);
	return e;
}

static uint16_t icmp_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* One echo from ns to addr; 1 if answered within ms. */
static int ping(struct meshns *ns, const char *addr, int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = ip(addr) };
	struct icmphdr req = { .type = ICMP_ECHO };
	int fd = socket_in(ns, SOCK_RAW, IPPROTO_ICMP);
	req.un.echo.id = htons((uint16_t)getpid());
	req.un.echo.sequence = htons(1);
	req.checksum = icmp_sum(&req, sizeof(req));
	sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sin, sizeof(sin));
	int ok = 0;
	for (int waited = 0; !ok && waited < ms; waited += 100) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t buf[1500];
		if (poll(&p, 1, 100) != 1)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t ihl = n > 0 ? (size_t)(buf[0] & 0xf) * 4 : 0;
		if (n >= (ssize_t)(ihl + sizeof(req))) {
			struct icmphdr rep;
			memcpy(&rep, buf + ihl, sizeof(rep));
			ok = rep.type == ICMP_ECHOREPLY &&
			     rep.un.echo.id == req.un.echo.id;
		}
	}
	close(fd);
	return ok;
}

static void get_peer(struct meshns_link *l, struct wg_peer *out, uint16_t *port)
{
	char err[HS_ERRLEN];
	struct wg_device d;
	cr_assert_eq(wg_backend_userspace.get(l->ifname, -1, &d, err,
					      sizeof(err)), 0, "%s", err);
	cr_assert_eq(d.n_peers, 1);
	*out = d.peers[0];
	out->allowed = NULL;
	cr_assert_eq(d.peers[0].n_allowed, 1);
	cr_assert_eq(d.peers[0].allowed[0].cidr, 0);
	*port = d.listen_port;
	wg_device_free(&d);
}

Test(wg_live, two_hosts_talk_only_through_the_tunnel)
{
	char err[HS_ERRLEN];

	if (geteuid() != 0)
		cr_skip("needs root (namespaces, wireguard-go)");
	if (!ready)
		cr_skip("wireguard-go is not installed");

	cr_assert_eq(add_link_in(&host_a, &mesh_a, &link_a, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(add_link_in(&host_b, &mesh_b, &link_b, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_gt(link_a.proc.pid, 0);
	cr_assert(wg_uapi_alive(&link_a.proc));
	cr_assert(wg_uapi_alive(&link_b.proc));
	/* The links live in the mesh namespaces, not in the hosts. */
	bool there;
	cr_assert_eq(link_exists(mesh_a.fd, "hsm2", &there, err, sizeof(err)), 0);
	cr_assert(there);
	cr_assert_eq(link_exists(host_a.fd, "hsm2", &there, err, sizeof(err)), 0);
	cr_assert_not(there);

	/* TCP from mesh A to a listener in mesh B, through the tunnel. */
	int lfd = socket_in(&mesh_b, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(TCP_PORT) };
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(lfd, (struct sockaddr *)&any, sizeof(any)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	int cfd = -1, e = ETIMEDOUT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10 && e; i++)
		e = tcp_connect(&mesh_a, "10.99.2.1", TCP_PORT, 1000, &cfd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(e, 0, "TCP mesh A -> mesh B: %s", strerror(e));
	fprintf(stderr, "wg_live: first TCP connect through the tunnel after "
		"%ld ms\n", (long)((t1.tv_sec - t0.tv_sec) * 1000 +
				   (t1.tv_nsec - t0.tv_nsec) / 1000000));
	int afd = accept(lfd, NULL, NULL);
	cr_assert_geq(afd, 0);
	cr_assert_eq(write(cfd, "hi", 2), 2);
	char got[2];
	struct pollfd pr = { .fd = afd, .events = POLLIN };
	cr_assert_eq(poll(&pr, 1, 3000), 1);
	cr_assert_eq(read(afd, got, 2), 2);
	cr_assert_eq(memcmp(got, "hi", 2), 0);
	close(afd);
	close(cfd);

	cr_assert(ping(&mesh_a, "10.99.2.1", 3000), "no ICMP echo reply A->B");
	cr_assert(ping(&mesh_b, "10.99.1.1", 3000), "no ICMP echo reply B->A");

	/* Handshake and counters are visible. */
	struct wg_peer pa, pb;
	uint16_t port_a, port_b;
	get_peer(&link_a, &pa, &port_a);
	get_peer(&link_b, &pb, &port_b);
	cr_assert_gt(pa.last_handshake.tv_sec, 0);
	cr_assert_gt(pb.last_handshake.tv_sec, 0);
	cr_assert_gt(pa.rx_bytes, 0);
	cr_assert_gt(pa.tx_bytes, 0);
	cr_assert_gt(pb.rx_bytes, 0);
	cr_assert_eq(port_a, PORT);
	fprintf(stderr, "wg_live: A rx %llu tx %llu bytes\n",
		(unsigned long long)pa.rx_bytes, (unsigned long long)pa.tx_bytes);

	/* The underlay sees only WireGuard's UDP port: B's UDP socket is in
	 * host B (the port is taken there, free in mesh B) ... */
	struct sockaddr_in udp = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	int ufd = socket_in(&host_b, SOCK_DGRAM, 0);
	cr_assert_eq(bind(ufd, (struct sockaddr *)&udp, sizeof(udp)), -1);
	cr_assert_eq(errno, EADDRINUSE);
	close(ufd);
	ufd = socket_in(&mesh_b, SOCK_DGRAM, 0);
	cr_assert_eq(bind(ufd, (struct sockaddr *)&udp, sizeof(udp)), 0);
	close(ufd);
	/* ... mesh B's TCP listener is not on host B's underlay address ... */
	e = tcp_connect(&host_a, "192.0.2.2", TCP_PORT, 1000, NULL);
	cr_assert_eq(e, ECONNREFUSED, "underlay TCP: %s", strerror(e));
	/* ... and mesh B's overlay address has no route from host A. */
	e = tcp_connect(&host_a, "10.99.2.1", TCP_PORT, 1000, NULL);
	cr_assert_neq(e, 0, "mesh B reachable from host A without the tunnel");
	cr_assert(!ping(&host_a, "10.99.2.1", 500));
	close(lfd);

	/* Re-applying the same configuration changes nothing. */
	pid_t pid_a = link_a.proc.pid;
	cr_assert_eq(add_link_in(&host_a, &mesh_a, &link_a, err, sizeof(err)),
		     0, "%s", err);
	struct wg_peer pa2;
	uint16_t port_a2;
	get_peer(&link_a, &pa2, &port_a2);
	cr_assert_eq(port_a2, port_a);
	cr_assert_eq(pa2.last_handshake.tv_sec, pa.last_handshake.tv_sec);
	cr_assert_eq(pa2.last_handshake.tv_nsec, pa.last_handshake.tv_nsec);
	cr_assert_eq(link_a.proc.pid, pid_a);

	/* After an "hsd restart" (the pid forgotten) the process is adopted,
	 * again without touching the session. */
	struct wg_proc saved = link_a.proc;
	memset(&link_a.proc, 0, sizeof(link_a.proc));
	cr_assert_eq(add_link_in(&host_a, &mesh_a, &link_a, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(link_a.proc.pid, saved.pid);
	cr_assert_eq(link_a.proc.start_time, saved.start_time);
	link_a.proc.is_child = 1; /* still ours to reap */
	get_peer(&link_a, &pa2, &port_a2);
	cr_assert_eq(pa2.last_handshake.tv_sec, pa.last_handshake.tv_sec);
	cr_assert(ping(&mesh_a, "10.99.2.1", 3000), "no echo after re-adopt");

	/* Deleting a link stops its wireguard-go and removes its socket. */
	cr_assert_eq(meshns_del_link(&mesh_b, &link_b, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(link_b.proc.pid, 0);
	cr_assert_neq(access(WG_UAPI_DIR "/hsm1.sock", F_OK), 0);
	cr_assert_eq(link_exists(mesh_b.fd, "hsm1", &there, err, sizeof(err)), 0);
	cr_assert_not(there);
}
