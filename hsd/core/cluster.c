/* cluster.c - load and validate cluster.json (format: docs/cluster-json.md). */
#include "cluster.h"
#include "jmsg.h"

#include "addr.h"
#include "err.h"
#include "opkey.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for one user-supplied string quoted into a message. */
#define QUOTE_MAX 64

struct key_spec {
	const char *name;
	bool required;
};

static const struct key_spec root_keys[] = {
	{"cluster", true}, {"overlay", true}, {"operators", true}, {"hosts", true},
	{"links", false}, {"voters", false}, {"mesh", false},
};
static const struct key_spec mesh_keys[] = {
	{"hello_ms", false}, {"dead_ms", false},
};
static const struct key_spec host_keys[] = {
	{"name", true}, {"endpoint", true}, {"public_key", true}, {"prefix", true},
};
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const struct key_spec *find_spec(const struct key_spec *specs, size_t n,
					const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].name, key) == 0)
			return &specs[i];
	return NULL;
}

/* Reject unknown keys first (a misspelt key usually explains the missing
 * one that would otherwise be reported), then missing required keys. */
static int check_object(const json_t *obj, const char *path,
			const struct key_spec *specs, size_t n, char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	char q[QUOTE_MAX];

	if (!json_is_object(obj))
		return err_set(err, errlen, HS_EINPUT, "%s: expected an object, got %s",
			       path, jmsg_type(obj));
	json_object_foreach((json_t *)obj, key, val) {
		if (!find_spec(specs, n, key))
			return err_set(err, errlen, HS_EINPUT, "%s: unknown key \"%s\"",
				       path, jmsg_quote(key, q, sizeof(q)));
	}
	for (size_t i = 0; i < n; i++)
		if (specs[i].required && !json_object_get(obj, specs[i].name))
			return err_set(err, errlen, HS_EINPUT,
				       "%s: missing required key \"%s\"", path,
				       specs[i].name);
	return 0;
}

