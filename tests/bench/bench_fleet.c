/*
 * bench_fleet.c - the rollout engine (hsd/fleet/ro_engine.h) in the fleet
 * simulator, without faults: for fleets of 100, 1,000 and 10,000 hosts and
 * max_parallel 1, 10 and 50, the virtual time until the rollout is done,
 * the requests per host, and the wall-clock time of the simulation (one
 * core).  Latency 1-10 ms one way, probes 0.5-2 s.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "ro_sim.h"

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void hms(double s, char *buf, size_t len)
{
	unsigned long t = (unsigned long)(s + 0.5);
	snprintf(buf, len, "%luh%02lum%02lus", t / 3600, t / 60 % 60, t % 60);
}

int main(void)
{
	static const uint32_t sizes[] = { 100, 1000, 10000 }, par[] = { 1, 10, 50 };
	int bad = 0;

	printf("%-7s %-6s %-12s %-10s %-10s %-9s %s\n", "hosts", "par", "virtual", "msgs/host",
	       "events", "wall ms", "result");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		for (size_t j = 0; j < sizeof(par) / sizeof(*par); j++) {
			struct ro_sim_config c;
			struct ro_sim_result r;
			char err[128], vt[32];
			uint64_t viol = 0;

			ro_sim_config_clean(sizes[i], par[j], 1, &c);
			double t0 = wall_ms();
			if (ro_sim_run(&c, &r, err, sizeof(err))) {
				fprintf(stderr, "bench_fleet: %s\n", err);
				return 1;
			}
			double ms = wall_ms() - t0;
			for (int v = 0; v < RO_INV__N; v++)
				viol += r.violations[v];
			hms(r.end_ms == RO_NEVER ? -1 : r.end_ms / 1000.0, vt, sizeof(vt));
			printf("%-7u %-6u %-12s %-10.2f %-10" PRIu64 " %-9.0f %s%s\n", sizes[i], par[j],
			       vt, (double)r.sends / sizes[i], r.events, ms,
			       ro_rstate_name(r.final), viol ? " VIOLATIONS" : "");
			bad |= viol != 0 || r.final != ROR_DONE;
		}
	return bad;
}
