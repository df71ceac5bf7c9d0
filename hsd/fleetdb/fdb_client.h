/* fdb_client.h - a blocking dqlite client (fdb_wire.h) over TCP.
 *
 * hsfleetdb's requests are few and small (a claim, a status, a membership
 * change), so each call sends one request and waits for its answer within
 * the connection's timeout; a call that times out or reads a malformed
 * answer closes the connection (the stream is no longer in step).
 */
#ifndef HS_FDB_CLIENT_H
#define HS_FDB_CLIENT_H

#include "fdb_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdb_conn {
	int fd;              /* -1 when closed */
	int timeout_ms;      /* per call */
	uint32_t db;         /* after fdb_open */
	bool db_open;
	struct fdb_buf out;
	uint8_t *in;         /* the last answer's body */
	size_t incap;
	struct fdb_msg last; /* the last answer */
};

/* Connect to addr ("a.b.c.d:port"), send the protocol version and register
 * as a client.  HS_EUNREACH when nothing answers within timeout_ms. */
int fdb_connect(struct fdb_conn *c, const char *addr, int timeout_ms, char *err, size_t errlen);
void fdb_close(struct fdb_conn *c);

/* The leader as the node sees it: id 0 and "" when it knows none. */
int fdb_leader(struct fdb_conn *c, uint64_t *id, char addr[FDB_ADDR_MAX], char *err,
	       size_t errlen);
int fdb_cluster(struct fdb_conn *c, struct fdb_node *nodes, size_t max, size_t *n, char *err,
		size_t errlen);
int fdb_add(struct fdb_conn *c, uint64_t id, const char *addr, char *err, size_t errlen);
int fdb_assign(struct fdb_conn *c, uint64_t id, enum fdb_role role, char *err, size_t errlen);
int fdb_remove(struct fdb_conn *c, uint64_t id, char *err, size_t errlen);
int fdb_open(struct fdb_conn *c, const char *name, char *err, size_t errlen);

/* A FAILURE answer is HS_ESTATE with its text in err, and its SQLite code
 * in *code (0 for any other error) when code is not NULL. */
int fdb_exec(struct fdb_conn *c, const char *sql, const struct fdb_value *params, size_t n,
	     uint64_t *rows_affected, uint64_t *code, char *err, size_t errlen);

/* Each row of the result, in order, to cb (its values valid during the
 * call only); cb's non-zero return stops the query and is returned. */
typedef int (*fdb_row_cb)(void *arg, const struct fdb_value *vals, size_t ncols);
int fdb_query(struct fdb_conn *c, const char *sql, const struct fdb_value *params, size_t n,
	      fdb_row_cb cb, void *arg, uint64_t *code, char *err, size_t errlen);

#endif
