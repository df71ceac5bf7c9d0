/* fuzz_fdb_wire.c - the dqlite answers another host sends hsfleetdb
 * (fdb_wire.h).  The input is a header word and a body; the body goes to
 * every decoder and through the rows, whatever type the header names.
 * Properties: no read past the body; what a decoder accepts points into
 * the body and is NUL-terminated there; a NODE or NODES answer decoded,
 * encoded again and decoded once more is the same. */
#include "fdb_wire.h"
#include "err.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const struct fdb_msg *m, const void *p, size_t len)
{
	const uint8_t *b = p;
	return b >= m->body && b + len <= m->body + m->len;
}

static void node_again(uint64_t id, const char *addr)
{
	struct fdb_buf b = { 0 };
	FUZZ_ASSERT(fdb_enc_node(&b, id, addr, NULL, 0) == 0);
	uint8_t type, schema;
	size_t len;
	FUZZ_ASSERT(fdb_header(b.data, &type, &schema, &len, FDB_BODY_MAX, NULL, 0) == 0);
	FUZZ_ASSERT(type == FDB_RESP_NODE && len + 8 == b.len);
	struct fdb_msg m = { .type = type, .body = b.data + 8, .len = len };
	uint64_t id2;
	char addr2[FDB_ADDR_MAX];
	FUZZ_ASSERT(fdb_dec_node(&m, &id2, addr2, NULL, 0) == 0);
	FUZZ_ASSERT(id2 == id && strcmp(addr2, addr) == 0);
	fdb_buf_free(&b);
}

static void nodes_again(const struct fdb_node *nodes, size_t n)
{
	struct fdb_buf b = { 0 };
	FUZZ_ASSERT(fdb_enc_nodes(&b, nodes, n, NULL, 0) == 0);
	uint8_t type, schema;
	size_t len;
	FUZZ_ASSERT(fdb_header(b.data, &type, &schema, &len, FDB_BODY_MAX, NULL, 0) == 0);
	FUZZ_ASSERT(type == FDB_RESP_NODES && len + 8 == b.len);
	struct fdb_msg m = { .type = type, .body = b.data + 8, .len = len };
	struct fdb_node back[16];
	size_t n2;
	FUZZ_ASSERT(fdb_dec_nodes(&m, back, 16, &n2, NULL, 0) == 0);
	FUZZ_ASSERT(n2 == n);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(back[i].id == nodes[i].id && back[i].role == nodes[i].role &&
			    strcmp(back[i].addr, nodes[i].addr) == 0);
	fdb_buf_free(&b);
}

static void rows(const struct fdb_msg *m)
{
	struct fdb_rows r;
	struct fdb_value v[FDB_COLUMNS_MAX];
	char err[HS_ERRLEN];
	if (fdb_rows_open(m, &r, err, sizeof(err)) != 0)
		return;
	FUZZ_ASSERT(r.ncols <= FDB_COLUMNS_MAX && r.pos <= m->len);
	for (size_t i = 0; i < r.ncols; i++)
		FUZZ_ASSERT(inside(m, r.names[i], strlen(r.names[i]) + 1));
	int rc;
	while ((rc = fdb_rows_next(&r, v, err, sizeof(err))) == 1) {
		FUZZ_ASSERT(r.pos <= m->len);
		for (size_t i = 0; i < r.ncols; i++) {
			if (v[i].type == FDB_TEXT || v[i].type == FDB_ISO8601)
				FUZZ_ASSERT(inside(m, v[i].text, v[i].len + 1) &&
					    v[i].text[v[i].len] == 0);
			if (v[i].type == FDB_BLOB && v[i].len)
				FUZZ_ASSERT(inside(m, v[i].blob, v[i].len));
		}
	}
	if (rc == 0)
		FUZZ_ASSERT(r.done && r.pos <= m->len);
	else
		FUZZ_ASSERT(rc == HS_EINPUT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t type, schema;
	size_t len;
	char err[HS_ERRLEN];

	if (size < 8)
		return 0;
	if (fdb_header(data, &type, &schema, &len, FDB_BODY_MAX, err, sizeof(err)) == 0)
		FUZZ_ASSERT(len <= FDB_BODY_MAX && len % 8 == 0);
	/* The body as it would be read: exactly its bytes, so ASan sees any
	 * read beyond. */
	size_t blen = size - 8;
	uint8_t *body = malloc(blen ? blen : 1);
	if (!body)
		return 0;
	memcpy(body, data + 8, blen);
	struct fdb_msg m = { .body = body, .len = blen };

	uint64_t u1, u2;
	uint32_t db;
	char text[64], addr[FDB_ADDR_MAX];
	m.type = FDB_RESP_FAILURE;
	if (fdb_dec_failure(&m, &u1, text, sizeof(text), err, sizeof(err)) == 0)
		FUZZ_ASSERT(memchr(text, 0, sizeof(text)));
	m.type = FDB_RESP_NODE;
	if (fdb_dec_node(&m, &u1, addr, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(strlen(addr) < FDB_ADDR_MAX);
		node_again(u1, addr);
	}
	m.type = FDB_RESP_NODES;
	struct fdb_node nodes[16];
	size_t n;
	if (fdb_dec_nodes(&m, nodes, 16, &n, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(n <= 16);
		nodes_again(nodes, n);
	}
	m.type = FDB_RESP_DB;
	(void)fdb_dec_db(&m, &db, err, sizeof(err));
	m.type = FDB_RESP_RESULT;
	(void)fdb_dec_result(&m, &u1, &u2, err, sizeof(err));
	m.type = FDB_RESP_WELCOME;
	(void)fdb_dec_welcome(&m, &u1, err, sizeof(err));
	m.type = FDB_RESP_EMPTY;
	(void)fdb_dec_empty(&m, err, sizeof(err));
	m.type = FDB_RESP_ROWS;
	rows(&m);
	/* And as the header says: its type, whatever it is. */
	m.type = data[4];
	rows(&m);
	free(body);
	return 0;
}
