/* test_fdb_client.c - fdb_client against real dqlite nodes run in the test
 * process (libdqlite), on 127.0.0.1 ports picked free per run, with their
 * data under a mkdtemp dir removed at the end; and against a closed port
 * and a listener that never answers. */
#include <criterion/criterion.h>
#include <dqlite.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fdb_client.h"

#define TIMEOUT_MS 3000

struct node {
	dqlite_node *n;
	char addr[FDB_ADDR_MAX];
};

static char tmpdir[] = "/tmp/test_fdb_client.XXXXXX";
static struct node nodes[3];
static char err[HS_ERRLEN];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port nothing listens on now: dqlite cannot bind port 0 and report
 * it, so one is picked at random and tried. */
static unsigned free_port(void)
{
	static unsigned seed;
	if (!seed)
		seed = (unsigned)getpid() ^ (unsigned)now_ms();
	for (int i = 0; i < 100; i++) {
		unsigned port = 20000 + (unsigned)rand_r(&seed) % 20000;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	cr_assert_fail("no free port in 20000-39999");
	return 0;
}

/* Node id on a free port, in a data dir of its own per attempt (a failed
 * start may leave files behind). */
static void start_node(unsigned id)
{
	struct node *nd = &nodes[id - 1];
	for (int attempt = 0; attempt < 10; attempt++) {
		char dir[256];
		snprintf(dir, sizeof(dir), "%s/node%u.%d", tmpdir, id, attempt);
		cr_assert_eq(mkdir(dir, 0700), 0);
		snprintf(nd->addr, sizeof(nd->addr), "127.0.0.1:%u", free_port());
		if (dqlite_node_create(id, nd->addr, dir, &nd->n) != 0) {
			dqlite_node_destroy(nd->n);
			nd->n = NULL;
			continue;
		}
		if (dqlite_node_set_bind_address(nd->n, nd->addr) == 0 &&
		    dqlite_node_set_network_latency_ms(nd->n, 20) == 0 &&
		    dqlite_node_start(nd->n) == 0)
			return;
		dqlite_node_destroy(nd->n);
		nd->n = NULL;
	}
	cr_assert_fail("node %u would not start", id);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	/* dqlite's sockets raise SIGPIPE when a peer goes away. */
	signal(SIGPIPE, SIG_IGN);
	cr_assert(mkdtemp(tmpdir));
}

static void teardown(void)
{
	for (int i = 2; i >= 0; i--) {
		if (!nodes[i].n)
			continue;
		dqlite_node_stop(nodes[i].n);
		dqlite_node_destroy(nodes[i].n);
		nodes[i].n = NULL;
	}
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(fdb_client, .init = setup, .fini = teardown, .timeout = 120);

/* Connected to node 1 once it leads its one-voter cluster. */
static void connect_leader(struct fdb_conn *c)
{
	start_node(1);
	int64_t deadline = now_ms() + 20000;
	for (;;) {
		uint64_t id = 0;
		char addr[FDB_ADDR_MAX];
		if (fdb_connect(c, nodes[0].addr, TIMEOUT_MS, err, sizeof(err)) == 0) {
			if (fdb_leader(c, &id, addr, err, sizeof(err)) == 0 && id == 1) {
				cr_assert_str_eq(addr, nodes[0].addr);
				return;
			}
			fdb_close(c);
		}
		cr_assert_lt(now_ms(), deadline, "node 1 never led: %s", err);
		usleep(50 * 1000);
	}
}

Test(fdb_client, connect_and_leader)
{
	struct fdb_conn c;
	connect_leader(&c);
	cr_assert_geq(c.fd, 0);
	fdb_close(&c);
	cr_assert_eq(c.fd, -1);
	/* A closed connection refuses calls, and closes twice quietly. */
	uint64_t id;
	char addr[FDB_ADDR_MAX];
	cr_assert_eq(fdb_leader(&c, &id, addr, err, sizeof(err)), HS_EUNREACH);
	fdb_close(&c);
}

/* Rows seen by the query callback. */
struct seen {
	int rows, stop_at;
	int64_t sum;
	char text[64];
	double f;
	size_t bloblen;
	uint8_t blob[8];
	enum fdb_type types[4];
};

static int on_row(void *arg, const struct fdb_value *v, size_t ncols)
{
	struct seen *s = arg;
	s->rows++;
	s->sum += v[0].i;
	if (ncols >= 4) {
		for (int i = 0; i < 4; i++)
			s->types[i] = v[i].type;
		if (v[1].type == FDB_TEXT)
			snprintf(s->text, sizeof(s->text), "%s", v[1].text);
		s->f = v[2].f;
		s->bloblen = v[3].len;
		if (v[3].type == FDB_BLOB && v[3].len <= sizeof(s->blob))
			memcpy(s->blob, v[3].blob, v[3].len);
	}
	return s->rows == s->stop_at ? 7 : 0;
}

Test(fdb_client, open_exec_query)
{
	struct fdb_conn c;
	uint64_t affected, code;
	connect_leader(&c);
	cr_assert_eq(fdb_exec(&c, "SELECT 1", NULL, 0, &affected, &code, err, sizeof(err)),
		     HS_ESTATE, "exec before open");
	cr_assert_eq(fdb_open(&c, "fleet", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_exec(&c, "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, f REAL, b BLOB)",
			      NULL, 0, &affected, &code, err, sizeof(err)), 0, "%s", err);
	const uint8_t blob[3] = { 0, 0xff, 0x10 };
	struct fdb_value p[4] = {
		{ .type = FDB_TEXT, .text = "host-a" },
		{ .type = FDB_INTEGER, .i = -5 },
		{ .type = FDB_FLOAT, .f = 0.25 },
		{ .type = FDB_BLOB, .blob = blob, .len = 3 },
	};
	cr_assert_eq(fdb_exec(&c, "INSERT INTO t VALUES (?, ?, ?, ?)", p, 4, &affected, &code,
			      err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(affected, 1);
	cr_assert_eq(code, 0);

	struct seen s = { 0 };
	struct fdb_value key = { .type = FDB_TEXT, .text = "host-a" };
	cr_assert_eq(fdb_query(&c, "SELECT n, k, f, b FROM t WHERE k = ?", &key, 1, on_row, &s,
			       &code, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.rows, 1);
	cr_assert_eq(s.sum, -5);
	cr_assert_str_eq(s.text, "host-a");
	cr_assert_eq(s.f, 0.25);
	cr_assert_eq(s.types[3], FDB_BLOB);
	cr_assert_eq(s.bloblen, 3);
	cr_assert_eq(memcmp(s.blob, blob, 3), 0);

	/* A NULL parameter matches nothing; no rows is no call. */
	struct fdb_value null = { .type = FDB_NULL };
	memset(&s, 0, sizeof(s));
	cr_assert_eq(fdb_query(&c, "SELECT n FROM t WHERE k = ?", &null, 1, on_row, &s, &code,
			       err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.rows, 0);
	fdb_close(&c);
}

/* A result larger than one ROWS message: the rest come marked as parts. */
#define MANY "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 5000) " \
	     "SELECT x, 'row ' || x FROM s"

Test(fdb_client, query_in_several_messages_and_stopped)
{
	struct fdb_conn c;
	uint64_t code;
	connect_leader(&c);
	cr_assert_eq(fdb_open(&c, "fleet", err, sizeof(err)), 0, "%s", err);
	struct seen s = { 0 };
	cr_assert_eq(fdb_query(&c, MANY, NULL, 0, on_row, &s, &code, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(s.rows, 5000);
	cr_assert_eq(s.sum, 5000 * 5001 / 2);

	/* The callback stops early: its value returned, the stream in step. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 10;
	cr_assert_eq(fdb_query(&c, MANY, NULL, 0, on_row, &s, &code, err, sizeof(err)), 7);
	cr_assert_eq(s.rows, 10);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(fdb_query(&c, "SELECT 41 + 1", NULL, 0, on_row, &s, &code, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(s.sum, 42);
	fdb_close(&c);
}

Test(fdb_client, constraint_failure)
{
	struct fdb_conn c;
	uint64_t affected, code;
	connect_leader(&c);
	cr_assert_eq(fdb_open(&c, "fleet", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_exec(&c, "CREATE TABLE u (k INTEGER PRIMARY KEY, name TEXT UNIQUE)", NULL,
			      0, &affected, &code, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_exec(&c, "INSERT INTO u VALUES (1, 'a')", NULL, 0, &affected, &code, err,
			      sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_exec(&c, "INSERT INTO u VALUES (2, 'a')", NULL, 0, &affected, &code, err,
			      sizeof(err)), HS_ESTATE);
	cr_assert_eq(code, 2067, "code %llu", (unsigned long long)code);
	cr_assert(strstr(err, "UNIQUE constraint failed: u.name"), "%s", err);
	cr_assert_eq(fdb_exec(&c, "INSERT INTO u VALUES (1, 'b')", NULL, 0, &affected, &code, err,
			      sizeof(err)), HS_ESTATE);
	cr_assert_eq(code, 1555, "code %llu", (unsigned long long)code);
	cr_assert(strstr(err, "UNIQUE constraint failed: u.k"), "%s", err);
	/* A FAILURE keeps the connection: the next call works. */
	cr_assert_geq(c.fd, 0);
	cr_assert_eq(fdb_exec(&c, "SELEC nothing", NULL, 0, &affected, &code, err, sizeof(err)),
		     HS_ESTATE);
	cr_assert(strstr(err, "syntax error"), "%s", err);
	cr_assert_eq(fdb_exec(&c, "INSERT INTO u VALUES (2, 'b')", NULL, 0, &affected, &code, err,
			      sizeof(err)), 0, "%s", err);
	fdb_close(&c);
}

Test(fdb_client, add_assign_cluster)
{
	struct fdb_conn c, c2;
	struct fdb_node list[4];
	size_t n;
	uint64_t affected, code;
	connect_leader(&c);
	start_node(2);
	cr_assert_eq(fdb_add(&c, 2, nodes[1].addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_cluster(&c, list, 4, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_eq(list[1].role, FDB_SPARE, "a node added is a spare until assigned");
	c.timeout_ms = 15000; /* the new voter catches up first */
	cr_assert_eq(fdb_assign(&c, 2, FDB_VOTER, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fdb_cluster(&c, list, 4, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(list[i].id, i + 1);
		cr_assert_str_eq(list[i].addr, nodes[i].addr);
		cr_assert_eq(list[i].role, FDB_VOTER, "node %zu role %d", i + 1, list[i].role);
	}
	/* Too small a list is refused, and closes the connection. */
	cr_assert_eq(fdb_cluster(&c, list, 1, &n, err, sizeof(err)), HS_EINPUT);
	cr_assert_eq(c.fd, -1);

	/* Node 2 knows its leader, and refuses writes itself. */
	cr_assert_eq(fdb_connect(&c2, nodes[1].addr, TIMEOUT_MS, err, sizeof(err)), 0, "%s", err);
	uint64_t id;
	char addr[FDB_ADDR_MAX];
	int64_t deadline = now_ms() + 10000;
	while (fdb_leader(&c2, &id, addr, err, sizeof(err)) == 0 && id != 1 && now_ms() < deadline)
		usleep(50 * 1000);
	cr_assert_eq(id, 1);
	cr_assert_str_eq(addr, nodes[0].addr);
	if (fdb_open(&c2, "fleet", err, sizeof(err)) == 0)
		cr_assert_eq(fdb_exec(&c2, "CREATE TABLE x (a)", NULL, 0, &affected, &code, err,
				      sizeof(err)), HS_ESTATE);
	fdb_close(&c2);
	fdb_close(&c);
}

Test(fdb_client, bad_addresses)
{
	const char *bad[] = { "localhost:9001", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
			      "127.0.0.1:9x", "127.0.0.1:", "::1:9001", "" };
	struct fdb_conn c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(fdb_connect(&c, bad[i], 100, err, sizeof(err)), HS_EINPUT, "%s",
			     bad[i]);
		char want[64];
		snprintf(want, sizeof(want), "\"%s\"", bad[i]);
		cr_assert(strstr(err, want), "\"%s\" lacks %s", err, want);
		cr_assert_eq(c.fd, -1);
	}
}

Test(fdb_client, closed_port_unreachable)
{
	char addr[FDB_ADDR_MAX];
	struct fdb_conn c;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port());
	int64_t t0 = now_ms();
	cr_assert_eq(fdb_connect(&c, addr, 2000, err, sizeof(err)), HS_EUNREACH, "%s", err);
	cr_assert_lt(now_ms() - t0, 500);
	cr_assert(strstr(err, addr), "%s", err);
	cr_assert_eq(c.fd, -1);
}

Test(fdb_client, silent_server_times_out)
{
	/* Accepted by the kernel's backlog, never read, never answered. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	char addr[FDB_ADDR_MAX];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));

	struct fdb_conn c;
	int64_t t0 = now_ms();
	cr_assert_eq(fdb_connect(&c, addr, 300, err, sizeof(err)), HS_EUNREACH, "%s", err);
	int64_t took = now_ms() - t0;
	cr_assert_geq(took, 290);
	cr_assert_lt(took, 1000, "took %lld ms", (long long)took);
	cr_assert(strstr(err, "300 ms"), "%s", err);
	cr_assert_eq(c.fd, -1);
	close(l);
}

/* A fake node: welcomes the client, then answers its next request with
 * a NODE whose address has no NUL in the body. */
static void *bad_node(void *arg)
{
	int l = *(int *)arg;
	int fd = accept(l, NULL, NULL);
	uint8_t in[24];
	const uint8_t welcome[16] = { 1, 0, 0, 0, FDB_RESP_WELCOME, 0, 0, 0, 0x98, 0x3a };
	const uint8_t node[24] = { 2, 0, 0, 0, FDB_RESP_NODE, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
				   '1', '2', '7', '.', '0', '.', '0', '.' };
	if (fd < 0)
		return NULL;
	/* The protocol word and CLIENT; then LEADER. */
	if (recv(fd, in, 24, MSG_WAITALL) == 24 && send(fd, welcome, 16, 0) == 16 &&
	    recv(fd, in, 16, MSG_WAITALL) == 16)
		send(fd, node, sizeof(node), 0);
	recv(fd, in, 1, 0); /* until the client closes */
	close(fd);
	return NULL;
}

Test(fdb_client, malformed_answer_closes)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	char addr[FDB_ADDR_MAX];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, bad_node, &l), 0);

	struct fdb_conn c;
	cr_assert_eq(fdb_connect(&c, addr, 2000, err, sizeof(err)), 0, "%s", err);
	uint64_t id;
	char leader[FDB_ADDR_MAX];
	cr_assert_eq(fdb_leader(&c, &id, leader, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, "node address without its NUL"), "%s", err);
	cr_assert_eq(c.fd, -1);
	fdb_close(&c);
	pthread_join(t, NULL);
	close(l);
}
