/* fdb_wire.c - the dqlite client protocol's messages (fdb_wire.h).
 *
 * Encoders append one whole message to a growing buffer and leave it as it
 * was on error.  Decoders read through a cursor that refuses any field
 * the body cannot hold: the body comes from another host.
 */
#include "fdb_wire.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD 8
#define PAD(n) (((n) + (WORD - 1)) & ~(size_t)(WORD - 1))
#define HDR_LEN 8
#define PARAMS_MAX 255 /* the params tuple counts them in one byte */

void fdb_buf_free(struct fdb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- encoding ---- */

static int reserve(struct fdb_buf *b, size_t more, char *err, size_t errlen)
{
	if (more > FDB_BODY_MAX + HDR_LEN || b->len > SIZE_MAX - more)
		return err_set(err, errlen, HS_EINPUT, "fdb: message over %u bytes", FDB_BODY_MAX);
	if (b->len + more <= b->cap)
		return HS_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return err_sys(err, errlen, "fdb: message buffer of %zu bytes", cap);
	b->data = p;
	b->cap = cap;
	return HS_OK;
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int put64(struct fdb_buf *b, uint64_t v, char *err, size_t errlen)
{
	int rc = reserve(b, WORD, err, errlen);
	if (rc)
		return rc;
	le64(b->data + b->len, v);
	b->len += WORD;
	return HS_OK;
}

/* n bytes of s, a NUL and zeros up to the next word. */
static int put_textn(struct fdb_buf *b, const char *s, size_t n, const char *field, char *err,
		     size_t errlen)
{
	if (memchr(s, 0, n))
		return err_set(err, errlen, HS_EINPUT, "fdb: %s has a NUL inside it", field);
	if (n >= FDB_BODY_MAX)
		return err_set(err, errlen, HS_EINPUT, "fdb: %s over %u bytes", field, FDB_BODY_MAX);
	size_t padded = PAD(n + 1);
	int rc = reserve(b, padded, err, errlen);
	if (rc)
		return rc;
	memcpy(b->data + b->len, s, n);
	memset(b->data + b->len + n, 0, padded - n);
	b->len += padded;
	return HS_OK;
}

static int put_text(struct fdb_buf *b, const char *s, const char *field, char *err,
		    size_t errlen)
{
	if (!s)
		return err_set(err, errlen, HS_EINPUT, "fdb: %s missing", field);
	return put_textn(b, s, strlen(s), field, err, errlen);
}

/* A message is begun with a header word to be filled by msg_end, which
 * knows the body's length; on error msg_fail drops what was appended. */
static int msg_begin(struct fdb_buf *b, size_t *start, char *err, size_t errlen)
{
	*start = b->len;
	int rc = reserve(b, HDR_LEN, err, errlen);
	if (rc)
		return rc;
	memset(b->data + b->len, 0, HDR_LEN);
	b->len += HDR_LEN;
	return HS_OK;
}

static int msg_end(struct fdb_buf *b, size_t start, uint8_t type, char *err, size_t errlen)
{
	size_t body = b->len - start - HDR_LEN;
	if (body > FDB_BODY_MAX) {
		b->len = start;
		return err_set(err, errlen, HS_EINPUT, "fdb: message body of %zu bytes over %u",
			       body, FDB_BODY_MAX);
	}
	uint8_t *h = b->data + start;
	le32(h, (uint32_t)(body / WORD));
	h[4] = type;
	h[5] = 0;
	h[6] = h[7] = 0;
	return HS_OK;
}

static int msg_fail(struct fdb_buf *b, size_t start, int rc)
{
	b->len = start;
	return rc;
}

int fdb_enc_protocol(struct fdb_buf *b, char *err, size_t errlen)
{
	return put64(b, FDB_PROTOCOL_VERSION, err, errlen);
}

/* The messages whose body is n u64 words, then a text when what (its
 * name in errors) is not NULL. */
static int enc_words(struct fdb_buf *b, uint8_t type, const uint64_t *v, size_t n,
		     const char *text, const char *what, char *err, size_t errlen)
{
	size_t start;
	int rc = msg_begin(b, &start, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = put64(b, v[i], err, errlen);
	if (!rc && what)
		rc = put_text(b, text, what, err, errlen);
	if (rc)
		return msg_fail(b, start, rc);
	return msg_end(b, start, type, err, errlen);
}

static int enc_u64(struct fdb_buf *b, uint8_t type, uint64_t v, char *err, size_t errlen)
{
	return enc_words(b, type, &v, 1, NULL, NULL, err, errlen);
}

int fdb_enc_leader(struct fdb_buf *b, char *err, size_t errlen)
{
	return enc_u64(b, FDB_REQ_LEADER, 0, err, errlen);
}

int fdb_enc_client(struct fdb_buf *b, uint64_t client_id, char *err, size_t errlen)
{
	return enc_u64(b, FDB_REQ_CLIENT, client_id, err, errlen);
}

int fdb_enc_remove(struct fdb_buf *b, uint64_t id, char *err, size_t errlen)
{
	return enc_u64(b, FDB_REQ_REMOVE, id, err, errlen);
}

int fdb_enc_cluster(struct fdb_buf *b, char *err, size_t errlen)
{
	return enc_u64(b, FDB_REQ_CLUSTER, 1, err, errlen);
}

int fdb_enc_open(struct fdb_buf *b, const char *name, char *err, size_t errlen)
{
	size_t start;
	int rc = msg_begin(b, &start, err, errlen);
	if (rc)
		return rc;
	/* Flags 0; the "volatile" VFS is the in-memory one dqlite replicates. */
	if ((rc = put_text(b, name, "database name", err, errlen)) ||
	    (rc = put64(b, 0, err, errlen)) ||
	    (rc = put_text(b, "volatile", "vfs", err, errlen)))
		return msg_fail(b, start, rc);
	return msg_end(b, start, FDB_REQ_OPEN, err, errlen);
}

int fdb_enc_add(struct fdb_buf *b, uint64_t id, const char *addr, char *err, size_t errlen)
{
	return enc_words(b, FDB_REQ_ADD, &id, 1, addr, "address", err, errlen);
}

int fdb_enc_assign(struct fdb_buf *b, uint64_t id, enum fdb_role role, char *err, size_t errlen)
{
	uint64_t v[2] = { id, (uint64_t)role };
	return enc_words(b, FDB_REQ_ASSIGN, v, 2, NULL, NULL, err, errlen);
}

static int put_value(struct fdb_buf *b, const struct fdb_value *v, size_t i, char *err,
		     size_t errlen)
{
	char field[32];
	uint64_t u;
	int rc;

	snprintf(field, sizeof(field), "parameter %zu", i + 1);
	switch (v->type) {
	case FDB_INTEGER:
		return put64(b, (uint64_t)v->i, err, errlen);
	case FDB_BOOLEAN:
		return put64(b, v->i != 0, err, errlen);
	case FDB_FLOAT:
		memcpy(&u, &v->f, sizeof(u));
		return put64(b, u, err, errlen);
	case FDB_NULL:
		return put64(b, 0, err, errlen);
	case FDB_TEXT:
	case FDB_ISO8601:
		if (!v->text)
			return err_set(err, errlen, HS_EINPUT, "fdb: %s: text missing", field);
		return put_textn(b, v->text, v->len ? v->len : strlen(v->text), field, err, errlen);
	case FDB_BLOB:
		if (v->len && !v->blob)
			return err_set(err, errlen, HS_EINPUT, "fdb: %s: blob missing", field);
		if (v->len > FDB_BODY_MAX)
			return err_set(err, errlen, HS_EINPUT, "fdb: %s: blob over %u bytes",
				       field, FDB_BODY_MAX);
		if ((rc = put64(b, v->len, err, errlen)) ||
		    (rc = reserve(b, PAD(v->len), err, errlen)))
			return rc;
		if (v->len)
			memcpy(b->data + b->len, v->blob, v->len);
		memset(b->data + b->len + v->len, 0, PAD(v->len) - v->len);
		b->len += PAD(v->len);
		return HS_OK;
	}
	return err_set(err, errlen, HS_EINPUT, "fdb: %s: type %d unknown", field, (int)v->type);
}

int fdb_enc_sql(struct fdb_buf *b, bool query, uint32_t db, const char *sql,
		const struct fdb_value *params, size_t nparams, char *err, size_t errlen)
{
	if (nparams > PARAMS_MAX)
		return err_set(err, errlen, HS_EINPUT, "fdb: %zu parameters, at most %d",
			       nparams, PARAMS_MAX);
	size_t start;
	int rc = msg_begin(b, &start, err, errlen);
	if (rc)
		return rc;
	if ((rc = put64(b, db, err, errlen)) || (rc = put_text(b, sql, "sql", err, errlen)))
		return msg_fail(b, start, rc);
	/* The tuple's header: the count and a type byte per parameter, in
	 * as many words as they need. */
	size_t hlen = PAD(1 + nparams);
	if ((rc = reserve(b, hlen, err, errlen)))
		return msg_fail(b, start, rc);
	uint8_t *h = b->data + b->len;
	memset(h, 0, hlen);
	h[0] = (uint8_t)nparams;
	for (size_t i = 0; i < nparams; i++)
		h[1 + i] = (uint8_t)params[i].type;
	b->len += hlen;
	for (size_t i = 0; i < nparams; i++)
		if ((rc = put_value(b, &params[i], i, err, errlen)))
			return msg_fail(b, start, rc);
	return msg_end(b, start, query ? FDB_REQ_QUERY_SQL : FDB_REQ_EXEC_SQL, err, errlen);
}

int fdb_enc_failure(struct fdb_buf *b, uint64_t code, const char *text, char *err,
		    size_t errlen)
{
	return enc_words(b, FDB_RESP_FAILURE, &code, 1, text, "message", err, errlen);
}

int fdb_enc_node(struct fdb_buf *b, uint64_t id, const char *addr, char *err, size_t errlen)
{
	return enc_words(b, FDB_RESP_NODE, &id, 1, addr, "address", err, errlen);
}

int fdb_enc_nodes(struct fdb_buf *b, const struct fdb_node *nodes, size_t n, char *err,
		  size_t errlen)
{
	size_t start;
	int rc = msg_begin(b, &start, err, errlen);
	if (rc)
		return rc;
	if ((rc = put64(b, n, err, errlen)))
		return msg_fail(b, start, rc);
	for (size_t i = 0; i < n; i++) {
		/* An address of exactly FDB_ADDR_MAX bytes has no NUL. */
		size_t alen = strnlen(nodes[i].addr, FDB_ADDR_MAX);
		if (alen == FDB_ADDR_MAX) {
			rc = err_set(err, errlen, HS_EINPUT, "fdb: node %zu address unterminated", i);
			return msg_fail(b, start, rc);
		}
		if ((rc = put64(b, nodes[i].id, err, errlen)) ||
		    (rc = put_textn(b, nodes[i].addr, alen, "address", err, errlen)) ||
		    (rc = put64(b, (uint64_t)nodes[i].role, err, errlen)))
			return msg_fail(b, start, rc);
	}
	return msg_end(b, start, FDB_RESP_NODES, err, errlen);
}

/* ---- decoding ---- */

int fdb_header(const uint8_t hdr[8], uint8_t *type, uint8_t *schema, size_t *body_len,
	       size_t max, char *err, size_t errlen)
{
	size_t len = (size_t)get32(hdr) * WORD;
	if (len > max)
		return err_set(err, errlen, HS_EINPUT, "fdb: message body of %zu bytes over %zu",
			       len, max);
	*type = hdr[4];
	*schema = hdr[5];
	*body_len = len;
	return HS_OK;
}

/* A cursor over a body; every get checks the body holds the field. */
struct cur {
	const uint8_t *p;
	size_t len, pos;
};

static int cur_u64(struct cur *c, uint64_t *v, const char *field, char *err, size_t errlen)
{
	if (c->len - c->pos < WORD)
		return err_set(err, errlen, HS_EINPUT, "fdb: %s past the end of the body", field);
	*v = get64(c->p + c->pos);
	c->pos += WORD;
	return HS_OK;
}

/* A text: its NUL inside the body, its padding too. */
static int cur_text(struct cur *c, const char **s, size_t *n, const char *field, char *err,
		    size_t errlen)
{
	const uint8_t *start = c->p + c->pos;
	const uint8_t *nul = memchr(start, 0, c->len - c->pos);
	if (!nul)
		return err_set(err, errlen, HS_EINPUT, "fdb: %s without its NUL in the body", field);
	size_t len = (size_t)(nul - start);
	size_t padded = PAD(len + 1);
	if (padded > c->len - c->pos)
		return err_set(err, errlen, HS_EINPUT, "fdb: %s padding past the end of the body",
			       field);
	*s = (const char *)start;
	*n = len;
	c->pos += padded;
	return HS_OK;
}

static int want_type(const struct fdb_msg *m, uint8_t type, const char *what, struct cur *c,
		     char *err, size_t errlen)
{
	if (m->type != type)
		return err_set(err, errlen, HS_EINPUT, "fdb: answer of type %u, not %s", m->type,
			       what);
	/* A body is whole words; a length that is not would misalign the
	 * padding checks. */
	if (m->len % WORD || (m->len && !m->body))
		return err_set(err, errlen, HS_EINPUT, "fdb: %s body of %zu bytes, not whole words",
			       what, m->len);
	c->p = m->body;
	c->len = m->len;
	c->pos = 0;
	return HS_OK;
}

int fdb_dec_failure(const struct fdb_msg *m, uint64_t *code, char *text, size_t textlen,
		    char *err, size_t errlen)
{
	struct cur c;
	const char *s = NULL;
	size_t n = 0;
	int rc;
	if ((rc = want_type(m, FDB_RESP_FAILURE, "FAILURE", &c, err, errlen)) ||
	    (rc = cur_u64(&c, code, "failure code", err, errlen)) ||
	    (rc = cur_text(&c, &s, &n, "failure message", err, errlen)))
		return rc;
	/* The message is for a person: a long one is cut, not refused. */
	if (text && textlen)
		snprintf(text, textlen, "%s", s);
	return HS_OK;
}

static int dec_addr(struct cur *c, char addr[FDB_ADDR_MAX], char *err, size_t errlen)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = cur_text(c, &s, &n, "node address", err, errlen);
	if (rc)
		return rc;
	if (n >= FDB_ADDR_MAX)
		return err_set(err, errlen, HS_EINPUT, "fdb: node address of %zu bytes, at most %d",
			       n, FDB_ADDR_MAX - 1);
	memcpy(addr, s, n + 1);
	return HS_OK;
}

int fdb_dec_node(const struct fdb_msg *m, uint64_t *id, char addr[FDB_ADDR_MAX], char *err,
		 size_t errlen)
{
	struct cur c;
	int rc;
	if ((rc = want_type(m, FDB_RESP_NODE, "NODE", &c, err, errlen)) ||
	    (rc = cur_u64(&c, id, "node id", err, errlen)))
		return rc;
	return dec_addr(&c, addr, err, errlen);
}

int fdb_dec_nodes(const struct fdb_msg *m, struct fdb_node *nodes, size_t max, size_t *n,
		  char *err, size_t errlen)
{
	struct cur c;
	uint64_t count, role;
	int rc;
	if ((rc = want_type(m, FDB_RESP_NODES, "NODES", &c, err, errlen)) ||
	    (rc = cur_u64(&c, &count, "node count", err, errlen)))
		return rc;
	/* Each node takes three words at least: id, address, role. */
	if (count > (c.len - c.pos) / (3 * WORD))
		return err_set(err, errlen, HS_EINPUT,
			       "fdb: node count %llu more than the body holds",
			       (unsigned long long)count);
	if (count > max)
		return err_set(err, errlen, HS_EINPUT, "fdb: node count %llu over %zu",
			       (unsigned long long)count, max);
	for (size_t i = 0; i < count; i++) {
		if ((rc = cur_u64(&c, &nodes[i].id, "node id", err, errlen)) ||
		    (rc = dec_addr(&c, nodes[i].addr, err, errlen)) ||
		    (rc = cur_u64(&c, &role, "node role", err, errlen)))
			return rc;
		if (role > FDB_SPARE)
			return err_set(err, errlen, HS_EINPUT, "fdb: node role %llu unknown",
				       (unsigned long long)role);
		nodes[i].role = (enum fdb_role)role;
	}
	*n = (size_t)count;
	return HS_OK;
}

int fdb_dec_db(const struct fdb_msg *m, uint32_t *db, char *err, size_t errlen)
{
	struct cur c;
	uint64_t w;
	int rc;
	if ((rc = want_type(m, FDB_RESP_DB, "DB", &c, err, errlen)) ||
	    (rc = cur_u64(&c, &w, "database id", err, errlen)))
		return rc;
	*db = (uint32_t)w; /* the low half; the high one is unused */
	return HS_OK;
}

int fdb_dec_result(const struct fdb_msg *m, uint64_t *last_insert_id, uint64_t *rows_affected,
		   char *err, size_t errlen)
{
	struct cur c;
	int rc;
	if ((rc = want_type(m, FDB_RESP_RESULT, "RESULT", &c, err, errlen)) ||
	    (rc = cur_u64(&c, last_insert_id, "last insert id", err, errlen)) ||
	    (rc = cur_u64(&c, rows_affected, "rows affected", err, errlen)))
		return rc;
	return HS_OK;
}

int fdb_dec_welcome(const struct fdb_msg *m, uint64_t *heartbeat, char *err, size_t errlen)
{
	struct cur c;
	int rc = want_type(m, FDB_RESP_WELCOME, "WELCOME", &c, err, errlen);
	if (rc)
		return rc;
	return cur_u64(&c, heartbeat, "heartbeat timeout", err, errlen);
}

int fdb_dec_empty(const struct fdb_msg *m, char *err, size_t errlen)
{
	struct cur c;
	return want_type(m, FDB_RESP_EMPTY, "EMPTY", &c, err, errlen);
}

int fdb_rows_open(const struct fdb_msg *m, struct fdb_rows *r, char *err, size_t errlen)
{
	struct cur c;
	uint64_t ncols;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = want_type(m, FDB_RESP_ROWS, "ROWS", &c, err, errlen)) ||
	    (rc = cur_u64(&c, &ncols, "column count", err, errlen)))
		return rc;
	if (ncols > FDB_COLUMNS_MAX)
		return err_set(err, errlen, HS_EINPUT, "fdb: column count %llu over %d",
			       (unsigned long long)ncols, FDB_COLUMNS_MAX);
	for (size_t i = 0; i < ncols; i++)
		if ((rc = cur_text(&c, &r->names[i], &n, "column name", err, errlen)))
			return rc;
	r->m = m;
	r->ncols = (size_t)ncols;
	r->pos = c.pos;
	return HS_OK;
}

