/* fdb_wire.h - the dqlite client protocol, as pure encoders and decoders.
 *
 * hsfleetdb talks to dqlite nodes (its own and other hosts') over TCP with
 * dqlite's wire protocol: a word (8 bytes) of protocol version first, then
 * messages of one header word (body length in words, little-endian u32;
 * type; schema revision; 2 unused bytes) and a body of words.  Text is
 * UTF-8, NUL-terminated and zero-padded to a word.  Only what hsd uses is
 * here; every decoder checks every length against the body it was given,
 * since the bytes come from another host (docs/fleetdb.md).
 */
#ifndef HS_FDB_WIRE_H
#define HS_FDB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDB_PROTOCOL_VERSION 1
#define FDB_BODY_MAX (4u << 20) /* a larger body is refused, not read */
#define FDB_ADDR_MAX 64         /* "255.255.255.255:65535" and more */
#define FDB_ROWS_DONE 0xffffffffffffffffull
#define FDB_ROWS_PART 0xeeeeeeeeeeeeeeeeull

enum fdb_req_type {
	FDB_REQ_LEADER = 0,
	FDB_REQ_CLIENT = 1,
	FDB_REQ_OPEN = 3,
	FDB_REQ_EXEC_SQL = 8,
	FDB_REQ_QUERY_SQL = 9,
	FDB_REQ_ADD = 12,
	FDB_REQ_ASSIGN = 13,
	FDB_REQ_REMOVE = 14,
	FDB_REQ_CLUSTER = 16,
};

enum fdb_resp_type {
	FDB_RESP_FAILURE = 0,
	FDB_RESP_NODE = 1,
	FDB_RESP_WELCOME = 2,
	FDB_RESP_NODES = 3,
	FDB_RESP_DB = 4,
	FDB_RESP_RESULT = 6,
	FDB_RESP_ROWS = 7,
	FDB_RESP_EMPTY = 8,
};

enum fdb_role { FDB_VOTER = 0, FDB_STANDBY = 1, FDB_SPARE = 2 };

/* SQLite value types as the protocol codes them. */
enum fdb_type {
	FDB_INTEGER = 1,
	FDB_FLOAT = 2,
	FDB_TEXT = 3,
	FDB_BLOB = 4,
	FDB_NULL = 5,
	FDB_ISO8601 = 10, /* text */
	FDB_BOOLEAN = 11, /* integer 0/1 */
};

/* A parameter or a column value.  Decoded text and blobs point into the
 * message body they came from. */
struct fdb_value {
	enum fdb_type type;
	int64_t i;
	double f;
	const char *text; /* FDB_TEXT, FDB_ISO8601: NUL-terminated */
	const void *blob; /* FDB_BLOB */
	size_t len;       /* bytes of blob, or strlen of text */
};

struct fdb_node {
	uint64_t id;
	char addr[FDB_ADDR_MAX];
	enum fdb_role role;
};

/* A growing output buffer; each encoder appends one whole message. */
struct fdb_buf {
	uint8_t *data;
	size_t len, cap;
};
void fdb_buf_free(struct fdb_buf *b);

/* Encoders: 0, or HS_EINPUT (a text with a NUL inside it would cut,
 * more than 255 parameters, a body over FDB_BODY_MAX) or HS_ESYS (memory),
 * with the buffer as it was. */
int fdb_enc_protocol(struct fdb_buf *b, char *err, size_t errlen);
int fdb_enc_leader(struct fdb_buf *b, char *err, size_t errlen);
int fdb_enc_client(struct fdb_buf *b, uint64_t client_id, char *err, size_t errlen);
int fdb_enc_open(struct fdb_buf *b, const char *name, char *err, size_t errlen);
/* EXEC_SQL, or QUERY_SQL when query: the SQL and its parameters.  A
 * FDB_TEXT or FDB_ISO8601 parameter is its len bytes, or strlen(text) when
 * len is 0. */
int fdb_enc_sql(struct fdb_buf *b, bool query, uint32_t db, const char *sql,
		const struct fdb_value *params, size_t nparams, char *err, size_t errlen);
int fdb_enc_add(struct fdb_buf *b, uint64_t id, const char *addr, char *err, size_t errlen);
int fdb_enc_assign(struct fdb_buf *b, uint64_t id, enum fdb_role role, char *err, size_t errlen);
int fdb_enc_remove(struct fdb_buf *b, uint64_t id, char *err, size_t errlen);
/* CLUSTER in format 1: each node with its role. */
int fdb_enc_cluster(struct fdb_buf *b, char *err, size_t errlen);
/* Answers as a node sends them, for tests and the fuzz target's round
 * trips (hsd itself only reads them). */
int fdb_enc_failure(struct fdb_buf *b, uint64_t code, const char *text, char *err,
		    size_t errlen);
int fdb_enc_node(struct fdb_buf *b, uint64_t id, const char *addr, char *err, size_t errlen);
int fdb_enc_nodes(struct fdb_buf *b, const struct fdb_node *nodes, size_t n, char *err,
		  size_t errlen);

/* A received message: header fields and the body (len bytes, a multiple
 * of 8). */
struct fdb_msg {
	uint8_t type, schema;
	const uint8_t *body;
	size_t len;
};

/* The body length a header announces: 0 and *body_len, or HS_EINPUT when
 * it is over max. */
int fdb_header(const uint8_t hdr[8], uint8_t *type, uint8_t *schema, size_t *body_len,
	       size_t max, char *err, size_t errlen);

/* Decoders: 0, or HS_EINPUT naming what is wrong (wrong type, a field
 * past the end, a text without its NUL, a count the body cannot hold). */
int fdb_dec_failure(const struct fdb_msg *m, uint64_t *code, char *text, size_t textlen,
		    char *err, size_t errlen);
int fdb_dec_node(const struct fdb_msg *m, uint64_t *id, char addr[FDB_ADDR_MAX], char *err,
		 size_t errlen);
/* At most max nodes; more is HS_EINPUT. */
int fdb_dec_nodes(const struct fdb_msg *m, struct fdb_node *nodes, size_t max, size_t *n,
		  char *err, size_t errlen);
int fdb_dec_db(const struct fdb_msg *m, uint32_t *db, char *err, size_t errlen);
int fdb_dec_result(const struct fdb_msg *m, uint64_t *last_insert_id, uint64_t *rows_affected,
		   char *err, size_t errlen);
/* WELCOME: the node's heartbeat timeout (ms); EMPTY: only its type. */
int fdb_dec_welcome(const struct fdb_msg *m, uint64_t *heartbeat, char *err, size_t errlen);
int fdb_dec_empty(const struct fdb_msg *m, char *err, size_t errlen);

/* Rows: a column count, the column names, then rows, then an end marker
 * (FDB_ROWS_DONE, or FDB_ROWS_PART when another ROWS message follows). */
#define FDB_COLUMNS_MAX 64
struct fdb_rows {
	const struct fdb_msg *m;
	size_t pos; /* the next byte of the body to read */
	size_t ncols;
	const char *names[FDB_COLUMNS_MAX];
	bool done;  /* the end marker was read */
	bool more;  /* ... and it was FDB_ROWS_PART */
};
int fdb_rows_open(const struct fdb_msg *m, struct fdb_rows *r, char *err, size_t errlen);
/* The next row's ncols values into vals: 1, or 0 at the end marker (r->more
 * tells whether another message follows), or HS_EINPUT. */
int fdb_rows_next(struct fdb_rows *r, struct fdb_value vals[FDB_COLUMNS_MAX], char *err,
		  size_t errlen);

#endif