static int get_string(const json_t *v, const char *path, const char **s, char *err,
		      size_t errlen)
{
	if (!json_is_string(v))
		return err_set(err, errlen, HS_EINPUT, "%s: expected a string, got %s",
			       path, jmsg_type(v));
	*s = json_string_value(v);
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLUSTER_NAME_MAX || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static int parse_name(const json_t *v, const char *path, char *dst, char *err,
		      size_t errlen)
{
	const char *s = NULL;
	char q[QUOTE_MAX];

	if (get_string(v, path, &s, err, errlen) < 0)
		return HS_EINPUT;
	if (!name_ok(s))
		return err_set(err, errlen, HS_EINPUT,
			       "%s: bad name \"%s\" (want 1-32 of a-z 0-9 '-', not starting with '-')",
			       path, jmsg_quote(s, q, sizeof(q)));
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_overlay(const json_t *v, struct cluster *c, char *err, size_t errlen)
{
	const char *s = NULL, *why = NULL;
	char q[QUOTE_MAX], net[ADDR_CIDR_STRLEN];
	bool hostbits;

	if (get_string(v, "overlay", &s, err, errlen) < 0)
		return HS_EINPUT;
	if (addr_parse_cidr4(s, &c->overlay, &c->overlay_len, &hostbits, &why) < 0) {
		if (!hostbits)
			return err_set(err, errlen, HS_EINPUT, "overlay: \"%s\": %s",
				       jmsg_quote(s, q, sizeof(q)), why);
		addr_format_cidr4(c->overlay & addr_mask4(c->overlay_len),
				  c->overlay_len, net, sizeof(net));
		return err_set(err, errlen, HS_EINPUT,
			       "overlay: %s has host bits set (network is %s)", s, net);
	}
	/* Each host needs a strictly longer prefix of at most /30 inside. */
	if (c->overlay_len < 8 || c->overlay_len > 29)
		return err_set(err, errlen, HS_EINPUT,
			       "overlay: %s: length must be /8../29", s);
	return 0;
}

static int parse_endpoint(const json_t *v, const char *path, struct cluster *c,
			  size_t i, char *err, size_t errlen)
{
	struct cluster_host *h = &c->hosts[i];
	const char *s = NULL, *why = NULL;
	char q[QUOTE_MAX];

	if (get_string(v, path, &s, err, errlen) < 0)
		return HS_EINPUT;
	if (addr_parse_endpoint(s, &h->addr, h->endpoint, sizeof(h->endpoint), &why) < 0)
		return err_set(err, errlen, HS_EINPUT, "%s: \"%s\": %s", path,
			       jmsg_quote(s, q, sizeof(q)), why);
	for (size_t j = 0; j < i; j++)
		if (strcmp(c->hosts[j].endpoint, h->endpoint) == 0)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: duplicate endpoint \"%s\" (also hosts[%zu])",
				       path, h->endpoint, j);
	return 0;
}

static int parse_key(const json_t *v, const char *path, struct cluster *c, size_t i,
		     char *err, size_t errlen)
{
	static const uint8_t zero[CLUSTER_KEY_LEN];
	struct cluster_host *h = &c->hosts[i];
	uint8_t bin[72]; /* enough for any 88-character input */
	size_t n, binlen;
	const char *s = NULL, *end = NULL;

	if (get_string(v, path, &s, err, errlen) < 0)
		return HS_EINPUT;
	n = strlen(s);
	if (n > 88 || sodium_base642bin(bin, sizeof(bin), s, n, NULL, &binlen, &end,
					 sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + n)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: not standard padded base64 of a 32-byte key", path);
	if (binlen != CLUSTER_KEY_LEN)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: decodes to %zu bytes, a key has 32", path, binlen);
	if (memcmp(bin, zero, sizeof(zero)) == 0)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: all-zero key is not a usable public key", path);
	memcpy(h->public_key, bin, CLUSTER_KEY_LEN);
	for (size_t j = 0; j < i; j++)
		if (memcmp(c->hosts[j].public_key, h->public_key, CLUSTER_KEY_LEN) == 0)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: duplicate public key (also hosts[%zu])", path, j);
	return 0;
}

static int prefix_fits(const struct cluster *c, const struct cluster_host *h,
		       const char *path, const char *s, char *err, size_t errlen)
{
	char ov[ADDR_CIDR_STRLEN];

	addr_format_cidr4(c->overlay, c->overlay_len, ov, sizeof(ov));
	if (!addr_cidr4_inside(h->prefix, h->prefix_len, c->overlay, c->overlay_len))
		return err_set(err, errlen, HS_EINPUT, "%s: %s is outside overlay %s",
			       path, s, ov);
	if (h->prefix_len == c->overlay_len)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: %s is the whole overlay %s; a host prefix must be longer",
			       path, s, ov);
	/* A /31 or /32 leaves no room for the host's audit-space addresses. */
	if (h->prefix_len > 30)
		return err_set(err, errlen, HS_EINPUT,
			       "%s: %s is longer than /30", path, s);
	return 0;
}

static int parse_prefix(const json_t *v, const char *path, struct cluster *c,
			size_t i, char *err, size_t errlen)
{
	struct cluster_host *h = &c->hosts[i];
	const char *s = NULL, *why = NULL;
	char q[QUOTE_MAX], buf[ADDR_CIDR_STRLEN];
	bool hostbits;

	if (get_string(v, path, &s, err, errlen) < 0)
		return HS_EINPUT;
	if (addr_parse_cidr4(s, &h->prefix, &h->prefix_len, &hostbits, &why) < 0) {
		if (!hostbits)
			return err_set(err, errlen, HS_EINPUT, "%s: \"%s\": %s", path,
				       jmsg_quote(s, q, sizeof(q)), why);
		addr_format_cidr4(h->prefix & addr_mask4(h->prefix_len), h->prefix_len,
				  buf, sizeof(buf));
		return err_set(err, errlen, HS_EINPUT,
			       "%s: %s has host bits set (network is %s)", path, s, buf);
	}
	if (prefix_fits(c, h, path, s, err, errlen) < 0)
		return HS_EINPUT;
	for (size_t j = 0; j < i; j++) {
		const struct cluster_host *o = &c->hosts[j];
		if (addr_cidr4_overlap(h->prefix, h->prefix_len, o->prefix, o->prefix_len)) {
			addr_format_cidr4(o->prefix, o->prefix_len, buf, sizeof(buf));
			return err_set(err, errlen, HS_EINPUT,
				       "%s: %s overlaps hosts[%zu].prefix %s", path, s, j, buf);
		}
	}
	return 0;
}

/* Fields are checked in a fixed order, each against the hosts before it, so
 * the first error reported is the first in document order. */
static int parse_host(const json_t *obj, struct cluster *c, size_t i, char *err,
		      size_t errlen)
{
	struct cluster_host *h = &c->hosts[i];
	char path[48], fpath[64];
	char q[QUOTE_MAX];

	snprintf(path, sizeof(path), "hosts[%zu]", i);
	if (check_object(obj, path, host_keys, NKEYS(host_keys), err, errlen) < 0)
		return HS_EINPUT;

	snprintf(fpath, sizeof(fpath), "%s.name", path);
	if (parse_name(json_object_get(obj, "name"), fpath, h->name, err, errlen) < 0)
		return HS_EINPUT;
	for (size_t j = 0; j < i; j++) {
		if (strcmp(c->hosts[j].name, h->name) == 0)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: duplicate host name \"%s\" (also hosts[%zu])",
				       fpath, jmsg_quote(h->name, q, sizeof(q)), j);
		/* Routers tell each other apart by it: a shared one would let
		 * each announce the other's prefix. */
		if (cluster_router_id(c->hosts[j].name) == cluster_router_id(h->name))
			return err_set(err, errlen, HS_EINPUT,
				       "%s: \"%s\" has the router id of hosts[%zu] (%08x); rename one",
				       fpath, jmsg_quote(h->name, q, sizeof(q)), j,
				       cluster_router_id(h->name));
	}

	snprintf(fpath, sizeof(fpath), "%s.endpoint", path);
	if (parse_endpoint(json_object_get(obj, "endpoint"), fpath, c, i, err, errlen) < 0)
		return HS_EINPUT;
	snprintf(fpath, sizeof(fpath), "%s.public_key", path);
	if (parse_key(json_object_get(obj, "public_key"), fpath, c, i, err, errlen) < 0)
		return HS_EINPUT;
	snprintf(fpath, sizeof(fpath), "%s.prefix", path);
	return parse_prefix(json_object_get(obj, "prefix"), fpath, c, i, err, errlen);
}