static int row_value(struct cur *c, unsigned type, struct fdb_value *v, size_t col, char *err,
		     size_t errlen)
{
	uint64_t w;
	int rc;

	memset(v, 0, sizeof(*v));
	v->type = (enum fdb_type)type;
	switch (type) {
	case FDB_INTEGER:
	case FDB_BOOLEAN:
		if ((rc = cur_u64(c, &w, "integer value", err, errlen)))
			return rc;
		v->i = (int64_t)w;
		return HS_OK;
	case FDB_FLOAT:
		if ((rc = cur_u64(c, &w, "float value", err, errlen)))
			return rc;
		memcpy(&v->f, &w, sizeof(v->f));
		return HS_OK;
	case FDB_NULL:
		return cur_u64(c, &w, "null value", err, errlen);
	case FDB_TEXT:
	case FDB_ISO8601:
		return cur_text(c, &v->text, &v->len, "text value", err, errlen);
	case FDB_BLOB:
		if ((rc = cur_u64(c, &w, "blob length", err, errlen)))
			return rc;
		if (w > c->len - c->pos || PAD((size_t)w) > c->len - c->pos)
			return err_set(err, errlen, HS_EINPUT,
				       "fdb: blob length %llu more than the body holds",
				       (unsigned long long)w);
		v->blob = c->p + c->pos;
		v->len = (size_t)w;
		c->pos += PAD((size_t)w);
		return HS_OK;
	}
	return err_set(err, errlen, HS_EINPUT, "fdb: column %zu value type %u unknown", col, type);
}

