/* main.c - hsfleetdb: this host's part of the replicated fleet database.
 *
 *   hsfleetdb      (started by hsd: channel on fd 3, the data directory
 *                   its working directory)
 *
 * hsd starts it in the mesh namespace as a uid of its own with no
 * capability (hsd/daemon/fleet/fleetdb.c), and it confines itself
 * (fdb_sandbox.c): Raft and dqlite answers from other hosts are parsed
 * here, never in root hsd.
 */
#include "fdb.h"
#include "err.h"
#include "fdb_sandbox.h"

#include <arpa/inet.h>
#include <dqlite.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define FDB_CHAN_FD 3
#define FDB_TICK_MS 1000

void fdb_addr(uint32_t addr, char out[FDB_ADDR_MAX])
{
	struct in_addr in = { htonl(addr) };
	char a[INET_ADDRSTRLEN];
	snprintf(out, FDB_ADDR_MAX, "%s:%u", inet_ntop(AF_INET, &in, a, sizeof(a)), FLEETDB_PORT);
}

static void send_msg(struct fdb *f, uint16_t type, const void *body, size_t len)
{
	uint64_t buf[FLEETDB_MSG_MAX / 8 + 1];
	size_t n = fleetdb_msg_pack(buf, type, body, len);
	/* hsd reads whole datagrams; if it is gone, the read in the loop
	 * ends us (stderr is put away by then: fdb_sandbox.c). */
	(void)send(f->chan, buf, n, MSG_NOSIGNAL);
}

void fdb_log(struct fdb *f, int level, const char *fmt, ...)
{
	struct fleetdb_log l = { .level = level };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l.text, sizeof(l.text), fmt, ap);
	va_end(ap);
	send_msg(f, FLEETDB_MSG_LOG, &l, sizeof(l));
}

/* A later CONFIG (a reload) changes the voters; this host's own role is
 * fixed for the process's life: hsd restarts us when it changes.  A node
 * that does not start (its port still held by the hsfleetdb of an hsd
 * that just stopped) ends us: hsd starts us again with backoff. */
static int on_config(struct fdb *f, const struct fleetdb_config *c)
{
	char err[HS_ERRLEN];

	f->cfg = *c;
	if (f->configured)
		return 0;
	f->configured = true;
	if (c->voter && fdb_node_start(f, err, sizeof(err))) {
		fdb_log(f, LOG_ERR, "%s; ending, to be started again", err);
		f->failed = true;
		return -1;
	}
	return 0;
}

/* One datagram from hsd: 0, or -1 when hsd is gone or broke the protocol. */
static int on_chan(struct fdb *f)
{
	uint64_t buf[FLEETDB_MSG_MAX / 8 + 1];
	char err[HS_ERRLEN];
	const void *body;
	uint16_t type;
	ssize_t n = recv(f->chan, buf, sizeof(buf), 0);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	if (fleetdb_msg_check(buf, (size_t)n, &type, &body, err, sizeof(err))) {
		fdb_log(f, LOG_ERR, "%s", err);
		return -1;
	}
	if (type == FLEETDB_MSG_CONFIG) {
		struct fleetdb_config c;
		memcpy(&c, body, sizeof(c));
		return on_config(f, &c);
	} else if (type == FLEETDB_MSG_REQUEST) {
		struct fleetdb_request req;
		struct fleetdb_reply rep;
		memcpy(&req, body, sizeof(req));
		memset(&rep, 0, sizeof(rep));
		rep.id = req.id;
		if (!f->configured)
			rep.rc = err_set(rep.text, sizeof(rep.text), HS_ESTATE, "fleet db: not configured yet");
		else
			fdb_serve(f, &req, &rep);
		send_msg(f, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	} else {
		fdb_log(f, LOG_ERR, "message type %u is not for us", type);
		return -1;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	char err[HS_ERRLEN];
	struct fdb f = { .chan = FDB_CHAN_FD, .leader = { .fd = -1 } };
	uint64_t next_tick = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: hsfleetdb (started by hsd)\n");
		return 2;
	}
	f.data_dir = ".";
	/* dqlite writes to peers that may have gone: that must be an error
	 * code, not the end of the process. */
	signal(SIGPIPE, SIG_IGN);
	/* before dqlite makes a thread, so that every thread is confined */
	if (fdb_confine(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (;;) {
		uint64_t now = now_ms();
		if (now >= next_tick) {
			if (f.configured)
				fdb_members_tick(&f);
			next_tick = now_ms() + FDB_TICK_MS;
			continue;
		}
		struct pollfd p = { .fd = f.chan, .events = POLLIN };
		int r = poll(&p, 1, (int)(next_tick - now));
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && on_chan(&f) < 0)
			break;
	}
	fdb_leader_drop(&f);
	fdb_node_stop(&f);
	return f.failed;
}