static int parse_hosts(const json_t *arr, struct cluster *c, char *err, size_t errlen)
{
	size_t n;

	if (!json_is_array(arr))
		return err_set(err, errlen, HS_EINPUT, "hosts: expected an array, got %s",
			       jmsg_type(arr));
	n = json_array_size(arr);
	if (n == 0)
		return err_set(err, errlen, HS_EINPUT, "hosts: empty; at least one host is required");
	if (n > CLUSTER_HOSTS_MAX)
		return err_set(err, errlen, HS_EINPUT, "hosts: %zu hosts, at most %d allowed",
			       n, CLUSTER_HOSTS_MAX);
	c->hosts = calloc(n, sizeof(*c->hosts));
	if (!c->hosts)
		return err_sys(err, errlen, "hosts: cannot allocate");
	c->nhosts = n;
	for (size_t i = 0; i < n; i++)
		if (parse_host(json_array_get(arr, i), c, i, err, errlen) < 0)
			return HS_EINPUT;
	return 0;
}

static int full_mesh(struct cluster *c, char *err, size_t errlen)
{
	size_t n = c->nhosts, k = 0;

	c->full_mesh = true;
	c->nlinks = n * (n - 1) / 2;
	if (c->nlinks == 0)
		return 0;
	c->links = calloc(c->nlinks, sizeof(*c->links));
	if (!c->links)
		return err_sys(err, errlen, "links: cannot allocate");
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			c->links[k++] = (struct cluster_link){(uint16_t)a, (uint16_t)b};
	return 0;
}

