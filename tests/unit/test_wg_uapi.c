/* test_wg_uapi.c - UAPI request building, reply parsing, validation, and
 * the configuration diff. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wg.h"
#include "wg_uapi.h"

/* Run as "PROG -f IFNAME" with HS_FAKEWG_SLOW set, this binary stands in
 * for a wireguard-go that binds its socket, takes a while before listen(2),
 * and then, as the real one does with inotify, gives up if the socket file
 * is gone.  It answers every request with an empty, successful get reply. */
__attribute__((constructor)) static void fakewg_slow(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (!getenv("HS_FAKEWG_SLOW") || argc != 3)
		return;
	mkdir(WG_UAPI_DIR, 0755);
	snprintf(sun.sun_path, sizeof(sun.sun_path), WG_UAPI_DIR "/%s.sock",
		 argv[2]);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		_exit(2);
	nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000000L }, NULL);
	if (stat(sun.sun_path, &st) < 0) {
		fprintf(stderr, "Failed to listen on uapi socket: %s\n",
			strerror(errno));
		_exit(1);
	}
	if (listen(fd, 8) < 0)
		_exit(2);
	for (;;) {
		char req[64];
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, req, sizeof(req)) > 0 &&
		    write(c, "errno=0\n\n", 9) < 0)
			_exit(2);
		close(c);
	}
}

static void fill_key(uint8_t k[KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < KEY_LEN; i++)
		k[i] = (uint8_t)(seed + i);
}

static struct wg_allowedip aip(const char *text)
{
	struct wg_allowedip a;
	cr_assert_eq(wg_allowedip_parse(text, &a), 0, "%s", text);
	return a;
}

static struct sockaddr_storage ep(const char *text)
{
	struct sockaddr_storage ss;
	cr_assert_eq(wg_endpoint_parse(text, &ss), 0, "%s", text);
	return ss;
}

Test(wg_uapi, format_set_exact_text)
{
	struct wg_allowedip a1[] = { aip("10.1.0.0/16"), aip("fd00::/64") };
	struct wg_allowedip a2[] = { aip("0.0.0.0/0") };
	struct wg_peer peers[3] = { 0 };
	struct wg_device dev = { 0 };
	char priv[65], p0[65], p1[65], p2[65], *out, err[HS_ERRLEN];
	size_t len;

	dev.flags = WG_DEV_F_HAS_PRIVATE_KEY | WG_DEV_F_HAS_LISTEN_PORT |
		    WG_DEV_F_HAS_FWMARK;
	fill_key(dev.private_key, 1);
	dev.listen_port = 51820;
	dev.fwmark = 0;
	fill_key(peers[0].public_key, 40);
	peers[0].endpoint = ep("192.0.2.7:4242");
	peers[0].flags = WG_PEER_F_HAS_KEEPALIVE;
	peers[0].persistent_keepalive = 5;
	peers[0].allowed = a1;
	peers[0].n_allowed = 2;
	fill_key(peers[1].public_key, 80);
	peers[1].endpoint = ep("[2001:db8::1]:51821");
	peers[1].flags = WG_PEER_F_UPDATE_ONLY | WG_PEER_F_REPLACE_ALLOWEDIPS;
	peers[1].allowed = a2;
	peers[1].n_allowed = 1;
	fill_key(peers[2].public_key, 120);
	peers[2].flags = WG_PEER_F_REMOVE;
	dev.peers = peers;
	dev.n_peers = 3;

	cr_assert_eq(wg_uapi_format_set(&dev, &out, &len, err, sizeof(err)), 0,
		     "%s", err);
	key_to_hex(dev.private_key, priv);
	key_to_hex(peers[0].public_key, p0);
	key_to_hex(peers[1].public_key, p1);
	key_to_hex(peers[2].public_key, p2);
	char want[2048];
	snprintf(want, sizeof(want),
		 "set=1\nprivate_key=%s\nlisten_port=51820\nfwmark=0\n"
		 "public_key=%s\nendpoint=192.0.2.7:4242\n"
		 "persistent_keepalive_interval=5\n"
		 "allowed_ip=10.1.0.0/16\nallowed_ip=fd00::/64\n"
		 "public_key=%s\nupdate_only=true\n"
		 "endpoint=[2001:db8::1]:51821\nreplace_allowed_ips=true\n"
		 "allowed_ip=0.0.0.0/0\n"
		 "public_key=%s\nremove=true\n\n",
		 priv, p0, p1, p2);
	cr_assert_eq(len, strlen(out));
	cr_assert_str_eq(out, want);
	cr_assert_null(strstr(out, "replace_peers"));
	wg_uapi_buf_free(out, len);
}

