-- 005: rollouts coordinated by this host, and their per-host steps.

CREATE TABLE rollouts (
	id           INTEGER PRIMARY KEY,
	bundle       TEXT NOT NULL,          -- the new bundle id (name-version)
	name         TEXT NOT NULL,          -- the bundle name being upgraded
	state        TEXT NOT NULL,          -- running|paused|done|failed|aborted
	canary       TEXT NOT NULL,          -- host verified (and soaked) first
	max_parallel INTEGER NOT NULL,
	soak_s       INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,       -- unix ms
	finished_at  INTEGER,
	error        TEXT NOT NULL DEFAULT ''
);

-- Where each host stands in a rollout (the coordinator's view, kept so a
-- restarted coordinator resumes instead of starting over).
CREATE TABLE rollout_hosts (
	rollout      INTEGER NOT NULL REFERENCES rollouts(id),
	host         TEXT NOT NULL,
	state        TEXT NOT NULL,          -- pending|starting|verifying|verified|retired|deferred|failed|rolled_back
	old_instance TEXT NOT NULL DEFAULT '', -- the instance it replaces, '' if none
	new_instance TEXT NOT NULL DEFAULT '',
	verified_at  INTEGER,                -- new instance's probe reported
	old_stopped_at INTEGER,              -- old instance stopped (after the commit)
	PRIMARY KEY (rollout, host)
);

-- The timeline: every step of every host, append-only.
CREATE TABLE rollout_steps (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	rollout INTEGER NOT NULL REFERENCES rollouts(id),
	at      INTEGER NOT NULL,            -- unix ms
	host    TEXT NOT NULL,
	step    TEXT NOT NULL,               -- push|start|verified|soak|commit|retire|defer|fail|rollback|...
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER rollout_steps_no_update BEFORE UPDATE ON rollout_steps
BEGIN SELECT RAISE(ABORT, 'rollout steps are append-only'); END;
CREATE TRIGGER rollout_steps_no_delete BEFORE DELETE ON rollout_steps
BEGIN SELECT RAISE(ABORT, 'rollout steps are append-only'); END;
