/* test_fdb_wire.c - the dqlite client protocol's encoders and decoders:
 * the exact bytes a node expects and sends, round trips, and every decoder
 * refusing truncated bodies, texts without their NUL and counts the body
 * cannot hold (each body copied to an exact-size allocation, so the ASan
 * build sees any read past it). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fdb_wire.h"

static char err[HS_ERRLEN];

/* The message an encoder appended at b->data + off, as a decoder sees it. */
static struct fdb_msg as_msg(const struct fdb_buf *b, size_t off)
{
	struct fdb_msg m = { 0 };
	size_t len;
	cr_assert_eq(fdb_header(b->data + off, &m.type, &m.schema, &len, FDB_BODY_MAX, err,
				sizeof(err)), 0, "%s", err);
	cr_assert_eq(off + 8 + len, b->len);
	m.body = b->data + off + 8;
	m.len = len;
	return m;
}

static const uint8_t *word(uint64_t v)
{
	static uint8_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (uint8_t)(v >> (8 * i));
	return w;
}

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(got[i], want[i], "byte %zu: %02x, not %02x", i, got[i], want[i]);
}

static void refused(int rc, const char *want)
{
	cr_assert_eq(rc, HS_EINPUT, "rc %d (%s)", rc, err);
	cr_assert(strstr(err, want), "message \"%s\" lacks \"%s\"", err, want);
}

Test(fdb_wire, protocol_leader_client_bytes)
{
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_protocol(&b, err, sizeof(err)), 0);
	cr_assert_eq(fdb_enc_leader(&b, err, sizeof(err)), 0);
	cr_assert_eq(fdb_enc_client(&b, 0, err, sizeof(err)), 0);
	const uint8_t want[] = {
		1, 0, 0, 0, 0, 0, 0, 0,                         /* version 1 */
		1, 0, 0, 0, FDB_REQ_LEADER, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, FDB_REQ_CLIENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	cr_assert_eq(b.len, sizeof(want));
	assert_bytes(b.data, want, sizeof(want));
	fdb_buf_free(&b);
}

Test(fdb_wire, open_add_assign_remove_cluster_bytes)
{
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_open(&b, "fleet", err, sizeof(err)), 0);
	const uint8_t open[] = {
		4, 0, 0, 0, FDB_REQ_OPEN, 0, 0, 0,
		'f', 'l', 'e', 'e', 't', 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		'v', 'o', 'l', 'a', 't', 'i', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0,
	};
	cr_assert_eq(b.len, sizeof(open));
	assert_bytes(b.data, open, sizeof(open));

	b.len = 0;
	cr_assert_eq(fdb_enc_add(&b, 2, "127.0.0.1:9001", err, sizeof(err)), 0);
	struct fdb_msg m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_ADD);
	cr_assert_eq(m.len, 8 + 16);
	assert_bytes(m.body, word(2), 8);
	cr_assert_str_eq((const char *)m.body + 8, "127.0.0.1:9001");

	b.len = 0;
	cr_assert_eq(fdb_enc_assign(&b, 2, FDB_STANDBY, err, sizeof(err)), 0);
	m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_ASSIGN);
	cr_assert_eq(m.len, 16);
	assert_bytes(m.body + 8, word(1), 8);

	b.len = 0;
	cr_assert_eq(fdb_enc_remove(&b, 3, err, sizeof(err)), 0);
	m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_REMOVE);
	assert_bytes(m.body, word(3), 8);

	b.len = 0;
	cr_assert_eq(fdb_enc_cluster(&b, err, sizeof(err)), 0);
	m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_CLUSTER);
	assert_bytes(m.body, word(1), 8); /* format 1: with roles */
	fdb_buf_free(&b);
}

