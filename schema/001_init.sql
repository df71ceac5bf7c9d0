-- 001: the first schema.  Never edit a released migration: add a new file.

-- One row per applied migration; max(version) is the schema version.
CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL          -- unix seconds
);

-- Facts about this host's store: its host name, cluster, creation time.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Spaces on this host (filled by the spaces part).
CREATE TABLE spaces (
	name       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL CHECK (kind IN ('server', 'audit')),
	parent     TEXT REFERENCES spaces(name),
	state      TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	spec       TEXT NOT NULL DEFAULT '{}' -- JSON: command, publish, limits
);

-- IDS instances: which bundle and version runs in which space, since when.
CREATE TABLE instances (
	id          INTEGER PRIMARY KEY,
	bundle      TEXT NOT NULL,
	version     TEXT NOT NULL,
	space       TEXT NOT NULL,
	state       TEXT NOT NULL,
	started_at  INTEGER,
	verified_at INTEGER,
	stopped_at  INTEGER
);

-- Append-only event log: who changed what, and when.
CREATE TABLE events (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	at      INTEGER NOT NULL,             -- unix milliseconds
	kind    TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