/* Hosts sorted by name, so links can name hosts without a quadratic scan. */
static int cmp_host_ptr(const void *x, const void *y)
{
	const struct cluster_host *const *a = x, *const *b = y;
	return strcmp((*a)->name, (*b)->name);
}

static int cmp_name_key(const void *key, const void *elem)
{
	const struct cluster_host *const *h = elem;
	return strcmp(key, (*h)->name);
}

static const struct cluster_host **name_index(const struct cluster *c)
{
	const struct cluster_host **idx = calloc(c->nhosts ? c->nhosts : 1, sizeof(*idx));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < c->nhosts; i++)
		idx[i] = &c->hosts[i];
	qsort(idx, c->nhosts, sizeof(*idx), cmp_host_ptr);
	return idx;
}

static int name_lookup(const struct cluster *c, const struct cluster_host **idx,
		       const char *name)
{
	const struct cluster_host **p =
		bsearch(name, idx, c->nhosts, sizeof(*idx), cmp_name_key);
	return p ? (int)(*p - c->hosts) : -1;
}

/* A link as read, remembering where it was written for error messages. */
struct raw_link {
	uint16_t a, b;
	size_t at;
};

static int cmp_raw_link(const void *x, const void *y)
{
	const struct raw_link *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->at < q->at ? -1 : p->at > q->at;
}

static int parse_link(const json_t *v, size_t at, const struct cluster *c,
		      const struct cluster_host **idx, struct raw_link *out, char *err,
		      size_t errlen)
{
	int ends[2];
	char q[QUOTE_MAX];

	if (!json_is_array(v) || json_array_size(v) != 2)
		return err_set(err, errlen, HS_EINPUT,
			       "links[%zu]: expected an array of 2 host names, got %s%s",
			       at, jmsg_type(v), json_is_array(v) ? " of another length" : "");
	for (size_t k = 0; k < 2; k++) {
		const json_t *e = json_array_get(v, k);
		if (!json_is_string(e))
			return err_set(err, errlen, HS_EINPUT,
				       "links[%zu][%zu]: expected a host name string, got %s",
				       at, k, jmsg_type(e));
		ends[k] = name_lookup(c, idx, json_string_value(e));
		if (ends[k] < 0)
			return err_set(err, errlen, HS_EINPUT,
				       "links[%zu][%zu]: unknown host \"%s\"", at, k,
				       jmsg_quote(json_string_value(e), q, sizeof(q)));
	}
	if (ends[0] == ends[1])
		return err_set(err, errlen, HS_EINPUT, "links[%zu]: links host \"%s\" to itself",
			       at, c->hosts[ends[0]].name);
	out->a = (uint16_t)(ends[0] < ends[1] ? ends[0] : ends[1]);
	out->b = (uint16_t)(ends[0] < ends[1] ? ends[1] : ends[0]);
	out->at = at;
	return 0;
}

/* raw is sorted; report the duplicate written earliest in the file. */
static int check_duplicates(const struct cluster *c, const struct raw_link *raw,
			    size_t n, char *err, size_t errlen)
{
	size_t worst = 0;
	bool found = false;

	for (size_t i = 1; i < n; i++) {
		if (raw[i].a != raw[i - 1].a || raw[i].b != raw[i - 1].b)
			continue;
		if (!found || raw[i].at < raw[worst].at)
			worst = i;
		found = true;
	}
	if (!found)
		return 0;
	/* The first of the group is where the pair was written first. */
	size_t first = worst;
	while (first > 0 && raw[first - 1].a == raw[worst].a && raw[first - 1].b == raw[worst].b)
		first--;
	return err_set(err, errlen, HS_EINPUT, "links[%zu]: duplicate link %s-%s (also links[%zu])",
		       raw[worst].at, c->hosts[raw[worst].a].name, c->hosts[raw[worst].b].name,
		       raw[first].at);
}

