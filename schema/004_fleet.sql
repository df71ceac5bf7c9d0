-- 004: IDS bundles, their alerts, and what instances verified.

-- Bundles stored on this host (STATE/bundles/ID holds the files).
CREATE TABLE bundles (
	id       TEXT PRIMARY KEY,          -- name-version
	name     TEXT NOT NULL,
	version  TEXT NOT NULL,
	hash     TEXT NOT NULL,             -- sha256 of the content (docs/bundles.md)
	added_at INTEGER NOT NULL,          -- unix ms
	UNIQUE (name, version)
);

-- An instance runs bundle-version in an audit space of this host.
CREATE UNIQUE INDEX instances_space ON instances(space) WHERE stopped_at IS NULL;
ALTER TABLE instances ADD COLUMN last_probe TEXT;    -- token of the last verified probe

-- Lines of an instance's output that matched its bundle's alert pattern.
CREATE TABLE alerts (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at       INTEGER NOT NULL,          -- unix ms
	host     TEXT NOT NULL,
	instance TEXT NOT NULL,             -- bundle@version
	line     TEXT NOT NULL
);
CREATE INDEX alerts_at ON alerts(at);