Test(fdb_wire, sql_params_bytes)
{
	struct fdb_buf b = { 0 };
	const uint8_t blob[] = { 0xaa, 0xbb, 0xcc };
	struct fdb_value p[] = {
		{ .type = FDB_INTEGER, .i = -2 },
		{ .type = FDB_TEXT, .text = "hi" },
		{ .type = FDB_NULL },
		{ .type = FDB_FLOAT, .f = 2.5 },
		{ .type = FDB_BLOB, .blob = blob, .len = 3 },
		{ .type = FDB_BOOLEAN, .i = 5 },
	};
	cr_assert_eq(fdb_enc_sql(&b, true, 7, "SELECT ?", p, 6, err, sizeof(err)), 0, "%s", err);
	struct fdb_msg m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_QUERY_SQL);
	uint64_t f;
	double d = 2.5;
	memcpy(&f, &d, 8);
	uint8_t want[8 * 11] = { 7 };
	memcpy(want + 8, "SELECT ?", 8);                     /* 8 chars: NUL in the next word */
	const uint8_t hdr[] = { 6, 1, 3, 5, 2, 4, 11, 0 };
	memcpy(want + 24, hdr, 8);
	memcpy(want + 32, word((uint64_t)-2), 8);
	memcpy(want + 40, "hi", 2);
	memcpy(want + 56, word(f), 8);                       /* NULL at 48 */
	memcpy(want + 64, word(3), 8);
	memcpy(want + 72, blob, 3);
	memcpy(want + 80, word(1), 8);                       /* a boolean is 0 or 1 */
	cr_assert_eq(m.len, sizeof(want));
	assert_bytes(m.body, want, sizeof(want));

	/* Eight parameters: the count and 8 type bytes take two words. */
	struct fdb_value eight[8];
	for (int i = 0; i < 8; i++)
		eight[i] = (struct fdb_value){ .type = FDB_INTEGER, .i = i };
	b.len = 0;
	cr_assert_eq(fdb_enc_sql(&b, false, 1, "x", eight, 8, err, sizeof(err)), 0);
	m = as_msg(&b, 0);
	cr_assert_eq(m.type, FDB_REQ_EXEC_SQL);
	cr_assert_eq(m.len, 8 + 8 + 16 + 8 * 8);
	cr_assert_eq(m.body[16], 8);
	cr_assert_eq(m.body[24], FDB_INTEGER); /* the 8th type, in the second word */
	cr_assert_eq(m.body[25], 0);
	fdb_buf_free(&b);
}

Test(fdb_wire, encoders_refuse_and_leave_the_buffer)
{
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_leader(&b, err, sizeof(err)), 0);
	size_t len = b.len;
	uint8_t copy[64];
	memcpy(copy, b.data, len);

	static struct fdb_value many[256];
	for (int i = 0; i < 256; i++)
		many[i] = (struct fdb_value){ .type = FDB_NULL };
	refused(fdb_enc_sql(&b, false, 1, "x", many, 256, err, sizeof(err)), "256 parameters");
	cr_assert_eq(b.len, len);
	cr_assert_eq(fdb_enc_sql(&b, false, 1, "x", many, 255, err, sizeof(err)), 0);
	b.len = len;

	struct fdb_value nul = { .type = FDB_TEXT, .text = "a\0b", .len = 3 };
	refused(fdb_enc_sql(&b, false, 1, "x", &nul, 1, err, sizeof(err)), "parameter 1");
	cr_assert_eq(b.len, len);
	struct fdb_value bad = { .type = 9 };
	refused(fdb_enc_sql(&b, false, 1, "x", &bad, 1, err, sizeof(err)), "type 9");
	cr_assert_eq(b.len, len);
	refused(fdb_enc_open(&b, NULL, err, sizeof(err)), "database name");
	refused(fdb_enc_add(&b, 1, NULL, err, sizeof(err)), "address");
	cr_assert_eq(b.len, len);

	/* A body over FDB_BODY_MAX. */
	size_t big = FDB_BODY_MAX;
	char *sql = malloc(big + 1);
	memset(sql, 's', big);
	sql[big] = 0;
	refused(fdb_enc_sql(&b, false, 1, sql, NULL, 0, err, sizeof(err)), "sql");
	free(sql);
	cr_assert_eq(b.len, len);
	assert_bytes(b.data, copy, len);
	fdb_buf_free(&b);
}