static int parse_links_array(const json_t *arr, struct cluster *c, struct raw_link *raw,
			     char *err, size_t errlen)
{
	size_t n = json_array_size(arr);
	const struct cluster_host **idx = name_index(c);
	int rc = 0;

	if (!idx)
		return err_sys(err, errlen, "links: cannot allocate");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = parse_link(json_array_get(arr, i), i, c, idx, &raw[i], err, errlen);
	free(idx);
	if (rc < 0)
		return rc;
	qsort(raw, n, sizeof(*raw), cmp_raw_link);
	if (check_duplicates(c, raw, n, err, errlen) < 0)
		return HS_EINPUT;
	c->links = calloc(n ? n : 1, sizeof(*c->links));
	if (!c->links)
		return err_sys(err, errlen, "links: cannot allocate");
	for (size_t i = 0; i < n; i++)
		c->links[i] = (struct cluster_link){raw[i].a, raw[i].b};
	c->nlinks = n;
	return 0;
}

static int parse_links(const json_t *arr, struct cluster *c, char *err, size_t errlen)
{
	struct raw_link *raw;
	int rc;

	if (!arr)
		return full_mesh(c, err, errlen);
	if (!json_is_array(arr))
		return err_set(err, errlen, HS_EINPUT,
			       "links: expected an array of [host, host] pairs, got %s", jmsg_type(arr));
	raw = calloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof(*raw));
	if (!raw)
		return err_sys(err, errlen, "links: cannot allocate");
	rc = parse_links_array(arr, c, raw, err, errlen);
	free(raw);
	return rc;
}

/* Breadth-first search from hosts[0] over an adjacency list built from the
 * sorted links; every host must be reached. */
static int check_connected(const struct cluster *c, char *err, size_t errlen)
{
	size_t n = c->nhosts, head = 0, tail = 0, bad = n;
	size_t *start = calloc(n + 1, sizeof(*start));
	uint16_t *adj = calloc(2 * c->nlinks + 1, sizeof(*adj));
	uint16_t *queue = calloc(n, sizeof(*queue));
	bool *seen = calloc(n, sizeof(*seen));
	int rc = 0;

	if (!start || !adj || !queue || !seen) {
		rc = err_sys(err, errlen, "links: cannot allocate");
		goto out;
	}
	for (size_t i = 0; i < c->nlinks; i++) {
		start[c->links[i].a + 1]++;
		start[c->links[i].b + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	/* Filling advances each start[i] to where start[i + 1] began. */
	for (size_t i = 0; i < c->nlinks; i++) {
		adj[start[c->links[i].a]++] = c->links[i].b;
		adj[start[c->links[i].b]++] = c->links[i].a;
	}
	for (size_t i = n; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;

	seen[0] = true;
	queue[tail++] = 0;
	while (head < tail) {
		uint16_t h = queue[head++];
		for (size_t k = start[h]; k < start[h + 1]; k++)
			if (!seen[adj[k]]) {
				seen[adj[k]] = true;
				queue[tail++] = adj[k];
			}
	}
	for (size_t i = 0; i < n && bad == n; i++)
		if (!seen[i])
			bad = i;
	if (bad < n)
		rc = err_set(err, errlen, HS_EINPUT,
			     "links: hosts[%zu] \"%s\" is not reachable from hosts[0] \"%s\"",
			     bad, c->hosts[bad].name, c->hosts[0].name);
out:
	free(start);
	free(adj);
	free(queue);
	free(seen);
	return rc;
}

/* The keys whose signatures every host accepts.  Required and non-empty:
 * a cluster without operators could run no bundle, and a missing key
 * must not silently mean "trust anyone". */
static int parse_operators(const json_t *arr, struct cluster *c, char *err, size_t errlen)
{
	char path[32];
	const char *s = NULL;
	size_t n;

	if (!json_is_array(arr))
		return err_set(err, errlen, HS_EINPUT, "operators: expected an array, got %s",
			       jmsg_type(arr));
	n = json_array_size(arr);
	if (n == 0 || n > CLUSTER_OPERATORS_MAX)
		return err_set(err, errlen, HS_EINPUT,
			       "operators: must list 1..%d operator keys, lists %zu",
			       CLUSTER_OPERATORS_MAX, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "operators[%zu]", i);
		if (get_string(json_array_get(arr, i), path, &s, err, errlen) < 0)
			return HS_EINPUT;
		if (opkey_pub_parse(s, c->operators[i]) < 0)
			return err_set(err, errlen, HS_EINPUT,
				       "%s: not a base64 ed25519 public key", path);
		for (size_t j = 0; j < i; j++)
			if (memcmp(c->operators[j], c->operators[i], CLUSTER_KEY_LEN) == 0)
				return err_set(err, errlen, HS_EINPUT,
					       "%s: duplicate operator key (also operators[%zu])",
					       path, j);
	}
	c->noperators = n;
	return 0;
}

/* Names of hosts; an odd count, since an even one tolerates no more
 * failures than the odd count below it and makes ties possible. */
static int parse_voters(const json_t *arr, struct cluster *c, char *err, size_t errlen)
{
	char path[32], q[QUOTE_MAX];
	const char *s = NULL;
	size_t n;

	if (!arr)
		return 0; /* no fleet database: each rollout lives on its coordinator */
	if (!json_is_array(arr))
		return err_set(err, errlen, HS_EINPUT, "voters: expected an array, got %s",
			       jmsg_type(arr));
	n = json_array_size(arr);
	if (n != 1 && n != 3 && n != 5)
		return err_set(err, errlen, HS_EINPUT, "voters: must list 1, 3 or 5 hosts, lists %zu",
			       n);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "voters[%zu]", i);
		if (get_string(json_array_get(arr, i), path, &s, err, errlen) < 0)
			return HS_EINPUT;
		int h = cluster_host_index(c, s);
		if (h < 0)
			return err_set(err, errlen, HS_EINPUT, "%s: \"%s\" is not a host", path,
				       jmsg_quote(s, q, sizeof(q)));
		for (size_t j = 0; j < i; j++)
			if (c->voters[j] == h)
				return err_set(err, errlen, HS_EINPUT,
					       "%s: \"%s\" is listed twice (also voters[%zu])", path,
					       jmsg_quote(s, q, sizeof(q)), j);
		c->voters[i] = (uint16_t)h;
	}
	c->nvoters = n;
	return 0;
}