/* Each invalid request is refused whole, with nothing formatted. */
static void expect_invalid(const struct wg_device *dev, const char *needle)
{
	char err[HS_ERRLEN] = "", *out = (char *)1;
	size_t len = 1;
	cr_assert_eq(wg_uapi_format_set(dev, &out, &len, err, sizeof(err)),
		     HS_EINPUT, "accepted (wanted: %s)", needle);
	cr_assert_null(out);
	cr_assert_eq(len, 0);
	cr_assert_not_null(strstr(err, needle), "err \"%s\" lacks \"%s\"", err,
			   needle);
	cr_assert_null(strchr(err, '\n'));
}

Test(wg_uapi, validation_errors)
{
	struct wg_allowedip a[] = { aip("10.0.0.0/8"), aip("10.0.0.0/8") };
	struct wg_peer peers[2] = { 0 };
	struct wg_device dev = { .peers = peers, .n_peers = 1 };

	expect_invalid(&dev, "all-zero public key");

	fill_key(peers[0].public_key, 9);
	fill_key(peers[1].public_key, 9);
	dev.n_peers = 2;
	expect_invalid(&dev, "listed twice");

	fill_key(peers[1].public_key, 77);
	peers[0].allowed = &a[0];
	peers[0].n_allowed = 1;
	peers[1].allowed = &a[1];
	peers[1].n_allowed = 1;
	expect_invalid(&dev, "allowed IP 10.0.0.0/8 is listed twice");

	peers[1].n_allowed = 0;
	peers[0].flags = WG_PEER_F_REMOVE;
	expect_invalid(&dev, "removed and configured");

	peers[0].flags = 0;
	a[0].cidr = 33;
	expect_invalid(&dev, "malformed");
	a[0].cidr = 8;

	peers[0].endpoint = ep("192.0.2.1:1");
	((struct sockaddr_in *)&peers[0].endpoint)->sin_port = 0;
	expect_invalid(&dev, "port 0");
	memset(&peers[0].endpoint, 0, sizeof(peers[0].endpoint));

	/* The device's own public key as a peer. */
	dev.flags = WG_DEV_F_HAS_PRIVATE_KEY;
	fill_key(dev.private_key, 3);
	key_public_of(dev.private_key, peers[1].public_key);
	expect_invalid(&dev, "own key");

	dev.flags = WG_DEV_F_HAS_PUBLIC_KEY;
	expect_invalid(&dev, "not settable");
}

Test(wg_uapi, error_messages_never_hold_private_keys)
{
	struct wg_peer peer = { 0 };
	struct wg_device dev = { .flags = WG_DEV_F_HAS_PRIVATE_KEY,
				 .peers = &peer, .n_peers = 1 };
	char err[HS_ERRLEN], *out = NULL, hex[65], b64[KEY_B64_LEN + 1];
	size_t len;

	fill_key(dev.private_key, 200);
	key_public_of(dev.private_key, peer.public_key);
	cr_assert_eq(wg_uapi_format_set(&dev, &out, &len, err, sizeof(err)),
		     HS_EINPUT);
	key_to_hex(dev.private_key, hex);
	key_to_base64(dev.private_key, b64);
	cr_assert_null(strstr(err, hex));
	cr_assert_null(strstr(err, b64));
}

