/*
 * hs_peer_call [options] FROM_ADDR TO_ADDR CMD ARGS_JSON
 *
 * Speaks the hsd-to-hsd protocol by hand, as root on a compromised host
 * would: one request from FROM_ADDR to TO_ADDR:7070, authenticated with
 * the private key of --key (proto/peer_auth.h) for the host cluster.json
 * (--cluster) has at TO_ADDR; the reply is printed as one JSON line.
 *
 *   --key FILE      private key to seal with (a host's private.key)
 *   --cluster FILE  cluster.json, for the target's name and public key
 *   --as NAME       "from" to claim (default: the host at FROM_ADDR)
 *   --ts-offset MS  seal with this clock offset (a stale request)
 *   --no-auth       send without "auth"
 *   --twice         send the same bytes again on a second connection and
 *                   report that reply (a replay)
 *
 * Exit 0 when the reply is ok and authenticated, 1 for an error reply, 3
 * on a transport failure, 4 when a reply to a sealed request does not
 * authenticate.
 */
#include "cluster.h"
#include "err.h"
#include "frame.h"
#include "keys.h"
#include "peer.h"
#include "peer_auth.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int host_at(const struct cluster *c, const char *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return -1;
	for (size_t i = 0; i < c->nhosts; i++)
		if (c->hosts[i].prefix + 1 == ntohl(a.s_addr))
			return (int)i;
	return -1;
}

/* One connection: send buf, read one reply frame.  3 on failure. */
static int exchange(const char *from, const char *to, const uint8_t *buf, size_t len,
		    json_t **reply)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };
	struct timeval tv = { .tv_sec = 30 };
	char err[HS_ERRLEN];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, to, &dst.sin_addr);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) ||
	    write(fd, buf, len) != (ssize_t)len) {
		perror("hs_peer_call: connect/send");
		if (fd >= 0)
			close(fd);
		return 3;
	}
	if (frame_read_fd(fd, FRAME_MAX_PEER, reply, err, sizeof(err))) {
		fprintf(stderr, "hs_peer_call: reply: %s\n", err);
		close(fd);
		return 3;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "as", required_argument, NULL, 'a' },
		{ "ts-offset", required_argument, NULL, 't' },
		{ "no-auth", no_argument, NULL, 'n' },
		{ "twice", no_argument, NULL, '2' },
		{ 0 },
	};
	const char *keyfile = NULL, *cfile = NULL, *as = NULL;
	long long offset = 0;
	bool noauth = false, twice = false;
	char err[HS_ERRLEN], line[128];
	uint8_t priv[KEY_LEN], pub[KEY_LEN], key[PEER_AUTH_KEY], nonce[PEER_AUTH_NONCE];
	struct cluster c = { 0 };
	struct timespec now;
	json_t *args, *req, *reply = NULL;
	uint8_t *buf;
	size_t len;
	int o, me, to, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': keyfile = optarg; break;
		case 'c': cfile = optarg; break;
		case 'a': as = optarg; break;
		case 't': offset = atoll(optarg); break;
		case 'n': noauth = true; break;
		case '2': twice = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 4 || !keyfile || !cfile) {
		fprintf(stderr, "usage: hs_peer_call --key FILE --cluster FILE [--as NAME] "
			"[--ts-offset MS] [--no-auth] [--twice] FROM_ADDR TO_ADDR CMD ARGS_JSON\n");
		return 2;
	}
	err[0] = 0;
	if (!cluster_load(cfile, &c, err, sizeof(err)) &&
	    !key_file_read(keyfile, "--key", line, sizeof(line), err, sizeof(err)))
		line[strcspn(line, "\r\n")] = 0;
	if (*err || key_from_base64(line, priv)) {
		fprintf(stderr, "hs_peer_call: %s\n", *err ? err : "--key: not a key");
		return 2;
	}
	me = host_at(&c, argv[optind]);
	to = host_at(&c, argv[optind + 1]);
	if (to < 0 || (!as && me < 0)) {
		fprintf(stderr, "hs_peer_call: no cluster host at %s\n",
			to < 0 ? argv[optind + 1] : argv[optind]);
		return 2;
	}
	if (!(args = json_loads(argv[optind + 3], 0, NULL))) {
		fprintf(stderr, "hs_peer_call: ARGS_JSON: not JSON\n");
		return 2;
	}
	key_public_of(priv, pub);
	clock_gettime(CLOCK_REALTIME, &now);
	req = peer_request_new(1, as ? as : c.hosts[me].name, argv[optind + 2], args);
	rc = peer_auth_key(priv, pub, c.hosts[to].public_key, key, err, sizeof(err));
	if (!rc && !noauth)
		rc = peer_auth_seal_request(req, c.hosts[to].name,
					    (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + offset,
					    key, nonce, err, sizeof(err));
	if (!rc)
		rc = frame_encode(req, FRAME_MAX_PEER, &buf, &len, err, sizeof(err));
	json_decref(req);
	if (rc) {
		fprintf(stderr, "hs_peer_call: %s\n", err);
		return 2;
	}
	rc = exchange(argv[optind], argv[optind + 1], buf, len, &reply);
	if (!rc && twice) {
		json_decref(reply);
		rc = exchange(argv[optind], argv[optind + 1], buf, len, &reply);
	}
	free(buf);
	cluster_free(&c);
	if (rc)
		return rc;
	bool authentic = !noauth && !peer_auth_open_reply(reply, nonce, key, err, sizeof(err));
	bool ok = json_is_true(json_object_get(reply, "ok"));
	char *text = json_dumps(reply, JSON_COMPACT);
	puts(text ? text : "{}");
	free(text);
	json_decref(reply);
	if (!ok)
		return 1;
	return authentic ? 0 : 4;
}