Test(fdb_wire, header_limit)
{
	uint8_t h[8] = { 0x01, 0x00, 0x08, 0x00, FDB_RESP_ROWS, 1, 0, 0 }; /* 0x80001 words */
	uint8_t type, schema;
	size_t len;
	refused(fdb_header(h, &type, &schema, &len, FDB_BODY_MAX, err, sizeof(err)), "over");
	h[2] = 0;
	cr_assert_eq(fdb_header(h, &type, &schema, &len, FDB_BODY_MAX, err, sizeof(err)), 0);
	cr_assert_eq(len, 8);
	cr_assert_eq(type, FDB_RESP_ROWS);
	cr_assert_eq(schema, 1);
	refused(fdb_header(h, &type, &schema, &len, 7, err, sizeof(err)), "over 7");
}

/* ---- decoders ---- */

/* A body in an allocation of exactly its size. */
static struct fdb_msg exact(uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	cr_assert(p);
	if (len)
		memcpy(p, body, len);
	return (struct fdb_msg){ .type = type, .body = p, .len = len };
}

static void free_msg(struct fdb_msg *m)
{
	free((void *)m->body);
}

/* The decoder under test, on any message. */
typedef int (*decode_fn)(const struct fdb_msg *m);

static int dec_failure(const struct fdb_msg *m)
{
	uint64_t code;
	char text[64];
	return fdb_dec_failure(m, &code, text, sizeof(text), err, sizeof(err));
}

static int dec_node(const struct fdb_msg *m)
{
	uint64_t id;
	char addr[FDB_ADDR_MAX];
	return fdb_dec_node(m, &id, addr, err, sizeof(err));
}

static int dec_nodes(const struct fdb_msg *m)
{
	struct fdb_node nodes[4];
	size_t n;
	return fdb_dec_nodes(m, nodes, 4, &n, err, sizeof(err));
}

static int dec_db(const struct fdb_msg *m)
{
	uint32_t db;
	return fdb_dec_db(m, &db, err, sizeof(err));
}

static int dec_result(const struct fdb_msg *m)
{
	uint64_t a, b;
	return fdb_dec_result(m, &a, &b, err, sizeof(err));
}

static int dec_welcome(const struct fdb_msg *m)
{
	uint64_t hb;
	return fdb_dec_welcome(m, &hb, err, sizeof(err));
}

/* All rows to the end marker: 0, or the first error. */
static int dec_rows(const struct fdb_msg *m)
{
	struct fdb_rows r;
	struct fdb_value v[FDB_COLUMNS_MAX];
	int rc = fdb_rows_open(m, &r, err, sizeof(err));
	while (rc == 0 && (rc = fdb_rows_next(&r, v, err, sizeof(err))) == 1)
		rc = 0;
	return rc;
}

/* Every shorter prefix of a good body is refused, in whole words or not,
 * and a wrong type too. */
static void truncations(decode_fn dec, uint8_t type, const uint8_t *body, size_t len)
{
	struct fdb_msg m = exact(type, body, len);
	cr_assert_eq(dec(&m), 0, "whole body: %s", err);
	free_msg(&m);
	for (size_t n = 0; n < len; n++) {
		m = exact(type, body, n);
		cr_assert_eq(dec(&m), HS_EINPUT, "prefix of %zu bytes of %zu accepted", n, len);
		free_msg(&m);
	}
	m = exact((uint8_t)(type + 1), body, len);
	refused(dec(&m), "type");
	free_msg(&m);
}

/* The body of "SELECT a,b,NULL,2.5" with one row (7, 'hello'), as a
 * dqlite 1.11.1 node sent it. */
