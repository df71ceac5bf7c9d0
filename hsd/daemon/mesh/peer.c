/* peer.c - hsd <-> hsd calls: the requests other hosts make of us, as the
 * route engine hands them over, and the protocol's life cycle (outgoing
 * calls are peer_out.c).
 *
 * The listener lives in hsengine (hsd/engine/engine_peer.c): it accepts
 * inside the mesh namespace on our overlay address, closes connections
 * from addresses that are no other host's, checks each request's MAC under
 * the key we share with that host (proto/peer_auth.h), and decodes it into
 * fixed fields (proto/peer_typed.h).  Here those fields are checked again
 * and turned into the handlers' arguments; hsd parses no JSON another host
 * wrote, and verifies every operator signature itself.
 */
#include "peer.h"
#include "peer_int.h"
#include "bundle_sig.h"
#include "daemon.h"
#include "done.h"
#include "engine_sup.h"
#include "err.h"
#include "log.h"
#include "mesh.h"
#include "netns.h"
#include "peer_typed.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(PEER_NAME_MAX == CLUSTER_NAME_MAX, "host names must fit requests");

/* The kernel's queue of connections not yet accepted.  A host that floods
 * the port fills it faster than the engine takes them off (and refuses those over
 * its share); a short queue then drops everyone's SYNs, and a caller's
 * retransmit comes a second later.  Deep enough for a flood of hundreds. */
#define PEER_BACKLOG 1024

/* A request the engine handed over, answered through it. */
struct peer_call {
	struct hsd *d;
	uint32_t gen;   /* the engine that holds the connection */
	uint64_t conn;
	int64_t id;
};

void peers_unref(struct peers *p)
{
	if (--p->refs == 0)
		free(p);
}

static const char *peer_ip4(uint32_t addr, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(addr) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int64_t peer_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key only we and host share (proto/peer_auth.h), from the keys
 * cluster.json holds now. */
int peer_pair_key(const struct hsd *d, int host, uint8_t key[PEER_AUTH_KEY],
		  char *err, size_t errlen)
{
	return peer_auth_key(d->private_key, d->cluster.hosts[d->self].public_key,
			     d->cluster.hosts[host].public_key, key, err, errlen);
}

/* The engine of an hsd killed a moment ago may still hold the peer port:
 * it ends when it sees its channel close (or its parent die), so the
 * listener tries again for a while. */
static int peer_bind(int fd, const struct sockaddr_in *sin, bool server)
{
	for (int tries = server ? 50 : 1;; tries--) {
		if (!bind(fd, (const struct sockaddr *)sin, sizeof(*sin)))
			return 0;
		if (errno != EADDRINUSE || tries <= 1)
			return -1;
		usleep(100 * 1000);
	}
}

/* A TCP socket in the mesh namespace bound to our overlay address: port
 * PEER_PORT and listening for the server, any port for a client. */
int peer_socket(struct hsd *d, bool server, int *out, char *err, size_t errlen)
{
	uint32_t self = d->cluster.hosts[d->self].prefix + 1;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(server ? PEER_PORT : 0),
				   .sin_addr.s_addr = htonl(self) };
	char a[INET_ADDRSTRLEN];
	int saved, fd, one = 1, rc;

	*out = -1;
	if ((rc = netns_enter(d->mesh->ns.fd, &saved, err, errlen)))
		return rc;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (server && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    /* Clients: pick the port at connect(), so the 4-tuple decides. */
	    (!server && setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one))) ||
	    peer_bind(fd, &sin, server) ||
	    (server && listen(fd, PEER_BACKLOG)))
		rc = err_sys(err, errlen, "peer: socket on %s:%d", peer_ip4(self, a),
			     server ? PEER_PORT : 0);
	netns_leave(saved, NULL, 0);
	if (rc && fd >= 0)
		close(fd);
	else
		*out = fd;
	return rc;
}

/* ---- requests, through the engine ------------------------------------- */

/* Answer a call (result stolen; err used when rc != 0) and free it: safe
 * when the connection died or hsd stopped meanwhile. */
