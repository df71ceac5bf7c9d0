-- 006: where hsd stopped reading each instance's console.
--
-- An instance outlives the hsd that started it (spaces run on when hsd
-- stops).  A restarted hsd resumes reading its console at this byte offset,
-- the end of the last whole line it handled, so the alerts the instance
-- printed while hsd was down are still stored.  NULL (rows from before this
-- migration): unknown, reading starts at the console's current end.
ALTER TABLE instances ADD COLUMN console_offset INTEGER;