static int get_ms(const json_t *v, const char *path, json_int_t *ms, char *err, size_t errlen)
{
	if (!json_is_integer(v))
		return err_set(err, errlen, HS_EINPUT, "%s: expected an integer (milliseconds), got %s",
			       path, jmsg_type(v));
	*ms = json_integer_value(v);
	return 0;
}

/* hsroute's timers, the same on every host since all read this file: a
 * host whose hellos are further apart than its neighbour's dead_ms would
 * be declared dead over and over.
 *
 * Hellos are jittered down by up to 1/8 (hsroute/router.c), so the
 * silence between two hellos heard is at most (k + 1) x hello_ms when k
 * are lost in a row.  dead_ms must be at least 2.5 x hello_ms: one lost
 * hello (2 x hello_ms of silence) then never kills a neighbour, with half
 * an interval left for delivery and scheduling delay.  Riding out two
 * lost hellos in a row takes more than 3 x hello_ms, as the defaults
 * (400, 1300: 3.25 x) do.  Without dead_ms, it is 3.25 x hello_ms. */
static int parse_mesh(const json_t *obj, struct cluster *c, char *err, size_t errlen)
{
	const json_t *hv, *dv;
	json_int_t hello = CLUSTER_HELLO_MS_DEFAULT, dead;

	c->hello_ms = CLUSTER_HELLO_MS_DEFAULT;
	c->dead_ms = CLUSTER_DEAD_MS_DEFAULT;
	if (!obj)
		return 0;
	if (check_object(obj, "mesh", mesh_keys, NKEYS(mesh_keys), err, errlen) < 0)
		return HS_EINPUT;
	hv = json_object_get(obj, "hello_ms");
	dv = json_object_get(obj, "dead_ms");
	if (hv && get_ms(hv, "mesh.hello_ms", &hello, err, errlen) < 0)
		return HS_EINPUT;
	if (hello < CLUSTER_HELLO_MS_MIN || hello > CLUSTER_HELLO_MS_MAX)
		return err_set(err, errlen, HS_EINPUT, "mesh.hello_ms: %lld is outside %d..%d",
			       (long long)hello, CLUSTER_HELLO_MS_MIN, CLUSTER_HELLO_MS_MAX);
	dead = hello * CLUSTER_DEAD_MS_DEFAULT / CLUSTER_HELLO_MS_DEFAULT;
	if (dv && get_ms(dv, "mesh.dead_ms", &dead, err, errlen) < 0)
		return HS_EINPUT;
	if (dead > CLUSTER_DEAD_MS_MAX)
		return err_set(err, errlen, HS_EINPUT, "mesh.dead_ms: %lld is above %d",
			       (long long)dead, CLUSTER_DEAD_MS_MAX);
	/* 2 x dead < 5 x hello, in integers: dead_ms below 2.5 x hello_ms. */
	if (dead < 0 || 2 * dead < 5 * hello)
		return err_set(err, errlen, HS_EINPUT,
			       "mesh.dead_ms: %lld is below 2.5 x mesh.hello_ms (%lld): want at least %lld",
			       (long long)dead, (long long)hello, (long long)((5 * hello + 1) / 2));
	c->hello_ms = (uint32_t)hello;
	c->dead_ms = (uint32_t)dead;
	return 0;
}