static void peer_finish(struct peer_call *call, int rc, json_t *result, const char *err)
{
	char *text = NULL;

	if (!rc && !(text = result ? json_dumps(result, JSON_COMPACT) : strdup("{}"))) {
		rc = HS_ESYS;
		err = "out of memory";
	}
	if (!rc && strlen(text) > ENGINE_REPLY_MAX) {
		rc = HS_ESYS;
		err = "reply too large for the peer protocol";
	}
	engine_sup_peer_reply(call->d, call->gen, call->conn, call->id, rc,
			      rc ? (err && *err ? err : "failed") : text);
	free(text);
	json_decref(result);
	free(call);
}

static int peer_cmd_ping(struct hsd *d, const struct rpc_req *req, const struct done *dn,
			 json_t **result, char *err, size_t errlen)
{
	(void)req;
	(void)dn;
	/* Wall-clock time: lets the caller see clock skew between hosts. */
	*result = json_pack("{s:s, s:I}", "host", d->cluster.hosts[d->self].name,
			    "time_ms", (json_int_t)peer_wall_ms());
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "ping: out of memory");
}

static const struct rpc_cmd peer_builtin_cmds[] = {
	{ "ping", peer_cmd_ping, NULL },
	{ NULL, NULL, NULL },
};

static const struct rpc_cmd *peer_find(const struct peer_service *svc, const char *name)
{
	const struct rpc_cmd *c = rpc_find(peer_builtin_cmds, name);
	return c ? c : rpc_find(svc->cmds, name);
}

static void peer_done_fn(void *arg, int rc, json_t *result, const char *err)
{
	peer_finish(arg, rc, result, err);
}

