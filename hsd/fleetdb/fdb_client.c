/* fdb_client.c - a blocking dqlite client over TCP (fdb_client.h).
 *
 * The socket is non-blocking and every call waits with poll() against one
 * deadline, so a node that stops answering costs timeout_ms, never more.
 * A timeout or a malformed answer leaves the stream out of step: the
 * connection is closed then, and the caller connects again.
 */
#include "fdb_client.h"

#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop(struct fdb_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->db_open = false;
}

void fdb_close(struct fdb_conn *c)
{
	drop(c);
	fdb_buf_free(&c->out);
	free(c->in);
	c->in = NULL;
	c->incap = 0;
	memset(&c->last, 0, sizeof(c->last));
}

/* "a.b.c.d:port" */
static int parse_addr(const char *addr, struct sockaddr_in *sa, char *err, size_t errlen)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return err_set(err, errlen, HS_EINPUT, "fdb: address \"%s\" is not a.b.c.d:port",
			       addr ? addr : "");
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return err_set(err, errlen, HS_EINPUT, "fdb: address \"%s\" is not a.b.c.d:port",
			       addr);
	sa->sin_port = htons((uint16_t)port);
	return HS_OK;
}

/* Wait for events on c->fd until the deadline: 0, or HS_EUNREACH (and the
 * connection closed) when it passes. */
static int wait_fd(struct fdb_conn *c, short events, int64_t deadline, const char *what,
		   char *err, size_t errlen)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			drop(c);
			return err_set(err, errlen, HS_EUNREACH, "fdb: no answer within %d ms (%s)",
				       c->timeout_ms, what);
		}
		struct pollfd p = { .fd = c->fd, .events = events };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return HS_OK;
		if (n < 0 && errno != EINTR) {
			int rc = err_sys(err, errlen, "fdb: poll");
			drop(c);
			return rc;
		}
	}
}

static int send_all(struct fdb_conn *c, int64_t deadline, char *err, size_t errlen)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_fd(c, POLLOUT, deadline, "sending", err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The node went away: as unreachable as one that never was. */
		int rc = err_sys(err, errlen, "fdb: send");
		drop(c);
		return rc == HS_ESYS ? HS_EUNREACH : rc;
	}
	c->out.len = 0;
	return HS_OK;
}

static int recv_all(struct fdb_conn *c, uint8_t *p, size_t len, int64_t deadline, char *err,
		    size_t errlen)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = recv(c->fd, p + off, len - off, 0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0) {
			drop(c);
			return err_set(err, errlen, HS_EUNREACH, "fdb: the node closed the connection");
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int rc = wait_fd(c, POLLIN, deadline, "receiving", err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (errno == EINTR)
			continue;
		err_sys(err, errlen, "fdb: recv");
		drop(c);
		return HS_EUNREACH;
	}
	return HS_OK;
}

/* One answer into c->last (its body in c->in). */
static int read_msg(struct fdb_conn *c, int64_t deadline, char *err, size_t errlen)
{
	uint8_t hdr[8];
	size_t len;
	int rc = recv_all(c, hdr, sizeof(hdr), deadline, err, errlen);
	if (rc)
		return rc;
	if ((rc = fdb_header(hdr, &c->last.type, &c->last.schema, &len, FDB_BODY_MAX, err,
			     errlen))) {
		drop(c);
		return rc;
	}
	if (len > c->incap) {
		uint8_t *p = realloc(c->in, len);
		if (!p) {
			rc = err_sys(err, errlen, "fdb: answer of %zu bytes", len);
			drop(c);
			return rc;
		}
		c->in = p;
		c->incap = len;
	}
	if ((rc = recv_all(c, c->in, len, deadline, err, errlen)))
		return rc;
	c->last.body = c->in;
	c->last.len = len;
	return HS_OK;
}

/* c->last is a FAILURE: HS_ESTATE with its text in err, its code in *code. */
static int failure(struct fdb_conn *c, uint64_t *code, char *err, size_t errlen)
{
	uint64_t fcode;
	char text[HS_ERRLEN];
	int rc = fdb_dec_failure(&c->last, &fcode, text, sizeof(text), err, errlen);
	if (rc) {
		drop(c);
		return rc;
	}
	if (code)
		*code = fcode;
	return err_set(err, errlen, HS_ESTATE, "%s", text);
}