bool cluster_is_voter(const struct cluster *c, size_t h)
{
	for (size_t i = 0; i < c->nvoters; i++)
		if (c->voters[i] == h)
			return true;
	return false;
}

bool cluster_is_operator(const struct cluster *c, const uint8_t key[CLUSTER_KEY_LEN])
{
	for (size_t i = 0; i < c->noperators; i++)
		if (sodium_memcmp(c->operators[i], key, CLUSTER_KEY_LEN) == 0)
			return true;
	return false;
}

static int parse_root(const json_t *root, struct cluster *c, char *err, size_t errlen)
{
	if (check_object(root, "(root)", root_keys, NKEYS(root_keys), err, errlen) < 0 ||
	    parse_name(json_object_get(root, "cluster"), "cluster", c->name, err, errlen) < 0 ||
	    parse_overlay(json_object_get(root, "overlay"), c, err, errlen) < 0 ||
	    parse_operators(json_object_get(root, "operators"), c, err, errlen) < 0)
		return HS_EINPUT;
	int rc = parse_hosts(json_object_get(root, "hosts"), c, err, errlen);
	if (rc == 0)
		rc = parse_links(json_object_get(root, "links"), c, err, errlen);
	if (rc == 0 && !c->full_mesh)
		rc = check_connected(c, err, errlen);
	if (rc == 0)
		rc = parse_voters(json_object_get(root, "voters"), c, err, errlen);
	if (rc == 0)
		rc = parse_mesh(json_object_get(root, "mesh"), c, err, errlen);
	return rc;
}