Test(wg_uapi, parse_get_reply)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN], p1[KEY_LEN], p2[KEY_LEN];
	char hpriv[65], hp1[65], hp2[65], reply[4096], err[HS_ERRLEN];
	struct wg_device dev;

	fill_key(priv, 5);
	key_public_of(priv, pub);
	fill_key(p1, 50);
	fill_key(p2, 90);
	key_to_hex(priv, hpriv);
	key_to_hex(p1, hp1);
	key_to_hex(p2, hp2);
	snprintf(reply, sizeof(reply),
		 "private_key=%s\nlisten_port=51999\nsome_future_key=1\n"
		 "public_key=%s\npreshared_key=%064d\nprotocol_version=1\n"
		 "endpoint=192.0.2.2:51820\nlast_handshake_time_sec=1700000000\n"
		 "last_handshake_time_nsec=123\ntx_bytes=1000\nrx_bytes=2000\n"
		 "persistent_keepalive_interval=5\nallowed_ip=0.0.0.0/0\n"
		 "public_key=%s\nendpoint=[2001:db8::9]:7\n"
		 "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
		 "tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n"
		 "allowed_ip=10.9.0.0/16\nallowed_ip=fd00::1/128\n"
		 "errno=0\n\n",
		 hpriv, hp1, 0, hp2);
	cr_assert_eq(wg_uapi_parse_get(reply, strlen(reply), &dev, err,
				       sizeof(err)),
		     0, "%s", err);
	cr_assert(dev.flags & WG_DEV_F_HAS_PUBLIC_KEY);
	cr_assert_eq(memcmp(dev.public_key, pub, KEY_LEN), 0);
	cr_assert_eq(memcmp(dev.private_key, priv, KEY_LEN), 0);
	cr_assert_eq(dev.listen_port, 51999);
	cr_assert_eq(dev.n_peers, 2);
	struct wg_peer *a = &dev.peers[0], *b = &dev.peers[1];
	cr_assert_eq(memcmp(a->public_key, p1, KEY_LEN), 0);
	cr_assert_eq(a->last_handshake.tv_sec, 1700000000);
	cr_assert_eq(a->last_handshake.tv_nsec, 123);
	cr_assert_eq(a->tx_bytes, 1000);
	cr_assert_eq(a->rx_bytes, 2000);
	cr_assert_eq(a->persistent_keepalive, 5);
	cr_assert_eq(a->n_allowed, 1);
	cr_assert_eq(a->allowed[0].cidr, 0);
	char txt[64];
	cr_assert_eq(wg_endpoint_format(&a->endpoint, txt, sizeof(txt)), 0);
	cr_assert_str_eq(txt, "192.0.2.2:51820");
	cr_assert_eq(wg_endpoint_format(&b->endpoint, txt, sizeof(txt)), 0);
	cr_assert_str_eq(txt, "[2001:db8::9]:7");
	cr_assert_eq(b->n_allowed, 2);
	cr_assert_eq(wg_allowedip_format(&b->allowed[1], txt, sizeof(txt)), 0);
	cr_assert_str_eq(txt, "fd00::1/128");
	wg_device_free(&dev);
	cr_assert_eq(dev.n_peers, 0);
	cr_assert_null(dev.peers);
}

Test(wg_uapi, parse_negative_and_positive_errno)
{
	char err[HS_ERRLEN];
	struct wg_device dev;
	int remote;
	static const char neg[] = "errno=-22\n\n";
	static const char pos[] = "errno=98\n\n";

	cr_assert_eq(wg_uapi_parse_get(neg, strlen(neg), &dev, err, sizeof(err)),
		     HS_ESYS);
	cr_assert_not_null(strstr(err, "Invalid argument"), "%s", err);
	cr_assert_not_null(strstr(err, "-22"), "%s", err);
	cr_assert_eq(dev.n_peers, 0);

	cr_assert_eq(wg_uapi_parse_errno(neg, strlen(neg), &remote, err,
					 sizeof(err)), 0);
	cr_assert_eq(remote, -22);
	cr_assert_eq(wg_uapi_parse_errno(pos, strlen(pos), &remote, err,
					 sizeof(err)), 0);
	cr_assert_eq(remote, 98);
	cr_assert_eq(wg_uapi_parse_errno("errno=0\n\n", 9, &remote, err,
					 sizeof(err)), 0);
	cr_assert_eq(remote, 0);
	cr_assert_eq(wg_uapi_parse_errno("errno=x\n\n", 9, &remote, err,
					 sizeof(err)), HS_ESYS);
	cr_assert_eq(wg_uapi_parse_errno("errno=0\n", 8, &remote, err,
					 sizeof(err)), HS_ESYS);
}

