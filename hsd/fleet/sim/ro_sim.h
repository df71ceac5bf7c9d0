/*
 * ro_sim.h - deterministic fleet simulator for the rollout engine.
 *
 * N simulated hosts run the instances of one IDS (an old version, running
 * and verified at the start) and answer the engine's requests after a
 * latency, on a virtual clock, with faults drawn from the seed: lost
 * messages, partitions, hsd crashes on hosts (the spaces, so the running
 * instances, survive them, as in hsd), hosts gone for good, coordinator
 * crashes (the engine is thrown away and a new one resumes from the
 * PERSISTed rows only; requests already sent still reach their hosts),
 * leader changes (the driver runs on one of the hosts, its rows written
 * ahead to a replicated database: when its host goes down or is cut off
 * from the quorum, another host takes over after the lease),
 * slow, lost or failing probes, a bad new version (its probe always fails,
 * on every host or some), hosts already on the target version, operator
 * pauses and aborts.  It uses only the engine's public API.
 *
 * Invariants are checked after every event, counted, never fatal:
 *  NO_VERIFIED   (a) a host runs no instance that was verified
 *  EARLY_STOP    (b) an old instance stopped while the new one was not
 *                    running and verified
 *  NO_END        (c) the rollout did not end by limit_ms
 *  ROLLBACK      (d) after a failed/aborted rollout a host does not run
 *                    its old instance, verified
 *  PARALLEL      more hosts in flight than max_parallel
 *  FINAL_VIEW    the engine's final host state disagrees with the host
 *                (retired/current but no verified new instance running)
 *  STALL         (c, stronger) the rollout needed the operator's give-up
 *                abort although no host was gone for good
 *  STORE_BEHIND  the rows a new driver would resume from lag the hosts:
 *                a new instance this rollout started runs on a host whose
 *                row says no start was sent, or an old instance was
 *                stopped while the rollout's row is not committed
 */
#ifndef RO_SIM_H
#define RO_SIM_H

#include "ro_engine.h"

enum ro_inv {
	RO_INV_NO_VERIFIED = 0,
	RO_INV_EARLY_STOP,
	RO_INV_NO_END,
	RO_INV_ROLLBACK,
	RO_INV_PARALLEL,
	RO_INV_FINAL_VIEW,
	RO_INV_STALL,
	RO_INV_STORE_BEHIND,
	RO_INV__N
};

const char *ro_inv_name(enum ro_inv);

/* Probabilities are per mille.  Faults begin within [0, window_ms]. */
struct ro_sim_faults {
	uint32_t lat_min_ms, lat_max_ms;	/* one way */
	uint32_t probe_min_ms, probe_max_ms;	/* a probe's time on the host */
	uint32_t lost;		/* each request or reply */
	uint32_t slow_probe;	/* a probe outlasts the engine's timeout */
	uint32_t probe_fail;	/* a probe fails once (old or new) */
	uint32_t start_fail, stop_fail;
	uint32_t bad;		/* hosts whose new version never verifies; 1000: all */
	uint32_t current;	/* hosts already on the target version */
	uint32_t n_partitions, partition_max_ms;
	uint32_t n_host_crashes, host_down_max_ms;
	uint32_t n_gone;	/* hosts down from some point on, for good */
	uint32_t n_coord_crashes, coord_down_max_ms;
	uint32_t n_pauses, pause_max_ms;
	uint64_t abort_at_ms;	/* the operator aborts then (0: never) */
	uint64_t window_ms;
	/* The driver: the coordinator on one of the hosts, its rows
	 * replicated (lease_ms 0: a coordinator outside the fleet, no
	 * leader changes).  After each engine call the rows are written and
	 * the call's sends carried out only once the write commits; a driver
	 * whose host goes down or is cut off is deposed at once (its next
	 * write fails), and lease_ms (less the time since its last renewal)
	 * plus an election later a host that is up resumes from the rows.
	 * Hosts down, gone or cut off this way are exactly a host crash, a
	 * gone host or a partition: their instances run on. */
	uint32_t driver;		/* the first driver's host */
	uint32_t lease_ms, renew_ms;
	uint32_t election_min_ms, election_max_ms;
	uint32_t commit_min_ms, commit_max_ms;	/* a write's commit */
	uint32_t n_leader_changes;	/* the driver's host fails, at random */
	uint32_t leader_parted;		/* cut off from the quorum, not down */
	uint32_t leader_gone;		/* of the others: down for good */
	uint32_t leader_down_max_ms;	/* else down or cut off up to this */
	uint64_t leader_at_ms;		/* one more leader change then (0: none) */
	/* If the rollout has not ended by give_up_ms the operator aborts
	 * (a host that never returns); it must end by limit_ms. */
	uint64_t give_up_ms, limit_ms;
};

enum ro_sim_flags {
	/* Broken on purpose (the positive control): a new driver resumes
	 * from the rows before the last write while that write's sends went
	 * out; no write-ahead. */
	RO_SIM_F_UNSAFE_NO_WRITE_AHEAD = 1u << 0,
};

struct ro_sim_config {
	uint64_t seed;
	uint32_t flags;			/* enum ro_sim_flags */
	struct ro_config engine;	/* n_hosts is the fleet size */
	struct ro_sim_faults f;
	void (*trace)(void *arg, uint64_t t, const char *line); /* or NULL */
	void *trace_arg;
};

struct ro_sim_result {
	enum ro_rstate final;
	uint64_t end_ms;		/* RO_NEVER: did not end */
	uint64_t events, engine_calls;
	uint64_t sends, lost, stale;	/* requests; replies dropped or late */
	uint64_t sends_by_req[RO_REQ__N];
	uint32_t coord_restarts;
	uint32_t leader_changes;	/* drivers deposed */
	uint32_t takeovers;		/* new drivers that resumed */
	uint64_t unsent;		/* sends of writes that never committed */
	bool gave_up;			/* ended through the give-up abort */
	uint32_t hosts_on_new, hosts_on_old;	/* at the end, verified and running */
	uint32_t stray_new;		/* unverified new instances left running (not
					   a violation: the old one runs beside) */
	uint64_t violations[RO_INV__N];
	uint64_t checks;
	char first[200];		/* the first violation, for a message */
};

/* A random scenario for seed on a fleet of nmin..nmax hosts. */
void	ro_sim_config_random(uint64_t seed, uint32_t nmin, uint32_t nmax,
	    struct ro_sim_config *);
/* A fault-free scenario (the benchmark's). */
void	ro_sim_config_clean(uint32_t n_hosts, uint32_t max_parallel, uint64_t seed,
	    struct ro_sim_config *);

/* Runs one rollout to its end (or limit_ms): 0, or -1 with err filled
 * (bad config, out of memory).  Violations are in the result, not rc. */
int	ro_sim_run(const struct ro_sim_config *, struct ro_sim_result *, char *err,
	    size_t errlen);

#endif
