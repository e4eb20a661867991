-- Idempotency keys survive a crash: every attempt of a key sends the same command id (kept
-- here from the first attempt), so a retry of a command that committed is answered by the
-- store's command-id deduplication instead of running again. `leased_at` (Unix milliseconds)
-- is when the attempt running the key took it; NULL once it gave the key back without a
-- response. A lease older than the command timeout was left by a process that died and is
-- taken over.
ALTER TABLE idempotency_keys ADD COLUMN command_id text;
ALTER TABLE idempotency_keys ADD COLUMN leased_at bigint;
