/*
 * ro_sim_config.c - the simulator's scenarios: a fault-free one for the
 * benchmark, and random ones drawn from a seed for the tests.
 */
#include <string.h>

#include "ro_sim_int.h"

void ro_sim_config_clean(uint32_t n, uint32_t max_parallel, uint64_t seed,
			 struct ro_sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->engine.n_hosts = n;
	c->engine.canary = RO_NO_CANARY;
	c->engine.max_parallel = max_parallel;
	c->f.lat_min_ms = 1;
	c->f.lat_max_ms = 10;
	c->f.probe_min_ms = 500;
	c->f.probe_max_ms = 2000;
	c->engine.probe_deadline_ms = c->f.probe_max_ms;
	c->f.give_up_ms = 30ull * 86400 * 1000; /* never, in practice */
	c->f.limit_ms = c->f.give_up_ms + 3600 * 1000;
}

void ro_sim_config_random(uint64_t seed, uint32_t nmin, uint32_t nmax, struct ro_sim_config *c)
{
	uint64_t r = seed ^ 0x5EEDF1EE7ull;
	uint32_t n = (uint32_t)range(&r, nmin, nmax);
	struct ro_sim_faults *f = &c->f;

	ro_sim_config_clean(n, (uint32_t)range(&r, 1, n < 10 ? n : 10), rnd(&r), c);
	if (chance(&r, 500))
		c->engine.canary = (int32_t)range(&r, 0, n - 1);
	if (c->engine.canary != RO_NO_CANARY && chance(&r, 300))
		c->engine.soak_ms = (uint32_t)range(&r, 1000, 60000);
	f->lat_min_ms = (uint32_t)range(&r, 1, 20);
	f->lat_max_ms = f->lat_min_ms + (uint32_t)range(&r, 0, 200);
	f->probe_min_ms = (uint32_t)range(&r, 100, 1000);
	f->probe_max_ms = f->probe_min_ms + (uint32_t)range(&r, 0, 3000);
	c->engine.probe_deadline_ms = f->probe_max_ms;
	f->lost = chance(&r, 700) ? (uint32_t)range(&r, 0, 40) : 0;
	f->slow_probe = chance(&r, 500) ? (uint32_t)range(&r, 0, 50) : 0;
	f->probe_fail = chance(&r, 200) ? (uint32_t)range(&r, 1, 10) : 0;
	f->start_fail = chance(&r, 100) ? (uint32_t)range(&r, 1, 20) : 0;
	f->stop_fail = chance(&r, 500) ? (uint32_t)range(&r, 0, 300) : 0;
	uint64_t pick = range(&r, 0, 99);
	f->bad = pick < 10 ? 1000 : pick < 20 ? (uint32_t)range(&r, 30, 300) : 0;
	f->current = chance(&r, 150) ? (uint32_t)range(&r, 50, 500) : 0;
	/* Faults land while the rollout runs: about its fault-free length. */
	f->window_ms = (uint64_t)(n / c->engine.max_parallel + 2) * (f->probe_max_ms + 500) +
		       c->engine.soak_ms + 10000;
	f->n_partitions = (uint32_t)range(&r, 0, n / 3 + 1);
	f->partition_max_ms = (uint32_t)range(&r, 1000, 90000);
	f->n_host_crashes = (uint32_t)range(&r, 0, n / 5 + 1);
	f->host_down_max_ms = (uint32_t)range(&r, 1000, 120000);
	f->n_gone = chance(&r, 100) ? 1 : 0;
	f->n_coord_crashes = (uint32_t)range(&r, 0, 3);
	f->coord_down_max_ms = (uint32_t)range(&r, 100, 30000);
	f->n_pauses = (uint32_t)range(&r, 0, 2);
	f->pause_max_ms = 30000;
	f->abort_at_ms = chance(&r, 100) ? range(&r, 1, f->window_ms) : 0;
	/* The driver is one of the hosts (a fleet of one has nobody to take
	 * over); a write commits in a round trip to the database's quorum. */
	if (n >= 2) {
		f->driver = (uint32_t)range(&r, 0, n - 1);
		f->lease_ms = 10000;
		f->renew_ms = 2000;
		f->election_min_ms = 150;
		f->election_max_ms = 1500;
		f->commit_min_ms = 2 * f->lat_min_ms;
		f->commit_max_ms = 2 * f->lat_max_ms;
		f->n_leader_changes = (uint32_t)range(&r, 0, 2);
		f->leader_parted = 333;
		f->leader_gone = 500;
		f->leader_down_max_ms = 120000;
	}
	/* The operator gives up an hour after the last fault began (a host
	 * that never returns); the rollout must then end within 30 minutes. */
	f->give_up_ms = f->window_ms + 3600 * 1000;
	f->limit_ms = f->give_up_ms + 1800 * 1000;
}