/* Send what c->out holds and read the answer; a FAILURE is HS_ESTATE
 * with its text in err and its code in *code; an answer of another type
 * than want closes the connection. */
static int call(struct fdb_conn *c, uint8_t want, int64_t deadline, uint64_t *code, char *err,
		size_t errlen)
{
	int rc;
	if ((rc = send_all(c, deadline, err, errlen)) ||
	    (rc = read_msg(c, deadline, err, errlen)))
		return rc;
	if (c->last.type == FDB_RESP_FAILURE && want != FDB_RESP_FAILURE)
		return failure(c, code, err, errlen);
	if (c->last.type != want) {
		drop(c);
		return err_set(err, errlen, HS_EINPUT, "fdb: answer of type %u where %u was due",
			       c->last.type, want);
	}
	return HS_OK;
}

/* The start of every request: connected, and an empty output buffer. */
static int begin(struct fdb_conn *c, uint64_t *code, int64_t *deadline, char *err,
		 size_t errlen)
{
	if (code)
		*code = 0;
	if (c->fd < 0)
		return err_set(err, errlen, HS_EUNREACH, "fdb: not connected");
	c->out.len = 0;
	*deadline = now_ms() + c->timeout_ms;
	return HS_OK;
}

/* A decoder refused a well-typed answer: the stream cannot be trusted. */
static int malformed(struct fdb_conn *c, int rc)
{
	if (rc == HS_EINPUT)
		drop(c);
	return rc;
}

static int tcp_connect(struct fdb_conn *c, const struct sockaddr_in *sa, const char *addr,
		       int64_t deadline, char *err, size_t errlen)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_sys(err, errlen, "fdb: socket");
	/* Requests are small and each waits for its answer: no Nagle delay. */
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return HS_OK;
	if (errno != EINPROGRESS) {
		int e = errno;
		int rc = err_sys(err, errlen, "fdb: connect to %s", addr);
		drop(c);
		return e == ENOMEM || e == ENOBUFS ? rc : HS_EUNREACH;
	}
	int rc = wait_fd(c, POLLOUT, deadline, "connecting", err, errlen);
	if (rc)
		return rc;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		errno = soerr;
		err_sys(err, errlen, "fdb: connect to %s", addr);
		drop(c);
		return HS_EUNREACH;
	}
	return HS_OK;
}

int fdb_connect(struct fdb_conn *c, const char *addr, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	uint64_t heartbeat;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	if (timeout_ms <= 0)
		return err_set(err, errlen, HS_EINPUT, "fdb: timeout of %d ms", timeout_ms);
	if ((rc = parse_addr(addr, &sa, err, errlen)))
		return rc;
	int64_t deadline = now_ms() + timeout_ms;
	if ((rc = tcp_connect(c, &sa, addr, deadline, err, errlen)) ||
	    (rc = fdb_enc_protocol(&c->out, err, errlen)) ||
	    (rc = fdb_enc_client(&c->out, 0, err, errlen)) ||
	    (rc = call(c, FDB_RESP_WELCOME, deadline, NULL, err, errlen)) ||
	    (rc = malformed(c, fdb_dec_welcome(&c->last, &heartbeat, err, errlen)))) {
		fdb_close(c);
		return rc;
	}
	return HS_OK;
}

int fdb_leader(struct fdb_conn *c, uint64_t *id, char addr[FDB_ADDR_MAX], char *err,
	       size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_leader(&c->out, err, errlen)) ||
	    (rc = call(c, FDB_RESP_NODE, deadline, NULL, err, errlen)))
		return rc;
	return malformed(c, fdb_dec_node(&c->last, id, addr, err, errlen));
}

int fdb_cluster(struct fdb_conn *c, struct fdb_node *nodes, size_t max, size_t *n, char *err,
		size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_cluster(&c->out, err, errlen)) ||
	    (rc = call(c, FDB_RESP_NODES, deadline, NULL, err, errlen)))
		return rc;
	return malformed(c, fdb_dec_nodes(&c->last, nodes, max, n, err, errlen));
}

