/* metrics.h - hsd's state in the Prometheus text format (version 0.0.4).
 *
 * The figures are the ones hsctl shows: metrics_collect() runs the
 * control commands status, space.list, instance.list, routes, peers and
 * rollout.history in-process and metrics_render() turns their JSON into
 * metric families.  `hsctl metrics` prints the text; `hsd --metrics
 * ADDR:PORT` serves it on GET /metrics (metrics_http.c).  Names and labels:
 * docs/metrics.md.
 */
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <jansson.h>
#include <stddef.h>

struct hsd;

/* The replies of the commands above (any may be NULL: its families are
 * left out). */
struct metrics_in {
	const json_t *status, *spaces, *instances, *routes, *peers, *rollouts;
};

/* The exposition text, malloc'd in *out.  HS_ESYS only when out of memory. */
int metrics_render(const struct metrics_in *in, char **out, char *err, size_t errlen);
int metrics_collect(struct hsd *d, char **out, char *err, size_t errlen);

/* metrics_http.c: --metrics ADDR:PORT ("127.0.0.1:9469", "[::1]:9469"). */
struct sockaddr_storage;
int metrics_http_parse(const char *spec, struct sockaddr_storage *out, char *err,
		       size_t errlen);
int metrics_http_start(struct hsd *d, const struct sockaddr_storage *addr, char *err,
		       size_t errlen);
void metrics_http_stop(struct hsd *d);

#endif
