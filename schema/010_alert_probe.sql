-- 010: which alert was the report of hsd's own probe.
--
-- 1 only for the one line that verified a pending probe (instances.c, the
-- line bundle_line_reports matched against the token hsd was waiting for),
-- set when the line is stored; never later and never from the line's text
-- alone, so a line an attacker wrote with a token in it stays 0.  hsctl
-- alerts leaves probe alerts out unless asked (--probes); nothing else is
-- ever left out (docs/security.md).
ALTER TABLE alerts ADD COLUMN probe INTEGER NOT NULL DEFAULT 0;