/* ADD, ASSIGN and REMOVE: what c->out holds, answered by EMPTY. */
static int call_empty(struct fdb_conn *c, int64_t deadline, char *err, size_t errlen)
{
	int rc = call(c, FDB_RESP_EMPTY, deadline, NULL, err, errlen);
	if (rc)
		return rc;
	return malformed(c, fdb_dec_empty(&c->last, err, errlen));
}

int fdb_add(struct fdb_conn *c, uint64_t id, const char *addr, char *err, size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_add(&c->out, id, addr, err, errlen)))
		return rc;
	return call_empty(c, deadline, err, errlen);
}

int fdb_assign(struct fdb_conn *c, uint64_t id, enum fdb_role role, char *err, size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_assign(&c->out, id, role, err, errlen)))
		return rc;
	return call_empty(c, deadline, err, errlen);
}

int fdb_remove(struct fdb_conn *c, uint64_t id, char *err, size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_remove(&c->out, id, err, errlen)))
		return rc;
	return call_empty(c, deadline, err, errlen);
}

int fdb_open(struct fdb_conn *c, const char *name, char *err, size_t errlen)
{
	int64_t deadline;
	int rc;
	if ((rc = begin(c, NULL, &deadline, err, errlen)) ||
	    (rc = fdb_enc_open(&c->out, name, err, errlen)) ||
	    (rc = call(c, FDB_RESP_DB, deadline, NULL, err, errlen)) ||
	    (rc = malformed(c, fdb_dec_db(&c->last, &c->db, err, errlen))))
		return rc;
	c->db_open = true;
	return HS_OK;
}

static int begin_sql(struct fdb_conn *c, bool query, const char *sql,
		     const struct fdb_value *params, size_t n, uint64_t *code, int64_t *deadline,
		     char *err, size_t errlen)
{
	int rc = begin(c, code, deadline, err, errlen);
	if (rc)
		return rc;
	if (!c->db_open)
		return err_set(err, errlen, HS_ESTATE, "fdb: no database open");
	return fdb_enc_sql(&c->out, query, c->db, sql, params, n, err, errlen);
}

int fdb_exec(struct fdb_conn *c, const char *sql, const struct fdb_value *params, size_t n,
	     uint64_t *rows_affected, uint64_t *code, char *err, size_t errlen)
{
	int64_t deadline;
	uint64_t last_id, affected;
	int rc;
	if ((rc = begin_sql(c, false, sql, params, n, code, &deadline, err, errlen)) ||
	    (rc = call(c, FDB_RESP_RESULT, deadline, code, err, errlen)) ||
	    (rc = malformed(c, fdb_dec_result(&c->last, &last_id, &affected, err, errlen))))
		return rc;
	if (rows_affected)
		*rows_affected = affected;
	return HS_OK;
}

int fdb_query(struct fdb_conn *c, const char *sql, const struct fdb_value *params, size_t n,
	      fdb_row_cb cb, void *arg, uint64_t *code, char *err, size_t errlen)
{
	struct fdb_value vals[FDB_COLUMNS_MAX];
	struct fdb_rows r;
	int64_t deadline;
	int stop = 0, rc;

	if ((rc = begin_sql(c, true, sql, params, n, code, &deadline, err, errlen)) ||
	    (rc = call(c, FDB_RESP_ROWS, deadline, code, err, errlen)))
		return rc;
	/* A large result comes in several ROWS messages, each ended by
	 * FDB_ROWS_PART but the last; each repeats the columns.  After cb
	 * stops, the rest is still read, to keep the stream in step. */
	for (;;) {
		if ((rc = malformed(c, fdb_rows_open(&c->last, &r, err, errlen))))
			return rc;
		while ((rc = fdb_rows_next(&r, vals, err, errlen)) == 1)
			if (!stop)
				stop = cb(arg, vals, r.ncols);
		if (rc < 0)
			return malformed(c, rc);
		if (!r.more)
			break;
		if ((rc = read_msg(c, deadline, err, errlen)))
			return rc;
		/* A later step of the statement failed: still in step. */
		if (c->last.type == FDB_RESP_FAILURE)
			return failure(c, code, err, errlen);
		if (c->last.type != FDB_RESP_ROWS) {
			drop(c);
			return err_set(err, errlen, HS_EINPUT,
				       "fdb: answer of type %u amid ROWS", c->last.type);
		}
	}
	return stop;
}
