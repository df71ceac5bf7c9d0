-- 008: the operator-signed intent a rollout (or deploy) carries.
--
-- Every instance step of the rollout goes to its host with this intent, and
-- the host takes the step only if the intent allows it (docs/intents.md).
-- A coordinator that restarts resumes the rollout with the same intent.
-- NULL (rollouts from before this migration): none; their steps are refused.
ALTER TABLE rollouts ADD COLUMN intent TEXT;
