-- 002: what hsd needs to run spaces, re-adopt them after a restart and
-- publish their ports.

-- The running init of a space (pid + start time guard against pid reuse),
-- and the space's link network number (server spaces).
ALTER TABLE spaces ADD COLUMN pid INTEGER;
ALTER TABLE spaces ADD COLUMN pid_start INTEGER;
ALTER TABLE spaces ADD COLUMN netidx INTEGER;
CREATE UNIQUE INDEX spaces_netidx ON spaces(netidx) WHERE netidx IS NOT NULL;

-- Published host ports: the primary key makes a host port belong to one
-- space only.
CREATE TABLE publish (
	proto      TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
	host_port  INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
	space      TEXT NOT NULL REFERENCES spaces(name) ON DELETE CASCADE,
	port       INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	PRIMARY KEY (proto, host_port)
);