int fdb_rows_next(struct fdb_rows *r, struct fdb_value vals[FDB_COLUMNS_MAX], char *err,
		  size_t errlen)
{
	if (r->done)
		return 0;
	if (!r->m)
		return err_set(err, errlen, HS_EINPUT, "fdb: rows not open");
	struct cur c = { r->m->body, r->m->len, r->pos };
	uint64_t w;
	int rc;

	/* A row header can never be a marker: unused nibbles are 0 and
	 * types 14 and 15 do not exist. */
	if ((rc = cur_u64(&c, &w, "row header or end marker", err, errlen)))
		return rc;
	if (w == FDB_ROWS_DONE || w == FDB_ROWS_PART) {
		r->done = true;
		r->more = w == FDB_ROWS_PART;
		r->pos = c.pos;
		return 0;
	}
	if (r->ncols == 0)
		return err_set(err, errlen, HS_EINPUT, "fdb: row without columns");
	/* The header: 4 bits per column, low nibble first, in whole words. */
	size_t hlen = PAD((r->ncols + 1) / 2);
	c.pos -= WORD;
	if (hlen > c.len - c.pos)
		return err_set(err, errlen, HS_EINPUT, "fdb: row header past the end of the body");
	const uint8_t *h = c.p + c.pos;
	c.pos += hlen;
	for (size_t i = 0; i < r->ncols; i++) {
		unsigned type = (h[i / 2] >> (4 * (i % 2))) & 0xf;
		if ((rc = row_value(&c, type, &vals[i], i, err, errlen)))
			return rc;
	}
	r->pos = c.pos;
	return 1;
}