Test(wg_uapi, parse_get_rejects_malformed)
{
	char err[HS_ERRLEN];
	struct wg_device dev;
	static const char *bad[] = {
		"listen_port=51820\n",                  /* truncated */
		"listen_port=51820\n\n",                /* no errno */
		"listen_port=70000\nerrno=0\n\n",       /* out of range */
		"public_key=zz\nerrno=0\n\n",           /* bad key */
		"noequals\nerrno=0\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(wg_uapi_parse_get(bad[i], strlen(bad[i]), &dev, err,
					       sizeof(err)),
			     HS_ESYS, "accepted: %s", bad[i]);
		cr_assert_null(dev.peers);
	}
}

Test(wg_uapi, endpoint_and_allowedip_parsing)
{
	struct sockaddr_storage ss;
	struct wg_allowedip a;
	cr_assert_eq(wg_endpoint_parse("192.0.2.1:0", &ss), 0);
	cr_assert_neq(wg_endpoint_parse("192.0.2.1", &ss), 0);
	cr_assert_neq(wg_endpoint_parse("192.0.2.1:65536", &ss), 0);
	cr_assert_neq(wg_endpoint_parse("2001:db8::1:80", &ss), 0);
	cr_assert_neq(wg_endpoint_parse("[2001:db8::1]80", &ss), 0);
	cr_assert_neq(wg_allowedip_parse("10.0.0.0", &a), 0);
	cr_assert_neq(wg_allowedip_parse("10.0.0.0/", &a), 0);
	cr_assert_neq(wg_allowedip_parse("::/129", &a), 0);
	cr_assert_neq(wg_allowedip_parse("10.0.0.0/-1", &a), 0);
	char err[HS_ERRLEN];
	cr_assert_eq(wg_ifname_valid("hsm1", err, sizeof(err)), 0);
	cr_assert_eq(wg_ifname_valid("../x", err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(wg_ifname_valid("0123456789abcdef", err, sizeof(err)),
		     HS_EINPUT);
	cr_assert_eq(wg_ifname_valid("", err, sizeof(err)), HS_EINPUT);
}

/* --- diff --- */

static void one_peer_device(struct wg_device *d, struct wg_peer *p,
			    struct wg_allowedip *a, size_t na)
{
	memset(d, 0, sizeof(*d));
	memset(p, 0, sizeof(*p));
	d->flags = WG_DEV_F_HAS_PRIVATE_KEY | WG_DEV_F_HAS_LISTEN_PORT;
	fill_key(d->private_key, 1);
	d->listen_port = 51820;
	fill_key(p->public_key, 60);
	p->endpoint = ep("192.0.2.2:51820");
	p->flags = WG_PEER_F_HAS_KEEPALIVE;
	p->persistent_keepalive = 5;
	p->allowed = a;
	p->n_allowed = na;
	d->peers = p;
	d->n_peers = 1;
}

Test(wg_diff, identical_is_empty)
{
	struct wg_allowedip a[] = { aip("0.0.0.0/0") };
	struct wg_device cur, want, delta;
	struct wg_peer pc, pw;
	char err[HS_ERRLEN];

	one_peer_device(&cur, &pc, a, 1);
	one_peer_device(&want, &pw, a, 1);
	pc.rx_bytes = 99; /* counters are not configuration */
	pc.last_handshake.tv_sec = 5;
	cr_assert_eq(wg_device_diff(&cur, &want, &delta, err, sizeof(err)), 0);
	cr_assert(wg_device_is_empty(&delta));
	wg_device_free(&delta);
}

Test(wg_diff, changes_only_what_differs)
{
	struct wg_allowedip ac[] = { aip("10.0.0.0/8") };
	struct wg_allowedip aw[] = { aip("10.0.0.0/8"), aip("10.1.0.0/16") };
	struct wg_device cur, want, delta;
	struct wg_peer pc[2], pw;
	char err[HS_ERRLEN];

	one_peer_device(&cur, &pc[0], ac, 1);
	memset(&pc[1], 0, sizeof(pc[1]));
	fill_key(pc[1].public_key, 100); /* not wanted any more */
	cur.peers = pc;
	cur.n_peers = 2;
	one_peer_device(&want, &pw, aw, 2);
	pw.endpoint = ep("192.0.2.3:51820");
	want.listen_port = 51821;

	cr_assert_eq(wg_device_diff(&cur, &want, &delta, err, sizeof(err)), 0);
	cr_assert_eq(delta.flags, WG_DEV_F_HAS_LISTEN_PORT);
	cr_assert_eq(delta.listen_port, 51821);
	cr_assert_eq(delta.n_peers, 2);
	cr_assert_eq(delta.peers[0].flags, WG_PEER_F_REMOVE);
	cr_assert_eq(memcmp(delta.peers[0].public_key, pc[1].public_key,
			    KEY_LEN), 0);
	struct wg_peer *u = &delta.peers[1];
	cr_assert_eq(u->flags, WG_PEER_F_UPDATE_ONLY);
	cr_assert_eq(u->endpoint.ss_family, AF_INET);
	cr_assert_eq(u->n_allowed, 1); /* only the new prefix is appended */
	char txt[64];
	wg_allowedip_format(&u->allowed[0], txt, sizeof(txt));
	cr_assert_str_eq(txt, "10.1.0.0/16");
	wg_device_free(&delta);

	/* Dropping a prefix needs a replace (no single removal pre-6.16). */
	cr_assert_eq(wg_device_diff(&want, &cur, &delta, err, sizeof(err)), 0);
	cr_assert_eq(delta.n_peers, 2); /* pc[1] is added back, whole */
	cr_assert_eq(delta.peers[1].flags, 0);
	wg_device_free(&delta);
	cur.n_peers = 1;
	cr_assert_eq(wg_device_diff(&want, &cur, &delta, err, sizeof(err)), 0);
	cr_assert_eq(delta.n_peers, 1);
	cr_assert(delta.peers[0].flags & WG_PEER_F_REPLACE_ALLOWEDIPS);
	cr_assert_eq(delta.peers[0].n_allowed, 1);
	cr_assert_eq(wg_device_validate(&delta, err, sizeof(err)), 0, "%s", err);
	wg_device_free(&delta);
}

/* A wireguard-go that gives up at start: the error carries its last words. */
Test(wg_uapi, failed_start_says_why)
{
	char dir[] = "/tmp/hs-fakewg-XXXXXX", prog[64], log[64], err[HS_ERRLEN];
	struct wg_proc proc;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/fakewg", dir);
	snprintf(log, sizeof(log), "%s/fakewg.log", dir);
	FILE *f = fopen(prog, "w");
	cr_assert_not_null(f);
	fputs("#!/bin/sh\necho starting\necho 'Failed to create TUN device: fake reason' >&2\nexit 1\n", f);
	fclose(f);
	cr_assert_eq(chmod(prog, 0700), 0);
	int fd = open(log, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);

	const char *saved = wg_uapi_program;
	wg_uapi_program = prog;
	int rc = wg_uapi_start("hsfake0", fd, &proc, err, sizeof(err));
	wg_uapi_program = saved;
	close(fd);
	cr_assert_eq(rc, HS_ESYS);
	cr_assert(strstr(err, "exited with status 1: Failed to create TUN device: fake reason"), "%s", err);
	cr_assert_eq(proc.pid, 0);
	unlink(prog);
	unlink(log);
	rmdir(dir);
}

/* wireguard-go's socket refuses between its bind and listen: the start must
 * wait that out, not take the socket for a stale one and remove it. */
Test(wg_uapi, start_waits_for_a_slow_listener)
{
	char prog[4096] = "", ifname[16], err[HS_ERRLEN] = "";
	struct wg_proc proc;

	cr_assert_gt(readlink("/proc/self/exe", prog, sizeof(prog) - 1), 0);
	snprintf(ifname, sizeof(ifname), "hsfw%d", (int)getpid() % 100000);
	const char *saved = wg_uapi_program;
	wg_uapi_program = prog;
	setenv("HS_FAKEWG_SLOW", "1", 1);
	int rc = wg_uapi_start(ifname, -1, &proc, err, sizeof(err));
	unsetenv("HS_FAKEWG_SLOW");
	wg_uapi_program = saved;
	cr_assert_eq(rc, HS_OK, "%s", err);
	cr_assert_gt(proc.pid, 0);
	cr_assert_eq(wg_uapi_stop(ifname, &proc, err, sizeof(err)), HS_OK,
		     "%s", err);
	char path[108];
	snprintf(path, sizeof(path), WG_UAPI_DIR "/%s.sock", ifname);
	cr_assert_neq(access(path, F_OK), 0, "%s is left behind", path);
}