static const uint8_t rows_example[] = {
	4, 0, 0, 0, 0, 0, 0, 0,
	'a', 0, 0, 0, 0, 0, 0, 0,
	'b', 0, 0, 0, 0, 0, 0, 0,
	'N', 'U', 'L', 'L', 0, 0, 0, 0,
	'2', '.', '5', 0, 0, 0, 0, 0,
	0x31, 0x25, 0, 0, 0, 0, 0, 0,
	7, 0, 0, 0, 0, 0, 0, 0,
	'h', 'e', 'l', 'l', 'o', 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0x04, 0x40, /* 2.5 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

Test(fdb_wire, rows_example_decodes)
{
	struct fdb_msg m = exact(FDB_RESP_ROWS, rows_example, sizeof(rows_example));
	struct fdb_rows r;
	struct fdb_value v[FDB_COLUMNS_MAX];
	cr_assert_eq(fdb_rows_open(&m, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.ncols, 4);
	cr_assert_str_eq(r.names[0], "a");
	cr_assert_str_eq(r.names[2], "NULL");
	cr_assert_str_eq(r.names[3], "2.5");
	cr_assert_eq(fdb_rows_next(&r, v, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(v[0].type, FDB_INTEGER);
	cr_assert_eq(v[0].i, 7);
	cr_assert_eq(v[1].type, FDB_TEXT);
	cr_assert_str_eq(v[1].text, "hello");
	cr_assert_eq(v[1].len, 5);
	cr_assert_eq(v[2].type, FDB_NULL);
	cr_assert_eq(v[3].type, FDB_FLOAT);
	cr_assert_eq(v[3].f, 2.5);
	cr_assert_eq(fdb_rows_next(&r, v, err, sizeof(err)), 0);
	cr_assert(r.done);
	cr_assert_not(r.more);
	cr_assert_eq(r.pos, sizeof(rows_example));
	cr_assert_eq(fdb_rows_next(&r, v, err, sizeof(err)), 0); /* stays at the end */
	free_msg(&m);
	truncations(dec_rows, FDB_RESP_ROWS, rows_example, sizeof(rows_example));
}

/* A ROWS body of ncols integer columns named c, rows rows of value
 * row*100+col each, ending with marker. */
static size_t build_rows(uint8_t *out, size_t ncols, size_t rows, uint64_t marker)
{
	size_t pos = 0;
	memcpy(out, word(ncols), 8);
	pos += 8;
	for (size_t i = 0; i < ncols; i++) {
		memcpy(out + pos, "c\0\0\0\0\0\0\0", 8);
		pos += 8;
	}
	size_t hlen = ((ncols + 1) / 2 + 7) / 8 * 8;
	for (size_t r = 0; r < rows; r++) {
		memset(out + pos, 0, hlen);
		for (size_t i = 0; i < ncols; i++)
			out[pos + i / 2] |= (uint8_t)(FDB_INTEGER << (4 * (i % 2)));
		pos += hlen;
		for (size_t i = 0; i < ncols; i++) {
			memcpy(out + pos, word(r * 100 + i), 8);
			pos += 8;
		}
	}
	memcpy(out + pos, word(marker), 8);
	return pos + 8;
}

Test(fdb_wire, rows_wide_and_in_parts)
{
	static uint8_t body[8192];
	size_t len = build_rows(body, 17, 3, FDB_ROWS_PART);
	/* 17 columns: a row header of two words. */
	cr_assert_eq(len, 8 + 17 * 8 + 3 * (16 + 17 * 8) + 8);
	struct fdb_msg m = exact(FDB_RESP_ROWS, body, len);
	struct fdb_rows r;
	struct fdb_value v[FDB_COLUMNS_MAX];
	cr_assert_eq(fdb_rows_open(&m, &r, err, sizeof(err)), 0, "%s", err);
	for (int row = 0; row < 3; row++) {
		cr_assert_eq(fdb_rows_next(&r, v, err, sizeof(err)), 1, "%s", err);
		cr_assert_eq(v[16].type, FDB_INTEGER);
		cr_assert_eq(v[16].i, row * 100 + 16);
	}
	cr_assert_eq(fdb_rows_next(&r, v, err, sizeof(err)), 0);
	cr_assert(r.done && r.more);
	free_msg(&m);

	/* 64 columns fit, 65 do not. */
	len = build_rows(body, 64, 1, FDB_ROWS_DONE);
	m = exact(FDB_RESP_ROWS, body, len);
	cr_assert_eq(dec_rows(&m), 0, "%s", err);
	free_msg(&m);
	len = build_rows(body, 65, 0, FDB_ROWS_DONE);
	m = exact(FDB_RESP_ROWS, body, len);
	refused(dec_rows(&m), "column count 65");
	free_msg(&m);
}

