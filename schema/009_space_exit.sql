-- 009: what became of a running space's command.
--
-- hsinit stays up when the space's command ends (a server may fork into the
-- background); it tells hsd on its status pipe once the command has ended
-- and nothing it left runs on: "exited N", "killed SIG", or earlier
-- "failed: REASON" when the command could not be run at all (a failure is
-- kept over the exit that follows it).  '' while the command runs; cleared
-- at every start.  hsctl space list shows it in place of "running".
ALTER TABLE spaces ADD COLUMN cmd_exit TEXT NOT NULL DEFAULT '';
