/* fuzz_cluster.c - cluster.json validator (cluster_parse) and the reload
 * diff on whatever it accepts. */
#include "cluster.h"
#include "err.h"
#include "fuzz_util.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster c;
	char err[HS_ERRLEN];

	int rc = cluster_parse((const char *)data, size, &c, err, sizeof(err));
	if (rc < 0) {
		/* All-or-nothing: a refused file leaves the output zeroed. */
		FUZZ_ASSERT(c.nhosts == 0 && c.hosts == NULL && c.links == NULL);
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
		return 0;
	}
	FUZZ_ASSERT(c.nhosts >= 1 && c.nhosts <= CLUSTER_HOSTS_MAX);
	for (size_t i = 0; i < c.nlinks; i++) {
		FUZZ_ASSERT(c.links[i].a < c.links[i].b && c.links[i].b < c.nhosts);
		FUZZ_ASSERT(cluster_linked(&c, c.links[i].a, c.links[i].b));
	}
	for (size_t i = 0; i < c.nhosts; i++)
		FUZZ_ASSERT(cluster_host_index(&c, c.hosts[i].name) == (int)i);

	/* A cluster compared with itself has no difference. */
	struct cluster_diff d;
	if (cluster_diff(&c, &c, &d, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(cluster_diff_empty(&d));
		cluster_diff_free(&d);
	}
	/* And against the one-host default, every path of the diff runs. */
	struct cluster def;
	uint8_t key[CLUSTER_KEY_LEN] = {1};
	if (cluster_default(&def, "fuzz", key, err, sizeof(err)) == 0) {
		if (cluster_diff(&def, &c, &d, err, sizeof(err)) == 0)
			cluster_diff_free(&d);
		cluster_free(&def);
	}
	cluster_free(&c);
	return 0;
}