Test(fdb_wire, rows_refused)
{
	uint8_t body[sizeof(rows_example)];

	/* A column name without its NUL. */
	memcpy(body, word(1), 8);
	memset(body + 8, 'x', 8);
	struct fdb_msg m = exact(FDB_RESP_ROWS, body, 16);
	refused(dec_rows(&m), "column name without its NUL");
	free_msg(&m);

	/* More columns than the body holds names for. */
	memcpy(body, word(3), 8);
	memcpy(body + 8, "a\0\0\0\0\0\0\0", 8);
	m = exact(FDB_RESP_ROWS, body, 16);
	refused(dec_rows(&m), "column name");
	free_msg(&m);
	memcpy(body, word(UINT64_MAX), 8);
	m = exact(FDB_RESP_ROWS, body, 16);
	refused(dec_rows(&m), "column count");
	free_msg(&m);

	/* A text value without its NUL: "hello" and the rest filled. */
	memcpy(body, rows_example, sizeof(body));
	memset(body + 56, 'h', sizeof(body) - 56);
	m = exact(FDB_RESP_ROWS, body, sizeof(body));
	refused(dec_rows(&m), "text value without its NUL");
	free_msg(&m);

	/* A blob longer than the body; an unknown type. */
	memcpy(body, rows_example, sizeof(body));
	body[40] = 0x34; /* column 0 a blob, its length the 7 word */
	memcpy(body + 48, word(UINT64_MAX - 3), 8);
	m = exact(FDB_RESP_ROWS, body, sizeof(body));
	refused(dec_rows(&m), "blob length");
	free_msg(&m);
	memcpy(body + 48, word(64), 8);
	m = exact(FDB_RESP_ROWS, body, sizeof(body));
	refused(dec_rows(&m), "blob length 64");
	free_msg(&m);
	body[40] = 0x3c;
	m = exact(FDB_RESP_ROWS, body, sizeof(body));
	refused(dec_rows(&m), "type 12");
	free_msg(&m);

	/* A body that is not whole words. */
	m = exact(FDB_RESP_ROWS, rows_example, sizeof(rows_example) - 3);
	refused(dec_rows(&m), "whole words");
	free_msg(&m);
}

