/*
 * ro_engine.h - one rollout across N hosts as a pure state machine.
 *
 * The caller feeds events (start, a host's reply, the timer, the
 * operator's abort/pause/resume, a resume from persisted states) with the
 * current time in milliseconds and gets back actions: requests to send,
 * states to persist, steps to log, and the time of the next wakeup.  No
 * sockets, clock, store, globals or text parsing; all memory is taken at
 * create.  hsd/daemon/fleet/rollout.c runs it in the daemon;
 * docs/fleet-engine.md lists its rules and why each was chosen.
 */
#ifndef RO_ENGINE_H
#define RO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RO_NEVER	UINT64_MAX
#define RO_ALL_HOSTS	UINT32_MAX	/* host of a fleet-wide PERSIST or STEP */
#define RO_NO_CANARY	(-1)

/* Event results.  Never text: the caller switches on the code. */
enum ro_err {
	RO_OK = 0,
	RO_EINVAL,	/* bad argument (host out of range, bad config) */
	RO_ESTATE,	/* not allowed in the rollout's state (e.g. pause after commit) */
	RO_ESTALE,	/* a reply to no outstanding request: ignored */
	RO_ENOMEM,
};

/* One host's state; the names are rollout.c's (ro_hstate_name). */
enum ro_hstate {
	ROH_PENDING = 0,
	ROH_STARTING,	/* status answered; bundle, start under way */
	ROH_VERIFYING,	/* new instance started, its probe asked */
	ROH_SOAKING,	/* the canary, verified once, waits soak_ms */
	ROH_VERIFIED,
	ROH_RETIRING,	/* after the commit: drain then stop the old instance */
	ROH_RETIRED,
	ROH_DEFERRED,	/* unreachable: keeps its old instance, retried */
	ROH_FAILED,
	ROH_ROLLING_BACK, /* its new instance is being stopped */
	ROH_ROLLED_BACK,
	ROH_CURRENT,	/* the target version ran before the rollout */
	ROH_BEHIND,	/* after the commit, could not switch: keeps the old one */
	ROH__N
};

/* The rollout's state; NEW until start or resume_from. */
enum ro_rstate {
	ROR_NEW = 0,
	ROR_RUNNING,
	ROR_PAUSED,
	ROR_COMMITTED,
	ROR_CLOSING,	/* aborted after the commit */
	ROR_ROLLING_BACK, /* a failure before the commit */
	ROR_ABORTING,	/* aborted before the commit */
	ROR_DONE,	/* final states from here on */
	ROR_PARTIAL,
	ROR_FAILED,
	ROR_ABORTED,
	ROR__N
};

static inline bool ro_rstate_final(enum ro_rstate s)
{
	return s >= ROR_DONE && s < ROR__N;
}

enum ro_req {
	RO_REQ_STATUS = 0,	/* reply: old_running, new_running */
	RO_REQ_BUNDLE_HAS,	/* reply: has_bundle */
	RO_REQ_BUNDLE_PUT,
	RO_REQ_START,		/* start the new instance; idempotent */
	RO_REQ_VERIFY,		/* probe the instance (old: a drain probe) */
	RO_REQ_STOP,
	RO_REQ__N
};

enum ro_inst { RO_INST_NONE = 0, RO_INST_OLD, RO_INST_NEW };

/* A reply's outcome.  GONE: the instance is not there (a stop counts it as
 * done, anything else as a failure).  TIMEOUT is never passed in: the
 * engine keeps each request's deadline and treats it as UNREACHABLE. */
enum ro_result {
	RO_RES_OK = 0,
	RO_RES_UNREACHABLE,
	RO_RES_FAILED,
	RO_RES_GONE,
	RO_RES_TIMEOUT,
};

struct ro_reply {
	enum ro_result result;
	bool old_running;	/* STATUS: an instance of another version runs */
	bool new_running;	/* STATUS: an instance of the target version runs */
	bool has_bundle;	/* BUNDLE_HAS */
};

enum ro_step {
	ROS_BEGIN = 0, ROS_RESUME, ROS_PAUSE, ROS_UNPAUSE, ROS_ABORT,
	ROS_ROLLBACK_ALL,	/* fleet-wide: a failure before the commit */
	ROS_COMMIT, ROS_END,	/* END: detail is the final enum ro_rstate */
	ROS_DEFER, ROS_FAIL,	/* detail: enum ro_result */
	ROS_CURRENT, ROS_FOUND, ROS_PUSH, ROS_START, ROS_VERIFIED, ROS_SOAK,
	ROS_VERIFIED_AFTER_SOAK, ROS_DRAIN, ROS_DRAIN_FAILED,
	ROS_RETIRE, ROS_RETIRE_RETRY, ROS_STOP_RETRY, /* retries: enum ro_result */
	ROS_ROLLBACK,		/* this host's new instance is stopped */
	ROS_BEHIND,		/* detail: enum ro_behind */
	ROS__N
};

enum ro_behind {
	RO_BEHIND_NEW_STOPPED = 0,	/* its new instance stopped; old runs */
	RO_BEHIND_KEPT_OLD,		/* never started the new one */
	RO_BEHIND_UNREACHABLE,		/* deferred when the rollout was aborted */
	RO_BEHIND_STUCK_RETIRING,	/* old not stopped (unreachable/failing) */
	RO_BEHIND_STUCK_STOPPING,	/* new not stopped (unreachable/failing) */
};

enum ro_act_type { RO_ACT_SEND = 1, RO_ACT_PERSIST, RO_ACT_STEP };

/* What a host's PERSIST proves, as rollout.c's store stamps: the store
 * keeps verified_at < old_stopped_at for every host. */
