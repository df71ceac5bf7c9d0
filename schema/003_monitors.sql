-- 003: which server spaces each audit space monitors.
CREATE TABLE monitors (
	audit  TEXT NOT NULL REFERENCES spaces(name) ON DELETE CASCADE,
	server TEXT NOT NULL REFERENCES spaces(name) ON DELETE CASCADE,
	since  INTEGER NOT NULL,               -- unix ms
	PRIMARY KEY (audit, server)
);