Test(fdb_wire, node_round_trip_and_refusals)
{
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_node(&b, 3, "10.0.0.3:9001", err, sizeof(err)), 0);
	struct fdb_msg m = as_msg(&b, 0);
	uint64_t id;
	char addr[FDB_ADDR_MAX];
	cr_assert_eq(fdb_dec_node(&m, &id, addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(id, 3);
	cr_assert_str_eq(addr, "10.0.0.3:9001");
	truncations(dec_node, FDB_RESP_NODE, m.body, m.len);

	/* No leader: id 0 and "". */
	b.len = 0;
	cr_assert_eq(fdb_enc_node(&b, 0, "", err, sizeof(err)), 0);
	m = as_msg(&b, 0);
	cr_assert_eq(m.len, 16);
	cr_assert_eq(fdb_dec_node(&m, &id, addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(id, 0);
	cr_assert_str_eq(addr, "");

	/* The address without its NUL, and one too long for FDB_ADDR_MAX. */
	uint8_t body[8 + 72];
	memcpy(body, word(1), 8);
	memset(body + 8, '1', 72);
	struct fdb_msg x = exact(FDB_RESP_NODE, body, sizeof(body));
	refused(dec_node(&x), "node address without its NUL");
	free_msg(&x);
	body[8 + 64] = 0;
	x = exact(FDB_RESP_NODE, body, sizeof(body));
	refused(dec_node(&x), "node address of 64 bytes");
	free_msg(&x);
	fdb_buf_free(&b);
}

Test(fdb_wire, nodes_round_trip_and_refusals)
{
	struct fdb_node in[3] = {
		{ 1, "127.0.0.1:9001", FDB_VOTER },
		{ 2, "127.0.0.1:9002", FDB_STANDBY },
		{ 0x1122334455667788ull, "10.1.2.3:65535", FDB_SPARE },
	};
	struct fdb_node out[4];
	size_t n;
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_nodes(&b, in, 3, err, sizeof(err)), 0);
	struct fdb_msg m = as_msg(&b, 0);
	cr_assert_eq(m.len, 8 + 3 * 32);
	cr_assert_eq(fdb_dec_nodes(&m, out, 4, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(out[i].id, in[i].id);
		cr_assert_str_eq(out[i].addr, in[i].addr);
		cr_assert_eq(out[i].role, in[i].role);
	}
	truncations(dec_nodes, FDB_RESP_NODES, m.body, m.len);
	/* More than max. */
	refused(fdb_dec_nodes(&m, out, 2, &n, err, sizeof(err)), "node count 3 over 2");

	/* A count the body cannot hold, a role that does not exist. */
	uint8_t body[8 + 32];
	memcpy(body, m.body, sizeof(body));
	memcpy(body, word(2), 8);
	struct fdb_msg x = exact(FDB_RESP_NODES, body, sizeof(body));
	refused(dec_nodes(&x), "node count 2 more than the body holds");
	free_msg(&x);
	memcpy(body, word(UINT64_MAX), 8);
	x = exact(FDB_RESP_NODES, body, sizeof(body));
	refused(dec_nodes(&x), "more than the body holds");
	free_msg(&x);
	memcpy(body, word(1), 8);
	memcpy(body + 32, word(3), 8);
	x = exact(FDB_RESP_NODES, body, sizeof(body));
	refused(dec_nodes(&x), "node role 3");
	free_msg(&x);
	memcpy(body + 32, word(0), 8);
	memset(body + 16, 'x', 24); /* the address, its padding and the role: no NUL */
	x = exact(FDB_RESP_NODES, body, sizeof(body));
	refused(dec_nodes(&x), "node address");
	free_msg(&x);
	fdb_buf_free(&b);
}

Test(fdb_wire, failure_db_result_welcome)
{
	struct fdb_buf b = { 0 };
	cr_assert_eq(fdb_enc_failure(&b, 2067, "UNIQUE constraint failed: t.k", err,
				     sizeof(err)), 0);
	struct fdb_msg m = as_msg(&b, 0);
	uint64_t code;
	char text[16];
	cr_assert_eq(fdb_dec_failure(&m, &code, text, sizeof(text), err, sizeof(err)), 0);
	cr_assert_eq(code, 2067);
	cr_assert_str_eq(text, "UNIQUE constrai"); /* cut to the caller's buffer */
	truncations(dec_failure, FDB_RESP_FAILURE, m.body, m.len);
	uint8_t nonul[24];
	memcpy(nonul, word(1), 8);
	memset(nonul + 8, 'e', 16);
	struct fdb_msg x = exact(FDB_RESP_FAILURE, nonul, sizeof(nonul));
	refused(dec_failure(&x), "failure message without its NUL");
	free_msg(&x);

	uint8_t db[8] = { 5, 0, 0, 0, 0xde, 0xad, 0, 0 };
	uint32_t id;
	x = exact(FDB_RESP_DB, db, 8);
	cr_assert_eq(fdb_dec_db(&x, &id, err, sizeof(err)), 0);
	cr_assert_eq(id, 5);
	free_msg(&x);
	truncations(dec_db, FDB_RESP_DB, db, 8);

	uint8_t res[16];
	memcpy(res, word(42), 8);
	memcpy(res + 8, word(1), 8);
	uint64_t last, affected;
	x = exact(FDB_RESP_RESULT, res, 16);
	cr_assert_eq(fdb_dec_result(&x, &last, &affected, err, sizeof(err)), 0);
	cr_assert_eq(last, 42);
	cr_assert_eq(affected, 1);
	free_msg(&x);
	truncations(dec_result, FDB_RESP_RESULT, res, 16);
	truncations(dec_welcome, FDB_RESP_WELCOME, res, 8);

	x = exact(FDB_RESP_EMPTY, res, 8);
	cr_assert_eq(fdb_dec_empty(&x, err, sizeof(err)), 0);
	free_msg(&x);
	x = exact(FDB_RESP_FAILURE, res, 8);
	refused(fdb_dec_empty(&x, err, sizeof(err)), "not EMPTY");
	free_msg(&x);
	fdb_buf_free(&b);
}