enum ro_stamp { RO_STAMP_NONE = 0, RO_STAMP_VERIFIED, RO_STAMP_OLD_STOPPED };

struct ro_action {
	enum ro_act_type type;
	uint32_t host;		/* RO_ALL_HOSTS: the rollout itself */
	/* SEND */
	enum ro_req req;
	enum ro_inst inst;
	uint64_t req_id;	/* to pass back with the reply */
	uint32_t timeout_ms;	/* the engine gives up then (UNREACHABLE) */
	/* PERSIST: the host's row (host != RO_ALL_HOSTS) or the rollout's */
	enum ro_hstate hstate;
	bool has_old;		/* the host runs an old instance to retire */
	bool new_started;	/* a start was sent: an instance of the target
				   version found there later is ours */
	enum ro_rstate rstate;
	enum ro_stamp stamp;
	/* STEP */
	enum ro_step step;
	uint32_t detail;
};

/* Output of one call: owned by the caller, reused across calls.  The
 * array grows on demand (amortised); a full rollout start needs about
 * 2 * n_hosts + 4 entries. */
struct ro_actions {
	struct ro_action *v;
	size_t n, cap;
	uint64_t wakeup_ms;	/* call ro_engine_timer() then; RO_NEVER: none */
	bool oom;		/* some action could not be stored */
};

void	ro_actions_init(struct ro_actions *);
void	ro_actions_reset(struct ro_actions *);	/* keeps the capacity */
void	ro_actions_free(struct ro_actions *);

enum ro_flags {
	/* Broken on purpose: a started new instance counts as verified
	 * without its probe.  Only for the simulator's positive control. */
	RO_F_UNSAFE_SKIP_VERIFY = 1u << 0,
};

/* Zero fields take the defaults in brackets (rollout_int.h's). */
struct ro_config {
	uint32_t n_hosts;	/* required, 1..1000000 */
	int32_t canary;		/* host index, or RO_NO_CANARY */
	uint32_t max_parallel;	/* [1] hosts beginning at once */
	uint32_t soak_ms;	/* canary only; needs a canary */
	uint32_t probe_deadline_ms; /* [0] the bundle's probe deadline */
	uint32_t status_ms;	/* [5000] timeout of STATUS */
	uint32_t call_ms;	/* [15000] other requests (+ deadline for VERIFY) */
	uint32_t retry_ms;	/* [2000] deferred host, failed stop */
	uint32_t stop_tries;	/* [5] answered stop failures before stuck */
	uint32_t drain_probes;	/* [2] old-instance probes before its stop */
	uint32_t flags;		/* enum ro_flags */
	/* Request ids start after this: give a restarted coordinator a base
	 * above its predecessor's (e.g. the clock in ms << 16), so a late
	 * reply meant for that one is never taken for one of ours. */
	uint64_t first_req_id;
};

/* One host's row as persisted (the PERSIST actions' last values). */
struct ro_phost {
	enum ro_hstate state;
	bool has_old;
	bool new_started;
};

struct ro_engine;

struct ro_engine *ro_engine_create(const struct ro_config *, char *err, size_t errlen);
void	ro_engine_destroy(struct ro_engine *);

/*
 * Events.  Each returns RO_OK or an enum ro_err, appends its actions to
 * out and always refreshes out->wakeup_ms.  now_ms must not go back.
 */
int	ro_engine_start(struct ro_engine *, uint64_t now_ms, struct ro_actions *out);
/* A restarted coordinator: the rollout's and every host's persisted row
 * (n must be the config's n_hosts).  In-flight hosts are asked again. */
int	ro_engine_resume_from(struct ro_engine *, enum ro_rstate,
	    const struct ro_phost *hosts, uint32_t n, uint64_t now_ms,
	    struct ro_actions *out);
int	ro_engine_reply(struct ro_engine *, uint32_t host, uint64_t req_id,
	    const struct ro_reply *, uint64_t now_ms, struct ro_actions *out);
int	ro_engine_timer(struct ro_engine *, uint64_t now_ms, struct ro_actions *out);
int	ro_engine_abort(struct ro_engine *, uint64_t now_ms, struct ro_actions *out);
int	ro_engine_pause(struct ro_engine *, uint64_t now_ms, struct ro_actions *out);
int	ro_engine_resume(struct ro_engine *, uint64_t now_ms, struct ro_actions *out);

/* Read-only queries (tests, the simulator's checks, status output). */
struct ro_host_info {
	enum ro_hstate state;
	bool has_old;		/* an old instance it still has to retire */
	bool new_started;
	bool new_verified;	/* the engine saw its probe reported */
	bool old_retired;	/* the engine saw its stop answered */
	bool busy;		/* a request is outstanding */
	enum ro_req req;	/* if busy */
	enum ro_inst req_inst;
};

struct ro_info {
	enum ro_rstate state;
	bool committed;
	uint32_t n_hosts;
	uint32_t in_flight;	/* hosts between begin and verified (max_parallel) */
	uint32_t busy;		/* hosts with a request outstanding */
	uint32_t count[ROH__N];	/* hosts per state */
	int64_t failed_host;	/* the first host that failed, or -1 */
};

int	ro_engine_host(const struct ro_engine *, uint32_t host, struct ro_host_info *);
void	ro_engine_info(const struct ro_engine *, struct ro_info *);
enum ro_rstate ro_engine_state(const struct ro_engine *);

const char *ro_hstate_name(enum ro_hstate);
const char *ro_rstate_name(enum ro_rstate);
const char *ro_req_name(enum ro_req);
/* The state of that name (as persisted), or -1. */
int	ro_hstate_from_name(const char *);
int	ro_rstate_from_name(const char *);
const char *ro_step_name(enum ro_step);

#endif
