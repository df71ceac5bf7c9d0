/* fdb_node.c - this host's dqlite node.
 *
 * A node's id is chosen once and kept in DATA_DIR/node-id: Raft knows
 * members by id, and a node that came back under another id would be a
 * stranger holding a member's log.  Id 1 is special to dqlite: a node
 * created with it bootstraps a one-voter cluster on an empty data
 * directory.  The first voter of cluster.json takes it when it starts
 * with nothing stored and no other voter knows a leader; every other
 * node takes a hash of its host's name and joins (fdb_members.c).
 */
#include "fdb.h"
#include "err.h"

#include <dqlite.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define FDB_BOOTSTRAP_ID 1

/* FNV-1a, 64 bits, of the host name; 0 and 1 are taken. */
static uint64_t name_id(const char *name)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h > FDB_BOOTSTRAP_ID ? h : h + 2;
}

/* Does any other voter know a leader?  Then a cluster exists to join. */
static bool cluster_exists(struct fdb *f)
{
	for (size_t i = 0; i < f->cfg.nvoters; i++) {
		struct fdb_conn c = { .fd = -1 };
		char addr[FDB_ADDR_MAX], leader[FDB_ADDR_MAX], err[HS_ERRLEN];
		uint64_t id = 0;

		if (f->cfg.voters[i].addr == f->cfg.self.addr)
			continue;
		fdb_addr(f->cfg.voters[i].addr, addr);
		if (fdb_connect(&c, addr, FDB_CONNECT_MS, err, sizeof(err)) == 0)
			fdb_leader(&c, &id, leader, err, sizeof(err));
		fdb_close(&c);
		if (id)
			return true;
	}
	return false;
}

static int id_load(struct fdb *f, const char *path, char *err, size_t errlen)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : err_sys(err, errlen, "fleet db: %s", path);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	char *end;
	errno = 0;
	f->node_id = strtoull(buf, &end, 10);
	if (n <= 0 || errno || end == buf || *end != '\n' || !f->node_id)
		return err_set(err, errlen, HS_ESTATE, "fleet db: %s: not a node id", path);
	return 0;
}

static int id_store(const struct fdb *f, const char *path, char *err, size_t errlen)
{
	char tmp[4200], buf[32];
	int len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", f->node_id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, errlen, "fleet db: %s", tmp);
	bool ok = write(fd, buf, (size_t)len) == len && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path))
		return err_sys(err, errlen, "fleet db: %s", path);
	return 0;
}

int fdb_node_start(struct fdb *f, char *err, size_t errlen)
{
	char path[4096], addr[FDB_ADDR_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/node-id", f->data_dir);
	if ((rc = id_load(f, path, err, errlen)) < 0)
		return rc;
	if (rc == 1) { /* never started here */
		bool first = f->cfg.nvoters && f->cfg.voters[0].addr == f->cfg.self.addr;
		f->node_id = first && !cluster_exists(f) ? FDB_BOOTSTRAP_ID
							 : name_id(f->cfg.self.name);
		if ((rc = id_store(f, path, err, errlen)))
			return rc;
		fdb_log(f, LOG_INFO, "fleet db: node id %" PRIu64 "%s", f->node_id,
			f->node_id == FDB_BOOTSTRAP_ID ? ", bootstrapping the cluster" : ", joining");
	}
	fdb_addr(f->cfg.self.addr, addr);
	/* Each step named: a bind refused (the port still held) says so. */
	const char *step = "create";
	if ((rc = dqlite_node_create(f->node_id, addr, f->data_dir, &f->node)) == 0 &&
	    (step = "bind", rc = dqlite_node_set_bind_address(f->node, addr)) == 0 &&
	    (step = "set latency", rc = dqlite_node_set_network_latency_ms(f->node, FDB_LATENCY_MS)) == 0 &&
	    (step = "set snapshots", rc = dqlite_node_set_snapshot_params(f->node, FDB_SNAPSHOT_EVERY,
									 FDB_SNAPSHOT_EVERY)) == 0)
		step = "start", rc = dqlite_node_start(f->node);
	if (rc) {
		const char *msg = f->node ? dqlite_node_errmsg(f->node) : NULL;
		err_set(err, errlen, HS_ESYS, "fleet db: node %s: %s failed (%d%s%s)", addr, step, rc,
			msg && *msg ? ": " : "", msg && *msg ? msg : "");
		if (f->node)
			dqlite_node_destroy(f->node);
		f->node = NULL;
		return HS_ESYS;
	}
	fdb_log(f, LOG_INFO, "fleet db: node %" PRIu64 " listening on %s", f->node_id, addr);
	return 0;
}

void fdb_node_stop(struct fdb *f)
{
	if (!f->node)
		return;
	dqlite_node_stop(f->node);
	dqlite_node_destroy(f->node);
	f->node = NULL;
}
