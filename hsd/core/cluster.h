/* cluster.h - the cluster description (cluster.json): hosts, their underlay
 * endpoints, WireGuard public keys and overlay prefixes, and the links of the
 * topology.  The format and every rule are documented in docs/cluster-json.md.
 *
 * Loading is all-or-nothing: a file with any error yields HS_EINPUT and a
 * one-line message naming the JSON path of the first offending field, and
 * leaves the output zeroed.
 */
#ifndef HS_CLUSTER_H
#define HS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CLUSTER_NAME_MAX 32
#define CLUSTER_HOSTS_MAX 1024
#define CLUSTER_FILE_MAX (4u << 20) /* bytes; far above 1024 hosts */
#define CLUSTER_KEY_LEN 32
#define CLUSTER_OPERATORS_MAX 16
#define CLUSTER_VOTERS_MAX 5

/* hsroute's timers on every mesh link ("mesh" in cluster.json,
 * docs/cluster-json.md): the defaults, and the range taken. */
#define CLUSTER_HELLO_MS_DEFAULT 400
#define CLUSTER_DEAD_MS_DEFAULT 1300
#define CLUSTER_HELLO_MS_MIN 100
#define CLUSTER_HELLO_MS_MAX 10000
#define CLUSTER_DEAD_MS_MAX 60000

struct cluster_host {
	char name[CLUSTER_NAME_MAX + 1];
	char endpoint[64];            /* normalised: "192.0.2.1:51820", "[2001:db8::1]:51820" */
	struct sockaddr_storage addr; /* parsed endpoint (sockaddr_in or sockaddr_in6) */
	uint8_t public_key[CLUSTER_KEY_LEN];
	uint32_t prefix;              /* host byte order network address */
	uint8_t prefix_len;
};

struct cluster_link {
	uint16_t a, b; /* indices into hosts, a < b */
};

struct cluster {
	char name[CLUSTER_NAME_MAX + 1];
	uint32_t overlay; /* host byte order */
	uint8_t overlay_len;
	size_t nhosts;
	struct cluster_host *hosts;
	size_t nlinks;
	struct cluster_link *links; /* sorted by (a, b), no duplicates */
	bool full_mesh;             /* "links" was absent: links[] holds every pair */
	/* ed25519 public keys of the operators whose signatures the hosts
	 * accept (docs/security.md, "Fleet trust"); none in the embedded
	 * single-host cluster, which therefore takes no bundle. */
	size_t noperators;
	uint8_t operators[CLUSTER_OPERATORS_MAX][CLUSTER_KEY_LEN];
	/* The hosts that replicate the fleet database (docs/fleetdb.md): 1, 3
	 * or 5 indices into hosts, in the file's order; none (no fleet
	 * database) when "voters" is absent. */
	size_t nvoters;
	uint16_t voters[CLUSTER_VOTERS_MAX];
	/* hsroute's hello interval and the silence after which a neighbour
	 * is dead; CLUSTER_*_MS_DEFAULT when "mesh" is absent. */
	uint32_t hello_ms, dead_ms;
};

/* Parse and validate a cluster.json text (need not be NUL-terminated). */
int cluster_parse(const char *text, size_t len, struct cluster *out, char *err,
		  size_t errlen);

/* Read and parse a file; messages are prefixed "PATH: ".  HS_ESYS when the
 * file cannot be read, HS_EINPUT when its content is wrong. */
int cluster_load(const char *path, struct cluster *out, char *err, size_t errlen);

/* A host's hsroute router id: FNV-1a of its name (never 0), stable across
 * reorderings of the file; cluster_parse refuses two hosts sharing one. */
uint32_t cluster_router_id(const char *name);

/* Is key one of the cluster's operators? */
bool cluster_is_operator(const struct cluster *c, const uint8_t key[CLUSTER_KEY_LEN]);

/* Is host index h one of the voters? */
bool cluster_is_voter(const struct cluster *c, size_t h);

/* Index of the host called name, or -1. */
int cluster_host_index(const struct cluster *c, const char *name);
/* The port of h's endpoint: its links listen on it plus the far host's
 * index (docs/mesh.md, "Naming and ports"). */
uint16_t cluster_host_port(const struct cluster_host *h);

/* Index of the host given by --host, or HS_EINPUT naming the cluster. */
int cluster_select_host(const struct cluster *c, const char *name, char *err,
			size_t errlen);

/* True when hosts a and b are directly linked (false for a == b). */
bool cluster_linked(const struct cluster *c, size_t a, size_t b);

/* The embedded default: a single-host cluster "local" holding this machine
 * only, named after hostname (sanitised to the name rule), endpoint
 * 127.0.0.1:51820, overlay 10.99.0.0/16, prefix 10.99.1.0/24. */
int cluster_default(struct cluster *out, const char *hostname,
		    const uint8_t public_key[CLUSTER_KEY_LEN], char *err, size_t errlen);

/* What changed between two clusters, hosts matched by name.  Used on reload
 * to apply only the difference.  Index arrays are sorted ascending. */
enum cluster_host_field {
	CLUSTER_CH_ENDPOINT = 1u << 0,
	CLUSTER_CH_PUBLIC_KEY = 1u << 1,
	CLUSTER_CH_PREFIX = 1u << 2,
};

struct cluster_host_change {
	uint16_t old_idx, new_idx;
	unsigned fields; /* CLUSTER_CH_* bits */
};

struct cluster_diff {
	bool name_changed;    /* the cluster was renamed */
	bool overlay_changed; /* overlay network or length differs */
	bool operators_changed; /* the set of operator keys differs */
	bool voters_changed;    /* the voters' names or order differ */
	bool mesh_changed;      /* hello_ms or dead_ms differs */
	size_t nadded;
	uint16_t *added; /* indices into new_->hosts */
	size_t nremoved;
	uint16_t *removed; /* indices into old->hosts */
	size_t nchanged;
	struct cluster_host_change *changed;
	/* Links compare by host names, so a link between two kept hosts is kept
	 * even if the hosts moved within the array. */
	size_t nlinks_added;
	struct cluster_link *links_added; /* indices into new_->hosts */
	size_t nlinks_removed;
	struct cluster_link *links_removed; /* indices into old->hosts */
};

int cluster_diff(const struct cluster *old, const struct cluster *new_,
		 struct cluster_diff *out, char *err, size_t errlen);

/* True when the diff records no change at all. */
bool cluster_diff_empty(const struct cluster_diff *d);

/* Both are safe on a zeroed struct and when called twice. */
void cluster_diff_free(struct cluster_diff *d);
void cluster_free(struct cluster *c);

#endif