int cluster_parse(const char *text, size_t len, struct cluster *out, char *err,
		  size_t errlen)
{
	struct cluster c = {0};
	json_error_t je;
	char q[2 * QUOTE_MAX];
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Duplicate keys are rejected by jansson: with them, which value wins
	 * would depend on the parser. */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!root)
		return err_set(err, errlen, HS_EINPUT, "(root): invalid JSON at line %d, column %d: %s",
			       je.line, je.column, jmsg_quote(je.text, q, sizeof(q)));
	rc = parse_root(root, &c, err, errlen);
	json_decref(root);
	if (rc < 0) {
		cluster_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Read the whole file, refusing anything larger than CLUSTER_FILE_MAX. */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	size_t cap = 65536, n = 0;
	char *b = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, errlen, "%s: cannot open", path);
	for (;;) {
		if (n == cap || !b) {
			char *nb = realloc(b, b ? cap * 2 : cap);
			if (!nb)
				goto sys;
			cap = b ? cap * 2 : cap;
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto sys;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CLUSTER_FILE_MAX) {
			close(fd);
			free(b);
			return err_set(err, errlen, HS_EINPUT, "%s: larger than %u bytes",
				       path, CLUSTER_FILE_MAX);
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
sys:
	err_sys(err, errlen, "%s: cannot read", path);
	close(fd);
	free(b);
	return HS_ESYS;
}

int cluster_load(const char *path, struct cluster *out, char *err, size_t errlen)
{
	char msg[HS_ERRLEN];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_file(path, &text, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = cluster_parse(text, len, out, msg, sizeof(msg));
	free(text);
	if (rc < 0)
		return err_set(err, errlen, rc, "%s: %s", path, msg);
	return 0;
}

uint32_t cluster_router_id(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h ? h : 1;
}

int cluster_host_index(const struct cluster *c, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cluster_select_host(const struct cluster *c, const char *name, char *err,
			size_t errlen)
{
	char list[256] = "", q[QUOTE_MAX];
	size_t o = 0;
	int i;

	if (!name || !*name)
		return err_set(err, errlen, HS_EINPUT, "--host: no host name given");
	i = cluster_host_index(c, name);
	if (i >= 0)
		return i;
	/* Naming a few valid hosts turns a typo into a one-glance fix. */
	for (size_t k = 0; k < c->nhosts && k < 8; k++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", k ? ", " : "",
				      c->hosts[k].name);
	if (c->nhosts > 8)
		snprintf(list + o, sizeof(list) - o, ", ...");
	return err_set(err, errlen, HS_EINPUT,
		       "--host: \"%s\" is not a host of cluster \"%s\" (hosts: %s)",
		       jmsg_quote(name, q, sizeof(q)), c->name, list);
}

static int cmp_link(const void *x, const void *y)
{
	const struct cluster_link *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

bool cluster_linked(const struct cluster *c, size_t a, size_t b)
{
	if (a == b || a >= c->nhosts || b >= c->nhosts)
		return false;
	if (c->full_mesh)
		return true;
	struct cluster_link key = {(uint16_t)(a < b ? a : b), (uint16_t)(a < b ? b : a)};
	return bsearch(&key, c->links, c->nlinks, sizeof(key), cmp_link) != NULL;
}

/* Lower-case, cut at the first dot (the short host name), map anything else
 * outside the name alphabet to '-', and drop leading dashes. */
static void sanitise_name(const char *in, char *out)
{
	size_t o = 0;

	for (; in && *in && *in != '.' && o < CLUSTER_NAME_MAX; in++) {
		char ch = *in;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && o == 0)
			continue;
		out[o++] = ch;
	}
	out[o] = '\0';
	if (o == 0)
		strcpy(out, "host");
}

int cluster_default(struct cluster *out, const char *hostname,
		    const uint8_t public_key[CLUSTER_KEY_LEN], char *err, size_t errlen)
{
	struct cluster_host *h;
	const char *why;

	memset(out, 0, sizeof(*out));
	if (!public_key)
		return err_set(err, errlen, HS_EINPUT, "default cluster: no public key");
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_sys(err, errlen, "default cluster: cannot allocate");
	sanitise_name(hostname, h->name);
	if (addr_parse_endpoint("127.0.0.1:51820", &h->addr, h->endpoint,
				sizeof(h->endpoint), &why) < 0) {
		free(h);
		return err_set(err, errlen, HS_ESYS, "default cluster: %s", why);
	}
	memcpy(h->public_key, public_key, CLUSTER_KEY_LEN);
	h->prefix = 0x0a630100u; /* 10.99.1.0 */
	h->prefix_len = 24;
	strcpy(out->name, "local");
	out->overlay = 0x0a630000u; /* 10.99.0.0 */
	out->overlay_len = 16;
	out->hosts = h;
	out->nhosts = 1;
	out->full_mesh = true;
	out->hello_ms = CLUSTER_HELLO_MS_DEFAULT;
	out->dead_ms = CLUSTER_DEAD_MS_DEFAULT;
	return 0;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	free(c->hosts);
	free(c->links);
	memset(c, 0, sizeof(*c));
}

uint16_t cluster_host_port(const struct cluster_host *h)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&h->addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&h->addr;

	return ntohs(h->addr.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
}