/* bundle.put's files: records in a sealed memfd the engine made. */
static int read_files(int fd, struct bundle_files *f, char *err, size_t errlen)
{
	const int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	struct stat st;
	uint8_t *buf;
	int rc;

	/* Sealed: what is checked is what is read, whatever the engine does. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & want) != want || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)(2 * (BUNDLE_BYTES_MAX + BUNDLE_MANIFEST_MAX)))
		return err_set(err, errlen, HS_EINPUT, "bundle files: not a sealed memfd of a bundle's size");
	if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
	rc = n != st.st_size ? err_set(err, errlen, HS_EINPUT, "bundle files: short read")
			     : bundle_files_decode(buf, (size_t)n, f, err, errlen);
	free(buf);
	return rc;
}

static int put_bundle(struct hsd *d, const struct peer_service *svc, const struct peer_typed *t,
		      int fd, json_t **result, char *err, size_t errlen)
{
	struct bundle_files f;
	char *sig_text = NULL;
	int rc;

	if ((rc = read_files(fd, &f, err, errlen)))
		return rc;
	if (t->flags & PEER_ARG_SIG) {
		struct bundle_sig s;
		memcpy(s.key, t->sig_key, sizeof(s.key));
		memcpy(s.sig, t->sig, sizeof(s.sig));
		if (!(sig_text = bundle_sig_format(&s))) {
			bundle_files_free(&f);
			return err_set(err, errlen, HS_ESYS, "out of memory");
		}
	}
	rc = svc->bundle_put(d, t->id, t->hash, sig_text, sig_text ? strlen(sig_text) : 0, &f,
			     result, err, errlen);
	free(sig_text);
	bundle_files_free(&f);
	return rc;
}

int peer_request_in(struct hsd *d, uint32_t gen, const struct engine_msg *m, int fd,
		    char *err, size_t errlen)
{
	struct engine_peer_request r;
	const struct peer_word *hosts = m->items;
	struct peer_call *call;
	char why[HS_ERRLEN] = "";
	json_t *result = NULL;
	int rc;

	memcpy(&r, m->body, sizeof(r));
	/* The engine is not trusted: what it says is checked as a peer's. */
	if (r.host >= d->cluster.nhosts || (int)r.host == d->self)
		return err_set(err, errlen, HS_EINPUT, "peer request: host %u", r.host);
	if ((rc = peer_typed_check(&r.t, hosts, m->count, why, sizeof(why))))
		return err_set(err, errlen, HS_EINPUT, "peer request: %s", why);
	if ((r.t.cmd == PEER_CMD_BUNDLE_PUT) != (fd >= 0))
		return err_set(err, errlen, HS_EINPUT, "peer request: %s with%s files",
			       peer_cmd_name(r.t.cmd), fd >= 0 ? "" : "out");
	if (!(call = malloc(sizeof(*call))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	*call = (struct peer_call){ d, gen, r.conn, r.id };
	/* No service once peer_free ran: the engine goes soon after. */
	const struct peer_service *svc = d->peers ? &d->peers->svc : NULL;
	if (!svc) {
		rc = err_set(why, sizeof(why), HS_ESYS, "hsd is stopping");
	} else if (r.t.cmd == PEER_CMD_BUNDLE_PUT) {
		rc = put_bundle(d, svc, &r.t, fd, &result, why, sizeof(why));
	} else {
		const struct rpc_cmd *cmd = peer_find(svc, peer_cmd_name(r.t.cmd));
		json_t *args = peer_typed_args(&r.t, hosts);
		struct rpc_req req = { peer_cmd_name(r.t.cmd), args, (int)r.host };
		struct done dn = { peer_done_fn, call };
		if (!args)
			rc = err_set(why, sizeof(why), HS_ESYS, "out of memory");
		else if (!cmd)
			rc = err_set(why, sizeof(why), HS_EINPUT, "request.cmd: \"%s\" is not served",
				     peer_cmd_name(r.t.cmd));
		else if (!(rc = rpc_args_check(cmd, args, why, sizeof(why))))
			rc = cmd->fn(d, &req, &dn, &result, why, sizeof(why));
		json_decref(args);
		if (rc == RPC_DEFERRED)
			return 0;
	}
	if (rc)
		log_debug("peer: %s from %s: %s", peer_cmd_name(r.t.cmd),
			  d->cluster.hosts[r.host].name, why);
	peer_finish(call, rc, rc ? NULL : result, why);
	if (rc)
		json_decref(result);
	return 0;
}

/* ---- life cycle ------------------------------------------------------ */


int peer_init(struct hsd *d, const struct peer_service *svc, char *err, size_t errlen)
{
	struct peers *p;

	if (!d->mesh || !d->mesh->running)
		return 0;
	if (!(p = d->peers = calloc(1, sizeof(*p))))
		return err_set(err, errlen, HS_ESYS, "peer: out of memory");
	p->d = d;
	p->svc = *svc;
	p->refs = 1; /* d->peers, dropped by peer_free() */
	return 0;
}

void peer_free(struct hsd *d)
{
	struct peers *p = d->peers;

	if (!p)
		return;
	d->peers = NULL; /* callbacks below must not start new calls */
	peer_outs_stop(p);
	peers_unref(p);
}

void peer_stats(struct hsd *d, json_t **out)
{
	struct peers *p = d->peers;
	struct engine_peer_stats st;

	if (!p) {
		*out = json_pack("{s:b}", "listening", 0);
		return;
	}
	/* The listener's counters are the engine's, summed over its restarts. */
	bool listening = engine_sup_peer_stats(d, &st) == 0;
	*out = json_pack("{s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i}",
			 "listening", listening, "port", PEER_PORT,
			 "accepted", (json_int_t)st.accepted, "refused", (json_int_t)st.refused,
			 "auth_refused", (json_int_t)st.auth_refused,
			 "over_host_limit", (json_int_t)st.over_host_limit,
			 "served", (json_int_t)st.served, "idle_closed", (json_int_t)st.idle_closed,
			 "calls_sent", (json_int_t)p->calls_sent,
			 "calls_failed", (json_int_t)p->calls_failed,
			 "timeouts", (json_int_t)p->timeouts, "connections", (int)st.connections,
			 "pending", p->nouts);
}
